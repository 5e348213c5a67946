/**
 * The training page's Web Worker: holds the data and the model, trains with `fit` (reporting every
 * batch and epoch to the page), stops after the current batch when asked and resumes from the
 * epoch reached, predicts, and saves to / loads from IndexedDB (`indexeddb://`, available in workers).
 */
import { RaggedError, Sequential, bucketBatches, loadModel, modelToArtifacts, readJsonl, readUea, sequential } from "../../src/index.js";
import { seedBatches } from "../../src/cli/commands/seed_data.js";
import { buildLayers, parseLayerSpec } from "../../src/cli/layer_spec.js";
import { type Label, type Targets, encodeTarget, inferTargets, modelTargets, writeCliMetadata } from "../../src/cli/labels.js";
import type { DatasetSpec, FromWorker, ModelInfo, ToWorker, TrainRequest } from "./protocol.js";

interface Rec {
  x: number[][];
  y?: Label | Label[];
  line: number;
}

interface State {
  model: Sequential;
  targets: Targets;
  xs: number[][][];
  ys: (number | number[])[];
  validation: [number[][][], (number | number[])[]] | null;
  request: TrainRequest;
  epochsDone: number;
  /** Batches trained since the model was made (every run). */
  batchesRun: number;
  example: number[][] | null;
}

let state: State | null = null;
let training = false;

const post = (message: FromWorker) => (self as unknown as Worker).postMessage(message);

/**
 * Lets queued messages (a "stop") in between batches. A timer task, not a MessageChannel one:
 * Chromium ran a chain of port messages ahead of the page's "stop" for dozens of batches.
 */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function records(dataset: DatasetSpec): Promise<{ train: Rec[]; test: Rec[] | null; classLabels?: readonly string[]; source: string }> {
  if (dataset.kind === "seed") {
    const batch = seedBatches({ batchSize: dataset.sequences, seed: dataset.seed, length: null, mixedLengths: true }).next().value as { xs: number[][][]; ys: number[][][] };
    const recs = batch.xs.map((x, i) => ({ x, y: batch.ys[i].map((row) => (row[1] > 0.5 ? 1 : 0)), line: i + 1 }));
    return { train: recs, test: null, source: "the seed's task" };
  }
  if (dataset.kind === "uea") {
    const read = async (text: string, source: string) => {
      const file = await readUea([text], { source });
      const out: Rec[] = [];
      for await (const r of file.records) out.push(r as Rec);
      return { file, out };
    };
    const train = await read(dataset.train, dataset.name);
    const test = dataset.test ? (await read(dataset.test, `${dataset.name} (test)`)).out : null;
    return { train: train.out, test, classLabels: train.file.header.classLabels, source: dataset.name };
  }
  const out: Rec[] = [];
  for await (const r of readJsonl([dataset.text], { source: dataset.name })) out.push(r as Rec);
  return { train: out, test: null, source: dataset.name };
}

function info(s: State): ModelInfo {
  const lines: string[] = [];
  s.model.summary({ lineLength: 66, print: (l) => lines.push(l) });
  // fit's own plan: validationSplit 0.1 holds out the last tenth, the rest is batched by length.
  const trained = s.validation ? s.xs.length : Math.floor(s.xs.length * 0.9);
  const lengths = s.xs.slice(0, trained).map((x) => x.length);
  return {
    summary: lines.join("\n"),
    labels: s.targets.labels ? s.targets.labels.map(String) : null,
    features: s.model.inputFeatures,
    perStep: s.targets.perStep,
    batchesPerEpoch: lengths.length ? bucketBatches(lengths, { batchSize: s.request.batchSize, shuffle: false, bucketing: true }).length : 0,
    example: s.example,
    epochsDone: s.epochsDone,
  };
}

async function prepare(request: TrainRequest): Promise<State> {
  const specs = parseLayerSpec(request.layers);
  const data = await records(request.dataset);
  const features = data.train.find((r) => r.x.length > 0)?.x[0].length;
  if (features === undefined) throw new RaggedError("BAD_FILE", "Every sequence is empty; nothing to learn from.");
  const targets = inferTargets(data.train, data.source, { classLabels: data.classLabels });
  const model = sequential(buildLayers(specs, { features, perStep: targets.perStep, task: targets.task }), { seed: request.seed });
  const classify = targets.task.kind === "classification";
  model.compile({
    loss: classify ? "sparseCategoricalCrossentropy" : "meanSquaredError",
    optimizer: { name: "adam", learningRate: request.learningRate },
    metrics: classify ? ["accuracy"] : [],
  });
  writeCliMetadata(model, targets.labels ? { labels: targets.labels } : {});
  const encode = (rs: Rec[]) => rs.map((r) => encodeTarget(r.y, r.line, data.source, targets));
  return {
    model,
    targets,
    xs: data.train.map((r) => r.x),
    ys: encode(data.train),
    validation: data.test ? [data.test.map((r) => r.x), encode(data.test)] : null,
    request,
    epochsDone: 0,
    batchesRun: 0,
    example: data.train[0]?.x.slice(0, 12) ?? null,
  };
}

async function run(s: State, epochs: number): Promise<void> {
  training = true;
  try {
    const history = await s.model.fit(s.xs, s.ys, {
      epochs,
      initialEpoch: s.epochsDone,
      batchSize: s.request.batchSize,
      ...(s.validation ? { validationData: s.validation } : { validationSplit: 0.1 }),
      verbose: 0,
      callbacks: [
        {
          onBatchEnd: async (batch, logs) => {
            s.batchesRun++;
            post({ type: "batch", epoch: s.epochsDone, batch, logs: { ...(logs ?? {}) } });
            await yieldToEvents();
          },
          onEpochEnd: (epoch, logs) => {
            s.epochsDone = epoch + 1;
            post({ type: "epoch", epoch, logs: { ...(logs ?? {}) } });
          },
        },
      ],
    });
    post({ type: "done", stopped: s.model.stopTraining && s.epochsDone < epochs, epochsDone: s.epochsDone, batchesRun: s.batchesRun, losses: history.history.loss ?? [] });
  } finally {
    training = false;
  }
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "train": {
      state = await prepare(message);
      post({ type: "ready", ...info(state) });
      await run(state, message.epochs);
      return;
    }
    case "stop":
      if (state && training) state.model.stopTraining = true;
      return;
    case "resume": {
      if (!state) throw new RaggedError("NOT_BUILT", "Train a model first.");
      if (training) return;
      await run(state, message.epochs);
      return;
    }
    case "predict": {
      if (!state) throw new RaggedError("NOT_BUILT", "Train or load a model first.");
      const output = state.model.predict([message.x]) as number[][] | number[][][];
      post({ type: "prediction", output: output[0] });
      return;
    }
    case "save-idb": {
      if (!state) throw new RaggedError("NOT_BUILT", "Train a model first.");
      writeCliMetadata(state.model, { epochsTrained: state.epochsDone });
      await state.model.save(`indexeddb://${message.name}`, { includeOptimizer: true });
      post({ type: "saved", name: message.name });
      return;
    }
    case "load-idb": {
      const model = await loadModel(`indexeddb://${message.name}`);
      if (!(model instanceof Sequential)) throw new RaggedError("UNSUPPORTED", `"${message.name}" is a functional model; this page trains Sequential models.`);
      const targets = modelTargets(model);
      const epochsDone = ((model.getUserDefinedMetadata()?.ragged as { epochsTrained?: number } | undefined)?.epochsTrained ?? 0) as number;
      const request: TrainRequest = { type: "train", dataset: { kind: "seed", sequences: 0, seed: 0 }, layers: "", epochs: epochsDone, batchSize: 32, learningRate: 0.001, seed: 0 };
      state = { model, targets, xs: [], ys: [], validation: null, request, epochsDone, batchesRun: 0, example: null };
      post({ type: "loaded", name: message.name, ...info(state) });
      return;
    }
    case "artifacts": {
      if (!state) throw new RaggedError("NOT_BUILT", "Train a model first.");
      writeCliMetadata(state.model, { epochsTrained: state.epochsDone });
      const artifacts = modelToArtifacts(state.model, { includeOptimizer: true });
      post({ type: "artifacts", artifacts });
      return;
    }
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  handle(event.data).catch((err: unknown) => {
    const e = err as { code?: string; message?: string };
    post({ type: "error", code: typeof e?.code === "string" ? e.code : null, message: e?.message ?? String(err) });
  });
};

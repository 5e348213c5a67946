/**
 * The browser test's workload, run unchanged in Chromium (on the dist/browser bundle) and in Node
 * (on src/index.ts) so the two can be compared: it receives the library as an argument and imports
 * nothing at run time (run.ts transpiles this file for the page with esbuild).
 *
 * Task: 3 features per step; the label of step t is the feature with the largest running sum over
 * steps 0…t — it needs memory, so an LSTM learns it and its loss falls within a few epochs.
 */
import type * as Ragged from "../../src/index.js";

type Lib = typeof Ragged;

export const FEATURES = 3;
export const CLASSES = 3;

/** Sequences of lengths 3…20 and their one-hot per-step labels, from a small LCG (no Math.random). */
export function makeData(count: number, seed: number): { xs: number[][][]; ys: number[][][] } {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const xs: number[][][] = [];
  const ys: number[][][] = [];
  for (let i = 0; i < count; i++) {
    const len = 3 + Math.floor(next() * 18);
    const sums = new Array<number>(FEATURES).fill(0);
    const x: number[][] = [];
    const y: number[][] = [];
    for (let t = 0; t < len; t++) {
      const step = Array.from({ length: FEATURES }, () => Math.round((next() * 2 - 1) * 1000) / 1000);
      step.forEach((v, k) => (sums[k] += v));
      const best = sums.indexOf(Math.max(...sums));
      x.push(step);
      y.push(Array.from({ length: CLASSES }, (_, k) => (k === best ? 1 : 0)));
    }
    xs.push(x);
    ys.push(y);
  }
  return { xs, ys };
}

/** Sequences of lengths 1, 7, 25 and 40 (longer than any training sequence) for predict. */
export function testSequences(): number[][][] {
  return makeData(40, 99).xs.filter((_, i) => i < 4).map((seq, i) => {
    const len = [1, 7, 25, 40][i];
    return Array.from({ length: len }, (_, t) => seq[t % seq.length]);
  });
}

export function buildModel(lib: Lib): Ragged.Sequential {
  const model = lib.sequential(
    [
      lib.layers.lstm({ units: 8, returnSequences: true, inputShape: [null, FEATURES] }),
      lib.layers.timeDistributed({ layer: lib.layers.dense({ units: CLASSES, activation: "softmax" }) }),
    ],
    { seed: 1 },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: { name: "adam", learningRate: 0.02 }, metrics: ["accuracy"] });
  return model;
}

export interface ScenarioResult {
  kernels: string;
  variant: string | null;
  initialPredictions: number[][][];
  losses: number[];
  accuracy: number[];
  predictions: number[][][];
  loadedPredictions: number[][][];
  /** After saving with the http handler (POST) and loading model.json back over HTTP (GET), when given an origin. */
  httpPredictions: number[][][] | null;
  /** What `save(memory())` held: model.json's topology and the weight bytes, for loading in Node. */
  saved: { modelTopology: unknown; weightSpecs: unknown; weightBytes: number[] };
  predictedLengths: number[];
  ms: number;
}

/**
 * Builds, trains 3 epochs (progress at `verbose`), predicts, saves to memory and loads back; with
 * `httpOrigin`, also saves to `${httpOrigin}/upload` and loads `${httpOrigin}/model/model.json`.
 */
export async function runScenario(lib: Lib, verbose: 0 | 1, httpOrigin?: string): Promise<ScenarioResult> {
  const start = performance.now();
  const model = buildModel(lib);
  const tests = testSequences();
  const initialPredictions = model.predict(tests) as number[][][];
  const { xs, ys } = makeData(64, 7);
  const history = await model.fit(xs, ys, { epochs: 3, batchSize: 16, verbose, threads: 1 });
  const predictions = model.predict(tests) as number[][][];
  const mem = lib.memory();
  await model.save(mem);
  const loaded = await lib.loadModel(mem);
  const loadedPredictions = loaded.predict(tests) as number[][][];
  let httpPredictions: number[][][] | null = null;
  if (httpOrigin !== undefined) {
    await model.save(`${httpOrigin}/upload`);
    httpPredictions = (await lib.loadModel(`${httpOrigin}/model/model.json`)).predict(tests) as number[][][];
  }
  const artifacts = mem.artifacts!;
  const weightData = artifacts.weightData as ArrayBuffer;
  return {
    kernels: lib.kernels().name,
    variant: lib.wasmVariant(),
    initialPredictions,
    losses: history.history.loss,
    accuracy: history.history.accuracy ?? [],
    predictions,
    loadedPredictions,
    httpPredictions,
    saved: { modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs, weightBytes: Array.from(new Uint8Array(weightData)) },
    predictedLengths: predictions.map((p) => p.length),
    ms: performance.now() - start,
  };
}

export interface ThreadsResult {
  workersCreated: number;
  /** Chunks posted to the worker (its share of each step; the calling thread's own are never posted). */
  chunksPosted: number;
  /** The worker's answers, one per chunk posted to it, and how many of those chunks it ran. */
  chunksAnswered: number;
  chunksRun: number;
  oneThreadLosses: number[];
  twoThreadLosses: number[];
}

/**
 * Data-parallel training over Web Workers: the same model trained 2 epochs on 1 thread and on 2
 * (the calling thread plus one Worker whose script calls `serveReplica`); the losses must agree.
 */
export async function runThreads(lib: Lib, createWorker: () => Worker): Promise<ThreadsResult> {
  const { xs, ys } = makeData(64, 7);
  const one = await buildModel(lib).fit(xs, ys, { epochs: 2, batchSize: 16, verbose: 0, threads: 1 });
  let workersCreated = 0;
  let chunksPosted = 0;
  let chunksAnswered = 0;
  let chunksRun = 0;
  lib.setThreadPlatform({
    createWorker: () => {
      workersCreated++;
      const worker = createWorker();
      const post = worker.postMessage.bind(worker) as (message: unknown, transfer?: Transferable[]) => void;
      worker.postMessage = ((message: unknown, transfer?: Transferable[]) => {
        if ((message as { type?: string } | null)?.type === "chunk") chunksPosted++;
        post(message, transfer ?? []);
      }) as Worker["postMessage"];
      worker.addEventListener("message", (event) => {
        const reply = event.data as { type?: string; ran?: boolean } | null;
        if (reply?.type !== "chunk") return;
        chunksAnswered++;
        if (reply.ran) chunksRun++;
      });
      // A DOM Worker works as a WorkerLike at run time, but its onmessage/onerror take a MessageEvent
      // and an ErrorEvent, which TypeScript will not assign to WorkerLike's MessageLike/unknown.
      return worker as unknown as Ragged.WorkerLike;
    },
    defaultThreads: () => 2,
  });
  // A toy batch is far below the work a thread must save to pay (NOTE [ when a second thread pays ]): split it anyway.
  const minFlops = lib.setMinShardFlops(0);
  try {
    const two = await buildModel(lib).fit(xs, ys, { epochs: 2, batchSize: 16, verbose: 0, threads: 2 });
    return { workersCreated, chunksPosted, chunksAnswered, chunksRun, oneThreadLosses: one.history.loss, twoThreadLosses: two.history.loss };
  } finally {
    lib.setThreadPlatform(null);
    lib.setMinShardFlops(minFlops);
  }
}

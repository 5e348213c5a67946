/**
 * `ragged train`: builds a model from `--layers` (or starts from `--model`, or continues `--resume`),
 * trains it on a data file with a progress bar, checkpoints it to `--out` after every epoch
 * (atomically, with optimizer state and the epoch count) and saves the class labels beside it.
 */
import { promises as fsp } from "node:fs";
import { extname } from "node:path";
import { RaggedError } from "../../core/errors.js";
import { modelFromTopology } from "../../io/topology.js";
import { Sequential, sequential } from "../../models/sequential.js";
import type { Callback, Logs } from "../../training/callbacks.js";
import { csvLogger } from "../../training/callbacks/csv_logger.js";
import { tensorBoard } from "../../training/callbacks/tensorboard.js";
import { nodeLogFiles } from "../../node/log_files.js";
import { earlyStopping } from "../../training/callbacks/early_stopping.js";
import { type HistoryFile, checkLossFitsTargets, classWeightFrom, readHistory, writeHistory } from "../fit_options.js";
import { checkReportPath } from "../../node/report.js";
import { trainingRecorder } from "../../vis/recorder.js";
import { writeTrainReport } from "../report.js";
import { type DataRecord, readAll } from "../data.js";
import { type CliIO, loadSequentialFrom, saveModelTo } from "../io.js";
import { type Targets, encodeTarget, inferTargets, modelTargets, readCliMetadata, writeCliMetadata } from "../labels.js";
import { LAYER_SYNTAX, buildLayers, parseLayerSpec } from "../layer_spec.js";
import type { OptionValues, trainOptions } from "../options.js";
import { withDirLock } from "../../node/dir_lock.js";
import { makeDir } from "../../node/make_dir.js";

export type TrainOptions = OptionValues<typeof trainOptions>;

export const trainExamples = [
  "ragged train --data JapaneseVowels_TRAIN.ts --layers lstm:64,dense:9:softmax --epochs 20 --out vowels",
  "ragged train --data train.jsonl --validation val.jsonl --layers bilstm:32,dropout:0.2 --out model --json",
  "ragged train --data tokens.jsonl --layers embedding:5000:32,gru:64 --out model     # x = token ids",
  "ragged train --data JapaneseVowels_TRAIN.ts --layers conv1d:64:5,batchnorm,activation:relu,bilstm:64 --out fcn",
  "ragged train --data train.jsonl --resume model --epochs 20                          # 10 more epochs",
  "ragged train --data train.jsonl --layers gru:32 --validation-split 0.1 --early-stopping 3 --class-weight balanced --out model",
];

export const trainHelp = `\nLayers (--layers, comma-separated, first to last):\n${Object.values(LAYER_SYNTAX)
  .map((s) => `  ${s}`)
  .join("\n")}
A recurrent layer returns sequences when a recurrent, conv1d or pooling layer follows it or when the
targets are per step ("y" a list); otherwise its last step. Without a final dense layer the output
layer is added (dense:CLASSES:softmax for class labels, dense:1 for numbers).

Examples:\n${trainExamples.map((e) => `  ${e}`).join("\n")}`;

export async function runTrain(opts: TrainOptions, io: CliIO): Promise<void> {
  const out = opts.out ?? opts.resume;
  if (!opts.layers && !opts.model && !opts.resume) {
    throw new RaggedError("INVALID_ARGUMENT", "train needs a model: --layers, --model or --resume.", { help: 'e.g. --layers "lstm:64,dense:9:softmax"' });
  }
  if (out === undefined) throw new RaggedError("INVALID_ARGUMENT", "train needs --out DIR: where to save the model.");
  if (opts.resume) {
    for (const flag of ["loss", "optimizer", "learningRate", "metrics", "task", "labels"] as const) {
      if (opts[flag] !== undefined) {
        throw new RaggedError("INVALID_ARGUMENT", `--resume continues with the saved model's settings; --${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} cannot change them.`, {
          help: "drop the flag, or start a new run with --model DIR to train the saved weights with new settings",
        });
      }
    }
  }
  const specs = opts.layers ? parseLayerSpec(opts.layers) : null; // spec errors before reading any data
  if (opts.report) await checkReportPath(opts.report);
  await makeOutDir(out);
  // One train per --out: a second one would interleave checkpoints with the first (NOTE [ directory locks ]).
  await withDirLock(out, TRAIN_LOCK, { wait: false, what: "another ragged train" }, () => trainInto(out, specs, opts, io));
}

const TRAIN_LOCK = ".ragged-train.lock";
const DEFAULT_BATCH_SIZE = 32;

async function makeOutDir(out: string): Promise<void> {
  try {
    await makeDir(out);
  } catch (e) {
    throw new RaggedError("IO_ERROR", `${out}: cannot create the output directory.`, { received: (e as Error).message, help: "choose a writable --out directory" });
  }
}

async function trainInto(out: string, specs: ReturnType<typeof parseLayerSpec> | null, opts: TrainOptions, io: CliIO): Promise<void> {

  let model: Sequential;
  let targets: Targets;
  let records: DataRecord[];
  let initialEpoch = 0;
  let validation = opts.validation;
  let validationSplit = opts.validationSplit;
  let batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (opts.resume) {
    model = await loadSequentialFrom(opts.resume);
    if (!model.loss) {
      throw new RaggedError("UNSUPPORTED", `${opts.resume}: the model was saved without its optimizer state, so training cannot resume.`, {
        help: "start a new run from its weights with --model instead",
      });
    }
    const saved = readCliMetadata(model);
    initialEpoch = saved.epochsTrained ?? 0;
    // --resume remembers how the run validated, unless told otherwise.
    if (opts.validation === undefined && opts.validationSplit === undefined) {
      validation = saved.validation;
      validationSplit = saved.validationSplit;
    }
    batchSize = opts.batchSize ?? saved.batchSize ?? DEFAULT_BATCH_SIZE;
    targets = modelTargets(model);
    records = (await readAll(opts.data, { features: model.inputFeatures })).records;
  } else {
    const read = await readAll(opts.data);
    records = read.records;
    const features = read.records.find((r) => r.x.length > 0)?.x[0].length;
    if (features === undefined) throw new RaggedError("BAD_FILE", `${opts.data}: every sequence is empty; nothing to learn from.`);
    if (opts.model) {
      model = await initialModel(opts.model);
      const saved = readCliMetadata(model).labels;
      targets = inferTargets(records, opts.data, { task: saved ? "classification" : opts.task, classLabels: opts.labels ?? saved ?? read.file.classLabels });
      checkModelFits(model, targets, features, opts.model);
    } else {
      targets = inferTargets(records, opts.data, { task: opts.task, classLabels: opts.labels ?? read.file.classLabels });
      model = sequential(buildLayers(specs ?? [], { features, perStep: targets.perStep, task: targets.task }), { seed: opts.seed });
    }
    if (opts.loss) checkLossFitsTargets(opts.loss, targets, opts.data);
    if (!model.loss || opts.loss || opts.optimizer || opts.learningRate || opts.metrics) compile(model, targets, opts);
    writeCliMetadata(model, {
      ...(targets.labels ? { labels: targets.labels } : {}),
      ...(validation !== undefined ? { validation } : {}),
      ...(validationSplit !== undefined ? { validationSplit } : {}),
    });
  }
  if (initialEpoch >= opts.epochs) {
    throw new RaggedError("INVALID_ARGUMENT", `${out}: the model has already trained ${initialEpoch} epochs; --epochs ${opts.epochs} leaves nothing to do.`, {
      help: `--epochs is the total count; pass e.g. --epochs ${initialEpoch + 10}`,
    });
  }
  const ys = records.map((r) => encodeTarget(r.y, r.line, opts.data, targets));
  const xs = records.map((r) => r.x);
  let validationData: [number[][][], (number | number[])[]] | undefined;
  if (validation !== undefined) {
    const source = validation;
    const val = (await readAll(source, { features: model.inputFeatures })).records;
    validationData = [val.map((r) => r.x), val.map((r) => encodeTarget(r.y, r.line, source, targets))];
  }
  const classWeight = opts.classWeight === undefined ? undefined : classWeightFrom(opts.classWeight, targets, ys, opts.data);

  const human = opts.json ? io.stderr : io.stdout;
  const lines: string[] = [];
  model.summary({ lineLength: 90, print: (l) => lines.push(l) });
  await human.write(lines.join("\n") + "\n");
  if (targets.labels) await human.write(`Classes (${targets.labels.length}): ${targets.labels.map(String).join(" ")}\n`);

  // Progress writes are synchronous in the callback contract; keep them ordered through one chain.
  let pending = Promise.resolve();
  const progressOutput = { isTTY: human.isTTY, write: (text: string) => void (pending = pending.then(() => human.write(text))) };
  // history.json beside the model: a resumed run keeps the epochs before it and appends its own.
  const previousHistory = initialEpoch > 0 ? await readHistory(out) : null;
  const runHistory: HistoryFile = { epoch: [], history: {} };
  const checkpoint: Callback = {
    onEpochEnd: async (epoch: number, logs?: Logs) => {
      writeCliMetadata(model, { epochsTrained: epoch + 1, batchSize });
      await saveModelTo(model, out);
      runHistory.epoch.push(epoch);
      for (const [key, value] of Object.entries(logs ?? {})) (runHistory.history[key] ??= runHistory.epoch.slice(0, -1).map(() => Number.NaN)).push(value);
      await writeHistory(out, previousHistory, initialEpoch, runHistory);
      await pending;
      if (opts.json) await io.stdout.write(JSON.stringify({ epoch: epoch + 1, ...roundLogs(logs ?? {}) }) + "\n");
    },
  };
  const stopper =
    opts.earlyStopping === undefined
      ? null
      : earlyStopping({ monitor: validationData || validationSplit !== undefined ? "val_loss" : "loss", patience: opts.earlyStopping, restoreBestWeights: true });
  const recorder = trainingRecorder();
  const history = await model.fit(xs, ys, {
    epochs: opts.epochs,
    initialEpoch,
    batchSize,
    validationData,
    ...(validationData === undefined && validationSplit !== undefined ? { validationSplit } : {}),
    ...(classWeight ? { classWeight } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    callbacks: [...(stopper ? [stopper] : []), checkpoint, recorder, ...loggers(opts, initialEpoch > 0)],
    verbose: opts.verbose,
    progressOutput,
  });
  await pending;
  if (stopper?.bestWeights) {
    // The checkpoint holds the last epoch's weights; early stopping put the best epoch's back.
    await saveModelTo(model, out);
    await human.write(`Early stopping: kept the weights of epoch ${stopper.bestEpoch + 1} (${stopper.monitor} ${stopper.best?.toPrecision(6)})${stopper.stoppedEpoch > 0 ? `, stopped after epoch ${stopper.stoppedEpoch + 1}` : ""}\n`);
  }
  if (!opts.json) await human.write(`Saved the model to ${out}\n`);
  if (opts.report) {
    // The report's confusion matrix and accuracy by length: on the validation data (held out by
    // --validation-split as fit holds it out: the last fraction), else on the training data.
    const cut = validationSplit !== undefined ? Math.floor(xs.length * (1 - validationSplit)) : xs.length;
    const evaluated = validationData
      ? { xs: validationData[0] as number[][][], ys: validationData[1] as unknown[], source: `the validation data (${opts.validation})` }
      : validationSplit !== undefined
        ? { xs: xs.slice(cut), ys: ys.slice(cut), source: `the validation split (the last ${xs.length - cut} sequences of ${opts.data})` }
        : { xs, ys, source: `the training data (${opts.data})` };
    await writeTrainReport(opts.report, { model, summary: lines.join("\n"), recorder, history, targets, title: `ragged train --data ${opts.data}`, ...evaluated });
    await human.write(`Wrote the report to ${opts.report}\n`);
  }
}

/** --csv and --tensorboard; a resumed run appends to its CSV file. */
function loggers(opts: TrainOptions, resumed: boolean): Callback[] {
  const out: Callback[] = [];
  if (opts.csv) out.push(csvLogger({ filename: opts.csv, append: resumed, files: nodeLogFiles }));
  if (opts.tensorboard) out.push(tensorBoard({ logDir: opts.tensorboard, files: nodeLogFiles, updateFreq: "epoch" }));
  return out;
}

function compile(model: Sequential, targets: Targets, opts: TrainOptions): void {
  const classify = targets.task.kind === "classification";
  const name = opts.optimizer ?? "adam";
  model.compile({
    loss: opts.loss ?? (classify ? "sparseCategoricalCrossentropy" : "meanSquaredError"),
    optimizer: opts.learningRate === undefined ? name : ({ name, learningRate: opts.learningRate } as Parameters<Sequential["compile"]>[0]["optimizer"]),
    metrics: opts.metrics ?? (classify ? ["accuracy"] : []),
  });
}

/**
 * `--model`: a saved model (model.json with weights), or a model.json / Keras topology without
 * weights (fresh weights).
 */
async function initialModel(path: string): Promise<Sequential> {
  const isJson = extname(path).toLowerCase() === ".json";
  if (!isJson) return loadSequentialFrom(path);
  let json: { weightsManifest?: unknown; modelTopology?: unknown };
  try {
    json = JSON.parse(await fsp.readFile(path, "utf8")) as typeof json;
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new RaggedError(code ? "IO_ERROR" : "BAD_FILE", `${path}: cannot read the model file.`, { received: (e as Error).message });
  }
  if (json.weightsManifest !== undefined) return loadSequentialFrom(path);
  // Fresh weights from the model's own random seed (modelFromTopology takes none; a known gap).
  const model = modelFromTopology(json.modelTopology ?? json, path);
  if (!(model instanceof Sequential)) {
    throw new RaggedError("UNSUPPORTED", `${path}: "${model.name}" is a functional model; the CLI trains Sequential models.`, {
      help: "build and train it in code (model({ inputs, outputs }), then fit)",
    });
  }
  return model;
}

function checkModelFits(model: Sequential, targets: Targets, features: number, source: string): void {
  if (model.inputFeatures !== features) {
    throw new RaggedError("FEATURE_MISMATCH", `${source}: the model takes ${model.inputFeatures} features per step, but the data has ${features}.`);
  }
  if (model.returnsSequences !== targets.perStep) {
    throw new RaggedError("TARGET_MISMATCH", `${source}: the model outputs ${model.returnsSequences ? "one row per step" : "one row per sequence"}, but the targets are ${targets.perStep ? "per step" : "per sequence"}.`);
  }
  if (targets.task.kind === "classification" && model.outputWidth !== targets.task.classes) {
    throw new RaggedError("TARGET_MISMATCH", `${source}: the model has ${model.outputWidth} outputs, but the data has ${targets.task.classes} classes.`);
  }
}

/** Logs with 6 significant digits (float32 noise is not information). */
export function roundLogs(logs: Logs): Logs {
  const out: Logs = {};
  for (const [k, v] of Object.entries(logs)) out[k] = Number(v.toPrecision(6));
  return out;
}

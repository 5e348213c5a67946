/**
 * Installs training's doors on models (NOTE [ the model engine ] in models/engine.ts): compile,
 * fit, fitDataset, evaluate, evaluateDataset, predict, predictDataset, trainOnBatch. Loaded by the
 * package entry points and by the training threads.
 */
import { installEngine } from "../models/engine.js";
import type { LayersModel } from "../models/functional.js";
import { whileTraining } from "./busy.js";
import { compileModel } from "./compile.js";
import { fit, fitDataset } from "./fit.js";
import { readSamples } from "./graph_samples.js";
import { parallelTrainStep } from "./parallel/pool.js";
import { resolveThreads } from "./parallel/platform.js";
import { evaluate, evaluateDataset, predict, predictDataset } from "./predict.js";
import { requireData } from "./samples.js";

/**
 * One optimizer step on exactly this batch (no shuffling, no callbacks); returns its loss.
 * `threads` (default 1 here): the workers stay for the next call (NOTE [ worker lifetime ]).
 */
export function trainOnBatch(model: LayersModel, xs: unknown, ys: unknown, args: { threads?: number } = {}): Promise<number> {
  return whileTraining(model, "trainOnBatch()", async () => {
    model.requireCompiled("trainOnBatch()");
    const threads = args.threads === undefined ? 1 : resolveThreads(args.threads);
    const samples = readSamples(model, xs, ys, true);
    requireData(samples, "trainOnBatch()");
    const source = { samples, indices: Array.from({ length: samples.count }, (_, i) => i) };
    return (await parallelTrainStep(model, source, [], { threads })).loss;
  });
}

installEngine({ compile: compileModel, fit, fitDataset, evaluate, evaluateDataset, predict, predictDataset, trainOnBatch });

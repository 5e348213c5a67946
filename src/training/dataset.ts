/**
 * Datasets of batches, Keras' generators: arrays, iterables, generators and async iterables whose
 * items are `{ xs, ys, sampleWeight? }` or tuples `[xs, ys, sampleWeight?]`, each one batch (lengths
 * may differ between and within batches).
 */
import { RaggedError, describe } from "../core/errors.js";
import type { ModelInputs, ModelTargets, SampleWeights } from "../data/data_types.js";
import type { LayersModel } from "../models/functional.js";
import { type ModelBatch, type ModelSamples, makeModelBatch, readSamples } from "./graph_samples.js";

/**
 * One batch of a dataset: `{ xs, ys, sampleWeight? }`, or a tuple `[xs, ys, sampleWeight?]` as Keras
 * generators yield. `X` and `Y` are the model's input and target types (see data/data_types.ts).
 */
export type DatasetItem<X = ModelInputs, Y = ModelTargets> =
  | { xs: X; ys?: Y; sampleWeight?: SampleWeights }
  | [X, Y]
  | [X, Y, SampleWeights];
/**
 * An (async) iterable of batches, or a function returning a fresh one — the way to make a
 * one-shot generator (or a file reader) restart for every epoch: `() => batches(file)`.
 */
export type Dataset<X = ModelInputs, Y = ModelTargets> =
  | Iterable<DatasetItem<X, Y>>
  | AsyncIterable<DatasetItem<X, Y>>
  | (() => Iterable<DatasetItem<X, Y>> | AsyncIterable<DatasetItem<X, Y>>);

/** An iterator over the dataset (async or not), after checking it is one. */
export function openDataset(source: Dataset, where: string): Iterator<DatasetItem> | AsyncIterator<DatasetItem> {
  const dataset = typeof source === "function" ? source() : source;
  if (dataset === null || typeof dataset !== "object" || (!(Symbol.iterator in dataset) && !(Symbol.asyncIterator in dataset))) {
    throw new RaggedError("BAD_DATASET", `${where} needs an iterable or async iterable of batches.`, {
      expected: "an array, generator or async generator of { xs, ys }",
      received: describe(dataset),
    });
  }
  return Symbol.asyncIterator in dataset ? (dataset as AsyncIterable<DatasetItem>)[Symbol.asyncIterator]() : (dataset as Iterable<DatasetItem>)[Symbol.iterator]();
}

/** Item `index` of a dataset as a packed batch; targets required when `withTargets`. */
export function readDatasetItem(model: LayersModel, item: unknown, index: number, withTargets: boolean): ModelBatch {
  const samples = readDatasetSamples(model, item, index, withTargets);
  return makeModelBatch(samples, Array.from({ length: samples.count }, (_, i) => i));
}

/** Item `index` of a dataset as validated samples (not yet packed, so it can be split across threads). */
export function readDatasetSamples(model: LayersModel, item: unknown, index: number, withTargets: boolean): ModelSamples {
  let xs: unknown;
  let ys: unknown;
  let sw: ArrayLike<number | ArrayLike<number>> | undefined;
  if (Array.isArray(item) && (item.length === 2 || item.length === 3) && withTargets) [xs, ys, sw] = item as [unknown, unknown, ArrayLike<number>];
  else if (item !== null && typeof item === "object" && !Array.isArray(item) && "xs" in item) ({ xs, ys, sampleWeight: sw } = item as { xs: unknown; ys?: unknown; sampleWeight?: ArrayLike<number> });
  else if (!withTargets && Array.isArray(item) && item.length === 1) xs = item[0];
  else if (!withTargets && Array.isArray(item)) xs = item;
  else {
    throw new RaggedError("BAD_DATASET", `Dataset item ${index} is not a batch.`, {
      expected: withTargets ? "{ xs, ys } or [xs, ys] (or [xs, ys, sampleWeight])" : "{ xs } or a list of sequences",
      received: describe(item),
    });
  }
  if (withTargets && ys === undefined) {
    throw new RaggedError("BAD_DATASET", `Dataset item ${index} has no targets (ys).`, { expected: "{ xs, ys }", received: describe(item) });
  }
  return readSamples(model, xs, withTargets ? ys : null, withTargets, { sampleWeight: withTargets ? sw : undefined, xName: `batch ${index} xs`, yName: `batch ${index} ys` });
}

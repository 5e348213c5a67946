/**
 * NOTE [ lean predict ]
 * A served model answers requests one at a time: `predict` on one sequence, or a few, of plain
 * nested arrays. There the kernels are a minority of the call: the general reader (`readSamples`)
 * copies each sequence into its own array and checks it for every kind of input (typed arrays, ids,
 * masks, targets), `makeBatch` copies it again into packed rows, and each copy's code and data must
 * come back into the caches when a request arrives after a pause (measured 2026-12-04, seed model,
 * one sequence of 100 steps, first call after 10 ms: 354 µs, of which 174 µs outside the layers).
 *
 * `leanPredict` takes that common case in one pass: it reads each step's numbers (with the general
 * reader's checks: a list of `features` numbers that fit float32) straight into its batch's packed
 * rows — into wasm memory when the model starts with LSTM / GRU / SimpleRNN layers, which then run
 * as one chain (models/chained_inference.ts), else into an array for the model's own `run` — and
 * unpacks.
 * Same batches (`lengthOrderedBatches`), same packed rows, same forward: the result is bit-identical
 * to the general path's (test: lean_predict.test.ts). Measured the same way after it: 238 µs
 * (103 back to back); after a burst of TF.js calls 403 µs where it was 619. It returns null — and the general path
 * takes over, with its clear errors — for anything else: a functional model or one taking vectors,
 * a stateful or masking model, token ids, fixed step counts, typed-array sequences, an empty
 * sequence, or any value the general reader would refuse.
 */
import { fitsFloat32 } from "../core/float32.js";
import { packLayout, unpackRows, unsortRows } from "../data/packed.js";
import type { PackedLayout } from "../core/packed_layout.js";
import { Embedding } from "../layers/embedding.js";
import type { LayerValue } from "../layers/values.js";
import type { LayersModel } from "../models/functional.js";
import { chainedInference, leadingChain } from "../models/chained_inference.js";
import type { Sequential } from "../models/sequential.js";
import { usesSinglePath } from "./graph_samples.js";

/** Batches of caller indices (the general path's `lengthOrderedBatches`, passed in to keep imports one way). */
type Batcher = (samples: { count: number; lengths: Int32Array }, batchSize: number) => number[][];

/**
 * The model's outputs on `xs` in caller order (`number[][][]` per step, `number[][]` per
 * sequence), or null when the general path must read `xs` (see NOTE [ lean predict ]).
 */
export function leanPredict(model: LayersModel, xs: unknown, batchSize: number, batches: Batcher): number[][][] | number[][] | null {
  if (!leanModel(model) || !Array.isArray(xs) || xs.length === 0) return null;
  const count = xs.length;
  const lengths = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const seq: unknown = xs[i];
    if (!Array.isArray(seq) || seq.length === 0) return null;
    lengths[i] = seq.length;
  }
  const C = model.inputFeatures;
  const chain = leadingChain(model);
  const outs: (number[][] | number[])[] = new Array(count);
  for (const indices of batches({ count, lengths }, batchSize)) {
    const layout = packLayout(Int32Array.from(indices, (i) => lengths[i]));
    // the rows go straight into wasm memory when the model starts with a chain (models/chained_inference.ts)
    const chained = chain ? chainedInference(model, chain, layout, C, undefined, (mem, at) => packRows(mem, at, xs as unknown[][], indices, layout, C)) : null;
    if (chained === "refused") return null;
    const y = chained ?? stackOnRows(model, xs as unknown[][], indices, layout, C);
    if (y === null) return null;
    const rows = y.kind === "sequence" ? unpackRows(y.data, y.width, y.layout) : unsortRows(y.data, y.width, y.layout);
    indices.forEach((sample, k) => (outs[sample] = rows[k]));
  }
  return outs as number[][][] | number[][];
}

/** Whether the lean path can run this model: a plain Sequential on sequences of features. */
function leanModel(model: LayersModel): model is Sequential {
  if (!usesSinglePath(model)) return false;
  const first = model.layers[0];
  return first !== undefined && !(first instanceof Embedding) && model.inputMaskRule === null && model.fixedSteps().length === 0 && !model.stateful;
}

/** The whole stack through the model's own `run`, on rows packed in JavaScript. */
function stackOnRows(model: Sequential, xs: readonly unknown[][], indices: readonly number[], layout: PackedLayout, C: number): LayerValue | null {
  const x = new Float32Array(layout.totalSteps * C);
  if (!packRows(x, 0, xs, indices, layout, C)) return null;
  return model.run({ kind: "sequence", layout, data: x, width: C, mask: null }, { training: false, needsGrad: false }).output;
}

/**
 * Writes the batch's packed rows (row of step t of the sequence at sorted position j: offsets[t] + j)
 * into out[at …], read from the caller's nested arrays; false at the first step that is not a list
 * of C numbers that fit float32.
 */
function packRows(out: Float32Array, at: number, xs: readonly unknown[][], indices: readonly number[], layout: PackedLayout, C: number): boolean {
  const { offsets, sortedIndices, sortedLengths } = layout;
  for (let j = 0; j < layout.batch; j++) {
    const seq = xs[indices[sortedIndices[j]]];
    for (let t = 0; t < sortedLengths[j]; t++) {
      const row: unknown = seq[t];
      if (!Array.isArray(row) || row.length !== C) return false;
      const o = at + (offsets[t] + j) * C;
      for (let c = 0; c < C; c++) {
        const v: unknown = row[c];
        if (typeof v !== "number" || !fitsFloat32(v)) return false;
        out[o + c] = v;
      }
    }
  }
  return true;
}

/**
 * NOTE [ chunks packed by the thread that runs them ]
 * A threaded step used to pack every chunk it posted on the calling thread (makeBatch), copy it
 * into shared memory and post it: 0.25 ms a chunk of the seed batch, ~1.3 ms before the calling
 * thread could start its own first chunk. When the step's samples already lie in shared memory —
 * `toSamples` copies a call's sequences into one buffer (NOTE [ one buffer per call ]), a
 * SharedArrayBuffer where the engine has one — a chunk is posted as its sample indices alone, and
 * the worker that claims it packs it itself, from views of the same buffers, with the same
 * `makeBatch`: the same batch to the bit, packed in parallel. The samples themselves (buffers and
 * offsets) go to a worker once per samples object — all steps of a `fit` — not once per step.
 * Measured (2 threads, five / three alternating process pairs of 30–40 steps): the seed batch (5
 * features) 44.5 → 43.9 ms (means of the lower quartiles; medians 45.1 → 44.9), 1000 × 55 steps of
 * 64 features into an LSTM(32) 79.1–81.5 → 66.9–69.2 ms — packing grows with the features, and it
 * no longer waits in line.
 *
 * Only plain samples take this road: one input of per-step features (not a graph, not nested), no
 * masks, sample weights, label sequences or changed output lengths, every sequence (and target)
 * in the one shared buffer; anything else is packed and posted as before.
 */
import { makeBatch, type Batch, type Samples } from "../samples.js";
import { isGraphSamples, type ModelSamples } from "../graph_samples.js";
import { isNestedSamples } from "../nested_samples.js";

/** One array per sample, all views of one SharedArrayBuffer: the buffer and each view's start (in floats). */
interface SharedRows {
  buffer: SharedArrayBuffer;
  starts: Int32Array;
}

/** What a worker needs to pack any chunk of a step's samples (posted once per step). */
export interface SharedSamples {
  count: number;
  features: number;
  lengths: Int32Array;
  x: SharedRows;
  y: SharedRows | null;
  yWidth: number;
  perStep: boolean;
}

/** The samples as a worker can read them, or null when they do not take this road (see the NOTE). */
export function shareSamples(samples: ModelSamples): SharedSamples | null {
  if (isGraphSamples(samples) || isNestedSamples(samples)) return null;
  if (samples.masks || samples.weights || samples.outputLengths || samples.labelSequences) return null;
  const x = sharedRows(samples.xs);
  const y = samples.ys ? sharedRows(samples.ys) : null;
  if (x === null || (samples.ys && y === null)) return null;
  return { count: samples.count, features: samples.features, lengths: samples.lengths, x, y, yWidth: samples.yWidth, perStep: samples.perStep };
}

function sharedRows(arrays: readonly Float32Array[]): SharedRows | null {
  const buffer = arrays[0]?.buffer;
  if (!(typeof SharedArrayBuffer === "function" && buffer instanceof SharedArrayBuffer)) return null;
  const starts = new Int32Array(arrays.length);
  for (let i = 0; i < arrays.length; i++) {
    if (arrays[i].buffer !== buffer) return null;
    starts[i] = arrays[i].byteOffset >> 2;
  }
  return { buffer, starts };
}

/** The packed batch of `indices` from shared samples: `makeBatch` on views of the shared buffers. */
export function packShared(shared: SharedSamples, indices: readonly number[]): Batch {
  const xs: Float32Array[] = new Array(shared.count);
  const ys: Float32Array[] | null = shared.y ? new Array(shared.count) : null;
  const rows = (i: number) => (shared.perStep ? shared.lengths[i] : 1);
  for (const i of indices) {
    xs[i] = new Float32Array(shared.x.buffer, shared.x.starts[i] * 4, shared.lengths[i] * shared.features);
    if (ys && shared.y) ys[i] = new Float32Array(shared.y.buffer, shared.y.starts[i] * 4, rows(i) * shared.yWidth);
  }
  const samples: Samples = { count: shared.count, features: shared.features, xs, lengths: shared.lengths, ys, yWidth: shared.yWidth, perStep: shared.perStep, weights: null, masks: null, outputLengths: null };
  return makeBatch(samples, indices);
}

/**
 * From packed sequences to attention problems and back (NOTE [ attention problems ] in
 * core/kernels/attention.ts). The query and the key/value come in their own packed layouts
 * (NOTE [ the packed layout ]): they are paired by sample, and each problem lists the packed rows
 * of its sample — the query's rows, and the key's *real* rows only (rows masked out by a mask with
 * holes are left out, so they get no weight). Problems run in the query's sorted order, head by
 * head: problem p = h·B + j is head h of the sequence at sorted position j of the query layout.
 *
 * @example
 * // queries of lengths [2, 1], values of lengths [1, 3] (caller order), one head
 * const r = attentionRows(packLayout([2, 1]), null, packLayout([1, 3]), null, false);
 * r.qLengths; // Int32Array [2, 1]   (query sorted order: sample 0, then sample 1)
 * r.kLengths; // Int32Array [1, 3]   (the same samples' value lengths)
 */
import { RaggedError } from "../../core/errors.js";
import type { PackedLayout } from "../../data/packed.js";

export interface AttentionRows {
  /** B: sequences (problems per head). */
  readonly batch: number;
  /** [B] query rows and key rows of each sequence, in the query's sorted order. */
  readonly qLengths: Int32Array;
  readonly kLengths: Int32Array;
  /** [ΣLq] the packed query row of each problem row; [ΣLk] the packed key row. */
  readonly qRows: Int32Array;
  readonly kRows: Int32Array;
  /** [B] the caller index of each problem's sequence. */
  readonly samples: Int32Array;
}

/**
 * Pairs query and key rows by sample.
 * @param qLayout - the query's layout; `qMask` its mask with holes (masked query rows are kept:
 *   the layer zeroes their output).
 * @param kLayout - the key's (= the value's) layout; `kMask` its mask with holes (masked key rows
 *   are left out).
 * @param causal - with a mask with holes, positions would shift: refused.
 * @throws RaggedError BATCH_MISMATCH when the layouts hold different numbers of sequences;
 *   UNSUPPORTED for `causal` with a key mask with holes.
 */
export function attentionRows(qLayout: PackedLayout, qMask: Uint8Array | null | undefined, kLayout: PackedLayout, kMask: Uint8Array | null | undefined, causal: boolean): AttentionRows {
  const B = qLayout.batch;
  if (kLayout.batch !== B) {
    throw new RaggedError("BATCH_MISMATCH", "The query and the value of an attention layer must hold the same number of sequences.", {
      expected: `${B} value sequences (one per query sequence)`,
      received: `${kLayout.batch}`,
      help: "pass the decoder's and the encoder's inputs of the same samples",
    });
  }
  if (causal && kMask) {
    throw new RaggedError("UNSUPPORTED", "useCausalMask on a value whose mask has holes is not supported.", {
      help: "pack the input (one run of real steps per sequence) or drop useCausalMask",
    });
  }
  const qLengths = new Int32Array(B);
  const kLengths = new Int32Array(B);
  const samples = new Int32Array(B);
  const kRowList: number[] = [];
  const qRows = new Int32Array(qLayout.totalSteps);
  let qr = 0;
  for (let j = 0; j < B; j++) {
    const i = qLayout.sortedIndices[j];
    samples[j] = i;
    const lq = qLayout.sortedLengths[j];
    qLengths[j] = lq;
    for (let t = 0; t < lq; t++) qRows[qr++] = qLayout.offsets[t] + j;
    const jk = kLayout.unsortedIndices[i];
    const lk = kLayout.sortedLengths[jk];
    let n = 0;
    for (let t = 0; t < lk; t++) {
      const row = kLayout.offsets[t] + jk;
      if (kMask && kMask[row] === 0) continue;
      kRowList.push(row);
      n++;
    }
    kLengths[j] = n;
  }
  return { batch: B, qLengths, kLengths, qRows, kRows: Int32Array.from(kRowList), samples };
}

/** Per-problem lengths repeated for `heads` heads (problem p = h·B + j). */
export function repeatForHeads(lengths: Int32Array, heads: number): Int32Array {
  const out = new Int32Array(lengths.length * heads);
  for (let h = 0; h < heads; h++) out.set(lengths, h * lengths.length);
  return out;
}

// data: [N, H·d] packed, rows: [R] → out: [H, R, d] (head h of problem row r at (h·R + r)·d)
export function gatherHeads(data: Float32Array, rows: Int32Array, heads: number, d: number): Float32Array {
  const R = rows.length;
  const width = heads * d;
  const out = new Float32Array(heads * R * d);
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < R; r++) {
      const from = rows[r] * width + h * d;
      out.set(data.subarray(from, from + d), (h * R + r) * d);
    }
  }
  return out;
}

// x: [H, R, d] → out: [N, H·d] packed (+=); rows not listed are left as they are
export function scatterAddHeads(out: Float32Array, x: Float32Array, rows: Int32Array, heads: number, d: number): void {
  const R = rows.length;
  const width = heads * d;
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < R; r++) {
      const to = rows[r] * width + h * d;
      const from = (h * R + r) * d;
      for (let e = 0; e < d; e++) out[to + e] += x[from + e];
    }
  }
}

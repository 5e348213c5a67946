/**
 * A Bidirectional layer's merge of its two directions, row by row, forward and backward — one
 * function for the layer (layers/rnn/bidirectional.ts) and for the inference chain
 * (wasm/inference_chain.ts), so both give the same floats.
 *
 *   concat: out_r = [a_r | b_r']        da_r = d_r[0 : F],  db_r' = d_r[F : F + Bw]
 *   sum:    out_r = a_r + b_r'          da = d,             db = d
 *   mul:    out_r = a_r · b_r'          da = d · b,         db = d · a
 *   ave:    out_r = (a_r + b_r') / 2    da = d / 2,         db = d / 2
 * with r' = bRows[r] (the backward direction's sequence read reversed back) or r. Each value is
 * computed in float64 and stored as float32. Element by element: a `subarray` per row allocated a
 * view object per row (55,000 rows a step in the benchmark).
 */

/** How the two directions are joined (Keras `merge_mode`, without None). */
export type MergeMode = "concat" | "sum" | "mul" | "ave";

/** What the merge reads: both directions' rows and how they line up. */
interface MergeRows {
  /** The forward direction's rows [rows, F]. */
  a: Float32Array;
  /** The backward direction's rows [rows, Bw] (Bw = F unless concat). */
  b: Float32Array;
  rows: number;
  F: number;
  Bw: number;
  mode: MergeMode;
  /** b's row for out row r (reading the backward direction's sequence reversed back), or null: row r. */
  bRows: Int32Array | null;
}

export interface MergeArgs extends MergeRows {
  /** [rows, F + Bw] for concat, else [rows, F]. */
  out: Float32Array;
}

/** out = merge(a, b) (see the table above). */
export function mergeDirections({ out, a, b, rows, F, Bw, mode, bRows }: MergeArgs): void {
  if (mode === "concat") {
    const width = F + Bw;
    for (let r = 0; r < rows; r++) {
      const rb = bRows ? bRows[r] : r;
      const to = r * width;
      for (let k = 0; k < F; k++) out[to + k] = a[r * F + k];
      for (let k = 0; k < Bw; k++) out[to + F + k] = b[rb * Bw + k];
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const rb = bRows ? bRows[r] : r;
    for (let k = 0; k < F; k++) {
      const x = a[r * F + k];
      const y = b[rb * F + k];
      out[r * F + k] = mode === "sum" ? x + y : mode === "mul" ? x * y : (x + y) / 2;
    }
  }
}

export interface MergeBackwardArgs extends MergeRows {
  /** d out [rows, F + Bw] for concat, else [rows, F]. */
  d: Float32Array;
  /** d a [rows, F], written. */
  da: Float32Array;
  /** d b [rows, Bw], written: out row r's share at b's row r' (as the merge read b). */
  db: Float32Array;
}

/** da, db from d (see the table above). */
export function mergeDirectionsBackward({ d, da, db, a, b, rows, F, Bw, mode, bRows }: MergeBackwardArgs): void {
  if (mode === "concat") {
    const width = F + Bw;
    for (let r = 0; r < rows; r++) {
      const rb = bRows ? bRows[r] : r;
      const from = r * width;
      for (let k = 0; k < F; k++) da[r * F + k] = d[from + k];
      for (let k = 0; k < Bw; k++) db[rb * Bw + k] = d[from + F + k];
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const rb = bRows ? bRows[r] : r;
    for (let k = 0; k < F; k++) {
      const i = r * F + k;
      const j = rb * F + k;
      if (mode === "sum") {
        da[i] = d[i];
        db[j] = d[i];
      } else if (mode === "mul") {
        da[i] = d[i] * b[j];
        db[j] = d[i] * a[i];
      } else {
        da[i] = d[i] / 2;
        db[j] = d[i] / 2;
      }
    }
  }
}

/**
 * A Bidirectional layer's merge of its two directions, row by row — one function for the layer
 * (layers/rnn/bidirectional.ts) and for the inference chain (wasm/inference_chain.ts), so both
 * give the same floats.
 */

/** How the two directions are joined (Keras `merge_mode`, without None). */
export type MergeMode = "concat" | "sum" | "mul" | "ave";

export interface MergeArgs {
  /** [rows, F + Bw] for concat, else [rows, F]. */
  out: Float32Array;
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

/** out row r = [a_r | b_r'] (concat), a_r + b_r', a_r · b_r' or (a_r + b_r') / 2, with r' = bRows[r] (or r). */
export function mergeDirections({ out, a, b, rows, F, Bw, mode, bRows }: MergeArgs): void {
  if (mode === "concat") {
    const width = F + Bw;
    for (let r = 0; r < rows; r++) {
      const rb = bRows ? bRows[r] : r;
      out.set(a.subarray(r * F, (r + 1) * F), r * width);
      out.set(b.subarray(rb * Bw, (rb + 1) * Bw), r * width + F);
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

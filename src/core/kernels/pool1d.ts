/**
 * 1-D max and average pooling over gathered rows, plain TypeScript (the spec).
 *
 *   x: [Nin, C], taps: [Nout, k] (input row of tap i of output row r, −1 = absent)  →  out: [Nout, C]
 *   max:     out[r, c] = max over present taps of x[taps[r, i], c]   (0 when no tap is present)
 *   average: out[r, c] = mean over present taps of x[taps[r, i], c]  (0 when no tap is present)
 *
 * Absent taps (the sequence's own edge under `same` padding, or masked steps) are left out, as
 * TensorFlow's pooling leaves out padding: the average divides by the present taps only.
 */

export interface Pool1dForwardArgs {
  /** [Nout, C], overwritten. */
  out: Float32Array;
  /** [Nin, C] */
  x: Float32Array;
  /** [Nout, k] */
  taps: Int32Array;
  Nout: number;
  k: number;
  C: number;
}

export interface MaxPool1dForwardArgs extends Pool1dForwardArgs {
  /** [Nout, C] the input row each maximum came from (−1 when none), for the backward. */
  argmax: Int32Array;
}

// x: [Nin,C], taps: [Nout,k] → out: [Nout,C], argmax: [Nout,C]
export function maxPool1dForward(args: MaxPool1dForwardArgs): void {
  const { out, argmax, x, taps, Nout, k, C } = args;
  for (let r = 0; r < Nout; r++) {
    for (let c = 0; c < C; c++) {
      let best = -Infinity;
      let from = -1;
      for (let i = 0; i < k; i++) {
        const src = taps[r * k + i];
        if (src < 0) continue;
        const v = x[src * C + c];
        if (v > best || from < 0) {
          best = v;
          from = src;
        }
      }
      out[r * C + c] = from < 0 ? 0 : best;
      argmax[r * C + c] = from;
    }
  }
}

// dOut: [Nout,C], argmax: [Nout,C] → dx: [Nin,C] (written)
export function maxPool1dBackward(args: { dx: Float32Array; dOut: Float32Array; argmax: Int32Array; Nin: number; Nout: number; C: number }): void {
  const { dx, dOut, argmax, Nin, Nout, C } = args;
  dx.fill(0, 0, Nin * C);
  for (let r = 0; r < Nout; r++) {
    for (let c = 0; c < C; c++) {
      const src = argmax[r * C + c];
      if (src >= 0) dx[src * C + c] += dOut[r * C + c];
    }
  }
}

/** [Nout] present taps per output row. */
export function tapCounts(taps: Int32Array, Nout: number, k: number): Int32Array {
  const count = new Int32Array(Nout);
  for (let r = 0; r < Nout; r++) for (let i = 0; i < k; i++) if (taps[r * k + i] >= 0) count[r]++;
  return count;
}

// x: [Nin,C], taps: [Nout,k] → out: [Nout,C]
export function avgPool1dForward(args: Pool1dForwardArgs): void {
  const { out, x, taps, Nout, k, C } = args;
  out.fill(0, 0, Nout * C);
  for (let r = 0; r < Nout; r++) {
    let n = 0;
    for (let i = 0; i < k; i++) {
      const src = taps[r * k + i];
      if (src < 0) continue;
      n++;
      for (let c = 0; c < C; c++) out[r * C + c] += x[src * C + c];
    }
    if (n > 0) for (let c = 0; c < C; c++) out[r * C + c] /= n;
  }
}

// dOut: [Nout,C], taps: [Nout,k] → dx: [Nin,C] (written)
export function avgPool1dBackward(args: { dx: Float32Array; dOut: Float32Array; taps: Int32Array; Nin: number; Nout: number; k: number; C: number }): void {
  const { dx, dOut, taps, Nin, Nout, k, C } = args;
  dx.fill(0, 0, Nin * C);
  const count = tapCounts(taps, Nout, k);
  for (let r = 0; r < Nout; r++) {
    if (count[r] === 0) continue;
    const scale = 1 / count[r];
    for (let i = 0; i < k; i++) {
      const dst = taps[r * k + i];
      if (dst < 0) continue;
      for (let c = 0; c < C; c++) dx[dst * C + c] += dOut[r * C + c] * scale;
    }
  }
}

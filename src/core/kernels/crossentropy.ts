/**
 * Probability-form categorical crossentropy on rows, plain TypeScript (the spec of the
 * `crossentropy` kernel; the fast twin is src/core/kernels/wasm/crossentropy.ts). The loss
 * (training/losses.ts) calls the kernel for one-hot or soft target rows; its sparse form calls
 * `crossentropyRow` with a class id.
 *
 *   pred: [rows, width] (renormalised per row, then clipped to [ε, 1−ε], ε = 1e-7), target: [rows, width],
 *   scale: [rows] | null  →  out: [rows] ℓ per row, grad: [rows, width] = d(Σ scale·ℓ)/dpred (or null)
 */
/** Keras' fuzz factor (`backend.epsilon()`). */
export const EPSILON = 1e-7;

export function clip(q: number): number {
  return q < EPSILON ? EPSILON : q > 1 - EPSILON ? 1 - EPSILON : q;
}

/**
 * Target k of a row: the one-hot of `label` for sparse targets (label ≥ 0), else target[t + k].
 * (The row functions take this instead of a closure: one closure per row was ~55k allocations per
 * step of the bench's seed model.)
 */
export function targetAt(target: Float32Array, t: number, label: number, k: number): number {
  return label >= 0 ? (k === label ? 1 : 0) : target[t + k];
}

/**
 * One row of probability-form categorical crossentropy: q = p/Σp, ℓ = −Σ y·log clip(q).
 * Writes d(s·ℓ)/dp into grad[o..o+width) when grad is given. The target is `targetAt(target, t, label, k)`.
 */
export function crossentropyRow(pred: Float32Array, o: number, width: number, target: Float32Array, t: number, label: number, grad: Float32Array | null, s: number): number {
  let sum = 0;
  for (let k = 0; k < width; k++) sum += pred[o + k];
  let loss = 0;
  let gq = 0; // Σ_k g_k q_k
  for (let k = 0; k < width; k++) {
    const q = pred[o + k] / sum;
    const p = clip(q);
    const yk = targetAt(target, t, label, k);
    if (yk !== 0) loss -= yk * Math.log(p);
    if (grad) {
      const g = q > EPSILON && q < 1 - EPSILON ? -yk / p : 0;
      grad[o + k] = g; // g_k for now
      gq += g * q;
    }
  }
  if (grad) {
    const f = s / sum;
    for (let k = 0; k < width; k++) grad[o + k] = (grad[o + k] - gq) * f;
  }
  return loss;
}

/** What a loss computes on (the `Loss.compute` arguments of training/losses.ts). */
export interface RowLossArgs {
  /** [rows, width] predictions */
  pred: Float32Array;
  /** [rows, targetWidth] targets (crossentropy: [rows, width]) */
  target: Float32Array;
  rows: number;
  width: number;
  /** Where to write d(Σ scale·ℓ)/dpred ([rows, width]); null for the value only. */
  grad: Float32Array | null;
  /** [rows] per-row factor for the gradient; 1 when null. */
  scale: Float32Array | null;
}

/** A loss's arguments, and where the per-row values go. */
export interface CrossentropyArgs extends RowLossArgs {
  /** [rows], overwritten with ℓ per row. */
  out: Float32Array;
}

// pred, target: [rows, width], scale: [rows] → out: [rows], grad: [rows, width]
export function crossentropy(args: CrossentropyArgs): void {
  const { pred, target, rows, width, grad, scale, out } = args;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    out[r] = crossentropyRow(pred, o, width, target, o, -1, grad, scale ? scale[r] : 1);
  }
}

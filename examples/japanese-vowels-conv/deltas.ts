/**
 * Delta features, the classic speech front-end addition (Furui 1986): each frame's coefficients
 * followed by their change since the previous frame, x_t ⧺ (x_t − x_{t−1}), with zeros for the
 * first frame (it has no predecessor). Computed per utterance at its own length — no padding, so
 * no frame ever differs against a padding frame. The input is not changed.
 */

/**
 * @example
 * withDeltas([[[1, 2], [4, 3]]]); // [[[1, 2, 0, 0], [4, 3, 3, 1]]]
 */
export function withDeltas(xs: readonly (readonly (readonly number[])[])[]): number[][][] {
  return xs.map((seq) => seq.map((step, t) => [...step, ...step.map((v, k) => (t > 0 ? v - seq[t - 1][k] : 0))]));
}

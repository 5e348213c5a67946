/**
 * Floating-point operations of one training step, counted analytically from the layer sizes
 * (multiply + add = 2 FLOPs; only the matrix products — the element-wise cell math, the loss and
 * the optimizer are left out, so the figure is a lower bound of the work done).
 *
 * Per packed row (N = Σ lengths rows in all):
 *   LSTM(C → H), G = 4H:  forward  x·W (2·C·G) + h·U (2·H·G)
 *                         backward dW = xᵀ·dz (2·C·G), dU = hᵀ·dz (2·H·G), dh = dz·Uᵀ (2·H·G),
 *                                  dx = dz·Wᵀ (2·C·G) unless it is the first layer.
 *   Dense(C → D):         forward  2·C·D;  backward dW 2·C·D, dx 2·C·D.
 */
export type FlopLayer = { kind: "lstm"; inputs: number; units: number } | { kind: "dense"; inputs: number; units: number };

/** The seed's model: lstm(5 → 32) → lstm(32 → 8) → timeDistributed(dense(8 → 2)). */
export const SEED_LAYERS: readonly FlopLayer[] = [
  { kind: "lstm", inputs: 5, units: 32 },
  { kind: "lstm", inputs: 32, units: 8 },
  { kind: "dense", inputs: 8, units: 2 },
];

/** FLOPs of forward + backward over `rows` packed rows. */
export function stepFlops(layers: readonly FlopLayer[], rows: number): { forward: number; backward: number; total: number } {
  let forward = 0;
  let backward = 0;
  layers.forEach((l, i) => {
    const first = i === 0;
    if (l.kind === "lstm") {
      const G = 4 * l.units;
      forward += 2 * l.inputs * G + 2 * l.units * G;
      backward += 2 * l.inputs * G + 2 * 2 * l.units * G + (first ? 0 : 2 * l.inputs * G);
    } else {
      forward += 2 * l.inputs * l.units;
      backward += 2 * l.inputs * l.units + (first ? 0 : 2 * l.inputs * l.units);
    }
  });
  return { forward: forward * rows, backward: backward * rows, total: (forward + backward) * rows };
}

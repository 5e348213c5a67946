/**
 * What the tests comparing a WebAssembly kernel with its JS reference share: random inputs and the
 * tolerance of wasm.test.ts,
 *     |wasm − js| ≤ tol · (1 + max |js|)   for every element of every output (tol 1e-5 unless stated).
 */
import { expect } from "vitest";
import type { Random } from "../random.js";
import { jsKernels, setKernels, useFastKernels, type LayersModel } from "../../index.js";

export const TOL = 1e-5;

/** n values uniform in offset ± scale. */
export function randomArray(rng: Random, n: number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => offset + (rng.uniform() * 2 - 1) * scale);
}

/** An integer uniform in [lo, hi]. */
export function int(rng: Random, lo: number, hi: number): number {
  return lo + Math.floor(rng.uniform() * (hi - lo + 1));
}

/** max over elements of |got − want| / (1 + max |want|); NaN fails; two nulls agree. */
export function scaledError(got: ArrayLike<number> | null, want: ArrayLike<number> | null): number {
  if (got === null || want === null) return got === want ? 0 : Infinity;
  expect(got.length).toBe(want.length);
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]));
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (1 + maxAbs);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

/** The worst of named errors; throws naming the first over `tol` (so a failure says which output). */
export function worstWithin(errors: Record<string, number>, what: string, tol = TOL): number {
  let worst = 0;
  for (const [name, err] of Object.entries(errors)) {
    if (!(err <= tol)) throw new Error(`${what}: ${name} error ${err}`);
    worst = Math.max(worst, err);
  }
  return worst;
}

/**
 * `steps` training steps (`trainOnBatch`, one thread) of two copies of a compiled model, one on the
 * wasm kernels and one on the reference kernels, in turn: every step's loss within 1e-5 and every
 * weight afterwards within 1e-4 (relative beyond 1). `afterFastStep` runs after each wasm step,
 * before the reference one (e.g. to count the buffers that step took).
 */
export async function trainSideBySide(
  fast: LayersModel, reference: LayersModel, data: { xs: number[][][]; ys: number[][][] }, steps: number, afterFastStep?: () => void,
): Promise<void> {
  for (let step = 0; step < steps; step++) {
    useFastKernels();
    const lossFast = await fast.trainOnBatch(data.xs, data.ys, { threads: 1 });
    afterFastStep?.();
    setKernels(jsKernels);
    const lossRef = await reference.trainOnBatch(data.xs, data.ys, { threads: 1 });
    expect(Math.abs(lossFast - lossRef)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(lossRef)));
  }
  const b = reference.getWeights();
  fast.getWeights().forEach((t, k) => t.data.forEach((v, i) => expect(Math.abs(v - b[k].data[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(b[k].data[i])))));
}

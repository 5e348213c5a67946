// The WebAssembly batch normalization against the JS reference (the spec, batch_norm.ts; its
// gradients are checked by central differences at the layer level in test/norm_layers.test.ts, which
// runs on the active kernels): every width (1, lanes and a tail, 64, 130), row masks (some rows
// left out of the statistics, and none counting: R = 0), with and without gamma / beta, dx and the
// parameter gradients optional, training (the batch's statistics) and inference (constants).
// Tolerance, as wasm.test.ts: |wasm − js| ≤ 1e-5 · (1 + max |js|) (wasm_checks.test-support.ts).
import { describe, expect, it } from "vitest";
import { batchNormBackward, batchNormForward, batchNormStatistics } from "./batch_norm.js";
import { wasmBatchNormBackward, wasmBatchNormForward, wasmBatchNormStatistics, wasmSimdSupported } from "./wasm.js";
import { Random } from "../random.js";
import { randomArray, scaledError, TOL, worstWithin } from "./wasm_checks.test-support.js";

interface Case {
  M: number;
  C: number;
  masked: "none" | "some" | "all";
  scale: boolean;
  center: boolean;
  needDx: boolean;
  training: boolean;
}

function compare(rng: Random, c: Case): Record<string, number> {
  const { M, C } = c;
  const x = randomArray(rng, M * C, 2, 0.3);
  const rowMask = c.masked === "none" ? null : Uint8Array.from({ length: M }, () => (c.masked === "all" ? 0 : rng.uniform() < 0.3 ? 0 : 1));
  const gamma = c.scale ? randomArray(rng, C, 1, 1) : null;
  const beta = c.center ? randomArray(rng, C, 0.5) : null;
  const stats = (f: typeof batchNormStatistics) => {
    const s = { mean: new Float32Array(C), variance: new Float32Array(C) };
    return { ...s, R: f({ ...s, x, rowMask, M, C }) };
  };
  const sJs = stats(batchNormStatistics);
  const sWasm = stats(wasmBatchNormStatistics);
  expect(sWasm.R).toBe(sJs.R);
  // inference normalizes with constants: stand-in moving statistics
  const mean = c.training ? sJs.mean : randomArray(rng, C, 0.5);
  const variance = c.training ? sJs.variance : randomArray(rng, C, 0.5, 1);
  const fwd = (f: typeof batchNormForward) => {
    const out = new Float32Array(M * C);
    f({ out, x, mean, variance, gamma, beta, M, C, epsilon: 1e-3 });
    return out;
  };
  const errors: Record<string, number> = {
    mean: scaledError(sWasm.mean, sJs.mean), variance: scaledError(sWasm.variance, sJs.variance),
    out: scaledError(fwd(wasmBatchNormForward), fwd(batchNormForward)),
  };
  const dOut = randomArray(rng, M * C);
  const start = randomArray(rng, C);
  const back = (f: typeof batchNormBackward) => {
    const g = { dx: c.needDx ? new Float32Array(M * C) : null, dGamma: c.scale ? Float32Array.from(start) : null, dBeta: c.center ? Float32Array.from(start) : null };
    f({ ...g, dOut, x, mean, variance, gamma, rowMask, count: sJs.R, batchStatistics: c.training, M, C, epsilon: 1e-3 });
    return g;
  };
  const bJs = back(batchNormBackward);
  const bWasm = back(wasmBatchNormBackward);
  errors.dx = scaledError(bWasm.dx, bJs.dx);
  errors.dGamma = scaledError(bWasm.dGamma, bJs.dGamma);
  errors.dBeta = scaledError(bWasm.dBeta, bJs.dBeta);
  return errors;
}

describe.runIf(wasmSimdSupported())("wasm batch normalization matches the JS reference", () => {
  it("on every width, row masks, gamma / beta, dx and the parameter gradients optional, training and inference", () => {
    const rng = new Random(91);
    let worst = 0;
    const widths = [1, 3, 4, 5, 8, 64, 130];
    const masks: Case["masked"][] = ["none", "some", "none", "some", "all"];
    for (let k = 0; k < 40; k++) {
      const c: Case = {
        M: [1, 7, 300, 1000][k % 4], C: widths[k % widths.length], masked: masks[k % masks.length],
        scale: (k & 1) === 0, center: (k & 2) === 0, needDx: (k & 4) === 0, training: (k & 8) === 0,
      };
      worst = Math.max(worst, worstWithin(compare(rng, c), JSON.stringify(c)));
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it("on the rows of a benchmark batch (55 000 × 8): the backward's sums over every row stay exact enough", () => {
    const rng = new Random(92);
    expect(worstWithin(compare(rng, { M: 55000, C: 8, masked: "some", scale: true, center: true, needDx: true, training: true }), "M=55000")).toBeLessThanOrEqual(TOL);
  });

  it("runs in wasm: the reference gives results that differ in the last bits somewhere", () => {
    const rng = new Random(93);
    const M = 300, C = 37;
    const x = randomArray(rng, M * C, 3, 0.5);
    const mean = randomArray(rng, C), variance = randomArray(rng, C, 0.5, 1);
    const a = new Float32Array(M * C), b = new Float32Array(M * C);
    batchNormForward({ out: a, x, mean, variance, gamma: null, beta: null, M, C, epsilon: 1e-3 });
    wasmBatchNormForward({ out: b, x, mean, variance, gamma: null, beta: null, M, C, epsilon: 1e-3 });
    expect(Array.from(b)).not.toEqual(Array.from(a));
  });
});

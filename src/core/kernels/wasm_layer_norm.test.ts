// The WebAssembly layer normalization against the JS reference (the spec, layer_norm.ts; its
// gradients are checked by central differences at the layer level in test/norm_layers.test.ts,
// which runs on the active kernels): rows of every width (1, lanes and a tail, 64, 130), with and
// without gamma / beta, dx and the parameter gradients optional, M = 0. Tolerance, as wasm.test.ts:
//     |wasm − js| ≤ 1e-5 · (1 + max |js|)   for every element of every output
// — and 1e-4 for rows that sit far from zero relative to their spread (1000 ± 0.01), where the
// spec sums in float64 and wasm in float32 with a corrected mean.
import { describe, expect, it } from "vitest";
import { layerNormBackward, layerNormForward, type LayerNormForwardArgs } from "./layer_norm.js";
import { wasmLayerNormBackward, wasmLayerNormForward, wasmSimdSupported } from "./wasm.js";
import { Random } from "../random.js";
import { randomArray, scaledError, worstWithin } from "./wasm_checks.test-support.js";

interface Case {
  M: number;
  C: number;
  scale: boolean;
  center: boolean;
  needDx: boolean;
  offset?: number;
  spread?: number;
}

function compare(rng: Random, c: Case): Record<string, number> {
  const { M, C } = c;
  const x = randomArray(rng, M * C, c.spread ?? 2, c.offset ?? 0);
  const gamma = c.scale ? randomArray(rng, C, 1, 1) : null;
  const beta = c.center ? randomArray(rng, C, 0.5) : null;
  const run = (f: typeof layerNormForward) => {
    const args: LayerNormForwardArgs = { out: new Float32Array(M * C), mean: new Float32Array(M), rstd: new Float32Array(M), x, gamma, beta, M, C, epsilon: 1e-3 };
    f(args);
    return args;
  };
  const js = run(layerNormForward);
  const wasm = run(wasmLayerNormForward);
  const errors: Record<string, number> = { out: scaledError(wasm.out, js.out), mean: scaledError(wasm.mean, js.mean), rstd: scaledError(wasm.rstd, js.rstd) };
  const dOut = randomArray(rng, M * C);
  const start = randomArray(rng, C); // the parameter gradients accumulate into what is there
  const back = (f: typeof layerNormBackward) => {
    const grads = { dx: c.needDx ? new Float32Array(M * C) : null, dGamma: c.scale ? Float32Array.from(start) : null, dBeta: c.center ? Float32Array.from(start) : null };
    f({ ...grads, dOut, x, mean: js.mean, rstd: js.rstd, gamma, M, C });
    return grads;
  };
  const bJs = back(layerNormBackward);
  const bWasm = back(wasmLayerNormBackward);
  errors.dx = scaledError(bWasm.dx, bJs.dx);
  errors.dGamma = scaledError(bWasm.dGamma, bJs.dGamma);
  errors.dBeta = scaledError(bWasm.dBeta, bJs.dBeta);
  return errors;
}

describe.runIf(wasmSimdSupported())("wasm layer normalization matches the JS reference", () => {
  it("on every width, with and without gamma / beta, dx and the parameter gradients optional", () => {
    const rng = new Random(81);
    let worst = 0;
    const widths = [1, 3, 4, 5, 8, 64, 130];
    for (let k = 0; k < 28; k++) {
      const c: Case = { M: [1, 7, 300][k % 3], C: widths[k % widths.length], scale: (k & 1) === 0, center: (k & 2) === 0, needDx: (k & 4) === 0 };
      worst = Math.max(worst, worstWithin(compare(rng, c), JSON.stringify(c)));
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it("keeps its precision on rows far from zero relative to their spread (1000 ± 0.01)", () => {
    const rng = new Random(82);
    const errors = compare(rng, { M: 50, C: 64, scale: true, center: true, needDx: true, offset: 1000, spread: 0.01 });
    expect(worstWithin(errors, "offset rows", 1e-4)).toBeLessThanOrEqual(1e-4);
  });

  it("M = 0 writes nothing and throws nothing", () => {
    const out = new Float32Array(0);
    expect(() => wasmLayerNormForward({ out, mean: out, rstd: out, x: out, gamma: null, beta: null, M: 0, C: 4, epsilon: 1e-3 })).not.toThrow();
  });

  it("runs in wasm: the same call on the reference gives results that differ in the last bits somewhere", () => {
    // a guard that the comparisons above compare two implementations, not the fallback with itself
    const rng = new Random(83);
    const M = 200, C = 37;
    const x = randomArray(rng, M * C, 3, 0.5);
    const a = { out: new Float32Array(M * C), mean: new Float32Array(M), rstd: new Float32Array(M), x, gamma: null, beta: null, M, C, epsilon: 1e-3 };
    const b = { ...a, out: new Float32Array(M * C), mean: new Float32Array(M), rstd: new Float32Array(M) };
    layerNormForward(a);
    wasmLayerNormForward(b);
    expect(Array.from(b.out)).not.toEqual(Array.from(a.out));
  });
});

// The WebAssembly dense layer against the JS reference (the spec, dense.ts; the layer's gradients
// are checked by central differences at the layer level in test/, on the active kernels): every
// activation, widths that are whole vectors and tails (U = 1, 2, 4, 7, 40), with and without bias,
// dx optional, gradients accumulating into what is there, M = 0. Tolerance, as wasm.test.ts:
//     |wasm − js| ≤ 1e-5 · (1 + max |js|)   for every element of every output
import { describe, expect, it } from "vitest";
import { SUPPORTED_ACTIVATIONS, type ActivationName } from "./activations.js";
import { denseBackward, denseForward, type DenseForwardArgs } from "./dense.js";
import { wasmDenseBackward, wasmDenseForward, wasmSimdSupported } from "./wasm.js";
import { Random } from "../random.js";
import { randomArray, scaledError, worstWithin } from "./wasm_checks.test-support.js";

interface Case {
  M: number;
  C: number;
  U: number;
  activation: ActivationName;
  bias: boolean;
  needDx: boolean;
}

function compare(rng: Random, c: Case): Record<string, number> {
  const { M, C, U, activation } = c;
  const x = randomArray(rng, M * C, 2);
  const kernel = randomArray(rng, C * U, 1);
  const bias = c.bias ? randomArray(rng, U, 0.5) : null;
  const inputs = [x, kernel, bias].map((a) => (a ? Float32Array.from(a) : null));
  const run = (f: typeof denseForward) => {
    const args: DenseForwardArgs = { y: new Float32Array(M * U), x, kernel, bias, M, C, U, activation };
    f(args);
    return args.y;
  };
  const yJs = run(denseForward);
  const yWasm = run(wasmDenseForward);
  const errors: Record<string, number> = { y: scaledError(yWasm, yJs) };
  const dy = randomArray(rng, M * U);
  const dyCopy = Float32Array.from(dy);
  const startW = randomArray(rng, C * U); // the parameter gradients accumulate into what is there
  const startB = randomArray(rng, U);
  const back = (f: typeof denseBackward) => {
    const grads = { dx: c.needDx ? new Float32Array(M * C) : null, kernelGrad: Float32Array.from(startW), biasGrad: c.bias ? Float32Array.from(startB) : null };
    f({ ...grads, dy, x, y: yJs, kernel, M, C, U, activation });
    return grads;
  };
  const bJs = back(denseBackward);
  const bWasm = back(wasmDenseBackward);
  errors.dx = scaledError(bWasm.dx, bJs.dx);
  errors.kernelGrad = scaledError(bWasm.kernelGrad, bJs.kernelGrad);
  errors.biasGrad = scaledError(bWasm.biasGrad, bJs.biasGrad);
  // the caller's arrays are never written
  expect(Array.from(dy)).toEqual(Array.from(dyCopy));
  [x, kernel, bias].forEach((a, k) => expect(a ? Array.from(a) : null).toEqual(inputs[k] ? Array.from(inputs[k] as Float32Array) : null));
  return errors;
}

describe.runIf(wasmSimdSupported())("wasm dense layer matches the JS reference", () => {
  it("on every activation and width, with and without bias, dx optional", () => {
    const rng = new Random(91);
    let worst = 0;
    const widths = [1, 2, 4, 7, 40];
    let k = 0;
    for (const activation of SUPPORTED_ACTIVATIONS) {
      for (const U of widths) {
        const c: Case = { M: [1, 9, 301][k % 3], C: [1, 5, 8, 33][k % 4], U, activation, bias: (k & 1) === 0, needDx: (k & 2) === 0 };
        worst = Math.max(worst, worstWithin(compare(rng, c), JSON.stringify(c)));
        k++;
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it("on the seed model's head (6,875 rows of 8 → 2, sigmoid)", () => {
    const rng = new Random(92);
    const errors = compare(rng, { M: 6875, C: 8, U: 2, activation: "sigmoid", bias: true, needDx: true });
    expect(worstWithin(errors, "seed head")).toBeLessThanOrEqual(1e-5);
  });

  it("M = 0 writes nothing and throws nothing", () => {
    const e = new Float32Array(0);
    const kernelGrad = Float32Array.of(1, 2);
    expect(() => wasmDenseForward({ y: e, x: e, kernel: Float32Array.of(1, 2), bias: null, M: 0, C: 1, U: 2, activation: "tanh" })).not.toThrow();
    wasmDenseBackward({ dx: e, kernelGrad, biasGrad: null, dy: e, x: e, y: e, kernel: Float32Array.of(1, 2), M: 0, C: 1, U: 2, activation: "tanh" });
    expect(Array.from(kernelGrad)).toEqual([1, 2]);
  });

  it("runs in wasm: the same call on the reference gives results that differ in the last bits somewhere", () => {
    // a guard that the comparisons above compare two implementations, not the fallback with itself
    const rng = new Random(93);
    const M = 200, C = 9, U = 6;
    const args = { x: randomArray(rng, M * C, 3), kernel: randomArray(rng, C * U), bias: randomArray(rng, U), M, C, U, activation: "sigmoid" as const };
    const a = { ...args, y: new Float32Array(M * U) };
    const b = { ...args, y: new Float32Array(M * U) };
    denseForward(a);
    wasmDenseForward(b);
    expect(Array.from(b.y)).not.toEqual(Array.from(a.y));
  });
});

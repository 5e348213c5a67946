// Accuracy of the vectorised element-wise math (assembly/math.ts) against Math.exp / Math.tanh,
// over the whole range a cell sees. Stated bounds: exp relative error ≤ 3e-7 (where the result is
// a normal float), tanh absolute error ≤ 5e-7, sigmoid (computed through tanh) absolute error
// ≤ 2.5e-7, relative ≤ 5e-7 where σ ≥ ½; the piecewise-linear activations
// within 1 ulp of the reference formula.
import { describe, expect, it } from "vitest";
import { Act, applyScalar } from "../kernels/activations.js";
import { loadRaggedWasm, WasmArena } from "./loader.js";

const wasm = loadRaggedWasm();

function evaluate(fn: (out: number, x: number, n: number) => void, xs: Float32Array): Float32Array {
  if (wasm === null) throw new Error("unreachable");
  const arena = new WasmArena(wasm);
  const px = arena.floats(xs.length);
  const pout = arena.floats(xs.length);
  expect(arena.commit()).toBe(true);
  arena.f32.set(xs, px >> 2);
  fn(pout, px, xs.length);
  return arena.f32.slice(pout >> 2, (pout >> 2) + xs.length);
}

const grid = (lo: number, hi: number, n: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

describe.runIf(wasm !== null)("wasm element-wise math", () => {
  it("exp: relative error ≤ 3e-7 on [−87, 88]", () => {
    const xs = grid(-87, 88, 200_000);
    const ys = evaluate((o, x, n) => wasm!.expArray(o, x, n), xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(ys[i] / Math.exp(xs[i]) - 1));
    expect(worst).toBeLessThanOrEqual(3e-7);
  });

  it("sigmoid: absolute error ≤ 2.5e-7 on [−80, 80] (relative ≤ 5e-7 where σ ≥ ½), saturating beyond", () => {
    const xs = grid(-80, 80, 200_000);
    const ys = evaluate((o, x, n) => wasm!.activateArray(Act.Sigmoid, o, x, n), xs);
    let worst = 0;
    let worstRelative = 0;
    for (let i = 0; i < xs.length; i++) {
      const exact = applyScalar(Act.Sigmoid, xs[i]);
      worst = Math.max(worst, Math.abs(ys[i] - exact));
      if (xs[i] >= 0) worstRelative = Math.max(worstRelative, Math.abs(ys[i] / exact - 1));
    }
    expect(worst).toBeLessThanOrEqual(2.5e-7);
    expect(worstRelative).toBeLessThanOrEqual(5e-7);
    const big = evaluate((o, x, n) => wasm!.activateArray(Act.Sigmoid, o, x, n), Float32Array.from([200, -200, 1e30, -1e30]));
    for (const [k, v] of Array.from(big).entries()) expect(Math.abs(v - [1, 0, 1, 0][k])).toBeLessThanOrEqual(2.5e-7);
  });

  it("a dense layer's sigmoid (through exp): relative error ≤ 5e-7 on [−85, 85], where the cells' is only absolute", () => {
    const xs = grid(-85, 85, 200_000);
    const ys = evaluate((o, x, n) => wasm!.activateDenseArray(Act.Sigmoid, o, x, n), xs);
    let worstRelative = 0;
    for (let i = 0; i < xs.length; i++) worstRelative = Math.max(worstRelative, Math.abs(ys[i] / applyScalar(Act.Sigmoid, xs[i]) - 1));
    expect(worstRelative).toBeLessThanOrEqual(5e-7);
    // the point of it: σ(−15) = 3.06e-7, which the cells' sigmoid gets only to ± 1.4e-7
    const tail = evaluate((o, x, n) => wasm!.activateDenseArray(Act.Sigmoid, o, x, n), Float32Array.from([-15, -30, 200, -1e30]));
    expect(Math.abs(tail[0] / applyScalar(Act.Sigmoid, -15) - 1)).toBeLessThanOrEqual(5e-7);
    expect(Math.abs(tail[1] / applyScalar(Act.Sigmoid, -30) - 1)).toBeLessThanOrEqual(5e-7);
    expect(tail[2]).toBe(1);
    expect(tail[3]).toBeLessThan(1e-37);
    // the other activations are the cells'
    const others = grid(-6, 6, 4_000);
    for (const act of [Act.Linear, Act.Tanh, Act.Relu, Act.HardSigmoid, Act.HardSigmoidTfjs]) {
      const dense = evaluate((o, x, n) => wasm!.activateDenseArray(act, o, x, n), others);
      const cell = evaluate((o, x, n) => wasm!.activateArray(act, o, x, n), others);
      expect(Array.from(dense)).toEqual(Array.from(cell));
    }
  });

  it("tanh: absolute error ≤ 5e-7 on [−20, 20], and odd", () => {
    const xs = grid(-20, 20, 200_001);
    const ys = evaluate((o, x, n) => wasm!.activateArray(Act.Tanh, o, x, n), xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(ys[i] - Math.tanh(xs[i])));
    expect(worst).toBeLessThanOrEqual(5e-7);
    for (let i = 0; i < xs.length; i++) if (ys[i] !== -ys[xs.length - 1 - i]) throw new Error(`tanh not odd at ${xs[i]}`);
  });

  it("linear, relu, hardSigmoid (Keras and TF.js) follow the reference formulas", () => {
    const xs = grid(-6, 6, 4_000);
    for (const act of [Act.Linear, Act.Relu, Act.HardSigmoid, Act.HardSigmoidTfjs]) {
      const ys = evaluate((o, x, n) => wasm!.activateArray(act, o, x, n), xs);
      for (let i = 0; i < xs.length; i++) expect(Math.abs(ys[i] - applyScalar(act, xs[i]))).toBeLessThanOrEqual(1.2e-7);
    }
  });
});

// The WebAssembly crossentropy kernel against the JS reference (the spec, crossentropy.ts), and its
// gradient against central differences. Widths 1, 2 (the seed's), 3 and 7; one-hot, soft and
// all-zero target rows; rows whose renormalised probability is clipped at ε or 1 − ε (gradient 0
// there, as Keras' clip gives); with and without gradient and per-row scale; rows = 0. The kernel
// does the spec's double arithmetic, so values and gradients agree to float32 rounding:
//     |wasm − js| ≤ 2⁻²² · max(1, |js|)   for every value and every gradient element
import { describe, expect, it } from "vitest";
import { crossentropy, type CrossentropyArgs } from "./crossentropy.js";
import { jsKernels, setKernels, kernels } from "./registry.js";
import { useFastKernels, wasmCrossentropy, wasmSimdSupported } from "./wasm.js";
import { Random } from "../random.js";
import { categoricalCrossentropy } from "../../training/losses.js";

const TOL = 2 ** -22;

/** Rows of `width` positive predictions (some clipped: a near-zero or dominant entry), and targets of `kind`. */
function data(rng: Random, rows: number, width: number, kind: "oneHot" | "soft" | "zero") {
  const pred = new Float32Array(rows * width);
  const target = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < width; k++) pred[r * width + k] = 0.02 + rng.uniform();
    if (r % 5 === 1) pred[r * width] = 1e-9; // q < ε: clipped
    if (r % 7 === 2 && width > 1) for (let k = 1; k < width; k++) pred[r * width + k] = 1e-9; // q > 1 − ε: clipped
    if (kind === "oneHot") target[r * width + Math.floor(rng.uniform() * width)] = 1;
    if (kind === "soft") {
      let sum = 0;
      for (let k = 0; k < width; k++) sum += target[r * width + k] = rng.uniform();
      for (let k = 0; k < width; k++) target[r * width + k] /= sum;
    }
  }
  const scale = Float32Array.from({ length: rows }, () => rng.uniformRange(0, 2));
  return { pred, target, scale };
}

function run(kernel: typeof crossentropy, base: Omit<CrossentropyArgs, "out" | "grad">, withGrad: boolean) {
  const out = new Float32Array(base.rows).fill(NaN);
  const grad = withGrad ? new Float32Array(base.rows * base.width).fill(NaN) : null;
  kernel({ ...base, out, grad });
  return { out, grad };
}

function worst(got: Float32Array, want: Float32Array): number {
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return w;
}

describe.runIf(wasmSimdSupported())("the wasm crossentropy kernel", () => {
  for (const width of [1, 2, 3, 7]) {
    for (const kind of ["oneHot", "soft", "zero"] as const) {
      it(`width ${width}, ${kind} targets: values and gradients (with and without scale) as the spec's`, () => {
        const rng = new Random(100 + width);
        const rows = 203;
        const { pred, target, scale } = data(rng, rows, width, kind);
        const copies = [pred, target, scale].map((a) => Float32Array.from(a));
        for (const withScale of [true, false]) {
          const base = { pred, target, rows, width, scale: withScale ? scale : null };
          const js = run(crossentropy, base, true);
          const wasm = run(wasmCrossentropy, base, true);
          expect(wasm.out.every(Number.isFinite)).toBe(true);
          expect(worst(wasm.out, js.out)).toBeLessThanOrEqual(TOL);
          expect(worst(wasm.grad!, js.grad!)).toBeLessThanOrEqual(TOL);
          const valuesOnly = run(wasmCrossentropy, base, false);
          expect(Array.from(valuesOnly.out)).toEqual(Array.from(wasm.out));
        }
        // the caller's arrays are read, never written
        [pred, target, scale].forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(copies[i])));
        if (kind === "zero") expect(Array.from(run(wasmCrossentropy, { pred, target, rows, width, scale }, false).out).every((v) => v === 0)).toBe(true);
      });
    }
  }

  it("clipped rows have gradient 0 where the clip is active, and a finite loss", () => {
    const pred = new Float32Array([1e-9, 1, 0.5, 0.5]);
    const target = new Float32Array([1, 0, 0, 1]);
    const { out, grad } = run(wasmCrossentropy, { pred, target, rows: 2, width: 2, scale: null }, true);
    expect(out[0]).toBeCloseTo(-Math.log(1e-7), 4); // log of ε, not of 1e-9
    expect(grad![0]).toBe(0);
    expect(out[1]).toBeCloseTo(Math.LN2, 6);
  });

  it("gradient: central differences of Σ scale·ℓ (width 3, soft targets)", () => {
    const rng = new Random(7);
    const rows = 6;
    const width = 3;
    const pred = Float32Array.from({ length: rows * width }, () => 0.2 + rng.uniform());
    const { target, scale } = data(rng, rows, width, "soft");
    const total = (p: Float32Array) => {
      const { out } = run(wasmCrossentropy, { pred: p, target, rows, width, scale: null }, false);
      return out.reduce((s, v, r) => s + scale[r] * v, 0);
    };
    const { grad } = run(wasmCrossentropy, { pred, target, rows, width, scale }, true);
    const h = 1e-3;
    for (let i = 0; i < pred.length; i++) {
      const plus = Float32Array.from(pred);
      const minus = Float32Array.from(pred);
      plus[i] += h;
      minus[i] -= h;
      const numeric = (total(plus) - total(minus)) / (plus[i] - minus[i]);
      expect(Math.abs(grad![i] - numeric)).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(numeric)));
    }
  });

  it("rows = 0 writes nothing; the loss uses the kernel of the active set", () => {
    const out = new Float32Array([5]);
    wasmCrossentropy({ pred: new Float32Array(0), target: new Float32Array(0), rows: 0, width: 2, grad: null, scale: null, out });
    expect(out[0]).toBe(5);
    const previous = kernels();
    try {
      const rng = new Random(3);
      const { pred, target, scale } = data(rng, 50, 2, "oneHot");
      const loss = categoricalCrossentropy();
      const args = () => ({ pred, target, rows: 50, width: 2, grad: new Float32Array(100), scale });
      setKernels(jsKernels);
      const js = args();
      const jsOut = loss.compute(js);
      useFastKernels();
      expect(kernels().crossentropy).toBe(wasmCrossentropy);
      const fast = args();
      const fastOut = loss.compute(fast);
      expect(worst(fastOut, jsOut)).toBeLessThanOrEqual(TOL);
      expect(worst(fast.grad, js.grad)).toBeLessThanOrEqual(TOL);
    } finally {
      setKernels(previous);
    }
  });
});

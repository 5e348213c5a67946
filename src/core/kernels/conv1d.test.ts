// conv1d kernels: the reference (im2col + GEMM) against the definition computed in float64, and
// the WebAssembly SIMD kernel against the reference on random shapes (C and F not multiples of
// the SIMD width, absent taps, k = 1, dx not wanted, gradients accumulated onto existing values).
//
// Tolerance, stated once: |got − want| ≤ 1e-5 · (1 + Σ|terms|) per element, where Σ|terms| is the
// sum of the magnitudes of the products that entry adds up (the summation order differs).
import { describe, expect, it } from "vitest";
import { conv1dBackward, conv1dForward } from "./conv1d.js";
import { wasmConv1dBackward, wasmConv1dForward, wasmSimdSupported } from "./wasm.js";
import { Random } from "../random.js";

const TOL = 1e-5;

interface Problem {
  x: Float32Array;
  taps: Int32Array;
  kernel: Float32Array;
  bias: Float32Array;
  dOut: Float32Array;
  Nin: number;
  Nout: number;
  k: number;
  C: number;
  F: number;
}

function problem(seed: number, Nin: number, Nout: number, k: number, C: number, F: number): Problem {
  const rng = new Random(seed);
  const arr = (n: number) => Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1));
  // about one tap in five absent (edge padding or a masked step)
  const taps = Int32Array.from({ length: Nout * k }, () => (rng.uniform() < 0.2 ? -1 : rng.int(0, Nin)));
  return { x: arr(Nin * C), taps, kernel: arr(k * C * F), bias: arr(F), dOut: arr(Nout * F), Nin, Nout, k, C, F };
}

/** out[r,f] = b[f] + Σ_i Σ_c x[taps[r,i], c]·W[i,c,f] in float64, with Σ|terms| per entry. */
function definition(p: Problem): { out: Float64Array; scale: Float64Array } {
  const out = new Float64Array(p.Nout * p.F);
  const scale = new Float64Array(p.Nout * p.F);
  for (let r = 0; r < p.Nout; r++) {
    for (let f = 0; f < p.F; f++) {
      let s = p.bias[f];
      let a = Math.abs(p.bias[f]);
      for (let i = 0; i < p.k; i++) {
        const src = p.taps[r * p.k + i];
        if (src < 0) continue;
        for (let c = 0; c < p.C; c++) {
          const t = p.x[src * p.C + c] * p.kernel[(i * p.C + c) * p.F + f];
          s += t;
          a += Math.abs(t);
        }
      }
      out[r * p.F + f] = s;
      scale[r * p.F + f] = a;
    }
  }
  return { out, scale };
}

function worst(got: ArrayLike<number>, want: ArrayLike<number>, scale?: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let maxWant = 0;
  for (let i = 0; i < want.length; i++) maxWant = Math.max(maxWant, Math.abs(want[i]));
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (1 + (scale ? scale[i] : maxWant));
    if (!(d <= m)) m = d;
  }
  return m;
}

const SHAPES: [number, number, number, number, number][] = [
  // Nin, Nout, k, C, F
  [40, 37, 3, 5, 7],
  [100, 50, 2, 12, 16],
  [9, 9, 1, 3, 1],
  [64, 31, 5, 8, 9],
  [30, 0, 3, 4, 4],
  [1, 3, 4, 1, 2],
];

describe("conv1d reference", () => {
  for (const [Nin, Nout, k, C, F] of SHAPES) {
    it(`matches the definition: Nin ${Nin}, Nout ${Nout}, k ${k}, C ${C}, F ${F}`, () => {
      const p = problem(Nin + Nout + k, Nin, Nout, k, C, F);
      const out = new Float32Array(Nout * F).fill(NaN);
      conv1dForward({ out, x: p.x, taps: p.taps, kernel: p.kernel, bias: p.bias, Nout, k, C, F });
      const want = definition(p);
      expect(worst(out, want.out, want.scale)).toBeLessThan(TOL);
    });
  }

  it("backward is the adjoint of forward: ⟨dOut, conv(x)⟩ derivatives by linearity", () => {
    const p = problem(3, 20, 17, 3, 4, 5);
    const { Nin, Nout, k, C, F } = p;
    const dx = new Float32Array(Nin * C);
    const dKernel = new Float32Array(k * C * F);
    const dBias = new Float32Array(F);
    conv1dBackward({ dx, dKernel, dBias, dOut: p.dOut, x: p.x, taps: p.taps, kernel: p.kernel, Nin, Nout, k, C, F });
    // ⟨dOut, conv(x) − b⟩ = ⟨dx, x⟩ = ⟨dW, W⟩ (conv is bilinear in x and W)
    const out = new Float32Array(Nout * F);
    conv1dForward({ out, x: p.x, taps: p.taps, kernel: p.kernel, bias: null, Nout, k, C, F });
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
    const lhs = dot(p.dOut, out);
    expect(Math.abs(dot(dx, p.x) - lhs)).toBeLessThan(1e-3);
    expect(Math.abs(dot(dKernel, p.kernel) - lhs)).toBeLessThan(1e-3);
    // dBias = column sums of dOut
    for (let f = 0; f < F; f++) expect(dBias[f]).toBeCloseTo(Array.from({ length: Nout }, (_, r) => p.dOut[r * F + f]).reduce((a, b) => a + b, 0), 4);
  });
});

describe.runIf(wasmSimdSupported())("conv1d: WebAssembly SIMD against the reference", () => {
  for (const [Nin, Nout, k, C, F] of SHAPES) {
    it(`forward and backward: Nin ${Nin}, Nout ${Nout}, k ${k}, C ${C}, F ${F}`, () => {
      const p = problem(Nin * 7 + F, Nin, Nout, k, C, F);
      const args = { x: p.x, taps: p.taps, kernel: p.kernel, Nout, k, C, F };
      for (const bias of [p.bias, null]) {
        const want = new Float32Array(Nout * F);
        const got = new Float32Array(Nout * F).fill(NaN);
        conv1dForward({ ...args, out: want, bias });
        wasmConv1dForward({ ...args, out: got, bias });
        expect(worst(got, want)).toBeLessThan(TOL);
      }
      // gradients accumulate onto what is there; dx is overwritten
      const start = Float32Array.from({ length: k * C * F }, (_, i) => (i % 3) - 1);
      const grads = () => ({ dx: new Float32Array(Nin * C).fill(7), dKernel: Float32Array.from(start), dBias: Float32Array.from({ length: F }, (_, i) => i) });
      const a = grads();
      const b = grads();
      const common = { dOut: p.dOut, x: p.x, taps: p.taps, kernel: p.kernel, Nin, Nout, k, C, F };
      conv1dBackward({ ...a, ...common });
      wasmConv1dBackward({ ...b, ...common });
      expect(worst(b.dx, a.dx)).toBeLessThan(TOL);
      expect(worst(b.dKernel, a.dKernel)).toBeLessThan(TOL);
      expect(worst(b.dBias, a.dBias)).toBeLessThan(TOL);
      // without dx and without a bias
      const c = { dKernel: Float32Array.from(start) };
      const d = { dKernel: Float32Array.from(start) };
      conv1dBackward({ ...common, dx: null, dBias: null, ...c });
      wasmConv1dBackward({ ...common, dx: null, dBias: null, ...d });
      expect(worst(d.dKernel, c.dKernel)).toBeLessThan(TOL);
    });
  }

  it("falls back to the reference for a tap outside x (same result, no out-of-bounds read)", () => {
    const p = problem(5, 10, 4, 2, 3, 2);
    p.taps[3] = 10; // past Nin
    const want = new Float32Array(p.Nout * p.F);
    const got = new Float32Array(p.Nout * p.F);
    conv1dForward({ out: want, x: p.x, taps: p.taps, kernel: p.kernel, bias: p.bias, Nout: p.Nout, k: p.k, C: p.C, F: p.F });
    wasmConv1dForward({ out: got, x: p.x, taps: p.taps, kernel: p.kernel, bias: p.bias, Nout: p.Nout, k: p.k, C: p.C, F: p.F });
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});

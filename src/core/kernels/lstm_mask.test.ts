/**
 * The `mask` option of lstmForward / lstmBackward (NOTE [ masked rows in the recurrent kernels ] in
 * lstm.ts): an all-ones mask changes nothing, bit for bit; a mask with holes carries h and c and
 * zeroes the output, matches a float64 per-sequence reference, matches running the sequences with
 * the masked steps removed, passes central differences, and reproduces Keras 3's numbers
 * (keras/src/layers/rnn/lstm_test.py, test_masking).
 */
import { describe, expect, it } from "vitest";
import { Act } from "./activations.js";
import { lstmBackward, lstmForward, type LstmCache, type LstmWeights } from "./lstm.js";
import { RaggedError } from "../errors.js";
import { Random } from "../random.js";
import { packBatch, type PackedLayout } from "../../data/packed.js";

const GRAD_STEP = 1e-2;
const GRAD_RTOL = 2e-3;
const GRAD_ATOL = 2e-4;

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

interface Spec {
  C: number;
  H: number;
  weights: LstmWeights;
}

/** One sequence in float64, gate order i | f | c | o, tanh / sigmoid. Zero output at masked steps. */
function lstmSequence64(spec: Spec, seq: number[][], h0: number[], c0: number[], mask: boolean[]) {
  const { C, H, weights } = spec;
  const G = 4 * H;
  let h = h0.slice();
  let c = c0.slice();
  const outs: number[][] = [];
  seq.forEach((x, t) => {
    if (!mask[t]) {
      outs.push(new Array(H).fill(0));
      return;
    }
    const z = Array.from({ length: G }, (_, k) => {
      let s = weights.bias ? weights.bias[k] : 0;
      for (let q = 0; q < C; q++) s += x[q] * weights.kernel[q * G + k];
      for (let q = 0; q < H; q++) s += h[q] * weights.recurrentKernel[q * G + k];
      return s;
    });
    c = c.map((cp, u) => sigmoid(z[H + u]) * cp + sigmoid(z[u]) * Math.tanh(z[2 * H + u]));
    h = c.map((ct, u) => sigmoid(z[3 * H + u]) * Math.tanh(ct));
    outs.push(h.slice());
  });
  return { outs, hLast: h, cLast: c };
}

interface Problem {
  layout: PackedLayout;
  seqs: number[][][];
  x: Float32Array;
  h0: Float32Array;
  c0: Float32Array;
  maskSeqs: boolean[][];
  mask: Uint8Array;
}

function uniform(rng: Random, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniformRange(-scale, scale));
}

function packMask(layout: PackedLayout, maskSeqs: boolean[][]): Uint8Array {
  const mask = new Uint8Array(layout.totalSteps);
  maskSeqs.forEach((m, i) => m.forEach((real, t) => (mask[layout.offsets[t] + layout.unsortedIndices[i]] = real ? 1 : 0)));
  return mask;
}

function makeProblem(rng: Random, lengths: number[], C: number, H: number, maskSeqs: boolean[][]): Problem {
  const seqs = lengths.map((len) => Array.from({ length: len }, () => Array.from({ length: C }, () => rng.uniformRange(-1, 1))));
  const packed = packBatch(seqs, { features: C });
  const B = packed.layout.batch;
  return {
    layout: packed.layout, seqs, x: Float32Array.from(packed.data),
    h0: uniform(rng, B * H, 0.8), c0: uniform(rng, B * H, 0.8), maskSeqs, mask: packMask(packed.layout, maskSeqs),
  };
}

function makeSpec(rng: Random, C: number, H: number): Spec {
  const G = 4 * H;
  return { C, H, weights: { kernel: uniform(rng, C * G, 0.7), recurrentKernel: uniform(rng, H * G, 0.7), bias: uniform(rng, G, 0.5) } };
}

/** Runs forward with `p.mask`, or with `mask` (null: no mask at all). */
function forward(spec: Spec, p: Problem, mask: Uint8Array | null = p.mask): LstmCache {
  return lstmForward({
    layout: p.layout, x: p.x, C: spec.C, H: spec.H, weights: spec.weights,
    activation: Act.Tanh, recurrentActivation: Act.Sigmoid, h0: p.h0, c0: p.c0, mask: mask ?? undefined,
  });
}

function newGrads(spec: Spec) {
  return {
    kernel: new Float32Array(spec.weights.kernel.length),
    recurrentKernel: new Float32Array(spec.weights.recurrentKernel.length),
    bias: new Float32Array(spec.weights.bias!.length),
  };
}

function backward(spec: Spec, cache: LstmCache, dh: Float32Array | null, dhLast: Float32Array | null, dcLast: Float32Array | null) {
  const grads = newGrads(spec);
  const r = lstmBackward({ cache, weights: spec.weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, dh, dhLast, dcLast, grads, needInputGrad: true });
  return { ...r, grads };
}

function row(a: Float32Array, r: number, H: number): number[] {
  return Array.from(a.subarray(r * H, (r + 1) * H));
}

function expectRowClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, where: string): void {
  for (let k = 0; k < expected.length; k++) {
    if (!(Math.abs(actual[k] - expected[k]) <= tol)) expect.fail(`${where}[${k}]: ${actual[k]} vs ${expected[k]}`);
  }
}

function checkEntries(name: string, param: Float32Array, analytic: ArrayLike<number>, loss: () => number): number {
  for (let k = 0; k < param.length; k++) {
    const saved = param[k];
    param[k] = saved + GRAD_STEP;
    const hi = param[k];
    const up = loss();
    param[k] = saved - GRAD_STEP;
    const lo = param[k];
    const down = loss();
    param[k] = saved;
    const numeric = (up - down) / (hi - lo);
    const a = analytic[k];
    const tol = GRAD_RTOL * Math.max(Math.abs(a), Math.abs(numeric)) + GRAD_ATOL;
    if (!(Math.abs(a - numeric) <= tol)) expect.fail(`d${name}[${k}]: analytic ${a}, numeric ${numeric}, |diff| ${Math.abs(a - numeric)} > ${tol}`);
  }
  return param.length;
}

/** A padded batch whose mask has holes, incl. masked first and last steps and an all-masked sequence. */
function holeyMask(): boolean[][] {
  return [
    [true, true, false, true, false, true],
    [false, true, true, false, true, false],
    [false, false, false, false, false, false],
    [true, false, false, true, true, true],
    [true, true, true, true, true, true],
  ];
}

describe("lstmForward / lstmBackward with a mask", () => {
  it("an all-ones mask gives bit-identical results to no mask, forward and backward", () => {
    const rng = new Random(81);
    const spec = makeSpec(rng, 3, 4);
    const lengths = [5, 0, 3, 7, 1, 3];
    const p = makeProblem(rng, lengths, 3, 4, lengths.map((n) => new Array(n).fill(true)));
    const plain = forward(spec, p, null);
    const ones = forward(spec, p, p.mask);
    expect(plain.state).toBeUndefined();
    for (const k of ["h", "c", "gates", "hLast", "cLast"] as const) expect(ones[k]).toEqual(plain[k]);
    const dh = uniform(rng, p.layout.totalSteps * 4, 1);
    const dhLast = uniform(rng, p.layout.batch * 4, 1);
    const dcLast = uniform(rng, p.layout.batch * 4, 1);
    const a = backward(spec, plain, dh, dhLast, dcLast);
    const b = backward(spec, ones, dh, dhLast, dcLast);
    expect(b.dx).toEqual(a.dx);
    expect(b.dh0).toEqual(a.dh0);
    expect(b.dc0).toEqual(a.dc0);
    expect(b.grads).toEqual(a.grads);
  });

  it("matches the float64 per-sequence reference (h at every step, hLast, cLast)", () => {
    const rng = new Random(82);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, [6, 6, 6, 6, 6], 3, 4, holeyMask());
    const cache = forward(spec, p);
    p.seqs.forEach((seq, i) => {
      const j = p.layout.unsortedIndices[i];
      const ref = lstmSequence64(spec, seq, row(p.h0, j, 4), row(p.c0, j, 4), p.maskSeqs[i]);
      ref.outs.forEach((o, t) => expectRowClose(row(cache.h, p.layout.offsets[t] + j, 4), o, 1e-5, `h of sequence ${i} step ${t}`));
      expectRowClose(row(cache.hLast, j, 4), ref.hLast, 1e-5, `hLast of sequence ${i}`);
      expectRowClose(row(cache.cLast, j, 4), ref.cLast, 1e-5, `cLast of sequence ${i}`);
    });
  });

  it("also works on a layout of unequal lengths (incl. 0) with holes", () => {
    const rng = new Random(83);
    const spec = makeSpec(rng, 2, 3);
    const maskSeqs = [[true, false, true, true], [], [false, true], [true, true, false, true, false, true, true]];
    const p = makeProblem(rng, maskSeqs.map((m) => m.length), 2, 3, maskSeqs);
    const cache = forward(spec, p);
    p.seqs.forEach((seq, i) => {
      const j = p.layout.unsortedIndices[i];
      const ref = lstmSequence64(spec, seq, row(p.h0, j, 3), row(p.c0, j, 3), maskSeqs[i]);
      ref.outs.forEach((o, t) => expectRowClose(row(cache.h, p.layout.offsets[t] + j, 3), o, 1e-5, `h of sequence ${i} step ${t}`));
      expectRowClose(row(cache.hLast, j, 3), ref.hLast, 1e-5, `hLast of sequence ${i}`);
    });
  });

  it("gradients of every weight, x, h0 and c0 match central differences under a mask with holes", () => {
    const rng = new Random(84);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, [6, 6, 6, 6, 6], 3, 4, holeyMask());
    const R = uniform(rng, p.layout.totalSteps * 4, 1);
    const S = uniform(rng, p.layout.batch * 4, 1);
    const S2 = uniform(rng, p.layout.batch * 4, 1);
    const { dx, dh0, dc0, grads } = backward(spec, forward(spec, p), R, S, S2);
    const loss = () => {
      const c = forward(spec, p);
      let s = 0;
      for (let k = 0; k < R.length; k++) s += c.h[k] * R[k];
      for (let k = 0; k < S.length; k++) s += c.hLast[k] * S[k] + c.cLast[k] * S2[k];
      return s;
    };
    let n = 0;
    n += checkEntries("kernel", spec.weights.kernel, grads.kernel, loss);
    n += checkEntries("recurrentKernel", spec.weights.recurrentKernel, grads.recurrentKernel, loss);
    n += checkEntries("bias", spec.weights.bias!, grads.bias, loss);
    n += checkEntries("x", p.x, dx!, loss);
    n += checkEntries("h0", p.h0, dh0, loss);
    n += checkEntries("c0", p.c0, dc0, loss);
    expect(n).toBe(48 + 64 + 16 + 30 * 3 + 20 + 20);
  });

  it("a mask with holes equals running the sequences with the masked steps removed (forward and backward)", () => {
    const rng = new Random(85);
    const H = 4;
    const spec = makeSpec(rng, 3, H);
    const maskSeqs = holeyMask();
    const full = makeProblem(rng, [6, 6, 6, 6, 6], 3, H, maskSeqs);
    const kept = full.seqs.map((seq, i) => seq.filter((_, t) => maskSeqs[i][t]));
    const pk = packBatch(kept, { features: 3 });
    const lk = pk.layout;
    const moveRows = (src: Float32Array) => {
      const out = new Float32Array(lk.batch * H);
      kept.forEach((_, i) => out.set(row(src, full.layout.unsortedIndices[i], H), lk.unsortedIndices[i] * H));
      return out;
    };
    const compact: Problem = {
      layout: lk, seqs: kept, x: Float32Array.from(pk.data), h0: moveRows(full.h0), c0: moveRows(full.c0),
      maskSeqs: kept.map((s) => s.map(() => true)), mask: new Uint8Array(lk.totalSteps).fill(1),
    };
    const cf = forward(spec, full);
    const cc = forward(spec, compact, null);
    const dhFull = uniform(rng, full.layout.totalSteps * H, 1); // arbitrary at masked rows: must be ignored
    const dhKept = new Float32Array(lk.totalSteps * H);
    const S = uniform(rng, full.layout.batch * H, 1);
    const S2 = uniform(rng, full.layout.batch * H, 1);
    const rows: Array<[number, number]> = [];
    maskSeqs.forEach((m, i) => {
      const jf = full.layout.unsortedIndices[i];
      const jk = lk.unsortedIndices[i];
      let tk = 0;
      m.forEach((real, t) => {
        const rf = full.layout.offsets[t] + jf;
        if (!real) {
          expect(row(cf.h, rf, H)).toEqual([0, 0, 0, 0]);
          return;
        }
        const rk = lk.offsets[tk++] + jk;
        rows.push([rf, rk]);
        expectRowClose(row(cf.h, rf, H), row(cc.h, rk, H), 1e-6, `h of sequence ${i} step ${t}`);
        dhKept.set(dhFull.subarray(rf * H, (rf + 1) * H), rk * H);
      });
      expectRowClose(row(cf.hLast, jf, H), row(cc.hLast, jk, H), 1e-6, `hLast of sequence ${i}`);
      expectRowClose(row(cf.cLast, jf, H), row(cc.cLast, jk, H), 1e-6, `cLast of sequence ${i}`);
    });
    const bf = backward(spec, cf, dhFull, S, S2);
    const bk = backward(spec, cc, dhKept, moveRows(S), moveRows(S2));
    expectRowClose(bf.grads.kernel, bk.grads.kernel, 1e-5, "dkernel");
    expectRowClose(bf.grads.recurrentKernel, bk.grads.recurrentKernel, 1e-5, "drecurrentKernel");
    expectRowClose(bf.grads.bias, bk.grads.bias, 1e-5, "dbias");
    expectRowClose(moveRows(bf.dh0), bk.dh0, 1e-5, "dh0");
    expectRowClose(moveRows(bf.dc0), bk.dc0, 1e-5, "dc0");
    for (const [rf, rk] of rows) expectRowClose(row(bf.dx!, rf, 3), row(bk.dx!, rk, 3), 1e-5, `dx row ${rf}`);
    for (let r = 0; r < full.layout.totalSteps; r++) if (full.mask[r] === 0) expect(row(bf.dx!, r, 3)).toEqual([0, 0, 0]);
  });

  it("rejects a mask that does not have one entry per packed row", () => {
    const rng = new Random(86);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, [2, 1], 3, 4, [[true, true], [true]]);
    const call = () => forward(spec, p, new Uint8Array(4));
    expect(call).toThrow(RaggedError);
    expect(call).toThrow(/lstmForward must have one entry per packed row/);
  });
});

// keras/src/layers/rnn/lstm_test.py test_masking: units 2, kernel 0.01, recurrent 0.02, bias 0.03
// with Keras' default unit_forget_bias=True (the forget block's bias is 1); atol = rtol = 1e-5.
describe("Keras 3 lstm_test.py test_masking numbers", () => {
  const H = 2;
  const C = 3;
  const G = 4 * H;
  const bias = new Float32Array(G).fill(0.03);
  bias.fill(1, H, 2 * H);
  const weights: LstmWeights = { kernel: new Float32Array(C * G).fill(0.01), recurrentKernel: new Float32Array(H * G).fill(0.02), bias };
  const arange = (goBackwards: boolean) =>
    Array.from({ length: 2 }, (_, b) => {
      const seq = Array.from({ length: 4 }, (_, t) => Array.from({ length: C }, (_, c) => (b * 4 + t) * C + c));
      return goBackwards ? seq.reverse() : seq;
    });
  const run = (seqs: number[][][], maskSeqs: boolean[][]) => {
    const packed = packBatch(seqs, { features: C });
    return lstmForward({ layout: packed.layout, x: packed.data, C, H, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, mask: packMask(packed.layout, maskSeqs) });
  };
  const expectAllClose = (actual: ArrayLike<number>, expected: number[]) => {
    expect(actual.length).toBe(expected.length);
    for (let k = 0; k < expected.length; k++) {
      if (!(Math.abs(actual[k] - expected[k]) <= 1e-5 + 1e-5 * Math.abs(expected[k]))) expect.fail(`[${k}]: ${actual[k]} vs Keras ${expected[k]}`);
    }
  };
  const rep = (v: number[]) => v.flatMap((a) => [a, a]);
  const steps = (a: Float32Array, cache: LstmCache, b: number) => Array.from({ length: 4 }, (_, t) => row(a, cache.layout.offsets[t] + b, H)).flat();

  it("final output, carried states, zero_output_for_mask outputs, go_backwards", () => {
    const mask = [[true, true, true, false], [true, true, false, false]];
    const cache = run(arange(false), mask);
    expectAllClose(cache.hLast, rep([0.11755939, 0.28556206]));
    expectAllClose(steps(cache.state!, cache, 0), rep([0.0158891, 0.05552048, 0.11755939, 0.11755939]));
    expectAllClose(steps(cache.state!, cache, 1), rep([0.14185596, 0.28556206, 0.28556206, 0.28556206]));
    expectAllClose(steps(cache.h, cache, 0), rep([0.0158891, 0.05552048, 0.11755939, 0]));
    expectAllClose(steps(cache.h, cache, 1), rep([0.14185596, 0.28556206, 0, 0]));
    const backwardsMask = [[false, true, true, true], [false, false, true, true]];
    expectAllClose(run(arange(true), backwardsMask.map((m) => m.slice().reverse())).hLast, rep([0.15341201, 0.3844719]));
  });
});

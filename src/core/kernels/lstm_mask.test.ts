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
import {
  LENGTHS, arange, checkAllEntries, compactMasked, expectCompactedForward, expectAllClose, expectMatchesSequences, expectRowClose, holeyMask, packMask,
  randomPacked, row, sigmoid, stepRows, uniform, zeroGrads,
} from "./recurrent_checks.test-support.js";

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
  return { outs, last: h, cLast: c };
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

function makeProblem(rng: Random, lengths: number[], C: number, H: number, maskSeqs: boolean[][]): Problem {
  const { layout, seqs, x } = randomPacked(rng, lengths, C);
  const B = layout.batch;
  return { layout, seqs, x, h0: uniform(rng, B * H, 0.8), c0: uniform(rng, B * H, 0.8), maskSeqs, mask: packMask(layout, maskSeqs) };
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

function backward(spec: Spec, cache: LstmCache, dh: Float32Array | null, dhLast: Float32Array | null, dcLast: Float32Array | null) {
  const grads = zeroGrads(spec.weights);
  const r = lstmBackward({ cache, weights: spec.weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, dh, dhLast, dcLast, grads, needInputGrad: true });
  return { ...r, grads };
}

describe("lstmForward / lstmBackward with a mask", () => {
  it("an all-ones mask gives bit-identical results to no mask, forward and backward", () => {
    const rng = new Random(81);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, LENGTHS, 3, 4, LENGTHS.map((n) => new Array(n).fill(true)));
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
    expectMatchesSequences(p.layout, p.seqs, 4, forward(spec, p), (seq, i, j) =>
      lstmSequence64(spec, seq, row(p.h0, j, 4), row(p.c0, j, 4), p.maskSeqs[i]),
    );
  });

  it("also works on a layout of unequal lengths (incl. 0) with holes", () => {
    const rng = new Random(83);
    const spec = makeSpec(rng, 2, 3);
    const maskSeqs = [[true, false, true, true], [], [false, true], [true, true, false, true, false, true, true]];
    const p = makeProblem(rng, maskSeqs.map((m) => m.length), 2, 3, maskSeqs);
    const { h, hLast } = forward(spec, p); // cLast not compared here
    expectMatchesSequences(p.layout, p.seqs, 3, { h, hLast }, (seq, i, j) =>
      lstmSequence64(spec, seq, row(p.h0, j, 3), row(p.c0, j, 3), maskSeqs[i]),
    );
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
    const n = checkAllEntries(loss, [
      ["kernel", spec.weights.kernel, grads.kernel],
      ["recurrentKernel", spec.weights.recurrentKernel, grads.recurrentKernel],
      ["bias", spec.weights.bias!, grads.bias!],
      ["x", p.x, dx!],
      ["h0", p.h0, dh0],
      ["c0", p.c0, dc0],
    ]);
    expect(n).toBe(48 + 64 + 16 + 30 * 3 + 20 + 20);
  });

  it("a mask with holes equals running the sequences with the masked steps removed (forward and backward)", () => {
    const rng = new Random(85);
    const H = 4;
    const spec = makeSpec(rng, 3, H);
    const maskSeqs = holeyMask();
    const full = makeProblem(rng, [6, 6, 6, 6, 6], 3, H, maskSeqs);
    const c = compactMasked(full, maskSeqs, 3);
    const lk = c.layout;
    const moveRows = (src: Float32Array) => c.moveRows(src, H);
    const compact: Problem = {
      layout: lk, seqs: c.seqs, x: c.x, h0: moveRows(full.h0), c0: moveRows(full.c0),
      maskSeqs: c.seqs.map((s) => s.map(() => true)), mask: new Uint8Array(lk.totalSteps).fill(1),
    };
    const cf = forward(spec, full);
    const cc = forward(spec, compact, null);
    const dhFull = uniform(rng, full.layout.totalSteps * H, 1); // arbitrary at masked rows: must be ignored
    const dhKept = c.moveSteps(dhFull, H);
    const S = uniform(rng, full.layout.batch * H, 1);
    const S2 = uniform(rng, full.layout.batch * H, 1);
    expectCompactedForward(c, full.layout, maskSeqs, H, cf, cc);
    const bf = backward(spec, cf, dhFull, S, S2);
    const bk = backward(spec, cc, dhKept, moveRows(S), moveRows(S2));
    expectRowClose(bf.grads.kernel, bk.grads.kernel, 1e-5, "dkernel");
    expectRowClose(bf.grads.recurrentKernel, bk.grads.recurrentKernel, 1e-5, "drecurrentKernel");
    expectRowClose(bf.grads.bias!, bk.grads.bias!, 1e-5, "dbias");
    expectRowClose(moveRows(bf.dh0), bk.dh0, 1e-5, "dh0");
    expectRowClose(moveRows(bf.dc0), bk.dc0, 1e-5, "dc0");
    for (const { rf, rk } of c.steps) if (rk !== null) expectRowClose(row(bf.dx!, rf, 3), row(bk.dx!, rk, 3), 1e-5, `dx row ${rf}`);
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
  const run = (seqs: number[][][], maskSeqs: boolean[][]) => {
    const packed = packBatch(seqs, { features: C });
    return lstmForward({ layout: packed.layout, x: packed.data, C, H, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, mask: packMask(packed.layout, maskSeqs) });
  };
  const expectClose = (actual: ArrayLike<number>, expected: number[]) => expectAllClose(actual, expected, 1e-5, 1e-5);
  const rep = (v: number[]) => v.flatMap((a) => [a, a]);
  const steps = (a: Float32Array, cache: LstmCache, b: number) => stepRows(a, cache.layout, b, 4, H);

  it("final output, carried states, zero_output_for_mask outputs, go_backwards", () => {
    const mask = [[true, true, true, false], [true, true, false, false]];
    const cache = run(arange(2, 4, C), mask);
    expectClose(cache.hLast, rep([0.11755939, 0.28556206]));
    expectClose(steps(cache.state!, cache, 0), rep([0.0158891, 0.05552048, 0.11755939, 0.11755939]));
    expectClose(steps(cache.state!, cache, 1), rep([0.14185596, 0.28556206, 0.28556206, 0.28556206]));
    expectClose(steps(cache.h, cache, 0), rep([0.0158891, 0.05552048, 0.11755939, 0]));
    expectClose(steps(cache.h, cache, 1), rep([0.14185596, 0.28556206, 0, 0]));
    const backwardsMask = [[false, true, true, true], [false, false, true, true]];
    expectClose(run(arange(2, 4, C, true), backwardsMask.map((m) => m.slice().reverse())).hLast, rep([0.15341201, 0.3844719]));
  });
});

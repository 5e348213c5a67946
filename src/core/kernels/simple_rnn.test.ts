/**
 * simpleRnnForward / simpleRnnBackward against:
 *  1. a float64 reference written plainly, one sequence at a time (no packing);
 *  2. central differences (see NOTE [ gradient-check tolerance ] in test/harness.ts);
 *  3. the masked-carry contract (NOTE [ masked rows in the recurrent kernels ] in lstm.ts);
 *  4. Keras 3's own expected numbers (keras/src/layers/rnn/simple_rnn_test.py, constant initialisers).
 */
import { describe, expect, it } from "vitest";
import { Act } from "./activations.js";
import { simpleRnnBackward, simpleRnnForward, type SimpleRnnCache, type SimpleRnnWeights } from "./simple_rnn.js";
import { RaggedError } from "../errors.js";
import { Random } from "../random.js";
import { packBatch } from "../../data/packed.js";
import {
  LENGTHS, act64, arange, checkStateGradients, compactMasked, expectAllClose, expectCompactedForward, expectMatchesSequences,
  expectRowClose, holeyMask, makeStateProblem, packMask, row, sequence64, stepRows, uniform, zeroGrads, type StateProblem,
} from "./recurrent_checks.test-support.js";

// ---------------------------------------------------------------------------------------------
// float64 reference, one sequence at a time

interface RnnSpec {
  C: number;
  H: number;
  weights: SimpleRnnWeights;
  activation: Act;
}

/** h_t = act(x_t·W + h_{t−1}·U + b), in float64. */
function rnnStep64(spec: RnnSpec, x: ArrayLike<number>, hp: number[]): number[] {
  const { C, H, weights, activation } = spec;
  return Array.from({ length: H }, (_, u) => {
    let s = weights.bias ? weights.bias[u] : 0;
    for (let c = 0; c < C; c++) s += x[c] * weights.kernel[c * H + u];
    for (let i = 0; i < H; i++) s += hp[i] * weights.recurrentKernel[i * H + u];
    return act64(activation, s);
  });
}

// ---------------------------------------------------------------------------------------------
// problems

type Problem = StateProblem;
const makeProblem = makeStateProblem;

function makeSpec(rng: Random, C: number, H: number, useBias = true, activation = Act.Tanh): RnnSpec {
  return {
    C, H, activation,
    weights: { kernel: uniform(rng, C * H, 0.7), recurrentKernel: uniform(rng, H * H, 0.7), bias: useBias ? uniform(rng, H, 0.5) : null },
  };
}

function forward(spec: RnnSpec, p: Problem, withH0 = true): SimpleRnnCache {
  return simpleRnnForward({
    layout: p.layout, x: p.x, C: spec.C, H: spec.H, weights: spec.weights, activation: spec.activation,
    h0: withH0 ? p.h0 : undefined, mask: p.mask,
  });
}

function expectMatchesReference(spec: RnnSpec, p: Problem, cache: SimpleRnnCache, withH0: boolean): void {
  const H = spec.H;
  expectMatchesSequences(p.layout, p.seqs, H, cache, (seq, i, j) =>
    sequence64(H, (x, hp) => rnnStep64(spec, x, hp), seq, withH0 ? row(p.h0, j, H) : new Array(H).fill(0), p.maskSeqs?.[i]),
  );
}

// ---------------------------------------------------------------------------------------------
// gradients

function gradientCheck(spec: RnnSpec, p: Problem, seed: number): number {
  return checkStateGradients(spec.weights, p, spec.H, seed, () => forward(spec, p), (dh, dhLast, grads) =>
    simpleRnnBackward({ cache: forward(spec, p), weights: spec.weights, activation: spec.activation, dh, dhLast, grads, needInputGrad: true }),
  );
}

// ---------------------------------------------------------------------------------------------

describe("simpleRnnForward / simpleRnnBackward", () => {
  it("matches the float64 per-sequence reference at every real step and the final state, with and without h0", () => {
    const rng = new Random(61);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, LENGTHS, 3, 4);
    for (const withH0 of [true, false]) expectMatchesReference(spec, p, forward(spec, p, withH0), withH0);
  });

  it("matches the reference with relu and no bias", () => {
    const rng = new Random(62);
    const spec = makeSpec(rng, 2, 3, false, Act.Relu);
    const p = makeProblem(rng, LENGTHS, 2, 3);
    expectMatchesReference(spec, p, forward(spec, p), true);
  });

  it("matches the reference under a mask with holes (state carried, output zero)", () => {
    const rng = new Random(63);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, [6, 6, 6, 6, 6], 3, 4, holeyMask());
    expectMatchesReference(spec, p, forward(spec, p), true);
  });

  it("gradients of every weight, x and h0 match central differences (unequal lengths incl. 0)", () => {
    const rng = new Random(64);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, LENGTHS, 3, 4);
    expect(gradientCheck(spec, p, 65)).toBe(12 + 16 + 4 + 19 * 3 + 6 * 4);
  });

  it("gradients match central differences with sigmoid and no bias", () => {
    const rng = new Random(66);
    const spec = makeSpec(rng, 2, 3, false, Act.Sigmoid);
    const p = makeProblem(rng, LENGTHS, 2, 3);
    expect(gradientCheck(spec, p, 67)).toBeGreaterThan(50);
  });

  it("gradients match central differences under a mask with holes", () => {
    const rng = new Random(68);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, [6, 6, 6, 6, 6], 3, 4, holeyMask());
    expect(gradientCheck(spec, p, 69)).toBeGreaterThan(100);
  });

  it("a mask with holes equals running the sequences with the masked steps removed (forward and backward)", () => {
    const rng = new Random(70);
    const H = 4;
    const spec = makeSpec(rng, 3, H);
    const maskSeqs = holeyMask();
    const full = makeProblem(rng, [6, 6, 6, 6, 6], 3, H, maskSeqs);
    const c = compactMasked(full, maskSeqs, 3);
    const lk = c.layout;
    const compact: Problem = { layout: lk, seqs: c.seqs, x: c.x, h0: c.moveRows(full.h0, H) };

    const cf = forward(spec, full);
    const cc = forward(spec, compact);
    const dhFull = uniform(rng, full.layout.totalSteps * H, 1); // arbitrary at masked rows: must be ignored
    const dhKept = c.moveSteps(dhFull, H);
    const S = uniform(rng, full.layout.batch * H, 1);
    const SKept = c.moveRows(S, H);
    expectCompactedForward(c, full.layout, maskSeqs, H, cf, cc);

    const gf = zeroGrads(spec.weights);
    const gk = zeroGrads(spec.weights);
    const bf = simpleRnnBackward({ cache: cf, weights: spec.weights, activation: spec.activation, dh: dhFull, dhLast: S, grads: gf, needInputGrad: true });
    const bk = simpleRnnBackward({ cache: cc, weights: spec.weights, activation: spec.activation, dh: dhKept, dhLast: SKept, grads: gk, needInputGrad: true });
    expectRowClose(gf.kernel, gk.kernel, 1e-5, "dkernel");
    expectRowClose(gf.recurrentKernel, gk.recurrentKernel, 1e-5, "drecurrentKernel");
    expectRowClose(gf.bias!, gk.bias!, 1e-5, "dbias");
    maskSeqs.forEach((_, i) => expectRowClose(row(bf.dh0, full.layout.unsortedIndices[i], H), row(bk.dh0, lk.unsortedIndices[i], H), 1e-5, `dh0 of sequence ${i}`));
    for (const { i, rf, rk } of c.steps) if (rk !== null) expectRowClose(row(bf.dx!, rf, 3), row(bk.dx!, rk, 3), 1e-5, `dx of sequence ${i}`);
    let dxMasked = 0;
    for (let r = 0; r < full.layout.totalSteps; r++) if (full.mask![r] === 0) dxMasked += row(bf.dx!, r, 3).reduce((s, v) => s + Math.abs(v), 0);
    expect(dxMasked).toBe(0);
  });

  it("accumulates into the given grads, takes dh = null, and skips dx when not needed", () => {
    const rng = new Random(71);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, LENGTHS, 3, 4);
    const S = uniform(rng, p.layout.batch * 4, 1);
    const run = (grads: ReturnType<typeof zeroGrads<Float32Array | null>>, needInputGrad: boolean) =>
      simpleRnnBackward({ cache: forward(spec, p), weights: spec.weights, activation: spec.activation, dh: null, dhLast: S, grads, needInputGrad });
    const once = zeroGrads(spec.weights);
    run(once, true);
    const twice = zeroGrads(spec.weights);
    expect(run(twice, false).dx).toBeNull();
    run(twice, false);
    expectRowClose(twice.kernel, once.kernel.map((v) => 2 * v), 1e-5, "kernel");
    expectRowClose(twice.recurrentKernel, once.recurrentKernel.map((v) => 2 * v), 1e-5, "recurrentKernel");
    expectRowClose(twice.bias!, once.bias!.map((v) => 2 * v), 1e-5, "bias");
  });

  it("rejects a mask that does not have one entry per packed row", () => {
    const rng = new Random(72);
    const spec = makeSpec(rng, 3, 4);
    const p = makeProblem(rng, [2, 1], 3, 4);
    const call = () => forward(spec, { ...p, mask: new Uint8Array(2) });
    expect(call).toThrow(RaggedError);
    expect(call).toThrow(/Expected: 3 entries/);
  });
});

// ---------------------------------------------------------------------------------------------
// Keras 3's own numbers: keras/src/layers/rnn/simple_rnn_test.py (kernel constant 0.01,
// recurrent 0.02, bias 0.03). Keras' assertAllClose defaults: atol = rtol = 1e-6.

function kerasRnn(units: number, C: number): RnnSpec {
  return {
    C, H: units, activation: Act.Tanh,
    weights: {
      kernel: new Float32Array(C * units).fill(0.01),
      recurrentKernel: new Float32Array(units * units).fill(0.02),
      bias: new Float32Array(units).fill(0.03),
    },
  };
}

function runKeras(spec: RnnSpec, seqs: number[][][], h0?: number[][], maskSeqs?: boolean[][]): SimpleRnnCache {
  const packed = packBatch(seqs, { features: spec.C });
  expect(Array.from(packed.layout.sortedIndices)).toEqual(seqs.map((_, i) => i));
  return simpleRnnForward({
    layout: packed.layout, x: packed.data, C: spec.C, H: spec.H, weights: spec.weights, activation: spec.activation,
    h0: h0 ? Float32Array.from(h0.flat()) : undefined,
    mask: maskSeqs ? packMask(packed.layout, maskSeqs) : undefined,
  });
}

const rep = (v: number[], n: number) => v.flatMap((a) => new Array(n).fill(a));

describe("Keras 3 simple_rnn_test.py numbers", () => {
  it("test_correctness: forwards and go_backwards", () => {
    expectAllClose(runKeras(kerasRnn(4, 4), arange(2, 3, 4)).hLast, rep([0.405432, 0.73605347], 4));
    expectAllClose(runKeras(kerasRnn(4, 4), arange(2, 3, 4, true)).hLast, rep([0.11144729, 0.5528889], 4));
  });

  it("test_statefulness: the second call starts from the first call's final state", () => {
    const spec = kerasRnn(4, 4);
    const first = runKeras(spec, arange(2, 3, 4));
    const second = runKeras(spec, arange(2, 3, 4), [row(first.hLast, 0, 4), row(first.hLast, 1, 4)]);
    expectAllClose(second.hLast, rep([0.40559256, 0.7361247], 4));
  });

  it("test_pass_initial_state: forwards and go_backwards", () => {
    const h0 = [[0, 1, 2, 3], [4, 5, 6, 7]];
    expectAllClose(runKeras(kerasRnn(4, 3), arange(2, 4, 3), h0).hLast, rep([0.33621645, 0.6262637], 4));
    expectAllClose(runKeras(kerasRnn(4, 3), arange(2, 4, 3, true), h0).hLast, rep([0.07344437, 0.43043602], 4));
  });

  it("test_masking: final output, carried states, zero_output_for_mask outputs, go_backwards", () => {
    const mask = [[true, true, false, true], [true, false, false, true]];
    expectAllClose(runKeras(kerasRnn(4, 3), arange(2, 4, 3), undefined, mask).hLast, rep([0.32951632, 0.61799484], 4));
    const cache = runKeras(kerasRnn(2, 3), arange(2, 4, 3), undefined, mask);
    expectAllClose(stepRows(cache.state, cache.layout, 0, 4, cache.H), rep([0.0599281, 0.15122814, 0.15122814, 0.32394567], 2));
    expectAllClose(stepRows(cache.state, cache.layout, 1, 4, cache.H), rep([0.3969304, 0.3969304, 0.3969304, 0.608085], 2));
    expectAllClose(stepRows(cache.h, cache.layout, 0, 4, cache.H), rep([0.0599281, 0.15122814, 0, 0.32394567], 2));
    expectAllClose(stepRows(cache.h, cache.layout, 1, 4, cache.H), rep([0.3969304, 0, 0, 0.608085], 2));
    const back = runKeras(kerasRnn(4, 3), arange(2, 4, 3, true), undefined, mask.map((m) => m.slice().reverse()));
    expectAllClose(back.hLast, rep([0.07376196, 0.43645123], 4));
  });
});

/**
 * gruForward / gruBackward (both reset_after forms) against:
 *  1. a float64 reference written plainly, one sequence at a time (no packing);
 *  2. central differences (see NOTE [ gradient-check tolerance ] in test/harness.ts);
 *  3. the masked-carry contract (NOTE [ masked rows in the recurrent kernels ] in lstm.ts): a mask
 *     with holes gives what running the same sequences with the masked steps removed gives;
 *  4. Keras 3's own expected numbers (keras/src/layers/rnn/gru_test.py, constant initialisers).
 */
import { describe, expect, it } from "vitest";
import { Act } from "./activations.js";
import { gruBackward, gruForward, type GruCache, type GruWeights } from "./gru.js";
import { RaggedError } from "../errors.js";
import { Random } from "../random.js";
import { packBatch } from "../../data/packed.js";
import {
  LENGTHS, act64, arange, checkStateGradients, compactMasked, expectAllClose, expectCompactedForward, expectMatchesSequences,
  expectRowClose, holeyMask, makeStateProblem, packMask, row, sequence64, stepRows, uniform, zeroGrads, type StateProblem,
} from "./recurrent_checks.test-support.js";

// ---------------------------------------------------------------------------------------------
// float64 reference, one sequence at a time

interface GruSpec {
  C: number;
  H: number;
  weights: GruWeights;
  activation: Act;
  recurrentActivation: Act;
  resetAfter: boolean;
}

/** One GRU step, straight from the Keras formulas, in float64. */
function gruStep64(spec: GruSpec, x: ArrayLike<number>, hp: number[]): number[] {
  const { C, H, weights, activation: act, recurrentActivation: rec, resetAfter } = spec;
  const G = 3 * H;
  const W = weights.kernel, U = weights.recurrentKernel, b = weights.bias;
  const xw = (k: number) => {
    let s = b ? b[k] : 0;
    for (let c = 0; c < C; c++) s += x[c] * W[c * G + k];
    return s;
  };
  const hu = (v: ArrayLike<number>, k: number) => {
    let s = resetAfter && b ? b[G + k] : 0;
    for (let i = 0; i < H; i++) s += v[i] * U[i * G + k];
    return s;
  };
  const z = Array.from({ length: H }, (_, u) => act64(rec, xw(u) + hu(hp, u)));
  const r = Array.from({ length: H }, (_, u) => act64(rec, xw(H + u) + hu(hp, H + u)));
  const rhp = hp.map((v, u) => r[u] * v);
  const hh = Array.from({ length: H }, (_, u) =>
    act64(act, xw(2 * H + u) + (resetAfter ? r[u] * hu(hp, 2 * H + u) : hu(rhp, 2 * H + u))),
  );
  return hp.map((v, u) => z[u] * v + (1 - z[u]) * hh[u]);
}

// ---------------------------------------------------------------------------------------------
// problems

type Problem = StateProblem;
const makeProblem = makeStateProblem;

function makeSpec(rng: Random, C: number, H: number, resetAfter: boolean, useBias = true, activation = Act.Tanh, recurrentActivation = Act.Sigmoid): GruSpec {
  const G = 3 * H;
  return {
    C, H, activation, recurrentActivation, resetAfter,
    weights: {
      kernel: uniform(rng, C * G, 0.7),
      recurrentKernel: uniform(rng, H * G, 0.7),
      bias: useBias ? uniform(rng, (resetAfter ? 2 : 1) * G, 0.5) : null,
    },
  };
}

function forward(spec: GruSpec, p: Problem, withH0 = true): GruCache {
  return gruForward({
    layout: p.layout, x: p.x, C: spec.C, H: spec.H, weights: spec.weights,
    activation: spec.activation, recurrentActivation: spec.recurrentActivation, resetAfter: spec.resetAfter,
    h0: withH0 ? p.h0 : undefined, mask: p.mask,
  });
}

/** Checks a cache against the float64 reference at every real step and the final state. */
function expectMatchesReference(spec: GruSpec, p: Problem, cache: GruCache, withH0: boolean): void {
  const H = spec.H;
  expectMatchesSequences(p.layout, p.seqs, H, cache, (seq, i, j) =>
    sequence64(H, (x, hp) => gruStep64(spec, x, hp), seq, withH0 ? row(p.h0, j, H) : new Array(H).fill(0), p.maskSeqs?.[i]),
  );
}

// ---------------------------------------------------------------------------------------------
// gradients

function gradientCheck(spec: GruSpec, p: Problem, seed: number): number {
  return checkStateGradients(spec.weights, p, spec.H, seed, () => forward(spec, p), (dh, dhLast, grads) =>
    gruBackward({
      cache: forward(spec, p), weights: spec.weights, activation: spec.activation, recurrentActivation: spec.recurrentActivation,
      dh, dhLast, grads, needInputGrad: true,
    }),
  );
}

// ---------------------------------------------------------------------------------------------

for (const resetAfter of [true, false]) {
  describe(`gruForward / gruBackward, resetAfter = ${resetAfter}`, () => {
    it("matches the float64 per-sequence reference at every real step and the final state, with and without h0", () => {
      const rng = new Random(11);
      const spec = makeSpec(rng, 3, 4, resetAfter);
      const p = makeProblem(rng, LENGTHS, 3, 4);
      for (const withH0 of [true, false]) expectMatchesReference(spec, p, forward(spec, p, withH0), withH0);
    });

    it("matches the reference with other activations and no bias", () => {
      const rng = new Random(12);
      const spec = makeSpec(rng, 2, 3, resetAfter, false, Act.Relu, Act.HardSigmoid);
      const p = makeProblem(rng, LENGTHS, 2, 3);
      expectMatchesReference(spec, p, forward(spec, p), true);
    });

    it("matches the reference under a mask with holes (state carried, output zero)", () => {
      const rng = new Random(13);
      const spec = makeSpec(rng, 3, 4, resetAfter);
      const p = makeProblem(rng, [6, 6, 6, 6, 6], 3, 4, holeyMask());
      const cache = forward(spec, p);
      expectMatchesReference(spec, p, cache, true);
    });

    it("gradients of every weight, x and h0 match central differences (unequal lengths incl. 0)", () => {
      const rng = new Random(21);
      const spec = makeSpec(rng, 3, 4, resetAfter);
      const p = makeProblem(rng, LENGTHS, 3, 4);
      expect(gradientCheck(spec, p, 22)).toBe(36 + 48 + (resetAfter ? 24 : 12) + 19 * 3 + 6 * 4);
    });

    it("gradients match central differences with other activations and no bias", () => {
      const rng = new Random(23);
      const spec = makeSpec(rng, 2, 3, resetAfter, false, Act.Linear, Act.HardSigmoidTfjs);
      const p = makeProblem(rng, LENGTHS, 2, 3);
      expect(gradientCheck(spec, p, 24)).toBeGreaterThan(50);
    });

    it("gradients match central differences under a mask with holes", () => {
      const rng = new Random(25);
      const spec = makeSpec(rng, 3, 4, resetAfter);
      const p = makeProblem(rng, [6, 6, 6, 6, 6], 3, 4, holeyMask());
      expect(gradientCheck(spec, p, 26)).toBeGreaterThan(200);
    });

    it("a mask with holes equals running the sequences with the masked steps removed (forward and backward)", () => {
      const rng = new Random(31);
      const H = 4;
      const spec = makeSpec(rng, 3, H, resetAfter);
      const maskSeqs = holeyMask();
      const full = makeProblem(rng, [6, 6, 6, 6, 6], 3, H, maskSeqs);
      const c = compactMasked(full, maskSeqs, 3);
      const lk = c.layout;
      // the same initial states, moved to the compacted batch's sorted order
      const compact: Problem = { layout: lk, seqs: c.seqs, x: c.x, h0: c.moveRows(full.h0, H) };

      const cf = forward(spec, full);
      const cc = forward(spec, compact);
      // upstream gradients: the compacted run's at real steps; arbitrary (to be ignored) at masked rows
      const dhFull = uniform(rng, full.layout.totalSteps * H, 1);
      const dhKept = c.moveSteps(dhFull, H);
      const S = uniform(rng, full.layout.batch * H, 1);
      const SKept = c.moveRows(S, H);
      expectCompactedForward(c, full.layout, maskSeqs, H, cf, cc);

      const back = (cache: GruCache, dh: Float32Array, dhLast: Float32Array) => {
        const grads = zeroGrads(spec.weights);
        const r = gruBackward({ cache, weights: spec.weights, activation: spec.activation, recurrentActivation: spec.recurrentActivation, dh, dhLast, grads, needInputGrad: true });
        return { ...r, grads };
      };
      const bf = back(cf, dhFull, S);
      const bk = back(cc, dhKept, SKept);
      expectRowClose(bf.grads.kernel, bk.grads.kernel, 1e-5, "dkernel");
      expectRowClose(bf.grads.recurrentKernel, bk.grads.recurrentKernel, 1e-5, "drecurrentKernel");
      expectRowClose(bf.grads.bias!, bk.grads.bias!, 1e-5, "dbias");
      maskSeqs.forEach((_, i) => expectRowClose(row(bf.dh0, full.layout.unsortedIndices[i], H), row(bk.dh0, lk.unsortedIndices[i], H), 1e-5, `dh0 of sequence ${i}`));
      for (const { i, t, rf, rk } of c.steps) {
        if (rk === null) expect(row(bf.dx!, rf, 3)).toEqual([0, 0, 0]);
        else expectRowClose(row(bf.dx!, rf, 3), row(bk.dx!, rk, 3), 1e-5, `dx of sequence ${i} step ${t}`);
      }
    });

    it("accumulates into the given grads, takes dh = null, and skips dx when not needed", () => {
      const rng = new Random(41);
      const spec = makeSpec(rng, 3, 4, resetAfter);
      const p = makeProblem(rng, LENGTHS, 3, 4);
      const S = uniform(rng, p.layout.batch * 4, 1);
      const zeros = () => zeroGrads(spec.weights);
      const run = (grads: ReturnType<typeof zeros>, needInputGrad: boolean) =>
        gruBackward({ cache: forward(spec, p), weights: spec.weights, activation: spec.activation, recurrentActivation: spec.recurrentActivation, dh: null, dhLast: S, grads, needInputGrad });
      const once = zeros();
      run(once, true);
      const twice = zeros();
      expect(run(twice, false).dx).toBeNull();
      run(twice, false);
      for (const k of ["kernel", "recurrentKernel", "bias"] as const) expectRowClose(twice[k]!, once[k]!.map((v) => 2 * v), 1e-5, k);
    });
  });
}

describe("gruForward argument checks", () => {
  const rng = new Random(51);
  const p = makeProblem(rng, [2, 1], 3, 4);

  it("rejects a mask that does not have one entry per packed row", () => {
    const spec = makeSpec(rng, 3, 4, true);
    const call = () => forward(spec, { ...p, mask: new Uint8Array(5) });
    expect(call).toThrow(RaggedError);
    expect(call).toThrow(/one entry per packed row/);
  });

  it("rejects a bias of the other reset_after form, saying which shape it expects", () => {
    const spec = makeSpec(rng, 3, 4, false);
    const call = () => forward({ ...spec, resetAfter: true }, p);
    expect(call).toThrow(RaggedError);
    expect(call).toThrow(/\[2, 12\] = 24 values/);
  });
});

// ---------------------------------------------------------------------------------------------
// Keras 3's own numbers: keras/src/layers/rnn/gru_test.py (kernel constant 0.01, recurrent 0.02,
// bias 0.03). Keras' assertAllClose defaults are atol = rtol = 1e-6; test_correctness uses 1e-5.

function kerasGru(units: number, C: number, opts: { resetAfter?: boolean; useBias?: boolean } = {}): GruSpec {
  const resetAfter = opts.resetAfter ?? true;
  const G = 3 * units;
  return {
    C, H: units, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, resetAfter,
    weights: {
      kernel: new Float32Array(C * G).fill(0.01),
      recurrentKernel: new Float32Array(units * G).fill(0.02),
      bias: opts.useBias === false ? null : new Float32Array((resetAfter ? 2 : 1) * G).fill(0.03),
    },
  };
}

/** Runs the kernel on caller-order sequences; returns the cache and the layout (equal lengths: sorted = caller order). */
function runKeras(spec: GruSpec, seqs: number[][][], h0?: number[][], maskSeqs?: boolean[][]): GruCache {
  const packed = packBatch(seqs, { features: spec.C });
  expect(Array.from(packed.layout.sortedIndices)).toEqual(seqs.map((_, i) => i));
  return gruForward({
    layout: packed.layout, x: packed.data, C: spec.C, H: spec.H, weights: spec.weights,
    activation: spec.activation, recurrentActivation: spec.recurrentActivation, resetAfter: spec.resetAfter,
    h0: h0 ? Float32Array.from(h0.flat()) : undefined,
    mask: maskSeqs ? packMask(packed.layout, maskSeqs) : undefined,
  });
}

describe("Keras 3 gru_test.py numbers", () => {
  it("test_correctness: reset_after, go_backwards, reset_after=False, use_bias=False (atol 1e-5)", () => {
    const x = arange(3, 6, 4);
    const rep = (v: number[]) => v.flatMap((a) => [a, a, a]);
    expectAllClose(runKeras(kerasGru(3, 4), x).hLast, rep([0.5217289, 0.6371659, 0.39384964]), 1e-5, 1e-5);
    expectAllClose(runKeras(kerasGru(3, 4), arange(3, 6, 4, true)).hLast, rep([0.24406259, 0.611516, 0.3928808]), 1e-5, 1e-5);
    expectAllClose(runKeras(kerasGru(3, 4, { resetAfter: false }), x).hLast, rep([0.51447755, 0.6426879, 0.40208298]), 1e-5, 1e-5);
    expectAllClose(runKeras(kerasGru(3, 4, { useBias: false }), x).hLast, rep([0.49988455, 0.64701194, 0.4103359]), 1e-5, 1e-5);
  });

  it("test_statefulness: the second call starts from the first call's final state", () => {
    const spec = kerasGru(4, 4);
    const x = arange(2, 3, 4);
    const first = runKeras(spec, x);
    const state = [row(first.hLast, 0, 4), row(first.hLast, 1, 4)];
    const second = runKeras(spec, x, state);
    expectAllClose(second.hLast, [0.29542392, 0.29542392, 0.29542392, 0.29542392, 0.5885018, 0.5885018, 0.5885018, 0.5885018]);
  });

  it("test_pass_initial_state / test_pass_return_state: forwards and go_backwards", () => {
    const h0 = [[0, 1], [2, 3]];
    expectAllClose(runKeras(kerasGru(2, 3), arange(2, 4, 3), h0).hLast, [0.23774096, 0.33508456, 0.83659905, 1.0227708]);
    expectAllClose(runKeras(kerasGru(2, 3), arange(2, 4, 3, true), h0).hLast, [0.13486053, 0.23261218, 0.78257304, 0.9691353]);
  });

  it("test_masking: final output, carried states, zero_output_for_mask outputs, go_backwards", () => {
    const mask = [[true, true, false, true], [true, false, false, true]];
    const cache = runKeras(kerasGru(2, 3), arange(2, 4, 3), undefined, mask);
    expectAllClose(cache.hLast, [0.19393763, 0.19393763, 0.30818558, 0.30818558]);
    // return_sequences=True (zero_output_for_mask=False) shows the carried state at masked steps
    expectAllClose(stepRows(cache.state, cache.layout, 0, 4, cache.H), [0.03606692, 0.03606692, 0.09497581, 0.09497581, 0.09497581, 0.09497581, 0.19393763, 0.19393763]);
    expectAllClose(stepRows(cache.state, cache.layout, 1, 4, cache.H), [0.16051409, 0.16051409, 0.16051409, 0.16051409, 0.16051409, 0.16051409, 0.30818558, 0.30818558]);
    // zero_output_for_mask=True: ragged's output rule
    expectAllClose(stepRows(cache.h, cache.layout, 0, 4, cache.H), [0.03606692, 0.03606692, 0.09497581, 0.09497581, 0, 0, 0.19393763, 0.19393763]);
    expectAllClose(stepRows(cache.h, cache.layout, 1, 4, cache.H), [0.16051409, 0.16051409, 0, 0, 0, 0, 0.30818558, 0.30818558]);
    // go_backwards reverses the mask with the steps
    const back = runKeras(kerasGru(2, 3), arange(2, 4, 3, true), undefined, mask.map((m) => m.slice().reverse()));
    expectAllClose(back.hLast, [0.11669192, 0.11669192, 0.28380975, 0.28380975]);
  });
});

/**
 * The `recurrentMask` option of the LSTM, GRU (both forms) and SimpleRNN kernels (NOTE [ recurrent
 * dropout in the recurrent kernels ] in lstm.ts), against:
 *  1. a float64 reference written plainly from the Keras formulas, one sequence at a time, where
 *     h_{t−1} ⊙ m enters only the recurrent products and the carried / mixed state stays h_{t−1};
 *  2. central differences with the mask fixed (see NOTE [ gradient-check tolerance ] in
 *     test/harness.ts), on unequal lengths incl. 0 and on a padded batch whose mask has holes;
 *  3. an all-ones mask, which changes nothing;
 *  4. the wasm kernels, which run it themselves: central differences here, and the JS kernels'
 *     results in wasm_recurrent_dropout.test.ts.
 */
import { describe, expect, it } from "vitest";
import { Act } from "./activations.js";
import { gruBackward, gruForward, type GruCache } from "./gru.js";
import { lstmBackward, lstmForward, type LstmCache } from "./lstm.js";
import { simpleRnnBackward, simpleRnnForward, type SimpleRnnCache } from "./simple_rnn.js";
import {
  wasmGruBackward, wasmGruForward, wasmLstmBackward, wasmLstmForward, wasmSimpleRnnBackward, wasmSimpleRnnForward,
} from "./wasm.js";
import { RaggedError } from "../errors.js";
import { Random } from "../random.js";
import type { PackedLayout } from "../../data/packed.js";
import {
  LENGTHS, checkAllEntries, expectRowClose as expectClose, holeyMask, packMask, randomPacked, row, sigmoid, uniform, zeroGrads,
} from "./recurrent_checks.test-support.js";

const RATE = 0.4;

type Kind = "lstm" | "gruAfter" | "gruBefore" | "simpleRnn";
const KINDS: Kind[] = ["lstm", "gruAfter", "gruBefore", "simpleRnn"];
const gateCount = (kind: Kind) => (kind === "lstm" ? 4 : kind === "simpleRnn" ? 1 : 3);

interface Weights {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array | null;
}

interface Problem {
  kind: Kind;
  C: number;
  H: number;
  weights: Weights;
  layout: PackedLayout;
  seqs: number[][][];
  x: Float32Array;
  /** [B, H] sorted order (c0 for the LSTM only). */
  h0: Float32Array;
  c0: Float32Array;
  /** [B, H] sorted order, scaled: the recurrent dropout mask. */
  recurrentMask: Float32Array;
  /** per caller sequence and step, and packed; absent without holes */
  maskSeqs?: boolean[][];
  mask?: Uint8Array;
}

function makeProblem(rng: Random, kind: Kind, lengths: number[], maskSeqs?: boolean[][], C = 3, H = 4): Problem {
  const G = gateCount(kind) * H;
  const { layout, seqs, x } = randomPacked(rng, lengths, C);
  const B = layout.batch;
  // every sequence keeps some units and drops others (a dropped unit is exactly 0)
  const recurrentMask = Float32Array.from({ length: B * H }, (_, k) => (k % H === 0 ? 0 : k % H === 1 ? 1 / (1 - RATE) : rng.uniform() < RATE ? 0 : 1 / (1 - RATE)));
  const mask = maskSeqs ? packMask(layout, maskSeqs) : undefined;
  return {
    kind, C, H, layout, seqs, x,
    weights: {
      kernel: uniform(rng, C * G, 0.7),
      // 0.5: with the mask's 1/(1 − rate) the recurrence stays mild enough for a difference step of 1e-2
      recurrentKernel: uniform(rng, H * G, 0.5),
      bias: uniform(rng, (kind === "gruAfter" ? 2 : 1) * G, 0.5),
    },
    h0: uniform(rng, B * H, 0.8), c0: uniform(rng, B * H, 0.8), recurrentMask, maskSeqs, mask,
  };
}

// ---------------------------------------------------------------------------------------------
// float64 reference, one sequence at a time

/** Σ_c v[c] · M[c, col] for a row-major M of width `width`, columns from `col0`. */
function dot(v: ArrayLike<number>, M: ArrayLike<number>, width: number, col: number): number {
  let s = 0;
  for (let c = 0; c < v.length; c++) s += v[c] * M[c * width + col];
  return s;
}

/** One step; `m` is the sequence's recurrent mask row. Returns the new [h, c] (c unused but by the LSTM). */
function step64(p: Problem, x: number[], hp: number[], cp: number[], m: number[]): [number[], number[]] {
  const { kind, H, weights } = p;
  const W = weights.kernel, U = weights.recurrentKernel, b = weights.bias!;
  const G = gateCount(kind) * H;
  const hd = hp.map((v, u) => v * m[u]); // h_{t−1} ⊙ m: the recurrent products' input only
  const xw = (k: number) => b[k] + dot(x, W, G, k);
  const hu = (v: number[], k: number) => dot(v, U, G, k);
  const units = Array.from({ length: H }, (_, u) => u);
  if (kind === "simpleRnn") return [units.map((u) => Math.tanh(xw(u) + hu(hd, u))), cp];
  if (kind === "lstm") {
    const z = (k: number) => xw(k) + hu(hd, k);
    const c = units.map((u) => sigmoid(z(H + u)) * cp[u] + sigmoid(z(u)) * Math.tanh(z(2 * H + u)));
    return [units.map((u) => sigmoid(z(3 * H + u)) * Math.tanh(c[u])), c];
  }
  const after = kind === "gruAfter";
  const rec = (k: number) => hu(hd, k) + (after ? b[G + k] : 0);
  const z = units.map((u) => sigmoid(xw(u) + rec(u)));
  const r = units.map((u) => sigmoid(xw(H + u) + rec(H + u)));
  const rhd = hd.map((v, u) => r[u] * v);
  const hh = units.map((u) => Math.tanh(xw(2 * H + u) + (after ? r[u] * rec(2 * H + u) : hu(rhd, 2 * H + u))));
  return [units.map((u) => z[u] * hp[u] + (1 - z[u]) * hh[u]), cp];
}

// ---------------------------------------------------------------------------------------------
// the kernels behind one interface

interface Run {
  h: Float32Array;
  hLast: Float32Array;
  cLast: Float32Array | null;
}

type AnyCache = LstmCache | GruCache | SimpleRnnCache;

interface KernelSet {
  lstmForward: typeof lstmForward;
  lstmBackward: typeof lstmBackward;
  gruForward: typeof gruForward;
  gruBackward: typeof gruBackward;
  simpleRnnForward: typeof simpleRnnForward;
  simpleRnnBackward: typeof simpleRnnBackward;
}

const JS: KernelSet = { lstmForward, lstmBackward, gruForward, gruBackward, simpleRnnForward, simpleRnnBackward };
const WASM: KernelSet = {
  lstmForward: wasmLstmForward, lstmBackward: wasmLstmBackward, gruForward: wasmGruForward,
  gruBackward: wasmGruBackward, simpleRnnForward: wasmSimpleRnnForward, simpleRnnBackward: wasmSimpleRnnBackward,
};

/** Runs forward with `p.recurrentMask`, or with `recurrentMask` (null: none at all). */
function forward(p: Problem, recurrentMask: Float32Array | null = p.recurrentMask, k: KernelSet = JS): { cache: AnyCache; run: Run } {
  const common = {
    layout: p.layout, x: p.x, C: p.C, H: p.H, weights: p.weights, activation: Act.Tanh, h0: p.h0,
    ...(p.mask ? { mask: p.mask } : {}), ...(recurrentMask ? { recurrentMask } : {}),
  };
  if (p.kind === "lstm") {
    const cache = k.lstmForward({ ...common, recurrentActivation: Act.Sigmoid, c0: p.c0 });
    return { cache, run: { h: cache.h, hLast: cache.hLast, cLast: cache.cLast } };
  }
  if (p.kind === "simpleRnn") {
    const cache = k.simpleRnnForward(common);
    return { cache, run: { h: cache.h, hLast: cache.hLast, cLast: null } };
  }
  const cache = k.gruForward({ ...common, recurrentActivation: Act.Sigmoid, resetAfter: p.kind === "gruAfter" });
  return { cache, run: { h: cache.h, hLast: cache.hLast, cLast: null } };
}

interface Back {
  dx: Float32Array | null;
  dh0: Float32Array;
  dc0: Float32Array | null;
  grads: Weights;
}

function backward(p: Problem, cache: AnyCache, dh: Float32Array, dhLast: Float32Array, dcLast: Float32Array, k: KernelSet = JS): Back {
  const grads = zeroGrads(p.weights);
  const common = { weights: p.weights, activation: Act.Tanh, dh, dhLast, grads, needInputGrad: true };
  if (p.kind === "lstm") {
    const r = k.lstmBackward({ ...common, cache: cache as LstmCache, recurrentActivation: Act.Sigmoid, dcLast });
    return { dx: r.dx, dh0: r.dh0, dc0: r.dc0, grads };
  }
  if (p.kind === "simpleRnn") {
    const r = k.simpleRnnBackward({ ...common, cache: cache as SimpleRnnCache });
    return { dx: r.dx, dh0: r.dh0, dc0: null, grads };
  }
  const r = k.gruBackward({ ...common, cache: cache as GruCache, recurrentActivation: Act.Sigmoid });
  return { dx: r.dx, dh0: r.dh0, dc0: null, grads };
}

function expectMatchesReference(p: Problem, run: Run): void {
  const { layout, H } = p;
  p.seqs.forEach((seq, i) => {
    const j = layout.unsortedIndices[i];
    const m = row(p.recurrentMask, j, H);
    let h = row(p.h0, j, H);
    let c = row(p.c0, j, H);
    seq.forEach((x, t) => {
      const r = layout.offsets[t] + j;
      if (p.maskSeqs && !p.maskSeqs[i][t]) {
        expect(row(run.h, r, H), `masked output of sequence ${i} step ${t}`).toEqual(new Array(H).fill(0));
        return;
      }
      [h, c] = step64(p, x, h, c, m);
      expectClose(row(run.h, r, H), h, 1e-5, `${p.kind} h of sequence ${i} step ${t}`);
    });
    expectClose(row(run.hLast, j, H), h, 1e-5, `${p.kind} hLast of sequence ${i}`);
    if (run.cLast) expectClose(row(run.cLast, j, H), c, 1e-5, `${p.kind} cLast of sequence ${i}`);
  });
}

/** L = Σ h·R + Σ hLast·S (+ Σ cLast·S2), the recurrent mask fixed; checks every weight, x, h0 (c0). */
function gradientCheck(p: Problem, seed: number, k: KernelSet = JS): number {
  const rng = new Random(seed);
  const { layout, H } = p;
  const R = uniform(rng, layout.totalSteps * H, 1);
  const S = uniform(rng, layout.batch * H, 1);
  const S2 = uniform(rng, layout.batch * H, 1);
  const { dx, dh0, dc0, grads } = backward(p, forward(p, p.recurrentMask, k).cache, R, S, S2, k);
  const loss = () => {
    const { run } = forward(p, p.recurrentMask, k);
    let s = 0;
    for (let k = 0; k < R.length; k++) s += run.h[k] * R[k];
    for (let k = 0; k < S.length; k++) s += run.hLast[k] * S[k] + (run.cLast ? run.cLast[k] * S2[k] : 0);
    return s;
  };
  return checkAllEntries(loss, [
    ["kernel", p.weights.kernel, grads.kernel],
    ["recurrentKernel", p.weights.recurrentKernel, grads.recurrentKernel],
    ["bias", p.weights.bias!, grads.bias!],
    ["x", p.x, dx!],
    ["h0", p.h0, dh0],
    ["c0", p.c0, dc0],
  ]);
}

// ---------------------------------------------------------------------------------------------

for (const kind of KINDS) {
  describe(`${kind} kernel with a recurrent dropout mask`, () => {
    it("matches the float64 per-sequence reference (unequal lengths incl. 0, and a mask with holes)", () => {
      const rng = new Random(101);
      const plain = makeProblem(rng, kind, LENGTHS);
      expectMatchesReference(plain, forward(plain).run);
      const holey = makeProblem(rng, kind, [6, 6, 6, 6, 6], holeyMask());
      expectMatchesReference(holey, forward(holey).run);
    });

    it("drops only the recurrent input: the mask changes the outputs, an all-ones mask changes nothing", () => {
      const rng = new Random(102);
      const p = makeProblem(rng, kind, LENGTHS);
      const none = forward(p, null);
      const ones = forward(p, new Float32Array(p.recurrentMask.length).fill(1));
      const dropped = forward(p);
      expect(ones.run.h).toEqual(none.run.h);
      expect(ones.run.hLast).toEqual(none.run.hLast);
      expect(Array.from(dropped.run.h)).not.toEqual(Array.from(none.run.h));
      const dh = uniform(rng, p.layout.totalSteps * p.H, 1);
      const dLast = uniform(rng, p.layout.batch * p.H, 1);
      const a = backward(p, none.cache, dh, dLast, dLast);
      const b = backward(p, ones.cache, dh, dLast, dLast);
      for (const k of ["kernel", "recurrentKernel", "bias"] as const) expectClose(b.grads[k]!, a.grads[k]!, 1e-6, `d${k}`);
      expectClose(b.dx!, a.dx!, 1e-6, "dx");
      expectClose(b.dh0, a.dh0, 1e-6, "dh0");
    });

    it("gradients of every weight, x and the initial states match central differences (mask fixed)", () => {
      const rng = new Random(103);
      const p = makeProblem(rng, kind, LENGTHS);
      expect(gradientCheck(p, 104)).toBeGreaterThan(100);
    });

    it("gradients match central differences under a mask with holes (the carried state is not dropped)", () => {
      const rng = new Random(105);
      const p = makeProblem(rng, kind, [6, 6, 6, 6, 6], holeyMask());
      expect(gradientCheck(p, 106)).toBeGreaterThan(100);
    });

    it("the wasm kernels' gradients match central differences too (plain, and under a mask with holes)", () => {
      const rng = new Random(109);
      expect(gradientCheck(makeProblem(rng, kind, LENGTHS), 110, WASM)).toBeGreaterThan(100);
      expect(gradientCheck(makeProblem(rng, kind, [6, 6, 6, 6, 6], holeyMask()), 111, WASM)).toBeGreaterThan(100);
    });

    it("rejects a recurrent mask that is not [B, H]", () => {
      const p = makeProblem(new Random(108), kind, [2, 1]);
      const call = () => forward(p, new Float32Array(p.recurrentMask.length - 1));
      expect(call).toThrow(RaggedError);
      expect(call).toThrow(/recurrentMask .* must have one row of H values per sequence/);
    });
  });
}

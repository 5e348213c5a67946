/**
 * Test machinery shared by the recurrent kernel tests (gru, simple_rnn, lstm_mask,
 * recurrent_dropout): random packed problems, float64 reference helpers, the central-difference
 * checker (see NOTE [ gradient-check tolerance ] in test/harness.ts), the masked-steps-removed
 * compaction, and the Keras-number helpers. Test-only: excluded from the build.
 */
import { expect } from "vitest";
import { Act } from "./activations.js";
import { Random } from "../random.js";
import { packBatch, type PackedLayout } from "../../data/packed.js";

const GRAD_STEP = 1e-2;
const GRAD_RTOL = 2e-3;
const GRAD_ATOL = 2e-4;

/** Unequal lengths, incl. 0. */
export const LENGTHS = [5, 0, 3, 7, 1, 3];

// ---------------------------------------------------------------------------------------------
// float64 reference pieces

export function act64(a: Act, v: number): number {
  switch (a) {
    case Act.Linear: return v;
    case Act.Sigmoid: return 1 / (1 + Math.exp(-v));
    case Act.Tanh: return Math.tanh(v);
    case Act.Relu: return Math.max(0, v);
    case Act.HardSigmoid: return Math.min(6, Math.max(0, v + 3)) / 6;
    case Act.HardSigmoidTfjs: return Math.min(1, Math.max(0, 0.2 * v + 0.5));
  }
}

export const sigmoid = (v: number) => act64(Act.Sigmoid, v);

/** Per step outputs (zero at masked steps) and the final state of one sequence under a one-state step. */
export function sequence64(
  H: number, step: (x: number[], hp: number[]) => number[], seq: number[][], h0: number[], mask?: boolean[],
): { outs: number[][]; last: number[] } {
  let h = h0.slice();
  const outs: number[][] = [];
  seq.forEach((x, t) => {
    if (mask && !mask[t]) {
      outs.push(new Array(H).fill(0));
      return;
    }
    h = step(x, h);
    outs.push(h.slice());
  });
  return { outs, last: h };
}

// ---------------------------------------------------------------------------------------------
// problems

export function uniform(rng: Random, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniformRange(-scale, scale));
}

/** Row r (of width H) of a row-major array. */
export function row(a: ArrayLike<number>, r: number, H: number): number[] {
  return Array.from({ length: H }, (_, u) => a[r * H + u]);
}

/** Caller-order per-step mask flags, packed to one entry per packed row. */
export function packMask(layout: PackedLayout, maskSeqs: boolean[][]): Uint8Array {
  const mask = new Uint8Array(layout.totalSteps);
  maskSeqs.forEach((m, i) => m.forEach((real, t) => (mask[layout.offsets[t] + layout.unsortedIndices[i]] = real ? 1 : 0)));
  return mask;
}

/** Random sequences of the given lengths (features uniform in [−1, 1]), packed. */
export function randomPacked(rng: Random, lengths: number[], C: number): { layout: PackedLayout; seqs: number[][][]; x: Float32Array } {
  const seqs = lengths.map((len) => Array.from({ length: len }, () => Array.from({ length: C }, () => rng.uniformRange(-1, 1))));
  const packed = packBatch(seqs, { features: C });
  return { layout: packed.layout, seqs, x: Float32Array.from(packed.data) };
}

/** A padded batch (every sequence at full length 6) whose mask has holes, incl. masked first and last steps and an all-masked sequence. */
export function holeyMask(): boolean[][] {
  return [
    [true, true, false, true, false, true],
    [false, true, true, false, true, false],
    [false, false, false, false, false, false],
    [true, false, false, true, true, true],
    [true, true, true, true, true, true],
  ];
}

interface WeightArrays<B> {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: B;
}

/** Zeroed gradient buffers shaped like `weights`. */
export function zeroGrads<B extends Float32Array | null>(weights: WeightArrays<B>): WeightArrays<B> {
  return {
    kernel: new Float32Array(weights.kernel.length),
    recurrentKernel: new Float32Array(weights.recurrentKernel.length),
    bias: (weights.bias ? new Float32Array(weights.bias.length) : null) as B,
  };
}

// ---------------------------------------------------------------------------------------------
// comparisons

/** |actual[k] − expected[k]| ≤ tol for every k of `expected`. */
export function expectRowClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, where: string): void {
  for (let k = 0; k < expected.length; k++) {
    if (!(Math.abs(actual[k] - expected[k]) <= tol)) expect.fail(`${where}[${k}]: ${actual[k]} vs ${expected[k]}`);
  }
}

/**
 * Checks a kernel's outputs against a per-sequence float64 reference: h at every step of every
 * sequence, hLast, and cLast when `actual` has it. Tolerance 1e-5.
 */
export function expectMatchesSequences(
  layout: PackedLayout, seqs: number[][][], H: number,
  actual: { h: Float32Array; hLast: Float32Array; cLast?: Float32Array },
  reference: (seq: number[][], i: number, j: number) => { outs: number[][]; last: number[]; cLast?: number[] },
): void {
  seqs.forEach((seq, i) => {
    const j = layout.unsortedIndices[i];
    const ref = reference(seq, i, j);
    ref.outs.forEach((o, t) => expectRowClose(row(actual.h, layout.offsets[t] + j, H), o, 1e-5, `h of sequence ${i} step ${t}`));
    expectRowClose(row(actual.hLast, j, H), ref.last, 1e-5, `hLast of sequence ${i}`);
    if (actual.cLast) expectRowClose(row(actual.cLast, j, H), ref.cLast!, 1e-5, `cLast of sequence ${i}`);
  });
}

// ---------------------------------------------------------------------------------------------
// gradients

/** Σ_parts Σ_k a[k]·w[k] in float64, part by part in order. */
export function weightedSum(parts: Array<[ArrayLike<number>, ArrayLike<number>]>): number {
  let s = 0;
  for (const [a, w] of parts) for (let k = 0; k < w.length; k++) s += a[k] * w[k];
  return s;
}

/** Central differences on every entry of `param` against `analytic`. @returns entries checked. */
export function checkEntries(name: string, param: Float32Array, analytic: ArrayLike<number>, loss: () => number): number {
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

/** checkEntries over [name, param, analytic] triples in order (a null pair is skipped). @returns entries checked. */
export function checkAllEntries(loss: () => number, entries: Array<[string, Float32Array | null, ArrayLike<number> | null]>): number {
  let n = 0;
  for (const [name, param, analytic] of entries) if (param && analytic) n += checkEntries(name, param, analytic, loss);
  return n;
}

// ---------------------------------------------------------------------------------------------
// a mask with holes vs. the same sequences with the masked steps removed

export interface Compaction {
  seqs: number[][][];
  layout: PackedLayout;
  x: Float32Array;
  /** Every step of the full batch: its packed row, and the compacted row (null at masked steps). */
  steps: Array<{ i: number; t: number; rf: number; rk: number | null }>;
  /** [B, width] per-sequence rows of the full batch, moved to the compacted batch's sorted order. */
  moveRows(src: Float32Array, width: number): Float32Array;
  /** [totalSteps, width] rows of the full batch's real steps, moved to the compacted rows. */
  moveSteps(src: Float32Array, width: number): Float32Array;
}

export function compactMasked(full: { layout: PackedLayout; seqs: number[][][] }, maskSeqs: boolean[][], C: number): Compaction {
  const seqs = full.seqs.map((seq, i) => seq.filter((_, t) => maskSeqs[i][t]));
  const packed = packBatch(seqs, { features: C });
  const layout = packed.layout;
  const steps: Compaction["steps"] = [];
  maskSeqs.forEach((m, i) => {
    const jf = full.layout.unsortedIndices[i];
    const jk = layout.unsortedIndices[i];
    let tk = 0;
    m.forEach((real, t) => steps.push({ i, t, rf: full.layout.offsets[t] + jf, rk: real ? layout.offsets[tk++] + jk : null }));
  });
  return {
    seqs, layout, x: Float32Array.from(packed.data), steps,
    moveRows(src, width) {
      const out = new Float32Array(layout.batch * width);
      seqs.forEach((_, i) => out.set(row(src, full.layout.unsortedIndices[i], width), layout.unsortedIndices[i] * width));
      return out;
    },
    moveSteps(src, width) {
      const out = new Float32Array(layout.totalSteps * width);
      for (const { rf, rk } of steps) if (rk !== null) out.set(src.subarray(rf * width, (rf + 1) * width), rk * width);
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Keras' own numbers

/** np.arange(B*T*C).reshape((B, T, C)) as sequences, optionally reversed in time (go_backwards). */
export function arange(B: number, T: number, C: number, goBackwards = false): number[][][] {
  return Array.from({ length: B }, (_, b) => {
    const seq = Array.from({ length: T }, (_, t) => Array.from({ length: C }, (_, c) => (b * T + t) * C + c));
    return goBackwards ? seq.reverse() : seq;
  });
}

/** np.testing.assert_allclose: |actual − expected| ≤ atol + rtol·|expected|. */
export function expectAllClose(actual: ArrayLike<number>, expected: number[], atol = 1e-6, rtol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    if (!(Math.abs(actual[k] - expected[k]) <= atol + rtol * Math.abs(expected[k]))) {
      expect.fail(`[${k}]: ${actual[k]} vs Keras ${expected[k]} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

/** Rows of steps 0..T−1 of sequence b (equal lengths), flattened. */
export function stepRows(a: Float32Array, layout: PackedLayout, b: number, T: number, H: number): number[] {
  return Array.from({ length: T }, (_, t) => row(a, layout.offsets[t] + b, H)).flat();
}

// ---------------------------------------------------------------------------------------------
// one-state kernels (GRU, SimpleRNN): problem, gradient check, compaction forward check

/** Packed random inputs and a random [B, H] h0 (sorted order); `maskSeqs` per caller sequence and step, and packed. */
export interface StateProblem {
  layout: PackedLayout;
  seqs: number[][][];
  x: Float32Array;
  h0: Float32Array;
  maskSeqs?: boolean[][];
  mask?: Uint8Array;
}

export function makeStateProblem(rng: Random, lengths: number[], C: number, H: number, maskSeqs?: boolean[][]): StateProblem {
  const { layout, seqs, x } = randomPacked(rng, lengths, C);
  const h0 = uniform(rng, layout.batch * H, 0.8);
  return { layout, seqs, x, h0, maskSeqs, mask: maskSeqs ? packMask(layout, maskSeqs) : undefined };
}

/**
 * L = Σ h·R + Σ hLast·S (R, S drawn from `seed`); central differences on every weight, x and h0.
 * @returns entries checked.
 */
export function checkStateGradients<B extends Float32Array | null>(
  weights: WeightArrays<B>, p: StateProblem, H: number, seed: number,
  forward: () => { h: Float32Array; hLast: Float32Array },
  backward: (dh: Float32Array, dhLast: Float32Array, grads: WeightArrays<B>) => { dx: Float32Array | null; dh0: Float32Array },
): number {
  const rng = new Random(seed);
  const R = uniform(rng, p.layout.totalSteps * H, 1);
  const S = uniform(rng, p.layout.batch * H, 1);
  const grads = zeroGrads(weights);
  const { dx, dh0 } = backward(R, S, grads);
  const loss = () => {
    const c = forward();
    return weightedSum([[c.h, R], [c.hLast, S]]);
  };
  return checkAllEntries(loss, [
    ["kernel", weights.kernel, grads.kernel],
    ["recurrentKernel", weights.recurrentKernel, grads.recurrentKernel],
    ["bias", weights.bias, grads.bias],
    ["x", p.x, dx!],
    ["h0", p.h0, dh0],
  ]);
}

/**
 * The masked run against the compacted run, forward: zero output at masked steps, the same h at
 * real steps and the same final states (tolerance 1e-6).
 */
export function expectCompactedForward(
  c: Compaction, full: PackedLayout, maskSeqs: boolean[][], H: number,
  cf: { h: Float32Array; hLast: Float32Array; cLast?: Float32Array }, cc: { h: Float32Array; hLast: Float32Array; cLast?: Float32Array },
): void {
  for (const { i, t, rf, rk } of c.steps) {
    if (rk === null) expect(row(cf.h, rf, H)).toEqual(new Array(H).fill(0));
    else expectRowClose(row(cf.h, rf, H), row(cc.h, rk, H), 1e-6, `h of sequence ${i} step ${t}`);
  }
  maskSeqs.forEach((_, i) => {
    const jf = full.unsortedIndices[i];
    const jk = c.layout.unsortedIndices[i];
    expectRowClose(row(cf.hLast, jf, H), row(cc.hLast, jk, H), 1e-6, `hLast of sequence ${i}`);
    if (cf.cLast && cc.cLast) expectRowClose(row(cf.cLast, jf, H), row(cc.cLast, jk, H), 1e-6, `cLast of sequence ${i}`);
  });
}

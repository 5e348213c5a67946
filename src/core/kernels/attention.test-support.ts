/**
 * Shared by the attention kernel tests (reference and wasm): the PyTorch golden fixture
 * (test/golden/attention.json, made by scripts/golden/attention.py), random problems, and a
 * float64 central-difference check of the kernel's gradients.
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { Random } from "../random.js";
import {
  type AttentionBackwardArgs, type AttentionForwardArgs, type AttentionForwardResult, type AttentionGrads,
  type AttentionScore, attentionProblems,
} from "./attention.js";

export type Ragged = number[][][];

export interface GoldenCase {
  name: string;
  layer: "Attention" | "AdditiveAttention" | "MultiHeadAttention";
  config: Record<string, unknown>;
  useCausalMask: boolean;
  selfAttention: boolean;
  inputs: { query: Ragged; value: Ragged | null; key: Ragged | null };
  weights: { name: string; shape: number[]; data: number[] }[];
  dOut: Ragged;
  dScores?: number[][][] | null;
  output: Ragged;
  /** [B][Lq][Lk], or [B][heads][Lq][Lk] for MultiHeadAttention. */
  scores: number[][][] | number[][][][];
  grads: { query: Ragged; value: Ragged | null; key: Ragged | null; weights: number[][] };
}

export function loadAttentionGolden(): GoldenCase[] {
  const url = new URL("../../../test/golden/attention.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { cases: GoldenCase[] }).cases;
}

/** Concatenates the rows of ragged sequences: [Σ len, width]. */
export function rows(seqs: Ragged): Float32Array {
  return Float32Array.from(seqs.flat(2));
}

/** The kernel arguments of a golden Attention / AdditiveAttention case (one problem per sequence). */
export function goldenKernelArgs(c: GoldenCase): AttentionForwardArgs {
  const query = c.inputs.query;
  const value = c.selfAttention ? query : (c.inputs.value as Ragged);
  const key = c.inputs.key ?? value;
  const Dk = query[0][0].length;
  const Dv = value[0][0].length;
  const w = new Map(c.weights.map((x) => [x.name, x.data]));
  let score: AttentionScore;
  if (c.layer === "AdditiveAttention") {
    const scale = w.get("scale");
    score = { kind: "tanh", weights: scale ? Float32Array.from(scale) : new Float32Array(Dk).fill(1), inner: 1 };
  } else if (c.config.scoreMode === "concat") {
    const csw = w.get("concat_score_weight")![0];
    score = { kind: "tanh", weights: new Float32Array(Dk).fill(csw), inner: w.get("scale")?.[0] ?? 1 };
  } else {
    score = { kind: "dot", scale: w.get("scale")?.[0] ?? 1 };
  }
  return {
    problems: attentionProblems(query.map((s) => s.length), key.map((s) => s.length)),
    q: rows(query), k: rows(key), v: rows(value), Dk, Dv, score, causal: c.useCausalMask,
  };
}

/** Random problems of the given lengths. */
export function randomArgs(rng: Random, qLengths: number[], kLengths: number[], Dk: number, Dv: number, score: "dot" | "tanh", causal: boolean): AttentionForwardArgs {
  const problems = attentionProblems(qLengths, kLengths);
  const r = (n: number) => Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1));
  return {
    problems,
    q: r(problems.totalQ * Dk), k: r(problems.totalK * Dk), v: r(problems.totalK * Dv), Dk, Dv,
    score: score === "dot" ? { kind: "dot", scale: 0.8 } : { kind: "tanh", weights: r(Dk), inner: 1.1 },
    causal,
  };
}

export function randomDropoutMask(rng: Random, n: number, rate: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.uniform() < rate ? 0 : 1 / (1 - rate)));
}

type Forward = (args: AttentionForwardArgs) => AttentionForwardResult;
type Backward = (args: AttentionBackwardArgs) => AttentionGrads;

/**
 * Central differences (step 1e-3, float32 inputs, loss summed in float64) of
 * L = Σ out ⊙ dOut + Σ probs ⊙ dProbs against the analytic gradients, on every input entry and
 * on the score parameters. @returns the number of entries checked.
 */
export function checkAttentionGradients(forward: Forward, backward: Backward, args: AttentionForwardArgs, rng: Random, withProbGrad: boolean): number {
  const { problems, Dv } = args;
  const dOut = Float32Array.from({ length: problems.totalQ * Dv }, () => rng.uniformRange(-1, 1));
  const dProbs = withProbGrad ? Float32Array.from({ length: problems.totalScores }, () => rng.uniformRange(-1, 1)) : null;
  const loss = (a: AttentionForwardArgs): number => {
    const { out, cache } = forward(a);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i] * dOut[i];
    if (dProbs) for (let i = 0; i < dProbs.length; i++) s += cache.probs[i] * dProbs[i];
    return s;
  };
  const { cache } = forward(args);
  const g = backward({ cache, dOut, dProbs });
  const h = 1e-3;
  let checked = 0;
  const compare = (analytic: number, numeric: number, what: string) => {
    const tol = 2e-3 * Math.max(Math.abs(analytic), Math.abs(numeric)) + 5e-4;
    if (Math.abs(analytic - numeric) > tol) expect.fail(`${what}: analytic ${analytic}, numeric ${numeric}`);
    checked++;
  };
  const perturb = (arr: Float32Array, grad: Float32Array, name: string) => {
    for (let e = 0; e < arr.length; e++) {
      const saved = arr[e];
      arr[e] = saved + h;
      const up = loss(args);
      arr[e] = saved - h;
      const down = loss(args);
      arr[e] = saved;
      compare(grad[e], (up - down) / (2 * h), `${name}[${e}]`);
    }
  };
  perturb(args.q, g.dq, "dq");
  perturb(args.k, g.dk, "dk");
  perturb(args.v, g.dv, "dv");
  const score = args.score;
  if (score.kind === "dot") {
    const at = (scale: number) => loss({ ...args, score: { kind: "dot", scale } });
    compare(g.dScale, (at(score.scale + h) - at(score.scale - h)) / (2 * h), "dScale");
  } else {
    perturb(score.weights, g.dWeights, "dWeights");
    const at = (inner: number) => loss({ ...args, score: { ...score, inner } });
    compare(g.dScale, (at(score.inner + h) - at(score.inner - h)) / (2 * h), "dInner");
  }
  return checked;
}

/**
 * Attention over ragged problems, the plain-TypeScript reference (the spec the WebAssembly twin in
 * wasm/attention.ts is held to). Forward and backward sit side by side.
 *
 * NOTE [ attention problems ]
 * A batch of attention computations is a list of independent *problems*, one per (sequence, head):
 * problem p has Lq[p] query rows and Lk[p] key/value rows, stored contiguously —
 *   Q [ΣLq, Dk], out [ΣLq, Dv]: rows qStarts[p] … qStarts[p] + Lq[p] − 1;
 *   K [ΣLk, Dk], V [ΣLk, Dv]:   rows kStarts[p] … kStarts[p] + Lk[p] − 1;
 *   scores [Σ Lq·Lk]:            the block sStarts[p], Lq[p] × Lk[p] row-major.
 * So a sequence's query rows attend only to its own key rows: there is no padding to mask, and a
 * sequence's result cannot depend on its batch-mates' lengths. The layers (layers/attention/)
 * gather packed rows into this order and scatter the results back.
 *
 * Per problem (shapes [Lq, Lk] unless written):
 *   S = score(Q, K)                         dot:  S = c · Q·Kᵀ
 *                                           tanh: S_ij = Σ_d w_d · tanh(s · (Q_id + K_jd))
 *   P = softmax over the allowed keys of each row (all Lk, or j ≤ i with `causal`); P = 0 elsewhere
 *   out [Lq, Dv] = (P ⊙ M) · V              M: the dropout mask (0 or 1/(1−rate)), else all ones
 * `probs` returned is P (after masking and softmax, before dropout), as Keras returns it.
 * The dot form is Luong attention (Keras `Attention`, c = the `scale` weight or 1) and
 * multi-head attention (c = 1/√Dk); the tanh form is Bahdanau attention (Keras
 * `AdditiveAttention`: w = the `scale` vector, s = 1) and Keras `Attention` with
 * `scoreMode: "concat"` (w = concat_score_weight in every entry, s = the `scale` weight or 1).
 * A problem with Lk = 0 (an empty value sequence) gives out = 0.
 */
import { gemm } from "./gemm.js";

/** Where every problem's rows live. See NOTE [ attention problems ]. Built by `attentionProblems`. */
export interface AttentionProblems {
  /** P: the number of problems. */
  readonly count: number;
  /** [P] query rows per problem. */
  readonly qLengths: Int32Array;
  /** [P] key/value rows per problem. */
  readonly kLengths: Int32Array;
  /** [P] first query (and output) row of each problem. */
  readonly qStarts: Int32Array;
  /** [P] first key/value row of each problem. */
  readonly kStarts: Int32Array;
  /** [P] first entry of each problem's Lq × Lk score block. */
  readonly sStarts: Int32Array;
  /** ΣLq, ΣLk and Σ Lq·Lk. */
  readonly totalQ: number;
  readonly totalK: number;
  readonly totalScores: number;
}

/**
 * The problem table for the given per-problem lengths (contiguous, in the given order).
 * @example
 * const p = attentionProblems([2, 1], [3, 0]);
 * p.qStarts; // Int32Array [0, 2];  p.sStarts; // Int32Array [0, 6];  p.totalScores; // 6
 */
export function attentionProblems(qLengths: ArrayLike<number>, kLengths: ArrayLike<number>): AttentionProblems {
  const count = qLengths.length;
  const ql = Int32Array.from(qLengths);
  const kl = Int32Array.from(kLengths);
  const qStarts = new Int32Array(count);
  const kStarts = new Int32Array(count);
  const sStarts = new Int32Array(count);
  let q = 0, k = 0, s = 0;
  for (let p = 0; p < count; p++) {
    qStarts[p] = q;
    kStarts[p] = k;
    sStarts[p] = s;
    q += ql[p];
    k += kl[p];
    s += ql[p] * kl[p];
  }
  return Object.freeze({ count, qLengths: ql, kLengths: kl, qStarts, kStarts, sStarts, totalQ: q, totalK: k, totalScores: s });
}

/** How scores are computed from a query row and a key row. See NOTE [ attention problems ]. */
export type AttentionScore =
  /** S = scale · Q·Kᵀ */
  | { kind: "dot"; scale: number }
  /** S_ij = Σ_d weights[d] · tanh(inner · (Q_id + K_jd)); weights: [Dk] */
  | { kind: "tanh"; weights: Float32Array; inner: number };

export interface AttentionForwardArgs {
  problems: AttentionProblems;
  /** [ΣLq, Dk] */
  q: Float32Array;
  /** [ΣLk, Dk] */
  k: Float32Array;
  /** [ΣLk, Dv] */
  v: Float32Array;
  Dk: number;
  Dv: number;
  score: AttentionScore;
  /** Query row i attends only key rows j ≤ i (Keras `useCausalMask`). */
  causal?: boolean;
  /** [Σ Lq·Lk] dropout on the probabilities: 0 or 1/(1 − rate) per entry (training only). */
  dropoutMask?: Float32Array | null;
}

/** What forward keeps for backward (the inputs are not copied: the caller keeps them unchanged). */
export interface AttentionCache extends AttentionForwardArgs {
  /** [Σ Lq·Lk] P, after masking and softmax, before dropout. */
  probs: Float32Array;
}

export interface AttentionForwardResult {
  /** [ΣLq, Dv] */
  out: Float32Array;
  cache: AttentionCache;
}

/** How many keys query row i of a problem with `Lk` keys may attend to. */
export function allowedKeys(i: number, Lk: number, causal: boolean): number {
  return causal ? Math.min(Lk, i + 1) : Lk;
}

// q: [ΣLq,Dk], k: [ΣLk,Dk], v: [ΣLk,Dv] → out: [ΣLq,Dv], probs: [ΣLq·Lk]
export function attentionForward(args: AttentionForwardArgs): AttentionForwardResult {
  const { problems, q, k, v, Dk, Dv, score } = args;
  const causal = args.causal ?? false;
  const mask = args.dropoutMask ?? null;
  const probs = new Float32Array(problems.totalScores);
  const out = new Float32Array(problems.totalQ * Dv);
  const dropped = mask ? new Float32Array(maxBlock(problems)) : null;
  for (let p = 0; p < problems.count; p++) {
    const Lq = problems.qLengths[p], Lk = problems.kLengths[p];
    if (Lq === 0 || Lk === 0) continue;
    const qo = problems.qStarts[p] * Dk, ko = problems.kStarts[p] * Dk, s0 = problems.sStarts[p];
    // S = score(Q, K) into probs, then P = masked softmax in place
    if (score.kind === "dot") {
      gemm({ out: probs, outOffset: s0, a: q, aOffset: qo, b: k, bOffset: ko, M: Lq, N: Lk, K: Dk, transB: true });
      if (score.scale !== 1) for (let e = s0; e < s0 + Lq * Lk; e++) probs[e] *= score.scale;
    } else {
      tanhScores(probs, s0, q, qo, k, ko, Lq, Lk, Dk, score.weights, score.inner, causal);
    }
    for (let i = 0; i < Lq; i++) softmaxRow(probs, s0 + i * Lk, Lk, allowedKeys(i, Lk, causal));
    // out = (P ⊙ M) · V
    let weightsAt = probs, weightsOffset = s0;
    if (mask && dropped) {
      for (let e = 0; e < Lq * Lk; e++) dropped[e] = probs[s0 + e] * mask[s0 + e];
      weightsAt = dropped;
      weightsOffset = 0;
    }
    gemm({ out, outOffset: problems.qStarts[p] * Dv, a: weightsAt, aOffset: weightsOffset, b: v, bOffset: problems.kStarts[p] * Dv, M: Lq, N: Dv, K: Lk });
  }
  return { out, cache: { ...args, probs } };
}

export interface AttentionGrads {
  /** [ΣLq, Dk] */
  dq: Float32Array;
  /** [ΣLk, Dk] */
  dk: Float32Array;
  /** [ΣLk, Dv] */
  dv: Float32Array;
  /** dot: ∂L/∂scale. tanh: ∂L/∂inner. */
  dScale: number;
  /** tanh: [Dk] ∂L/∂weights; dot: empty. */
  dWeights: Float32Array;
}

export interface AttentionBackwardArgs {
  cache: AttentionCache;
  /** [ΣLq, Dv] gradient of `out`. */
  dOut: Float32Array;
  /** [Σ Lq·Lk] gradient of the returned probabilities, when they feed the loss too. */
  dProbs?: Float32Array | null;
}

// dOut: [ΣLq,Dv] (+ dProbs: [ΣLq·Lk]) → dq: [ΣLq,Dk], dk: [ΣLk,Dk], dv: [ΣLk,Dv], dScale, dWeights: [Dk]
export function attentionBackward(args: AttentionBackwardArgs): AttentionGrads {
  const { cache, dOut } = args;
  const { problems, q, k, v, Dk, Dv, score, probs } = cache;
  const causal = cache.causal ?? false;
  const mask = cache.dropoutMask ?? null;
  const dProbs = args.dProbs ?? null;
  const dq = new Float32Array(problems.totalQ * Dk);
  const dk = new Float32Array(problems.totalK * Dk);
  const dv = new Float32Array(problems.totalK * Dv);
  const dWeights = new Float32Array(score.kind === "tanh" ? Dk : 0);
  let dScale = 0;
  const block = maxBlock(problems);
  const dS = new Float32Array(block);
  const dropped = mask ? new Float32Array(block) : null;
  for (let p = 0; p < problems.count; p++) {
    const Lq = problems.qLengths[p], Lk = problems.kLengths[p];
    if (Lq === 0 || Lk === 0) continue;
    const s0 = problems.sStarts[p];
    const qo = problems.qStarts[p] * Dk, ko = problems.kStarts[p] * Dk;
    const oo = problems.qStarts[p] * Dv, vo = problems.kStarts[p] * Dv;
    // dV = (P ⊙ M)ᵀ · dOut
    let weightsAt = probs, weightsOffset = s0;
    if (mask && dropped) {
      for (let e = 0; e < Lq * Lk; e++) dropped[e] = probs[s0 + e] * mask[s0 + e];
      weightsAt = dropped;
      weightsOffset = 0;
    }
    gemm({ out: dv, outOffset: vo, a: weightsAt, aOffset: weightsOffset, b: dOut, bOffset: oo, M: Lk, N: Dv, K: Lq, transA: true });
    // dP = (dOut · Vᵀ) ⊙ M (+ dProbs)
    gemm({ out: dS, a: dOut, aOffset: oo, b: v, bOffset: vo, M: Lq, N: Lk, K: Dv, transB: true });
    if (mask) for (let e = 0; e < Lq * Lk; e++) dS[e] *= mask[s0 + e];
    if (dProbs) for (let e = 0; e < Lq * Lk; e++) dS[e] += dProbs[s0 + e];
    // dS = P ⊙ (dP − Σ_j P·dP), row by row (zero where P is masked)
    for (let i = 0; i < Lq; i++) softmaxRowBackward(dS, i * Lk, probs, s0 + i * Lk, Lk);
    if (score.kind === "dot") {
      // G = dS · K; dScale = Σ Q ⊙ G; dQ = c·G; dK = c · dSᵀ · Q
      gemm({ out: dq, outOffset: qo, a: dS, b: k, bOffset: ko, M: Lq, N: Dk, K: Lk });
      for (let e = qo; e < qo + Lq * Dk; e++) {
        dScale += q[e] * dq[e];
        dq[e] *= score.scale;
      }
      gemm({ out: dk, outOffset: ko, a: dS, b: q, bOffset: qo, M: Lk, N: Dk, K: Lq, transA: true });
      if (score.scale !== 1) for (let e = ko; e < ko + Lk * Dk; e++) dk[e] *= score.scale;
    } else {
      dScale += tanhScoresBackward(dq, dk, dWeights, dS, q, qo, k, ko, Lq, Lk, Dk, score.weights, score.inner, causal);
    }
  }
  return { dq, dk, dv, dScale, dWeights };
}

/** The largest Lq·Lk block (scratch for one problem). */
function maxBlock(problems: AttentionProblems): number {
  let m = 0;
  for (let p = 0; p < problems.count; p++) m = Math.max(m, problems.qLengths[p] * problems.kLengths[p]);
  return m;
}

// s[s0 + i·Lk + j] = Σ_d w_d · tanh(inner · (q_id + k_jd)) for the allowed keys j (0 elsewhere)
function tanhScores(
  s: Float32Array, s0: number, q: Float32Array, qo: number, k: Float32Array, ko: number,
  Lq: number, Lk: number, Dk: number, w: Float32Array, inner: number, causal: boolean,
): void {
  for (let i = 0; i < Lq; i++) {
    const n = allowedKeys(i, Lk, causal);
    const qi = qo + i * Dk;
    for (let j = 0; j < Lk; j++) {
      let sum = 0;
      if (j < n) {
        const kj = ko + j * Dk;
        for (let d = 0; d < Dk; d++) sum += w[d] * Math.tanh(inner * (q[qi + d] + k[kj + d]));
      }
      s[s0 + i * Lk + j] = sum;
    }
  }
}

// dS: [Lq,Lk] → dq, dk (+=), dW (+=); returns ∂L/∂inner. Recomputes t = tanh(inner·(q + k)).
function tanhScoresBackward(
  dq: Float32Array, dk: Float32Array, dW: Float32Array, dS: Float32Array,
  q: Float32Array, qo: number, k: Float32Array, ko: number,
  Lq: number, Lk: number, Dk: number, w: Float32Array, inner: number, causal: boolean,
): number {
  let dInner = 0;
  for (let i = 0; i < Lq; i++) {
    const n = allowedKeys(i, Lk, causal);
    const qi = qo + i * Dk;
    for (let j = 0; j < n; j++) {
      const g = dS[i * Lk + j];
      if (g === 0) continue;
      const kj = ko + j * Dk;
      for (let d = 0; d < Dk; d++) {
        const u = q[qi + d] + k[kj + d];
        const t = Math.tanh(inner * u);
        dW[d] += g * t;
        const gu = g * w[d] * (1 - t * t); // ∂L/∂(inner·u)
        dq[qi + d] += gu * inner;
        dk[kj + d] += gu * inner;
        dInner += gu * u;
      }
    }
  }
  return dInner;
}

/** Softmax of row[o … o+n−1] in place over its first `allowed` entries; the rest become 0. */
export function softmaxRow(row: Float32Array, o: number, n: number, allowed: number): void {
  let max = -Infinity;
  for (let j = 0; j < allowed; j++) if (row[o + j] > max) max = row[o + j];
  let sum = 0;
  for (let j = 0; j < allowed; j++) {
    const e = Math.exp(row[o + j] - max);
    row[o + j] = e;
    sum += e;
  }
  for (let j = 0; j < allowed; j++) row[o + j] /= sum;
  for (let j = allowed; j < n; j++) row[o + j] = 0;
}

/** d[do … do+n−1] ← P ⊙ (d − Σ_j P·d) for the probabilities P at probs[po …]. */
function softmaxRowBackward(d: Float32Array, dOff: number, probs: Float32Array, po: number, n: number): void {
  let dot = 0;
  for (let j = 0; j < n; j++) dot += probs[po + j] * d[dOff + j];
  for (let j = 0; j < n; j++) d[dOff + j] = probs[po + j] * (d[dOff + j] - dot);
}

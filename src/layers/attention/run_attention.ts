/**
 * The part every attention layer shares: packed query/key/value rows in, packed output rows out,
 * through the attention kernel (`kernels().attentionForward`, NOTE [ attention problems ]), with
 * its backward beside it. The layers (attention.ts, additive_attention.ts,
 * multi_head_attention.ts) add their projections and weights around it.
 *
 * Ragged semantics: each query sequence attends to its own sample's key rows only — there is no
 * padded key to mask, and a sequence's result does not depend on its batch-mates' lengths. Keys
 * masked out by a mask with holes are left out of the problem; query rows masked out get zero
 * output (Keras `Attention`) and pass their mask on.
 */
import { RaggedError } from "../../core/errors.js";
import type { Random } from "../../core/random.js";
import { attentionProblems, type AttentionProblems, type AttentionScore } from "../../core/kernels/attention.js";
import { kernels } from "../../core/kernels/registry.js";
import { rowToArray } from "../../data/packed.js";
import type { SequenceValue } from "../values.js";
import { attentionRows, gatherHeads, repeatForHeads, scatterAddHeads, type AttentionRows } from "./problem_rows.js";

export interface RunAttentionArgs {
  /** [Nq, heads·Dk] in the query's layout. */
  query: SequenceValue;
  /** [Nk, heads·Dk] */
  key: SequenceValue;
  /** [Nk, heads·Dv]; the same lengths per sample as `key`. */
  value: SequenceValue;
  heads: number;
  Dk: number;
  Dv: number;
  score: AttentionScore;
  causal: boolean;
  /** Dropout rate on the attention probabilities (training only). */
  dropout: number;
  training: boolean;
  rng: Random;
  /** The layer's name, for error messages. */
  layer: string;
}

/** The attention probabilities of a batch, ragged: see `scoresBySample`. */
export interface AttentionScores {
  readonly rows: AttentionRows;
  readonly heads: number;
  readonly problems: AttentionProblems;
  /** [Σ_p Lq·Lk] problem-major, as the kernel returns them. */
  readonly probs: Float32Array;
}

export interface RunAttentionResult {
  /** [Nq, heads·Dv] in the query's layout (heads concatenated, head-major within a row). */
  out: Float32Array;
  scores: AttentionScores;
  /** dOut [Nq, heads·Dv] (+ dProbs, problem-major) → gradients of the packed inputs. */
  backward(dOut: Float32Array, dProbs: Float32Array | null): RunAttentionGrads;
}

export interface RunAttentionGrads {
  /** [Nq, heads·Dk], [Nk, heads·Dk], [Nk, heads·Dv] */
  dQuery: Float32Array;
  dKey: Float32Array;
  dValue: Float32Array;
  /** dot: ∂L/∂scale; tanh: ∂L/∂inner. */
  dScale: number;
  /** tanh: [Dk] ∂L/∂weights. */
  dWeights: Float32Array;
}

// query: [Nq, H·Dk], key: [Nk, H·Dk], value: [Nk, H·Dv] → out: [Nq, H·Dv]
export function runAttention(args: RunAttentionArgs): RunAttentionResult {
  const { query, key, value, heads: H, Dk, Dv } = args;
  const rows = attentionRows(query.layout, query.mask, key.layout, key.mask, args.causal);
  const vRows = value.layout === key.layout && value.mask === key.mask
    ? rows.kRows
    : valueRows(rows, attentionRows(query.layout, null, value.layout, value.mask ?? key.mask, args.causal), args.layer);
  const problems = attentionProblems(repeatForHeads(rows.qLengths, H), repeatForHeads(rows.kLengths, H));
  const q = gatherHeads(query.data, rows.qRows, H, Dk);
  const k = gatherHeads(key.data, rows.kRows, H, Dk);
  // the value is often the key itself (Luong attention without a key): gathered once, the kernels only read it
  const v = value.data === key.data && vRows === rows.kRows && Dv === Dk ? k : gatherHeads(value.data, vRows, H, Dv);
  let dropoutMask: Float32Array | null = null;
  if (args.training && args.dropout > 0) {
    dropoutMask = new Float32Array(problems.totalScores);
    args.rng.fillDropoutScale(dropoutMask, args.dropout);
  }
  const { out: outProblems, cache } = kernels().attentionForward({ problems, q, k, v, Dk, Dv, score: args.score, causal: args.causal, dropoutMask });
  const Nq = query.layout.totalSteps;
  const out = new Float32Array(Nq * H * Dv);
  scatterAddHeads(out, outProblems, rows.qRows, H, Dv);
  const qMask = query.mask ?? null;
  if (qMask) zeroMaskedRows(out, qMask, H * Dv);
  const scores: AttentionScores = { rows, heads: H, problems, probs: cache.probs };
  const backward = (dOut: Float32Array, dProbs: Float32Array | null): RunAttentionGrads => {
    let d = dOut;
    if (qMask) {
      d = Float32Array.from(dOut);
      zeroMaskedRows(d, qMask, H * Dv);
    }
    const g = kernels().attentionBackward({ cache, dOut: gatherHeads(d, rows.qRows, H, Dv), dProbs });
    const dQuery = new Float32Array(Nq * H * Dk);
    scatterAddHeads(dQuery, g.dq, rows.qRows, H, Dk);
    const dKey = new Float32Array(key.layout.totalSteps * H * Dk);
    scatterAddHeads(dKey, g.dk, rows.kRows, H, Dk);
    const dValue = new Float32Array(value.layout.totalSteps * H * Dv);
    scatterAddHeads(dValue, g.dv, vRows, H, Dv);
    return { dQuery, dKey, dValue, dScale: g.dScale, dWeights: g.dWeights };
  };
  return { out, scores, backward };
}

/** The value's rows, which must pair one to one with the key's. */
function valueRows(keyRows: AttentionRows, value: AttentionRows, layer: string): Int32Array {
  for (let j = 0; j < keyRows.batch; j++) {
    if (keyRows.kLengths[j] !== value.kLengths[j]) {
      throw new RaggedError("LENGTH_MISMATCH", `The key and the value of attention layer "${layer}" must have the same length for every sample.`, {
        expected: `value length ${keyRows.kLengths[j]} (the key's) for sample ${keyRows.samples[j]}`,
        received: `${value.kLengths[j]}`,
        help: "pass the key and the value from the same sequence (e.g. the encoder's outputs), or leave out the key",
      });
    }
  }
  return value.kRows;
}

function zeroMaskedRows(x: Float32Array, mask: Uint8Array, width: number): void {
  for (let r = 0; r < mask.length; r++) if (mask[r] === 0) x.fill(0, r * width, (r + 1) * width);
}

/**
 * The probabilities as ragged matrices in caller order: `out[i]` is sample i's [Lq_i][Lk_i]
 * matrix, or `[heads][Lq_i][Lk_i]` when `heads` > 1 or `perHead` is set (multi-head attention).
 * Rows are query steps, columns the sample's (real) key steps: no padding anywhere.
 */
export function scoresBySample(scores: AttentionScores, perHead: boolean): number[][][] | number[][][][] {
  const { rows, heads, problems, probs } = scores;
  const B = rows.batch;
  const bySample: (number[][] | number[][][])[] = new Array(B);
  for (let j = 0; j < B; j++) {
    const lq = rows.qLengths[j], lk = rows.kLengths[j];
    const perHeadMatrices: number[][][] = [];
    for (let h = 0; h < heads; h++) {
      const s0 = problems.sStarts[h * B + j];
      const m: number[][] = [];
      for (let i = 0; i < lq; i++) m.push(rowToArray(probs, s0 + i * lk, lk));
      perHeadMatrices.push(m);
    }
    bySample[rows.samples[j]] = perHead || heads > 1 ? perHeadMatrices : perHeadMatrices[0];
  }
  return bySample as number[][][] | number[][][][];
}

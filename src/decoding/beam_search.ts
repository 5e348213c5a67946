/**
 * Beam search over many sequences at once. Every sequence keeps up to `beamWidth` live
 * hypotheses; all live hypotheses of all running sequences are the rows of one step call, and a
 * sequence whose search is over leaves the batch (NOTE [ finished sequences leave the batch ] in
 * decode_step.ts). A sequence's result never depends on its batch-mates.
 *
 * The search, per sequence and step (as fairseq's `BeamSearch`): the 2·K best expansions
 * (K = beamWidth) of its live hypotheses are taken best first; an expansion that emits the end
 * token becomes a finished hypothesis if it ranks among the first K, any other fills the next live
 * set until it holds K. A sequence stops when it has K finished hypotheses, when no live one is
 * left, at `maxLength`, or — with `lengthPenalty: 0`, where a longer hypothesis can only score
 * lower — as soon as its best finished hypothesis scores at least as high as its best live one.
 *
 * With a `languageModel` (shallow fusion, Gulcehre et al. 2015 §4.1; see language_model.ts) every
 * expansion is ranked by its fused score, log p(y | x) + α·log P_LM(y) + β·|y| (the end token's
 * log P_LM included, β counting the emitted tokens only), divided by length^lengthPenalty. A
 * hypothesis' `score` stays the decoder's own log p(y | x). With β > 0 a longer hypothesis can rank
 * higher, so the early stop then waits until the best finished one beats the best live one plus β
 * for every step left before `maxLength`.
 *
 * @example
 * const r = await beamSearch({ step, initialStates: [h, c], startToken: 1, endToken: 2, maxLength: 30, beamWidth: 4 });
 * r.sequences[0]; // the best hypothesis of sequence 0
 */
import { RaggedError, describe } from "../core/errors.js";
import { type Fusion, type FusionOptions, type NextTokenModel, checkedLanguageModelRow, fusionOf } from "./language_model.js";
import { type DecodeArgs, type DecodeResult, gatherStateRows, logProbabilities, prepareDecode, runStep } from "./decode_step.js";

export interface BeamSearchArgs extends DecodeArgs, FusionOptions<DecoderLanguageModel> {
  /** K: hypotheses kept per sequence (default 4). `beamWidth: 1` is greedy decoding. */
  beamWidth?: number;
  /**
   * α in score / length^α, the score hypotheses are ranked by (length counts the end token).
   * Default 0: the plain log-probability.
   */
  lengthPenalty?: number;
}

/**
 * A model of output sequences for `beamSearch`'s shallow fusion (e.g. an n-gram model of the
 * training targets): `logProbabilities(prefix)` → log P(next = v | prefix) for every token v of the
 * decoder's vocabulary (V numbers, ≤ 0, −Infinity allowed); the end token's entry is log P(end | prefix).
 * `prefix` holds the emitted tokens, without the start token.
 */
export type DecoderLanguageModel = NextTokenModel;

/** One hypothesis of a sequence. */
export interface Hypothesis {
  /** Emitted tokens, without the start and end tokens. */
  tokens: number[];
  /** Σ log p of its tokens (the end token included when finished). */
  score: number;
  /** `score / length^α` (with a language model: the fused score / length^α): what hypotheses are ranked by. */
  rankScore: number;
  /** With a language model: Σ log P_LM of its tokens (the end token included when finished). */
  languageModelScore?: number;
  /** Whether it emitted the end token (false: cut at maxLength). */
  finished: boolean;
}

export interface BeamSearchResult extends DecodeResult {
  /** Up to `beamWidth` hypotheses per sequence, best first; `sequences[i]` is `hypotheses[i][0].tokens`. */
  hypotheses: Hypothesis[][];
}

interface Beam {
  tokens: number[];
  score: number;
  /** Σ log P_LM of its tokens (0 without a language model). */
  lm: number;
  /** score + α·lm + β·|tokens|: what it is ranked by (= score without a language model). */
  fused: number;
  /** Its row in the current step call. */
  row: number;
  /** The row, in the last step call, of the hypothesis it extends (its states come from there). */
  parentRow: number;
}

interface Search {
  live: Beam[];
  done: Hypothesis[];
}

/**
 * Decodes every sequence with beam search.
 * @param args - the step, initial states, start/end tokens, maxLength, beamWidth, lengthPenalty, and
 *   optionally a `languageModel` with `languageModelWeight` and `insertionBonus`.
 * @returns per sequence (caller order) the best tokens, score and all kept hypotheses; and the cost.
 * @throws RaggedError INVALID_ARGUMENT / SHAPE_MISMATCH / NON_FINITE for bad options or step results.
 * @example
 * const r = await beamSearch({ step, initialStates: [], count: 2, startToken: 0, endToken: 1, maxLength: 8, beamWidth: 3 });
 * r.hypotheses[0].length <= 3; // true
 */
export async function beamSearch(args: BeamSearchArgs): Promise<BeamSearchResult> {
  const who = "beamSearch";
  const prepared = prepareDecode(args, who);
  const K = args.beamWidth ?? 4;
  if (!Number.isInteger(K) || K < 1) throw new RaggedError("INVALID_ARGUMENT", `${who} needs \`beamWidth\`, a positive integer.`, { received: `beamWidth = ${describe(args.beamWidth)}` });
  const alpha = args.lengthPenalty ?? 0;
  if (!Number.isFinite(alpha) || alpha < 0) throw new RaggedError("INVALID_ARGUMENT", `${who}: \`lengthPenalty\` must be a number ≥ 0.`, { received: `lengthPenalty = ${describe(args.lengthPenalty)}` });
  const fusion = fusionOf(args, who);
  const bonus = fusion?.bonus ?? 0;
  const fromLogits = args.fromLogits ?? false;
  const { widths, count } = prepared;
  const rank = (score: number, length: number) => (alpha === 0 ? score : score / Math.pow(length, alpha));
  const hypothesis = (b: { tokens: number[]; score: number; lm: number; fused: number }, length: number, finished: boolean): Hypothesis => ({
    tokens: b.tokens, score: b.score, rankScore: rank(b.fused, length), finished, ...(fusion ? { languageModelScore: b.lm } : {}),
  });

  const searches: Search[] = Array.from({ length: count }, (_, i) => ({ live: [{ tokens: [], score: 0, lm: 0, fused: 0, row: i, parentRow: i }], done: [] }));
  let running = Array.from({ length: count }, (_, i) => i);
  let tokens = new Int32Array(count).fill(args.startToken);
  let rowSequences = Int32Array.from({ length: count }, (_, i) => i);
  let states = prepared.states;
  let steps = 0;
  let rowsStepped = 0;
  let vocab: number | null = null;
  let lp = new Float64Array(0);
  let gain = new Float64Array(0);
  while (running.length > 0) {
    const out = await runStep(args.step, tokens, states, widths, who, vocab, rowSequences);
    const V = (vocab = out.V);
    if (lp.length !== V) [lp, gain] = [new Float64Array(V), new Float64Array(V)];
    steps++;
    rowsStepped += tokens.length;
    const from: number[] = [];
    const nextTokens: number[] = [];
    const nextSequences: number[] = [];
    const stillRunning: number[] = [];
    for (const i of running) {
      const s = searches[i];
      const candidates = expand({ live: s.live, output: out.output, V, fromLogits, n: 2 * K, lp, gain, fusion, endToken: args.endToken, who });
      const live: Beam[] = [];
      for (let c = 0; c < candidates.length && live.length < K; c++) {
        const { beam, token, score, lm, fused } = candidates[c];
        const length = beam.tokens.length + 1;
        if (token === args.endToken) {
          if (c < K) s.done.push(hypothesis({ tokens: beam.tokens, score, lm, fused }, length, true));
          continue;
        }
        live.push({ tokens: [...beam.tokens, token], score, lm, fused, row: -1, parentRow: beam.row });
      }
      s.done.sort(byRank);
      const atMax = steps >= args.maxLength;
      // the most a live hypothesis can still gain: β per step left (log-probabilities are ≤ 0)
      const bestLive = live.length ? Math.max(...live.map((b) => b.fused)) + Math.max(bonus, 0) * (args.maxLength - steps) : -Infinity;
      const settled = s.done.length >= K || live.length === 0 || (alpha === 0 && s.done.length > 0 && s.done[0].rankScore >= bestLive);
      if (settled || atMax) {
        if (s.done.length < K) {
          for (const b of live) s.done.push(hypothesis(b, b.tokens.length, false));
          s.done.sort(byRank);
        }
        s.done.length = Math.min(s.done.length, K);
        s.live = [];
        continue;
      }
      for (const b of live) {
        b.row = from.length;
        from.push(b.parentRow);
        nextTokens.push(b.tokens[b.tokens.length - 1]);
        nextSequences.push(i);
      }
      s.live = live;
      stillRunning.push(i);
    }
    running = stillRunning;
    tokens = Int32Array.from(nextTokens);
    rowSequences = Int32Array.from(nextSequences);
    states = gatherStateRows(out.states, widths, Int32Array.from(from));
  }
  const hypotheses = searches.map((s) => s.done);
  return {
    hypotheses,
    sequences: hypotheses.map((h) => (h.length ? [...h[0].tokens] : [])),
    scores: hypotheses.map((h) => (h.length ? h[0].score : -Infinity)),
    finished: hypotheses.map((h) => h.length > 0 && h[0].finished),
    steps,
    rowsStepped,
  };
}

function byRank(a: Hypothesis, b: Hypothesis): number {
  return b.rankScore - a.rankScore;
}

interface Candidate {
  beam: Beam;
  token: number;
  /** The decoder's Σ log p. */
  score: number;
  /** Σ log P_LM. */
  lm: number;
  /** What it is ranked by. */
  fused: number;
}

/**
 * The `n` best expansions of `live` by fused score, best first (ties: earlier beam, then lower
 * token). Each beam contributes at most its own n best tokens, which is all the global n best can
 * contain. Without a language model the fused score is the decoder's.
 */
function expand(args: {
  live: readonly Beam[]; output: Float32Array; V: number; fromLogits: boolean; n: number;
  /** [V] scratch for one beam's log-probabilities, and for its fused gains (used with a language model). */
  lp: Float64Array; gain: Float64Array;
  fusion: Fusion<DecoderLanguageModel> | undefined; endToken: number; who: string;
}): Candidate[] {
  const { live, output, V, fromLogits, n, fusion, lp } = args;
  const gain = fusion ? args.gain : lp; // per token: what the fused score gains
  const all: Candidate[] = [];
  for (const beam of live) {
    logProbabilities(output, beam.row, V, fromLogits, lp);
    let row: ArrayLike<number> | null = null;
    if (fusion) {
      row = checkedLanguageModelRow(fusion.model, beam.tokens, V, args.who);
      for (let v = 0; v < V; v++) gain[v] = lp[v] + (fusion.weight === 0 ? 0 : fusion.weight * row[v]) + (v === args.endToken ? 0 : fusion.bonus); // α = 0: no 0·(−∞)
    }
    // the n best tokens of this beam, kept sorted (insertion into a short list)
    const best: number[] = [];
    for (let v = 0; v < V; v++) {
      if (best.length === n && gain[v] <= gain[best[n - 1]]) continue;
      let j = best.length < n ? best.length : n - 1;
      best[j] = v;
      while (j > 0 && gain[best[j - 1]] < gain[v]) {
        best[j] = best[j - 1];
        best[j - 1] = v;
        j--;
      }
    }
    for (const v of best) {
      if (gain[v] === -Infinity) continue; // impossible (a probability or the language model's of 0): never kept
      const lm = row ? beam.lm + row[v] : 0;
      all.push({ beam, token: v, score: beam.score + lp[v], lm, fused: beam.fused + gain[v] });
    }
  }
  // stable sort keeps beam order, then token order, among equal scores
  all.sort((a, b) => b.fused - a.fused);
  return all.slice(0, n);
}

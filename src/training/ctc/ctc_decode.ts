/**
 * Decoding CTC outputs into label sequences (Keras `ops.ctc_decode`, TensorFlow's
 * `ctc_greedy_decoder` / `ctc_beam_search_decoder`): ragged in, ragged out — `predictions[i]` is one
 * sequence of per-step class scores of any length (what `model.predict` returns), `paths[i]` its
 * decoded label lists, best first. Plain TypeScript with no Node imports: it runs in browsers.
 *
 * predictions: per sample [T, K] (K classes including the blank) → paths: per sample topPaths lists
 * of class ids; logProbabilities: per sample topPaths numbers.
 *
 * - "greedy" (best path): the most likely class at every step, repeats merged, blanks dropped
 *   (Graves 2006 §3.2). Its log-probability is that of the best *path*, Σ_t max_k log p_t(k).
 * - "beamSearch": CTC prefix beam search (Graves 2006 §3.2; Hannun et al. 2014, "First-Pass Large
 *   Vocabulary Continuous Speech Recognition using Bi-Directional Recurrent DNNs" Algorithm 1): every
 *   prefix keeps the probability of ending in a blank and in a label, so the probability of a
 *   *labelling* sums all of its paths. With a beam as wide as the number of possible prefixes it is
 *   exact: its best labelling is the one with the largest p(l | x) = exp(−ctc loss).
 *
 * - Beam search with a `languageModel` (shallow fusion; Hannun et al. 2014 eq. 2): a prefix is ranked
 *   by log p(prefix | x) + α·log P_LM(prefix) + β·|prefix|, α = `languageModelWeight`, β =
 *   `insertionBonus`, and a finished labelling also by α·log P_LM(end | labelling). Every path into a
 *   prefix comes from the same shorter prefix, so the LM term is a property of the prefix and the
 *   search stays exact with a wide beam. The model sees label ids with the blank removed; CTC itself
 *   cannot model how one output label depends on the previous ones, which is what it adds.
 *
 * Porting note: Keras' greedy score is "the negative of the sum of the probability logits" of the
 * best path (a number ≥ 0 for probabilities); ragged returns the log-probability of that path
 * (≤ 0), the same quantity as beam search's, so the two can be compared. Keras returns dense tensors
 * padded with −1; ragged returns one list per path, with no padding.
 */
import { RaggedError, describe } from "../../core/errors.js";
import { type Fusion, type FusionOptions, checkedLanguageModelRow, checkedLogProbability, fusionOf } from "../../decoding/language_model.js";
import { logAddExp } from "./ctc_kernel.js";

/** Options of `ctcDecode`. */
export interface CTCDecodeOptions extends FusionOptions<CTCLanguageModel> {
  /** "greedy" (default) or "beamSearch" (Keras' "beam_search" is accepted too). */
  strategy?: "greedy" | "beamSearch" | "beam_search";
  /** Prefixes kept per step in beam search (default 100, as Keras). */
  beamWidth?: number;
  /** Labellings returned per sample, best first (default 1; greedy returns exactly 1). */
  topPaths?: number;
  /** The blank class (default 0, as Keras 3); negative counts from the end (−1 = last). */
  blankIndex?: number;
  /** Scores are logits (log-softmax is applied) rather than probabilities (default false). */
  fromLogits?: boolean;
  /** Greedy only: merge repeated labels between blanks (default true, as Keras). */
  mergeRepeated?: boolean;
  // beam search only: `languageModel` (a model of label sequences fused into the search, see the
  // file comment), `languageModelWeight` α and `insertionBonus` β (per label), from FusionOptions
}

/**
 * A model of label sequences for `ctcDecode`'s beam search (e.g. an n-gram model of the targets).
 * Label ids are the network's class ids, blank removed; log-probabilities may be −Infinity.
 */
export interface CTCLanguageModel {
  /** log P(next = k | prefix) for every class k (K numbers; the blank's entry is ignored). */
  logProbabilities(prefix: readonly number[]): ArrayLike<number>;
  /** log P(end | labels), added to labellings when the input ends (default: not scored). */
  endLogProbability?(labels: readonly number[]): number;
}

/** What beam search needs of a language model: the model, α and β (checked by `ctcDecode`). */
export type CTCFusion = Fusion<CTCLanguageModel>;

/** Decoded label sequences, per sample best first, with their log-probabilities. */
export interface CTCDecodeResult {
  /** paths[i][p]: the p-th best label sequence of sample i (class ids, blank removed). */
  paths: number[][][];
  /** logProbabilities[i][p]: the log-probability of paths[i][p] (see the file comment). */
  logProbabilities: number[][];
}

/**
 * Decodes CTC outputs; see the file comment.
 * @param predictions - per sample, per step, K class scores (probabilities unless `fromLogits`).
 * @param options - `strategy`, `beamWidth`, `topPaths`, `blankIndex`, `fromLogits`, `mergeRepeated`,
 *   and for beam search a `languageModel` with `languageModelWeight` and `insertionBonus`.
 * @returns `{ paths, logProbabilities }`, one entry per sample in input order.
 * @throws RaggedError `BAD_INPUT` for predictions that are not lists of rows of one width ≥ 2, or
 *   non-finite scores; `INVALID_ARGUMENT` for a bad option.
 * @example
 * const probs = [[[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1], [0.2, 0.7, 0.1]]]; // blank 0
 * ctcDecode(probs).paths;                                            // [[[1, 1]]]
 * ctcDecode(probs, { strategy: "beamSearch", topPaths: 2 }).paths[0]; // the two likeliest labellings
 */
export function ctcDecode(predictions: ArrayLike<ArrayLike<ArrayLike<number>>>, options: CTCDecodeOptions = {}): CTCDecodeResult {
  const strategy = options.strategy === "beam_search" ? "beamSearch" : (options.strategy ?? "greedy");
  const beamWidth = options.beamWidth ?? 100;
  const topPaths = options.topPaths ?? 1;
  const fromLogits = options.fromLogits ?? false;
  const mergeRepeated = options.mergeRepeated ?? true;
  const blankIndex = options.blankIndex ?? 0;
  check(strategy === "greedy" || strategy === "beamSearch", "strategy", '"greedy" or "beamSearch"', options.strategy);
  check(Number.isInteger(beamWidth) && beamWidth >= 1, "beamWidth", "an integer ≥ 1", beamWidth);
  check(Number.isInteger(topPaths) && topPaths >= 1 && topPaths <= beamWidth, "topPaths", `an integer in [1, beamWidth = ${beamWidth}]`, topPaths);
  check(strategy === "beamSearch" || topPaths === 1, "topPaths", "1 for greedy decoding (use strategy: \"beamSearch\" for more)", topPaths);
  check(Number.isInteger(blankIndex), "blankIndex", "an integer class id", blankIndex);
  check(typeof fromLogits === "boolean", "fromLogits", "a boolean", fromLogits);
  check(typeof mergeRepeated === "boolean", "mergeRepeated", "a boolean", mergeRepeated);
  const fusion = languageModelOf(options, strategy);
  if (predictions === null || typeof predictions !== "object" || typeof predictions.length !== "number") {
    throw new RaggedError("BAD_INPUT", "ctcDecode takes a list of predicted sequences.", { expected: "predictions[i][t][k]: per sample, per step, one score per class", received: describe(predictions) });
  }
  const width = classCount(predictions);
  const blank = blankIndex < 0 ? width + blankIndex : blankIndex;
  check(blank >= 0 && blank < width, "blankIndex", `a class of the ${width} outputs, in [−${width}, ${width})`, blankIndex);
  const paths: number[][][] = [];
  const logProbabilities: number[][] = [];
  for (let i = 0; i < predictions.length; i++) {
    const { logProbs, T } = toLogProbs(predictions[i], width, fromLogits, i);
    if (strategy === "greedy") {
      const best = ctcGreedyDecode(logProbs, T, width, blank, mergeRepeated);
      paths.push([best.labels]);
      logProbabilities.push([best.logProbability]);
    } else {
      const beams = ctcBeamSearchDecode(logProbs, T, width, blank, beamWidth, topPaths, fusion);
      paths.push(beams.map((b) => b.labels));
      logProbabilities.push(beams.map((b) => b.logProbability));
    }
  }
  return { paths, logProbabilities };
}

/** One decoded labelling. */
export interface DecodedPath {
  labels: number[];
  logProbability: number;
}

/**
 * Best-path decoding of one sequence: argmax per step (first maximum on ties), repeats merged
 * (unless `mergeRepeated` is false), blanks dropped.
 * @param logProbs - [T, K] log-probabilities (or any scores whose per-step argmax is wanted; the
 *   returned logProbability is then Σ_t max_k).
 * @param rowStart - where step t's K scores start in `logProbs` (default t·K).
 */
export function ctcGreedyDecode(logProbs: ArrayLike<number>, T: number, K: number, blank: number, mergeRepeated = true, rowStart: (t: number) => number = (t) => t * K): DecodedPath {
  const labels: number[] = [];
  let logProbability = 0;
  let previous = -1;
  for (let t = 0; t < T; t++) {
    const o = rowStart(t);
    let best = 0;
    for (let k = 1; k < K; k++) if (logProbs[o + k] > logProbs[o + best]) best = k;
    logProbability += logProbs[o + best];
    if (best !== blank && !(mergeRepeated && best === previous)) labels.push(best);
    previous = best;
  }
  return { labels, logProbability };
}

interface Beam {
  /** The prefix's labels joined into a string (one char per label): its identity in a step's map. */
  key: string;
  /** The beam this prefix extends by `last` (null for the empty prefix); `labels` is built from it when needed. */
  parent: Beam | null;
  last: number;
  labels: number[] | null;
  /** log p(prefix, path ends in a blank) */
  blank: number;
  /** log p(prefix, path ends in its last label) */
  label: number;
  /** α·log P_LM(prefix) + β·|prefix| (0 without a language model); at the end, with α·log P_LM(end | prefix) */
  fused: number;
  /** logAddExp(blank, label) + fused, set when a step's candidates are ranked. */
  score: number;
}

/** A label as key characters: one char below 0xFFFF, else 0xFFFF and two chars (so keys stay unique). */
function keyChar(k: number): string {
  return k < 0xffff ? String.fromCharCode(k) : String.fromCharCode(0xffff, k >>> 16, k & 0xffff);
}

/** The labels of a beam's prefix: its ancestors' last labels, walked without recursion (any length), kept on the beam. */
function labelsOf(b: Beam): number[] {
  if (b.labels !== null) return b.labels;
  const lasts: number[] = [];
  let a: Beam | null = b;
  while (a !== null && a.labels === null) {
    lasts.push(a.last);
    a = a.parent;
  }
  const labels = a?.labels ? a.labels.slice() : [];
  for (let i = lasts.length - 1; i >= 0; i--) labels.push(lasts[i]);
  return (b.labels = labels);
}

/**
 * CTC prefix beam search on one sequence (see the file comment).
 * @param logProbs - [T, K] log-probabilities.
 * @param fusion - a language model and its weights (optional).
 * @returns up to `topPaths` labellings, best first by log p(l | x) plus the fused terms (ties:
 *   shorter, then smaller ids first); `logProbability` is log p(l | x) alone.
 */
export function ctcBeamSearchDecode(logProbs: ArrayLike<number>, T: number, K: number, blank: number, beamWidth: number, topPaths: number, fusion?: CTCFusion): DecodedPath[] {
  const weight = fusion?.weight ?? 0;
  const bonus = fusion?.bonus ?? 0;
  let beams: Beam[] = [{ key: "", parent: null, last: -1, labels: [], blank: 0, label: -Infinity, fused: 0, score: 0 }];
  for (let t = 0; t < T; t++) {
    const o = t * K;
    const next = new Map<string, Beam>();
    // a prefix's fused term is fixed by its labels: `fused` is used only when the prefix is new
    const at = (key: string, parent: Beam | null, last: number, labels: number[] | null, fused: number): Beam => {
      let b = next.get(key);
      if (!b) next.set(key, (b = { key, parent, last, labels, blank: -Infinity, label: -Infinity, fused, score: 0 }));
      return b;
    };
    for (const beam of beams) {
      const total = logAddExp(beam.blank, beam.label);
      const same = at(beam.key, beam.parent, beam.last, beam.labels, beam.fused);
      same.blank = logAddExp(same.blank, total + logProbs[o + blank]); // a blank keeps the prefix
      const last = beam.last;
      if (last >= 0) same.label = logAddExp(same.label, beam.label + logProbs[o + last]); // the last label repeated, merged
      const lm = fusion ? checkedLanguageModelRow(fusion.model, labelsOf(beam), K, "ctcDecode") : null;
      for (let k = 0; k < K; k++) {
        if (k === blank) continue;
        const extended = at(beam.key + keyChar(k), beam, k, null, lm ? beam.fused + weight * lm[k] + bonus : 0);
        // a repeat of the last label is a new label only after a blank
        extended.label = logAddExp(extended.label, (k === last ? beam.blank : total) + logProbs[o + k]);
      }
    }
    beams = ranked([...next.values()]).slice(0, beamWidth);
  }
  const model = fusion?.model;
  if (model?.endLogProbability) for (const b of beams) b.fused += weight * checkedLogProbability(model.endLogProbability(labelsOf(b)), "endLogProbability", labelsOf(b), "ctcDecode");
  return ranked(beams)
    .slice(0, topPaths)
    .map((b) => ({ labels: labelsOf(b), logProbability: logAddExp(b.blank, b.label) }));
}

/** The checked language model options, or undefined without one. */
function languageModelOf(options: CTCDecodeOptions, strategy: string): CTCFusion | undefined {
  const fusion = fusionOf(options, "ctcDecode");
  if (fusion) check(strategy === "beamSearch", "strategy", '"beamSearch" with a languageModel (greedy decoding cannot use one)', options.strategy);
  return fusion;
}

/** Best first by log p(prefix | x) plus the fused terms (each candidate scored once); ties: shorter, then smaller ids. */
function ranked(candidates: Beam[]): Beam[] {
  for (const b of candidates) b.score = logAddExp(b.blank, b.label) + b.fused;
  return candidates.sort((a, b) => {
    const d = b.score - a.score;
    if (d !== 0 && !Number.isNaN(d)) return d;
    const [x, y] = [labelsOf(a), labelsOf(b)];
    if (x.length !== y.length) return x.length - y.length;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
  });
}

/** The common row width of all predictions (checked). */
function classCount(predictions: ArrayLike<ArrayLike<ArrayLike<number>>>): number {
  for (let i = 0; i < predictions.length; i++) {
    const seq = predictions[i];
    if (seq && typeof seq === "object" && seq.length > 0 && seq[0] && typeof seq[0].length === "number") {
      if (seq[0].length < 2) throw new RaggedError("BAD_INPUT", "CTC predictions need at least two classes (one label and the blank).", { received: `${seq[0].length} score(s) per step at predictions[${i}][0]` });
      return seq[0].length;
    }
  }
  return 2; // every sequence empty: nothing to decode
}

/** Per-step log-probabilities of one sample, [T, K] float64, checked. */
function toLogProbs(seq: ArrayLike<ArrayLike<number>>, K: number, fromLogits: boolean, i: number): { logProbs: Float64Array; T: number } {
  if (seq === null || typeof seq !== "object" || typeof seq.length !== "number") {
    throw new RaggedError("BAD_INPUT", `predictions[${i}] is not a sequence of per-step scores.`, { expected: `a list of steps, each ${K} scores`, received: describe(seq) });
  }
  const T = seq.length;
  const logProbs = new Float64Array(T * K);
  for (let t = 0; t < T; t++) {
    const row = seq[t];
    if (row === null || typeof row !== "object" || row.length !== K) {
      throw new RaggedError("BAD_INPUT", `predictions[${i}][${t}] does not have ${K} class scores.`, { expected: `${K} numbers (as every step)`, received: describe(row) });
    }
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      const v = row[k];
      if (typeof v !== "number" || !Number.isFinite(v) || (!fromLogits && v < 0)) {
        throw new RaggedError("BAD_INPUT", `predictions[${i}][${t}][${k}] is not a ${fromLogits ? "finite logit" : "probability"}.`, {
          expected: fromLogits ? "finite numbers" : "probabilities ≥ 0 (or pass fromLogits: true for logits)",
          received: describe(v),
        });
      }
      if (v > max) max = v;
    }
    if (fromLogits) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(row[k] - max);
      const lse = max + Math.log(sum);
      for (let k = 0; k < K; k++) logProbs[t * K + k] = row[k] - lse;
    } else {
      for (let k = 0; k < K; k++) logProbs[t * K + k] = Math.log(row[k]);
    }
  }
  return { logProbs, T };
}

function check(ok: boolean, name: string, expected: string, value: unknown): void {
  if (!ok) throw new RaggedError("INVALID_ARGUMENT", `ctcDecode option \`${name}\` is out of range.`, { expected: `${name}: ${expected}`, received: `${name} = ${describe(value)}` });
}

/**
 * Edit distance between label sequences, and the two error rates built on it that sequence
 * tasks report (speech, handwriting, grapheme-to-phoneme):
 *
 * - `editDistance(a, b)`: Levenshtein distance, the fewest insertions, deletions and substitutions
 *   (each costing 1) that turn `a` into `b`. Labels compare with `===`, so ids and strings both work.
 * - `errorRates(references, hypotheses)`:
 *   - `labelErrorRate` = Σ editDistance(refᵢ, hypᵢ) / Σ |refᵢ| — the corpus-level phoneme (PER),
 *     character (CER) or label error rate. Long references weigh more, as in the G2P literature
 *     (Yao & Zweig 2015; Rao et al. 2015) and in speech recognition scoring;
 *   - `sequenceErrorRate` = the share of sequences with any error — the word error rate (WER) of
 *     G2P, where each sequence is the pronunciation of one word.
 *
 * a: [n] labels, b: [m] labels → distance: an integer in [|n − m|, max(n, m)]
 */
import { RaggedError, describe } from "../core/errors.js";

/** A sequence of labels: class ids, phoneme names, characters. Compared with `===`. */
export type LabelSequence<T = number | string> = ArrayLike<T>;

/**
 * Levenshtein distance between two label sequences (unit cost for insertion, deletion and
 * substitution), in O(n·m) time and O(min(n, m)) memory. Does not mutate its inputs.
 * @param a - the reference (or either sequence: the distance is symmetric).
 * @param b - the hypothesis.
 * @returns the number of edits.
 * @example
 * editDistance(["K", "AE", "T"], ["K", "AA", "T", "S"]); // 2 (one substitution, one insertion)
 * editDistance([1, 2, 3], []);                              // 3
 * editDistance("kitten", "sitting");                        // 3
 */
export function editDistance<T>(a: LabelSequence<T>, b: LabelSequence<T>): number {
  // Keep the shorter sequence along the row so the row buffer is as small as possible.
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const m = short.length;
  if (m === 0) return long.length;
  // row[j] = distance between long[0..i) and short[0..j) for the current i.
  const row = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) row[j] = j;
  for (let i = 1; i <= long.length; i++) {
    let diagonal = row[0]; // distance(long[0..i−1), short[0..j−1))
    row[0] = i;
    const x = long[i - 1];
    for (let j = 1; j <= m; j++) {
      const above = row[j]; // distance(long[0..i−1), short[0..j))
      const substitute = diagonal + (x === short[j - 1] ? 0 : 1);
      const remove = above + 1;
      const insert = row[j - 1] + 1;
      row[j] = substitute < remove ? (substitute < insert ? substitute : insert) : remove < insert ? remove : insert;
      diagonal = above;
    }
  }
  return row[m];
}

/** Totals and rates over a corpus of (reference, hypothesis) pairs. */
export interface ErrorRates {
  /** Σ editDistance(refᵢ, hypᵢ). */
  edits: number;
  /** Σ |refᵢ|. */
  referenceLabels: number;
  /** Number of sequences whose hypothesis differs from its reference. */
  sequenceErrors: number;
  /** Number of sequences compared. */
  sequences: number;
  /**
   * Σ edits / Σ reference length: PER for phonemes, CER for characters. 0 is perfect; it can exceed
   * 1 when hypotheses are much longer. 0 when every reference and hypothesis is empty; Infinity when
   * all references are empty but some hypothesis is not (edits over nothing).
   */
  labelErrorRate: number;
  /** sequenceErrors / sequences: the "word error rate" of grapheme-to-phoneme. 0 for an empty corpus. */
  sequenceErrorRate: number;
}

/**
 * Label and sequence error rates over a corpus (PER and WER in grapheme-to-phoneme terms), with
 * the totals behind them so that several corpora can be combined.
 * @param references - the true label sequences.
 * @param hypotheses - the predicted ones, one per reference.
 * @returns `ErrorRates`: `labelErrorRate` = Σ edits / Σ |ref|, `sequenceErrorRate` = share of
 *   sequences with any error, and the counts.
 * @throws RaggedError `BATCH_MISMATCH` when the two lists differ in length, `INVALID_ARGUMENT` when
 *   either is not an array.
 * @example
 * const r = errorRates([["K", "AE", "T"], ["D", "AO", "G"]], [["K", "AE", "T"], ["D", "AA", "G"]]);
 * r.labelErrorRate;    // 1/6 (PER)
 * r.sequenceErrorRate; // 0.5 (WER)
 */
export function errorRates<T>(references: readonly LabelSequence<T>[], hypotheses: readonly LabelSequence<T>[]): ErrorRates {
  checkPairs(references, hypotheses);
  let edits = 0;
  let referenceLabels = 0;
  let sequenceErrors = 0;
  for (let i = 0; i < references.length; i++) {
    const d = editDistance(references[i], hypotheses[i]);
    edits += d;
    referenceLabels += references[i].length;
    if (d > 0) sequenceErrors++;
  }
  const sequences = references.length;
  return {
    edits,
    referenceLabels,
    sequenceErrors,
    sequences,
    labelErrorRate: referenceLabels === 0 ? (edits === 0 ? 0 : Infinity) : edits / referenceLabels,
    sequenceErrorRate: sequences === 0 ? 0 : sequenceErrors / sequences,
  };
}

function checkPairs(references: readonly unknown[], hypotheses: readonly unknown[]): void {
  if (!Array.isArray(references) || !Array.isArray(hypotheses)) {
    throw new RaggedError("INVALID_ARGUMENT", "Error rates take two lists of label sequences.", {
      expected: "references and hypotheses: arrays of label sequences",
      received: `references: ${describe(references)}, hypotheses: ${describe(hypotheses)}`,
    });
  }
  if (references.length !== hypotheses.length) {
    throw new RaggedError("BATCH_MISMATCH", "Each reference needs exactly one hypothesis.", {
      expected: `hypotheses.length = references.length = ${references.length}`,
      received: `hypotheses.length = ${hypotheses.length}`,
    });
  }
}

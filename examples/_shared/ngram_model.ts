/**
 * An n-gram model of label sequences with interpolated Kneser–Ney smoothing (Chen & Goodman 1998,
 * §3.5, one discount per order), fitted on the training pronunciations: the `languageModel` fused
 * into the beam searches of examples/g2p-ctc (`ctcDecode`) and examples/g2p-attention
 * (`beamSearch`, through a mapping of ids). A network scores phonemes given the letters; this model
 * knows which phoneme tends to follow which (phonotactics).
 *
 *   P(w | h) = max(c(h w) − D, 0) / c(h) + D · N1+(h •) / c(h) · P(w | h⁻)      (h⁻: h without its first label)
 *
 * with c the counts at the highest order and continuation counts N1+(• h w) below it, and the
 * uniform distribution below unigrams. A context never seen falls through to the shorter one.
 * Sequences start with n − 1 start symbols and end with an end symbol, so `endLogProbability` is
 * log P(end | last labels).
 *
 * Labels are ids 1..K−1 (0 is CTC's blank, never a label, and marks the start here); the end symbol is K internally.
 */
import type { CTCLanguageModel } from "ragged-rnn";

export interface NgramOptions {
  /** n: labels of context + 1 (default 5). */
  order?: number;
  /** K, the network's classes including the blank (class 0): labels are 1..K−1. */
  classes: number;
}

const START = 0; // the blank's id, never a label: free to mark "before the first label"

export class NgramModel implements CTCLanguageModel {
  readonly order: number;
  readonly classes: number;
  /** Per order m (1..n): counts (highest order) or continuation counts (below) of m-grams, keyed "h…,w". */
  private readonly counts: Map<string, number>[];
  /** Per order m: per context h (m − 1 labels) its total count and number of distinct followers. */
  private readonly contexts: Map<string, { total: number; types: number }>[];
  /** Per order m: the discount D. */
  private readonly discounts: number[];
  private readonly cache = new Map<string, Float64Array>();

  private constructor(order: number, classes: number) {
    this.order = order;
    this.classes = classes;
    this.counts = Array.from({ length: order + 1 }, () => new Map());
    this.contexts = Array.from({ length: order + 1 }, () => new Map());
    this.discounts = new Array<number>(order + 1).fill(0.75);
  }

  /** Fits the model to label sequences (ids 1..classes−1); the caller's arrays are not changed. */
  static fit(sequences: readonly (readonly number[])[], options: NgramOptions): NgramModel {
    const n = options.order ?? 5;
    const K = options.classes;
    if (!Number.isInteger(n) || n < 1) throw new Error(`order must be a whole number ≥ 1, got ${n}`);
    const model = new NgramModel(n, K);
    const top = new Map<string, number>();
    for (const seq of sequences) {
      const padded = [...new Array<number>(n - 1).fill(START), ...seq, K];
      for (const k of seq) if (!Number.isInteger(k) || k < 1 || k >= K) throw new Error(`labels must be ids in 1..${K - 1}, got ${k}`);
      for (let i = n - 1; i < padded.length; i++) {
        const key = padded.slice(i - n + 1, i + 1).join(",");
        top.set(key, (top.get(key) ?? 0) + 1);
      }
    }
    model.counts[n] = top;
    // continuation counts: N1+(• g) for every (m)-gram g that ends an (m+1)-gram seen (the start padding counts as seen)
    for (let m = n - 1; m >= 1; m--) {
      const lower = model.counts[m];
      for (const key of model.counts[m + 1].keys()) {
        const suffix = key.split(",").slice(1).join(",");
        lower.set(suffix, (lower.get(suffix) ?? 0) + 1);
      }
    }
    for (let m = 1; m <= n; m++) {
      const ctx = model.contexts[m];
      let n1 = 0;
      let n2 = 0;
      for (const [key, c] of model.counts[m]) {
        const h = key.split(",").slice(0, -1).join(",");
        const e = ctx.get(h) ?? { total: 0, types: 0 };
        e.total += c;
        e.types += 1;
        ctx.set(h, e);
        if (c === 1) n1++;
        else if (c === 2) n2++;
      }
      if (n1 > 0) model.discounts[m] = n1 / (n1 + 2 * n2); // Ney's estimate
    }
    return model;
  }

  /** log P(k | prefix) for every class k; the blank's entry is −Infinity. */
  logProbabilities(prefix: readonly number[]): Float64Array {
    const h = this.context(prefix);
    const key = h.join(",");
    let row = this.cache.get(key);
    if (!row) {
      row = new Float64Array(this.classes);
      row[0] = -Infinity;
      for (let k = 1; k < this.classes; k++) row[k] = Math.log(this.probability(h, k));
      this.cache.set(key, row);
    }
    return row;
  }

  /** log P(end | labels). */
  endLogProbability(labels: readonly number[]): number {
    return Math.log(this.probability(this.context(labels), this.classes));
  }

  /** log P(labels, end) of a whole sequence. */
  sequenceLogProbability(labels: readonly number[]): number {
    let s = 0;
    labels.forEach((k, i) => (s += this.logProbabilities(labels.slice(0, i))[k]));
    return s + this.endLogProbability(labels);
  }

  /** The last n − 1 labels, start symbols before the first. */
  private context(prefix: readonly number[]): number[] {
    const need = this.order - 1;
    const tail = prefix.slice(Math.max(0, prefix.length - need));
    return [...new Array<number>(need - tail.length).fill(START), ...tail];
  }

  /** P_KN(w | h) at order |h| + 1, interpolated down to the uniform distribution over labels and end. */
  private probability(h: readonly number[], w: number): number {
    const m = h.length + 1;
    const lower = m === 1 ? 1 / this.classes : this.probability(h.slice(1), w); // classes − 1 labels + end
    const hKey = h.join(",");
    const ctx = this.contexts[m].get(hKey);
    if (!ctx) return lower;
    const c = this.counts[m].get(hKey === "" ? String(w) : `${hKey},${w}`) ?? 0;
    const D = this.discounts[m];
    return Math.max(c - D, 0) / ctx.total + ((D * ctx.types) / ctx.total) * lower;
  }
}

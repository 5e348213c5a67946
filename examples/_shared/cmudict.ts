/**
 * CMUdict for the grapheme-to-phoneme examples (`example:g2p`, the attention G2P example and
 * `example:g2p-ctc`): one reading of the dictionary, one split, one pair of vocabularies, so the
 * three report figures on the same test words.
 *
 * Source: npm `cmu-pronouncing-dictionary` (ISC; a dev dependency), which ships cmudict as one
 * JavaScript object `{ word: "AH0 B AW1 T", "word(2)": … }` — 135,155 entries, 126,046 words.
 *
 * What `readCmudict` keeps (and why):
 * - **First pronunciation of each word.** Variants `word(2)`, `word(3)`, … are dropped, so every
 *   word has one reference pronunciation (the published CMUdict splits keep all variants and score
 *   a word right if any matches; ours is stricter).
 * - **Words over `a`–`z` and the apostrophe** (`o'brien`, `'bout`, `don't`): 124,920 words. The
 *   apostrophe is a grapheme like a letter. Dropped: 1,126 words with any other character —
 *   hyphenated compounds (`able-bodied`), abbreviations with periods (`a.m.`), digits — since
 *   their pronunciation reads parts that are not letters.
 * - **Stress digits stripped** (`AH0`, `AH1`, `AH2` → `AH`), leaving the 39 ARPAbet phonemes.
 *   The neural G2P figures we compare against (Yao & Zweig 2015; Rao et al. 2015) are, as we read
 *   their setups, on the stress-less 39-phoneme set and the CMUdict split of Bisani & Ney (2008:
 *   106,837 train / 12,000 test words, all variants kept) — ours is a different split, so compare
 *   with care. `stress: true` keeps the digits (69 symbols) for anyone who wants them.
 * - **Trailing comments removed**: 22 entries carry `# place, dutch`-style notes after the phonemes.
 *
 * Split: a seeded permutation of the words in dictionary (alphabetical) order; the first 10 %
 * (rounded up) is the test set, the rest train. By word, so no test word is seen in training; the
 * same seed gives the same split on every machine. Default seed 1: 112,428 train / 12,492 test.
 *
 * @example
 * const { train, test, graphemes, phonemes } = cmudictG2P();
 * train[0];                         // { word: "…", letters: ["…"], phonemes: ["…"] }
 * graphemes.encode(train[0].letters); // ids 1..27 (0 is left for padding / the blank)
 */
import { dictionary } from "cmu-pronouncing-dictionary";
import { Random } from "ragged-rnn";

/** One dictionary entry: the word, its letters, and its (first) pronunciation. */
export interface Pronunciation {
  word: string;
  /** The word's graphemes: its characters, `a`–`z` and `'`. */
  letters: string[];
  /** ARPAbet phonemes, without stress digits unless `stress: true`. */
  phonemes: string[];
  /**
   * Every pronunciation CMUdict lists for the word (`word`, `word(2)`, …), the first (`phonemes`)
   * first, duplicates after stress removal dropped. Training uses `phonemes` only; this is for
   * scoring the way the published splits do (a word is right if any listed pronunciation matches).
   */
  variants: string[][];
}

/** The graphemes of the kept words, in id order (apostrophe first, then a–z). */
export const GRAPHEMES: readonly string[] = ["'", ..."abcdefghijklmnopqrstuvwxyz"];

/** The 39 stress-less ARPAbet phonemes of CMUdict, alphabetical. */
export const PHONEMES: readonly string[] = [
  "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH", "K",
  "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
];

/** Options of `readCmudict`. */
export interface ReadCmudictOptions {
  /** Keep stress digits on vowels (`AH0`, `AH1`, `AH2`); default false (39 phonemes). */
  stress?: boolean;
}

const KEPT_WORD = /^[a-z']*[a-z][a-z']*$/;
const VARIANT = /\((\d+)\)$/;

/**
 * Every kept word of CMUdict with its first pronunciation, in alphabetical order (see the module
 * comment for what is kept and dropped). Returns new objects on every call.
 * @param options - `stress` (default false).
 * @returns the entries.
 * @example
 * readCmudict().find((e) => e.word === "cat"); // { word: "cat", letters: ["c","a","t"], phonemes: ["K","AE","T"] }
 */
export function readCmudict(options: ReadCmudictOptions = {}): Pronunciation[] {
  const stress = options.stress ?? false;
  const byWord = new Map<string, { first?: string[]; rest: { n: number; phones: string[] }[] }>();
  for (const [key, value] of Object.entries(dictionary)) {
    const variant = VARIANT.exec(key);
    const word = variant ? key.slice(0, variant.index) : key;
    if (!KEPT_WORD.test(word)) continue;
    const hash = value.indexOf("#");
    const raw = (hash >= 0 ? value.slice(0, hash) : value).trim().split(/\s+/);
    const phones = stress ? raw : raw.map((p) => p.replace(/\d/g, ""));
    const entry = byWord.get(word) ?? { rest: [] };
    if (variant) entry.rest.push({ n: Number(variant[1]), phones });
    else entry.first = phones;
    byWord.set(word, entry);
  }
  const out: Pronunciation[] = [];
  for (const [word, { first, rest }] of byWord) {
    if (!first) continue; // a variant without its base entry: not a word of the dictionary's own
    const variants = [first];
    for (const { phones } of rest.sort((a, b) => a.n - b.n)) {
      if (!variants.some((v) => v.join(" ") === phones.join(" "))) variants.push(phones);
    }
    out.push({ word, letters: [...word], phonemes: first, variants });
  }
  out.sort((a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
  return out;
}

/**
 * Word error rate scored against every listed pronunciation: the share of words whose hypothesis
 * equals none of `variants` (the published CMUdict protocols' scoring; `errorRates` against
 * `phonemes` is the stricter first-pronunciation figure the examples report first).
 * @param words - the test entries.
 * @param hypotheses - one phoneme sequence per word, in `words` order.
 * @returns a share in [0, 1].
 * @example
 * anyVariantWer([{ word: "a", letters: ["a"], phonemes: ["AH"], variants: [["AH"], ["EY"]] }], [["EY"]]); // 0
 */
export function anyVariantWer(words: readonly Pronunciation[], hypotheses: readonly (readonly string[])[]): number {
  if (words.length !== hypotheses.length) throw new RangeError(`anyVariantWer: ${words.length} words but ${hypotheses.length} hypotheses`);
  if (words.length === 0) return 0;
  let wrong = 0;
  for (let i = 0; i < words.length; i++) {
    const h = hypotheses[i].join(" ");
    if (!words[i].variants.some((v) => v.join(" ") === h)) wrong++;
  }
  return wrong / words.length;
}

/** Options of `splitCmudict` and `cmudictG2P`. */
export interface SplitCmudictOptions {
  /** Seed of the word permutation (default 1). */
  seed?: number;
  /** Share of words in the test set, rounded up (default 0.1). */
  testFraction?: number;
}

/**
 * A seeded split by word: the first ⌈testFraction·n⌉ words of a `Random(seed)` permutation are the
 * test set, the rest (in permutation order) train. Does not mutate `entries`.
 * @param entries - entries from `readCmudict` (one per word).
 * @param options - `seed` (default 1), `testFraction` (default 0.1).
 * @returns `{ train, test }`.
 * @example
 * const { train, test } = splitCmudict(readCmudict()); // 112,428 / 12,492 words
 */
export function splitCmudict(entries: readonly Pronunciation[], options: SplitCmudictOptions = {}): { train: Pronunciation[]; test: Pronunciation[] } {
  const seed = options.seed ?? 1;
  const testFraction = options.testFraction ?? 0.1;
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1); received ${testFraction}`);
  const order = new Random(seed).permutation(entries.length);
  const nTest = Math.ceil(testFraction * entries.length);
  const test: Pronunciation[] = [];
  const train: Pronunciation[] = [];
  for (let i = 0; i < order.length; i++) (i < nTest ? test : train).push(entries[order[i]]);
  return { train, test };
}

/** Options of `Vocabulary`. */
export interface VocabularyOptions {
  /**
   * Symbols placed before the real ones, taking ids 0, 1, …: e.g. `["<pad>"]` so that 0 stays
   * free for `maskZero`, `["<blank>"]` for CTC, `["<pad>", "<s>", "</s>"]` for a decoder.
   */
  reserved?: readonly string[];
}

/** A symbol ↔ id table. Ids are positions in `symbols` (reserved ones first). */
export class Vocabulary {
  readonly symbols: readonly string[];
  private readonly ids: Map<string, number>;

  /**
   * @param symbols - the real symbols, in id order after the reserved ones.
   * @param options - `reserved` symbols taking the first ids.
   * @example
   * const v = new Vocabulary(PHONEMES, { reserved: ["<blank>"] });
   * v.size;                 // 40
   * v.encode(["K", "AE"]);  // [20, 2]
   */
  constructor(symbols: readonly string[], options: VocabularyOptions = {}) {
    this.symbols = [...(options.reserved ?? []), ...symbols];
    this.ids = new Map(this.symbols.map((s, i) => [s, i]));
    if (this.ids.size !== this.symbols.length) throw new RangeError(`Vocabulary symbols must be distinct; received ${this.symbols.join(" ")}`);
  }

  /** Number of ids (reserved plus real symbols). */
  get size(): number {
    return this.symbols.length;
  }

  /** The id of one symbol; throws on a symbol not in the table. */
  id(symbol: string): number {
    const id = this.ids.get(symbol);
    if (id === undefined) throw new RangeError(`Unknown symbol ${JSON.stringify(symbol)}; the vocabulary has ${this.symbols.join(" ")}`);
    return id;
  }

  /** Ids of a symbol sequence. */
  encode(symbols: readonly string[]): number[] {
    return symbols.map((s) => this.id(s));
  }

  /** Symbols of an id sequence. */
  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (i) => {
      const s = this.symbols[i];
      if (s === undefined) throw new RangeError(`Id ${i} is outside the vocabulary [0, ${this.size})`);
      return s;
    });
  }
}

/** Options of `cmudictG2P`. */
export interface CmudictG2POptions extends SplitCmudictOptions, ReadCmudictOptions {
  /** Keep only the first `limit` train and the first `limit` test words (smoke tests). */
  limit?: number;
}

/** The G2P data set: split entries plus the two vocabularies (no reserved ids; add your own). */
export interface CmudictG2P {
  train: Pronunciation[];
  test: Pronunciation[];
  /** Letters, ids 0..26 in `GRAPHEMES` order. Build your own `Vocabulary(GRAPHEMES, { reserved })` to shift them. */
  graphemes: Vocabulary;
  /** Phonemes, ids 0..38 in `PHONEMES` order (or the 69 stressed symbols with `stress: true`). */
  phonemes: Vocabulary;
}

/**
 * Reads CMUdict, splits it by word and returns the vocabularies: the one call the G2P examples make.
 * `limit` trims each set after the split, so a smoke test's words are a subset of the full run's.
 * @param options - `seed` (1), `testFraction` (0.1), `stress` (false), `limit`.
 * @returns `{ train, test, graphemes, phonemes }`.
 * @example
 * const { train, test, graphemes, phonemes } = cmudictG2P({ limit: 200 });
 */
export function cmudictG2P(options: CmudictG2POptions = {}): CmudictG2P {
  const entries = readCmudict(options);
  const split = splitCmudict(entries, options);
  const limit = options.limit ?? Infinity;
  const phonemeSymbols = options.stress ? [...new Set(entries.flatMap((e) => e.phonemes))].sort() : PHONEMES;
  return {
    train: split.train.slice(0, limit),
    test: split.test.slice(0, limit),
    graphemes: new Vocabulary(GRAPHEMES),
    phonemes: new Vocabulary(phonemeSymbols),
  };
}

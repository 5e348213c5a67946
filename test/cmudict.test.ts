/** The shared CMUdict loader of the G2P examples (examples/_shared/cmudict.ts). */
import { describe, expect, it } from "vitest";
import { GRAPHEMES, PHONEMES, Vocabulary, anyVariantWer, cmudictG2P, readCmudict, splitCmudict } from "../examples/_shared/cmudict.js";

const entries = readCmudict();
const byWord = new Map(entries.map((e) => [e.word, e]));

describe("readCmudict", () => {
  it("keeps the 124,920 words over a–z and the apostrophe, one entry each, alphabetical", () => {
    expect(entries.length).toBe(124920);
    expect(byWord.size).toBe(entries.length);
    expect(entries.every((e, i) => i === 0 || entries[i - 1].word < e.word)).toBe(true);
    expect(byWord.has("able-bodied")).toBe(false);
    expect(byWord.has("a.m.")).toBe(false);
    expect(byWord.get("o'brien")?.letters).toEqual(["o", "'", "b", "r", "i", "e", "n"]);
  });

  it("takes the first pronunciation, strips stress digits and trailing comments", () => {
    expect(byWord.get("a")?.phonemes).toEqual(["AH"]); // "a(2)" is EY1: a variant, not the reference
    expect(byWord.get("x")?.phonemes).toEqual(["EH", "K", "S"]);
    expect(byWord.get("aalborg")?.phonemes).toEqual(["AO", "L", "B", "AO", "R", "G"]); // "# place, danish" removed
    expect(readCmudict({ stress: true }).find((e) => e.word === "aalborg")?.phonemes).toEqual(["AO1", "L", "B", "AO0", "R", "G"]);
  });

  it("lists every pronunciation as a variant, the first first, stress-less duplicates once", () => {
    expect(byWord.get("a")?.variants).toEqual([["AH"], ["EY"]]);
    expect(byWord.get("x")?.variants).toEqual([["EH", "K", "S"]]);
    expect(entries.every((e) => e.variants[0] === e.phonemes || e.variants[0].join(" ") === e.phonemes.join(" "))).toBe(true);
    expect(entries.every((e) => new Set(e.variants.map((v) => v.join(" "))).size === e.variants.length)).toBe(true);
    const withVariants = entries.filter((e) => e.variants.length > 1).length;
    expect(withVariants).toBeGreaterThan(5000); // cmudict lists ~8,500 alternative pronunciations
    const stressed = readCmudict({ stress: true }).find((e) => e.word === "a");
    expect(stressed?.variants).toEqual([["AH0"], ["EY1"]]);
  });

  it("anyVariantWer counts a word right when any listed pronunciation matches", () => {
    const a = byWord.get("a")!;
    const x = byWord.get("x")!;
    expect(anyVariantWer([a, x], [["EY"], ["EH", "K", "S"]])).toBe(0);
    expect(anyVariantWer([a, x], [["AH"], ["EH", "K"]])).toBe(0.5);
    expect(anyVariantWer([a, x], [["AA"], []])).toBe(1);
    expect(anyVariantWer([], [])).toBe(0);
    expect(() => anyVariantWer([a], [])).toThrow(/1 words but 0 hypotheses/);
  });

  it("uses exactly the 27 graphemes and 39 phonemes of the vocabularies", () => {
    expect(new Set(entries.flatMap((e) => e.letters))).toEqual(new Set(GRAPHEMES));
    expect(new Set(entries.flatMap((e) => e.phonemes))).toEqual(new Set(PHONEMES));
  });
});

describe("splitCmudict / cmudictG2P", () => {
  it("splits 90/10 by word, disjoint, the same for the same seed", () => {
    const { train, test } = splitCmudict(entries);
    expect([train.length, test.length]).toEqual([112428, 12492]);
    const testWords = new Set(test.map((e) => e.word));
    expect(train.some((e) => testWords.has(e.word))).toBe(false);
    const again = splitCmudict(entries, { seed: 1 });
    expect(again.test.map((e) => e.word)).toEqual(test.map((e) => e.word));
    const other = splitCmudict(entries, { seed: 2 });
    expect(other.test.map((e) => e.word)).not.toEqual(test.map((e) => e.word));
  });

  it("limit keeps a prefix of the full split, so smoke-test words are full-run words", () => {
    const full = cmudictG2P();
    const small = cmudictG2P({ limit: 30 });
    expect(small.train).toEqual(full.train.slice(0, 30));
    expect(small.test).toEqual(full.test.slice(0, 30));
    expect(small.graphemes.size).toBe(27);
    expect(small.phonemes.size).toBe(39);
  });

  it("does not mutate the entries it splits", () => {
    const copy = entries.slice(0, 100);
    const before = JSON.stringify(copy);
    splitCmudict(copy, { seed: 5 });
    expect(JSON.stringify(copy)).toBe(before);
  });
});

describe("Vocabulary", () => {
  it("puts reserved symbols first and round-trips", () => {
    const v = new Vocabulary(PHONEMES, { reserved: ["<blank>"] });
    expect(v.size).toBe(40);
    expect(v.encode(["K", "AE"])).toEqual([20, 2]);
    expect(v.decode([20, 2, 0])).toEqual(["K", "AE", "<blank>"]);
    expect(() => v.id("QQ")).toThrow(/Unknown symbol "QQ"/);
    expect(() => v.decode([40])).toThrow(/outside the vocabulary/);
  });
});

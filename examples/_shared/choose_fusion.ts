/**
 * Chooses shallow fusion's settings — the n-gram order n, the weight α and the per-token bonus β —
 * on held-out words: every grid point is scored by the validation WER it gives, the lowest wins
 * (ties: the first tried, so list the smaller α first). Shared by the decode_with_lm.ts scripts of
 * examples/g2p-ctc and examples/g2p-attention; the n-gram model is fitted once per order.
 *
 * @example
 * const best = await chooseFusion({ orders: [6, 7], weights: [0.2, 0.3], bonuses: [0.5, 1], fit: (n) => NgramModel.fit(train, { order: n, classes: K }), wer: (lm, a, b) => …, log: console.log });
 */
import { errorRates } from "ragged-rnn";
import { anyVariantWer, type Pronunciation, type Vocabulary } from "./cmudict.js";
import { NgramModel } from "./ngram_model.js";

export interface FusionChoice {
  order: number;
  weight: number;
  bonus: number;
  /** The validation WER at this grid point. */
  wer: number;
  /** The n-gram model of order `order`. */
  lm: NgramModel;
}

export async function chooseFusion(args: {
  orders: readonly number[];
  weights: readonly number[];
  bonuses: readonly number[];
  /** The n-gram model of order n, fitted on the training words not held out. */
  fit: (order: number) => NgramModel;
  /** The validation WER with this model, α and β. */
  wer: (lm: NgramModel, weight: number, bonus: number) => number | Promise<number>;
  log: (line: string) => void;
}): Promise<FusionChoice> {
  let best: FusionChoice | null = null;
  for (const order of args.orders) {
    const lm = args.fit(order);
    for (const weight of args.weights) {
      for (const bonus of args.bonuses) {
        const wer = await args.wer(lm, weight, bonus);
        args.log(`  n = ${order}, α = ${weight}, β = ${bonus}: validation WER ${(100 * wer).toFixed(2)} %`);
        if (best === null || wer < best.wer) best = { order, weight, bonus, wer, lm };
      }
    }
  }
  if (best === null) throw new Error("the grid is empty: give at least one order, weight and bonus");
  args.log(`chosen on validation: n = ${best.order}, α = ${best.weight}, β = ${best.bonus} (WER ${(100 * best.wer).toFixed(2)} %)`);
  return best;
}

/** What both decode_with_lm.ts scripts report. */
export interface FusionResult {
  /** Test WER / PER with the beam alone, and with the n-gram model. */
  wer: number;
  per: number;
  werAnyVariant: number;
  werLm: number;
  perLm: number;
  werAnyVariantLm: number;
  /** The chosen grid point, its validation WER, and the validation WER without the model. */
  order: number;
  weight: number;
  bonus: number;
  validationWer: number;
  validationWerLm: number;
}

/**
 * Scores the test words decoded without (`plain`) and with (`fused`) the chosen model, logs the
 * last lines (`test WER: X % → Y % with the n-gram model, PER: …`) and returns the result.
 */
export function reportFusion(args: {
  test: readonly Pronunciation[]; phonemes: Vocabulary; plain: number[][]; fused: number[][];
  best: FusionChoice; validationWer: number; started: number; beam: number; log: (line: string) => void;
}): FusionResult {
  const { test, phonemes, plain, fused, best, log } = args;
  const targets = test.map((w) => phonemes.encode(w.phonemes));
  const [r0, r1] = [errorRates(targets, plain), errorRates(targets, fused)];
  const [any0, any1] = [plain, fused].map((d) => anyVariantWer(test, d.map((p) => phonemes.decode(p))));
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  log(`time: ${((performance.now() - args.started) / 1000).toFixed(0)} s; ${test.length} test words, beam ${args.beam}`);
  log(`test WER against any listed pronunciation: ${pct(any0)} → ${pct(any1)} with the n-gram model`);
  log(`test WER: ${pct(r0.sequenceErrorRate)} → ${pct(r1.sequenceErrorRate)} with the n-gram model, PER: ${pct(r0.labelErrorRate)} → ${pct(r1.labelErrorRate)}`);
  return {
    wer: r0.sequenceErrorRate, per: r0.labelErrorRate, werAnyVariant: any0,
    werLm: r1.sequenceErrorRate, perLm: r1.labelErrorRate, werAnyVariantLm: any1,
    order: best.order, weight: best.weight, bonus: best.bonus, validationWer: args.validationWer, validationWerLm: best.wer,
  };
}

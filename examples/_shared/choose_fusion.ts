/**
 * Chooses shallow fusion's settings — the n-gram order n, the weight α and the per-token bonus β —
 * on held-out words: every grid point is scored by the validation WER it gives, the lowest wins
 * (ties: the first tried, so list the smaller α first). Shared by the decode_with_lm.ts scripts of
 * examples/g2p-ctc and examples/g2p-attention; the n-gram model is fitted once per order.
 *
 * @example
 * const best = await chooseFusion({ orders: [6, 7], weights: [0.2, 0.3], bonuses: [0.5, 1], fit: (n) => NgramModel.fit(train, { order: n, classes: K }), wer: (lm, a, b) => …, log: console.log });
 */
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

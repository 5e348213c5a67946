/**
 * Training-set augmentation for JapaneseVowels: extra copies of every training utterance, each a
 * random contiguous stretch of its frames (a speaker is recognisable from part of a vowel) with
 * Gaussian noise added to every coefficient. The copies are ragged like the originals — a cropped
 * copy is simply a shorter sequence, no padding. Only the training set is augmented; the test set
 * is read as it is.
 */
import { Random } from "ragged-rnn";

export interface AugmentOptions {
  /** Augmented copies of each utterance, added after the originals (default 3). */
  copies?: number;
  /** Standard deviation of the noise, in standardised units (default 0.1). */
  noise?: number;
  /** A copy keeps a random share of the frames between this and 1 (default 0.75). */
  minKeep?: number;
  /** Seeds the crops and the noise (default 1). */
  seed?: number;
}

/**
 * The utterances `xs` (labels `ys`) followed by `copies` cropped, noisy copies of each; the inputs
 * are not changed.
 * @example
 * const { xs, ys } = augment(xTrain, yTrain, { copies: 3, seed: 1 }); // 4 × as many utterances
 */
export function augment(xs: readonly number[][][], ys: readonly number[], options: AugmentOptions = {}): { xs: number[][][]; ys: number[] } {
  const copies = options.copies ?? 3;
  const noise = options.noise ?? 0.1;
  const minKeep = options.minKeep ?? 0.75;
  const rng = new Random(options.seed ?? 1);
  const outX = xs.map((seq) => seq.map((step) => [...step]));
  const outY = [...ys];
  for (let c = 0; c < copies; c++) {
    xs.forEach((seq, i) => {
      const keep = Math.max(1, Math.round(seq.length * (minKeep + (1 - minKeep) * rng.uniform())));
      const start = rng.int(0, seq.length - keep + 1);
      outX.push(seq.slice(start, start + keep).map((step) => step.map((v) => v + noise * rng.normal())));
      outY.push(ys[i]);
    });
  }
  return { xs: outX, ys: outY };
}

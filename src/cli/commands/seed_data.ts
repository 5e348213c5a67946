/**
 * The seed's data generator (the Keras Q&A in shared/seed): batches of sequences of one random
 * length in [10, 100), x uniform in [0, 1) with 5 features, y_t = x[t,0] + Σ_{i=1..4} x[t−i, i]
 * (terms with t < i left out), target one-hot(y > 2.5) per step.
 *
 * NOTE [ the seed's aliasing ]
 * In the seed's numpy code `y_train = x_train[:, :, 0]` is a *view* of the input, so every
 * `y_train[:, i:] += …` also writes into feature 0 of x: the program trains on inputs whose
 * feature 0 already holds y. "The seed's program, exactly" includes that; `aliasFeature0: false`
 * gives the textbook version (y computed beside an untouched x), a harder task.
 */
import { Random } from "../../core/random.js";

export interface SeedBatch {
  xs: number[][][];
  ys: number[][][];
}

export interface SeedDataArgs {
  batchSize: number;
  seed: number;
  /** Every batch exactly this long (for timing); random in [10, 100) when null. */
  length: number | null;
  /** Lengths drawn per sequence in [10, 100) instead of one per batch. */
  mixedLengths?: boolean;
  /** Reproduce numpy's view aliasing (default true); see NOTE [ the seed's aliasing ]. */
  aliasFeature0?: boolean;
}

export function* seedBatches(args: SeedDataArgs): Generator<SeedBatch> {
  const rng = new Random(args.seed);
  const batchLength = () => args.length ?? rng.int(10, 100);
  while (true) {
    const common = batchLength();
    const xs: number[][][] = [];
    const ys: number[][][] = [];
    for (let b = 0; b < args.batchSize; b++) {
      const len = args.mixedLengths ? rng.int(10, 100) : common;
      const x: number[][] = [];
      for (let t = 0; t < len; t++) x.push([rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()]);
      const y: number[][] = [];
      for (let t = 0; t < len; t++) {
        let v = x[t][0];
        for (let i = 1; i < 5; i++) if (t >= i) v += x[t - i][i];
        y.push(v > 2.5 ? [0, 1] : [1, 0]);
        if (args.aliasFeature0 ?? true) x[t][0] = v;
      }
      xs.push(x);
      ys.push(y);
    }
    yield { xs, ys };
  }
}

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
import { rowToArray } from "../../data/packed.js";

export interface SeedBatch {
  xs: number[][][];
  ys: number[][][];
}

/** The same batch as flat typed arrays per sequence (NOTE [ flat sequences ] in samples.ts). */
export interface FlatSeedBatch {
  xs: Float32Array[];
  ys: Float32Array[];
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

const FEATURES = 5;

/** Endless flat batches: xs[i] is [len × 5], ys[i] is [len × 2], row-major. */
export function* flatSeedBatches(args: SeedDataArgs): Generator<FlatSeedBatch> {
  const rng = new Random(args.seed);
  const alias = args.aliasFeature0 ?? true;
  while (true) {
    const common = args.length ?? rng.int(10, 100);
    const xs: Float32Array[] = [];
    const ys: Float32Array[] = [];
    for (let b = 0; b < args.batchSize; b++) {
      const len = args.mixedLengths ? rng.int(10, 100) : common;
      const x = new Float32Array(len * FEATURES);
      for (let k = 0; k < x.length; k++) x[k] = rng.uniform();
      const y = new Float32Array(len * 2);
      for (let t = 0; t < len; t++) {
        // y_t from the original feature 0 of step t and features 1..4 of earlier steps (never aliased)
        let v = x[t * FEATURES];
        for (let i = 1; i < FEATURES; i++) if (t >= i) v += x[(t - i) * FEATURES + i];
        y[t * 2 + (v > 2.5 ? 1 : 0)] = 1;
        if (alias) x[t * FEATURES] = v;
      }
      xs.push(x);
      ys.push(y);
    }
    yield { xs, ys };
  }
}

/** The same batches as nested arrays (xs[i][t] = 5 numbers, ys[i][t] = one-hot pair). */
export function* seedBatches(args: SeedDataArgs): Generator<SeedBatch> {
  for (const { xs, ys } of flatSeedBatches(args)) {
    yield {
      xs: xs.map((x) => Array.from({ length: x.length / FEATURES }, (_, t) => rowToArray(x, t * FEATURES, FEATURES))),
      ys: ys.map((y) => Array.from({ length: y.length / 2 }, (_, t) => [y[t * 2], y[t * 2 + 1]])),
    };
  }
}

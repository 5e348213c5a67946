/**
 * `trainTestSplit`: a seeded split of paired inputs and targets into train and test sets, as
 * scikit-learn's `train_test_split` (two arrays, `shuffle`, `test_size` as fraction or count).
 */
import { RaggedError, check, describe } from "../core/errors.js";
import { Random } from "../core/random.js";
import { checkList } from "./_internal/steps.js";

export interface SplitOptions {
  /** A fraction in (0, 1) of the samples (rounded up, as scikit-learn), or a count (an integer ≥ 1). */
  testSize: number;
  /** Seed of the shuffle; required when `shuffle` is true. */
  seed?: number;
  /** Shuffle before splitting (default true). Without it the test set is the last samples. */
  shuffle?: boolean;
}

export interface Split<X, Y> {
  xTrain: X[];
  yTrain: Y[];
  xTest: X[];
  yTest: Y[];
}

/**
 * Splits `xs` and `ys` (pairs kept together) into train and test sets. The returned arrays are new;
 * their elements are the caller's own (not copied). Does not mutate its input. Like scikit-learn,
 * both sets must be non-empty, and with shuffling the test set is the first `nTest` of a seeded
 * permutation and the train set the rest, in permutation order.
 * @param xs - inputs, e.g. sequences.
 * @param ys - targets, one per input.
 * @param options - `testSize`, `seed`, `shuffle`; see `SplitOptions`.
 * @returns `{ xTrain, yTrain, xTest, yTest }`.
 * @throws RaggedError `BATCH_MISMATCH` (xs and ys differ in length), `INVALID_ARGUMENT` (testSize
 *   neither a fraction in (0, 1) nor an integer count; an empty train or test set; missing seed).
 * @example
 * trainTestSplit([1, 2, 3, 4], ["a", "b", "c", "d"], { testSize: 0.25, shuffle: false });
 * // { xTrain: [1, 2, 3], yTrain: ["a", "b", "c"], xTest: [4], yTest: ["d"] }
 * const s = trainTestSplit([1, 2, 3, 4], [1, 2, 3, 4], { testSize: 2, seed: 42 });
 * s.xTest.length; // 2, and s.xTest equals s.yTest
 */
export function trainTestSplit<X, Y>(xs: readonly X[], ys: readonly Y[], options: SplitOptions): Split<X, Y> {
  checkList(xs, "xs", "a list of samples");
  checkList(ys, "ys", "a list of targets");
  const n = xs.length;
  if (ys.length !== n) {
    throw new RaggedError("BATCH_MISMATCH", "xs and ys must have one target per sample.", {
      expected: `ys.length = xs.length = ${n}`,
      received: `ys.length = ${ys.length}`,
    });
  }
  const { testSize, seed } = options;
  const shuffle = options.shuffle ?? true;
  const fraction = typeof testSize === "number" && testSize > 0 && testSize < 1;
  check(fraction || (Number.isInteger(testSize) && testSize >= 1), "testSize must be a fraction or a count.", {
    expected: "testSize: a number in (0, 1), or an integer ≥ 1",
    received: `testSize: ${describe(testSize)}`,
  });
  const nTest = fraction ? Math.ceil(testSize * n) : testSize;
  check(nTest >= 1 && nTest < n, "Both the train and the test set must be non-empty.", {
    expected: `between 1 and ${n - 1} test samples (of ${n})`,
    received: `testSize: ${testSize} → ${nTest} test samples`,
  });
  check(!shuffle || (typeof seed === "number" && Number.isFinite(seed)), "A shuffled split needs a seed.", {
    expected: "seed: a number (the same seed gives the same split)",
    received: `seed: ${describe(seed)}`,
    help: "pass seed, or shuffle: false to take the last samples as the test set",
  });
  const order = shuffle ? Array.from(new Random(seed).permutation(n)) : Array.from({ length: n }, (_, i) => i);
  const test = shuffle ? order.slice(0, nTest) : order.slice(n - nTest);
  const train = shuffle ? order.slice(nTest) : order.slice(0, n - nTest);
  return {
    xTrain: train.map((i) => xs[i]),
    yTrain: train.map((i) => ys[i]),
    xTest: test.map((i) => xs[i]),
    yTest: test.map((i) => ys[i]),
  };
}

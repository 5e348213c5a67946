/**
 * Length bucketing for `fit`: a seeded batch sampler that puts sequences of similar length in the
 * same batch, so little compute goes to the longest-in-batch (padded) or to ragged tails (packed),
 * while the batch order stays random. `paddingEfficiency` measures the result.
 *
 * NOTE [ bucketing strategies ]
 * - `bucketing: true` (default): shuffle all indices, cut them into pools of `poolSize` batches,
 *   sort each pool by length, cut each pool into batches, shuffle the batch order. Batches are
 *   near-uniform in length but still differ from epoch to epoch (the "sortish" sampler).
 * - `bucketing: false`: shuffle (or keep in order) and cut into batches.
 * - `{ boundaries, batchSizes }`: TF's `bucket_by_sequence_length`. Bucket i holds lengths in
 *   [boundaries[i−1], boundaries[i]) (the first from −∞, the last to +∞) and is cut into batches of
 *   batchSizes[i]; then the batch order is shuffled. Porting note: every index is used (TF's
 *   `drop_remainder` is not offered), and buckets are not interleaved as a stream but shuffled whole.
 * With `shuffle: false` nothing is shuffled and no `rng` is needed.
 */
import { RaggedError, check, describe } from "../core/errors.js";
import type { Random } from "../core/random.js";
import { checkList } from "./_internal/steps.js";

/** Explicit buckets, TF `bucket_by_sequence_length` style; see NOTE [ bucketing strategies ]. */
export interface Buckets {
  /** Strictly increasing upper bounds (exclusive) of all buckets but the last. */
  readonly boundaries: readonly number[];
  /** Batch size of each bucket: `boundaries.length + 1` positive integers. */
  readonly batchSizes: readonly number[];
}

export interface BucketOptions {
  /** Sequences per batch (with explicit buckets, each bucket's `batchSizes` entry is used instead). */
  batchSize: number;
  /** The seeded generator; required when `shuffle` is true. */
  rng?: Random;
  /** Shuffle indices and batch order (default true). */
  shuffle?: boolean;
  /** `true` (default), `false`, or explicit buckets; see NOTE [ bucketing strategies ]. */
  bucketing?: boolean | Buckets;
  /** With `bucketing: true`: batches per sorted pool (default 50). */
  poolSize?: number;
}

/**
 * One epoch's batches: lists of sequence indices, every index in exactly one batch.
 * @param lengths - one non-negative integer length per sequence.
 * @param options - see `BucketOptions` and NOTE [ bucketing strategies ].
 * @returns a new `number[][]`, one list of indices per batch, in the order to train on.
 * @throws RaggedError `INVALID_ARGUMENT` (batchSize or poolSize not a positive integer, missing rng,
 *   bad length, boundaries not strictly increasing, batchSizes not boundaries.length + 1 positive
 *   integers).
 * @example
 * const batches = bucketBatches([5, 1, 4, 2, 3, 6], { batchSize: 2, shuffle: false });
 * // [[1, 3], [4, 2], [0, 5]]: lengths [1, 2], [3, 4], [5, 6]
 * bucketBatches([5, 1, 4, 2], { batchSize: 2, rng: new Random(7) }).flat().sort((a, b) => a - b); // [0, 1, 2, 3]
 */
export function bucketBatches(lengths: ArrayLike<number>, options: BucketOptions): number[][] {
  const { batchSize, rng } = options;
  const shuffle = options.shuffle ?? true;
  const bucketing = options.bucketing ?? true;
  const poolSize = options.poolSize ?? 50;
  checkPositiveInteger(batchSize, "batchSize");
  checkPositiveInteger(poolSize, "poolSize");
  check(!shuffle || rng !== undefined, "Shuffled batches need a seeded generator.", {
    expected: "options.rng: a Random, e.g. new Random(seed)",
    received: "rng: undefined",
    help: "pass rng, or shuffle: false for batches in a fixed order",
  });
  const lens = checkLengths(lengths);
  const order = Array.from({ length: lens.length }, (_, i) => i);
  if (shuffle) (rng as Random).shuffleInPlace(order);

  let batches: number[][];
  if (bucketing === false) {
    batches = cut(order, batchSize);
  } else if (bucketing === true) {
    batches = [];
    const pool = poolSize * batchSize;
    for (let at = 0; at < order.length; at += pool) {
      const sorted = order.slice(at, at + pool).sort((a, b) => lens[a] - lens[b]); // stable
      batches.push(...cut(sorted, batchSize));
    }
  } else {
    const { boundaries, batchSizes } = checkBuckets(bucketing);
    const buckets: number[][] = batchSizes.map(() => []);
    for (const i of order) buckets[bucketOf(lens[i], boundaries)].push(i);
    batches = buckets.flatMap((members, b) => cut(members, batchSizes[b]));
  }
  if (shuffle) (rng as Random).shuffleInPlace(batches);
  return batches;
}

/**
 * The share of computed steps that are real when each batch is padded to its longest sequence:
 * Σ lengths / Σ (batch size × longest in batch). 1 means no padding at all (also when there are no
 * steps); lower means wasted work.
 * @param lengths - length of each sequence.
 * @param batches - lists of indices into `lengths`, e.g. from `bucketBatches`.
 * @returns a number in (0, 1].
 * @throws RaggedError `INVALID_ARGUMENT` for a bad length or an index out of range.
 * @example
 * paddingEfficiency([2, 4, 3, 3], [[0, 1], [2, 3]]); // (2 + 4 + 3 + 3) / (2·4 + 2·3) = 12 / 14
 */
export function paddingEfficiency(lengths: ArrayLike<number>, batches: ReadonlyArray<ArrayLike<number>>): number {
  const lens = checkLengths(lengths);
  checkList(batches, "batches", "a list of batches, each a list of indices");
  let real = 0;
  let computed = 0;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b];
    checkList(batch, `batches[${b}]`, "a list of indices");
    let longest = 0;
    for (let k = 0; k < batch.length; k++) {
      const i = batch[k];
      check(Number.isInteger(i) && i >= 0 && i < lens.length, "Batch indices must point into lengths.", {
        expected: `integers in [0, ${lens.length})`,
        received: `batches[${b}][${k}] = ${describe(i)}`,
      });
      real += lens[i];
      longest = Math.max(longest, lens[i]);
    }
    computed += batch.length * longest;
  }
  return computed === 0 ? 1 : real / computed;
}

function cut(indices: number[], size: number): number[][] {
  const out: number[][] = [];
  for (let at = 0; at < indices.length; at += size) out.push(indices.slice(at, at + size));
  return out;
}

/** The bucket of a length: the first i with length < boundaries[i], else the last bucket. */
function bucketOf(length: number, boundaries: readonly number[]): number {
  let b = 0;
  while (b < boundaries.length && length >= boundaries[b]) b++;
  return b;
}

function checkPositiveInteger(value: unknown, name: string): void {
  check(typeof value === "number" && Number.isInteger(value) && value >= 1, `${name} must be a positive integer.`, {
    expected: `${name}: an integer ≥ 1`,
    received: `${name}: ${describe(value)}`,
  });
}

function checkLengths(lengths: ArrayLike<number>): ArrayLike<number> {
  checkList(lengths, "lengths", "one length per sequence");
  for (let i = 0; i < lengths.length; i++) {
    const n = lengths[i];
    if (Number.isInteger(n) && n >= 0) continue; // the message is built only for a bad one: this runs every epoch, per sequence
    throw new RaggedError("INVALID_ARGUMENT", "Lengths must be non-negative integers.", {
      expected: "an integer ≥ 0 for every sequence",
      received: `lengths[${i}] = ${describe(n)}`,
    });
  }
  return lengths;
}

function checkBuckets(buckets: Buckets): Buckets {
  const { boundaries, batchSizes } = buckets;
  checkList(boundaries, "bucketing.boundaries", "a list of increasing numbers");
  checkList(batchSizes, "bucketing.batchSizes", "a list of positive integers");
  for (let b = 0; b < boundaries.length; b++) {
    const ok = typeof boundaries[b] === "number" && Number.isFinite(boundaries[b]);
    if (!ok || (b > 0 && !(boundaries[b] > boundaries[b - 1]))) {
      throw new RaggedError("INVALID_ARGUMENT", "Bucket boundaries must be strictly increasing numbers.", {
        expected: "boundaries[i − 1] < boundaries[i], all finite",
        received: `boundaries = [${boundaries.map(describe).join(", ")}]`,
      });
    }
  }
  check(batchSizes.length === boundaries.length + 1, "There must be one batch size per bucket.", {
    expected: `batchSizes.length = boundaries.length + 1 = ${boundaries.length + 1}`,
    received: `batchSizes.length = ${batchSizes.length}`,
    help: "n boundaries make n + 1 buckets: below the first, between each pair, and from the last up",
  });
  batchSizes.forEach((s, b) => checkPositiveInteger(s, `bucketing.batchSizes[${b}]`));
  return buckets;
}

/**
 * Splitting a batch across threads: by whole sequences, so each thread runs the packed
 * forward/backward on its own chunks and the threads meet once per step, not once per timestep
 * (measured with `npm run bench`).
 */

/** Fewest sequences a thread's share may have; smaller batches use fewer threads. */
export const MIN_SEQUENCES_PER_SHARD = 2;

/**
 * NOTE [ when a second thread pays ]
 * Splitting a step costs a roughly fixed hand-off (packing and posting the shares, transferring
 * weights and gradients, waiting for the slowest share). A share is therefore only worth a thread
 * when its work clearly exceeds that. The work of a step is estimated as 6 FLOPs per trainable
 * weight per packed row (forward 2, backward 4: every weight of an RNN, dense or conv layer takes
 * part in one multiply-add per row each way), so the thread count follows Σ steps × layer sizes,
 * not the number of sequences, and small batches stay on one thread.
 *
 * How much the hand-off costs depends on whether the worker is running. Inside a training loop
 * (`fit`, `fitDataset`: steps back to back) it is ≈ 0.5 ms, and a share needs only
 * `minShardFlops / LOOP_SHARE_DIVISOR` (2.5e7 by default, ≈ 1 ms of the seed model's rows): the
 * seed model's batch 32 (6.5e7) trains on two threads, 1.75–1.81 ms a step against 2.41–2.48 on
 * one, batch 64 2.83–2.92 against 4.49–4.62 (medians of `fit` over 2000 sequences, three runs,
 * 2026-12-05). A lone step (`trainOnBatch`) may find its worker cold, and then a small share is
 * slower than one thread: batch 64 of the seed model, with each call following eleven others in
 * the bench's threads section, took 5.7 against 5.3 and 6.3 against 5.1 ms on two threads. So a
 * lone step keeps the full `DEFAULT_MIN_SHARD_FLOPS` (≈ 4 ms of the seed model's rows; set at ≈ 2
 * ms of matrix products when the hand-off was ≈ 3 ms). `bench -- --sections threads` measures
 * both: lone steps by batch size, and `fit` at batch 32 and 64.
 */
export const DEFAULT_MIN_SHARD_FLOPS = 1e8;

/** Inside a training loop a share needs `minShardFlops` / this (NOTE [ when a second thread pays ]). */
export const LOOP_SHARE_DIVISOR = 4;

let minShardFlops = DEFAULT_MIN_SHARD_FLOPS;

/**
 * Sets the least estimated work (FLOPs) a share needs to get its own thread (NOTE [ when a second
 * thread pays ]); returns the previous value. Tests set 0 to split tiny batches.
 */
export function setMinShardFlops(flops: number): number {
  const previous = minShardFlops;
  minShardFlops = flops;
  return previous;
}

/** Estimated FLOPs of one training step: 6 per trainable weight per packed row. */
export function stepFlopsEstimate(trainableWeights: number, rows: number): number {
  return 6 * trainableWeights * rows;
}

/** What `shardCount` decides from. */
export interface ShardArgs {
  /** Sequences in the batch. */
  sequences: number;
  /** Most threads to use. */
  threads: number;
  /** Estimated FLOPs of the whole step (`stepFlopsEstimate`); omitted = unlimited. */
  work?: number;
  /** The step is one of a training loop's (`fit`, `fitDataset`), so the workers are running. */
  inLoop?: boolean;
}

/**
 * How many shares a batch is split into (1 = not split): at most one per thread, per
 * MIN_SEQUENCES_PER_SHARD sequences, and per `minShardFlops` of estimated work — a quarter of
 * that inside a training loop (NOTE [ when a second thread pays ]).
 */
export function shardCount(args: ShardArgs): number {
  const { sequences, threads, work = Infinity, inLoop = false } = args;
  const byWork = piecesOf(work, inLoop ? minShardFlops / LOOP_SHARE_DIVISOR : minShardFlops);
  return Math.max(1, Math.min(threads, Math.floor(sequences / MIN_SEQUENCES_PER_SHARD), byWork));
}

/** How many pieces of at least `least` FLOPs `work` makes (unlimited when `least` is 0: tests split anything). */
function piecesOf(work: number, least: number): number {
  return least > 0 ? Math.floor(work / least) : Infinity;
}

/** Most chunks per thread of a threaded step (NOTE [ chunks claimed at run time ] in claims.ts). */
export const CHUNKS_PER_THREAD = 4;

/**
 * NOTE [ chunks worth their overhead ]
 * Every chunk costs ≈ 0.15 ms besides its rows (its own packing, each layer's call set-up, a
 * message and a reply, a gradient to add): measured on the seed model from the minima of 2-thread
 * steps with 2 against 8 chunks, in-process interleaved (batch 128: 5.4 against 6.4 ms; 256: 10.8
 * against 11.5; 1000: 36.8 against 37.7). At batch 1000 eight chunks of 125 sequences (≈ 8 ms
 * each) pay that back by balancing the threads when one is slowed; at batch 128 eight chunks of 16
 * sequences (≈ 1.3 ms each) lose ≈ 15 % to it, and medians were worse too (2 chunks 8.4, 4 chunks
 * 9.1, 8 chunks 9.7 ms; 1 thread 10.3). So a chunk, like a share, must carry at least the
 * `minShardFlops` of estimated work (≈ 4 ms of the seed model's rows) that makes a thread worth
 * starting; and their number is a multiple of the threads (5 chunks on 2 threads leave one thread
 * a chunk behind when neither is slowed): batch 128 runs as 2 chunks, 256 as 4, 512 and more as
 * CHUNKS_PER_THREAD per thread.
 */

/**
 * How many chunks a step split across `threads` threads (shardCount > 1) is cut into: CHUNKS_PER_THREAD
 * per thread, but never fewer than MIN_SEQUENCES_PER_SHARD sequences nor less than `minShardFlops`
 * of work per chunk (NOTE [ chunks worth their overhead ]); a multiple of `threads`, at least one each.
 * @param work - estimated FLOPs of the whole step (`stepFlopsEstimate`); omitted = unlimited.
 */
export function chunkCount(sequences: number, threads: number, work = Infinity): number {
  const most = Math.min(threads * CHUNKS_PER_THREAD, Math.floor(sequences / MIN_SEQUENCES_PER_SHARD), piecesOf(work, minShardFlops));
  return Math.max(threads, most - (most % threads)); // whole rounds: undisturbed threads finish together
}

/**
 * Deals a batch's sequences into `count` shares of (nearly) equal size and equal Σ length: the
 * sequences sorted by length, longest first, dealt 0, 1, …, k−1, k−1, …, 1, 0, 0, 1, … (a snake
 * draft), so every share gets one of each group of k similar lengths. Each share keeps the batch's
 * order. Deterministic: ties go by position.
 * @param indices - the batch's sample indices.
 * @param lengths - length of each sample, indexed by sample index.
 * @returns `count` lists of sample indices whose union is `indices`.
 * @example
 * splitShards([0, 1, 2, 3], Int32Array.of(5, 9, 2, 7), 2); // [[1, 2], [0, 3]]: Σ 11 and 12
 */
export function splitShards(indices: readonly number[], lengths: ArrayLike<number>, count: number): number[][] {
  const order = indices.map((_, k) => k).sort((a, b) => lengths[indices[b]] - lengths[indices[a]] || a - b);
  const owner = new Int32Array(indices.length);
  order.forEach((k, rank) => {
    const round = Math.floor(rank / count);
    const seat = rank % count;
    owner[k] = round % 2 === 0 ? seat : count - 1 - seat;
  });
  const shards: number[][] = Array.from({ length: count }, () => []);
  indices.forEach((sample, k) => shards[owner[k]].push(sample));
  return shards;
}

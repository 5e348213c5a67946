/**
 * Splitting a batch across threads: by whole sequences, so each thread runs the packed
 * forward/backward on its own share and the threads meet once per step, not once per timestep
 * (notes/wasm-simd.md, "Threads").
 */

/** Fewest sequences a thread's share may have; smaller batches use fewer threads. */
export const MIN_SEQUENCES_PER_SHARD = 2;

/** How many shares a batch of `sequences` is split into with `threads` threads (1 = not split). */
export function shardCount(sequences: number, threads: number): number {
  return Math.max(1, Math.min(threads, Math.floor(sequences / MIN_SEQUENCES_PER_SHARD)));
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

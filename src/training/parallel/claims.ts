/**
 * NOTE [ chunks claimed at run time ]
 * A threaded step used to give each thread one fixed share, so the step waited for the slowest:
 * on this project's 2-core machine the two halves of the seed step take 35–37 ms each when
 * undisturbed, but one of them often takes 45–80 ms (this machine is shared: a core is taken away
 * for a while). So the batch is cut into several chunks per thread (chunkCount in shards.ts: up
 * to four per thread, fewer for small batches, NOTE [ chunks worth their overhead ]) and the
 * threads claim them while they run: the workers from the front, in the order the chunks were
 * posted, the calling thread from the back, each taking every chunk still free when it gets to
 * it. A thread that is slowed simply claims fewer.
 *
 * A claim is a compare-and-swap on one Int32Array entry per chunk (0 = free, else the claimant),
 * shared by every thread through a SharedArrayBuffer. Where there is none (a browser page that is
 * not cross-origin isolated) the owners are set before posting — the fixed shares of before, cut
 * into chunks — and every thread finds its own chunks already claimed for it.
 *
 * Who computes a chunk never changes its result: each chunk has its own dropout seed, and the
 * calling thread combines the chunks' gradients, losses and metric sums in chunk order, so a step
 * is deterministic for a given thread count, however the chunks were shared out.
 */

/** The calling thread's id in the claims array; worker k is WORKER_CLAIMANT + k. */
export const MAIN_CLAIMANT = 1;
export const WORKER_CLAIMANT = 2;

type Assign = (chunks: number, workers: number) => Int32Array;

let forcedAssignment: Assign | null = null;

/**
 * Test hook: set every step's owners before posting with `assign` (as without a SharedArrayBuffer)
 * instead of letting the threads claim; null restores the default.
 */
export function setChunkAssignmentForTests(assign: Assign | null): void {
  forcedAssignment = assign;
}

/** Whether this engine can share memory with workers. */
export function canShare(): boolean {
  return typeof SharedArrayBuffer === "function" && typeof Atomics === "object";
}

/**
 * The claims of a step's `chunks` chunks among the calling thread and `workers` workers: all free
 * in shared memory, or (no SharedArrayBuffer, or a test's assignment) owners set in advance.
 */
export function newClaims(chunks: number, workers: number): Int32Array {
  if (forcedAssignment) return forcedAssignment(chunks, workers);
  if (canShare()) return new Int32Array(new SharedArrayBuffer(4 * chunks));
  return fixedShares(chunks, workers);
}

/**
 * Owners in advance: worker k takes the k-th run of ⌊chunks / (workers + 1)⌋ chunks from the
 * front, the calling thread the rest at the back.
 */
export function fixedShares(chunks: number, workers: number): Int32Array {
  const owners = new Int32Array(chunks).fill(MAIN_CLAIMANT);
  const per = Math.floor(chunks / (workers + 1));
  for (let k = 0; k < workers; k++) owners.fill(WORKER_CLAIMANT + k, k * per, (k + 1) * per);
  return owners;
}

/** Claims `chunk` for `claimant`: true when it was free or already this claimant's. */
export function claim(claims: Int32Array, chunk: number, claimant: number): boolean {
  const was = Atomics.compareExchange(claims, chunk, 0, claimant);
  return was === 0 || was === claimant;
}

/**
 * NOTE [ step buffers ]
 * A training step copies the same large arrays out of WebAssembly memory every step: each
 * recurrent layer's outputs h [N,H] and, in backward, its input gradient dx [N,C] (7 MB each for
 * the seed's lstm(32) on batch 1000 × 55); an attention layer's output, probabilities and dq, dk, dv. A fresh ArrayBuffer that large is costly: the
 * allocator maps new pages, every page faults on first write, and the dead buffers of the last
 * step make V8 collect more often. Measured 2026-12-04 on this project's 2-core machine
 * (one-thread seed step, 30 steps per process, separate processes): ≈ 5 ms of a 78–83 ms step;
 * the copy itself (into memory already mapped) is ≈ 0.4 ms per 7 MB.
 *
 * So the trainer opens a scope around each step (`withStepBuffers`), and the kernels copy those
 * outputs with `stepCopy`: inside a scope it hands out a view of an array recycled from an earlier
 * step, which returns to the pool when the scope ends. Layers that build such arrays in
 * JavaScript take them from the same pool with `stepArray` (a Bidirectional layer's reversed
 * input, merged output and their gradients: its training step went from 266–271 to 206–208 ms on
 * the benchmark's bi(lstm 32) → bi(lstm 8) model, with faster row copies), and so do a dense
 * layer's output and input gradient, a loss's per-row values and gradient, and — where the trainer
 * packs the batch inside the scope (one thread, and the calling thread's own chunks) — the packed
 * inputs and targets: 5.6 → 1.0 MB of typed arrays allocated per one-thread seed step. Fewer
 * collections matter most on two threads, where a collector's helper threads take time from the
 * compute threads instead of from an idle core: the seed step's chunks run on both threads
 * (bench "peak", chunk ceiling) scaled 1.80× against 1.71× (means of seven alternating process
 * pairs, 2026-12-05; the host's noise is ±0.1 a run). Outside any scope (predict, decoding, a
 * kernel called directly) `stepCopy` is a plain copy that the caller owns.
 *
 * The contract: an array from `stepCopy` inside a scope must not be read after the scope ends.
 * The trainer opens the scope only around forward + backward of one batch (`shardGradients`) and,
 * where it packs that batch itself, around the packing too (`parallelTrainStep`); the activations,
 * input gradients and packed arrays never leave it (afterwards only the batch's layout is read;
 * final states, which stateful layers carry to the next batch, are separate arrays). The pool keeps the arrays the last four steps that copied any used,
 * and is dropped after IDLE_MS without a step, so a model that is done training holds nothing.
 */

/** A pool unused this long is dropped (its arrays become garbage). */
const IDLE_MS = 2000;
/** New arrays get this much room beyond the request, so the next batch's slightly larger N fits. */
const HEADROOM = 1.25;

/** A pooled array and the scope that last used it. */
interface Pooled {
  array: Float32Array;
  used: number;
}

/** Free arrays, any capacity. */
let free: Pooled[] = [];
/** Arrays handed out in the open scope. */
let lent: Pooled[] = [];
/** Scopes ended so far that lent something (the generation counter). */
let scopes = 0;
let depth = 0;
/** What runs when the outermost scope ends (freeing wasm rows kept for the step: `atStepEnd`). */
let atEnd: (() => void)[] = [];
let idleTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Runs `step` in a step-buffer scope (see the NOTE): arrays `stepCopy` hands out meanwhile are
 * recycled when the outermost scope ends, so nothing `step` returns may hold one.
 */
export function withStepBuffers<T>(step: () => T): T {
  if (depth === 0 && idleTimer !== null) {
    clearTimeout(idleTimer);
    idleTimer = null;
  }
  depth++;
  try {
    return step();
  } finally {
    if (--depth === 0) {
      runAtEnd();
      endScope();
    }
  }
}

/** Whether a step-buffer scope is open. */
export function inStepScope(): boolean {
  return depth > 0;
}

/**
 * Runs `release` when the open scope ends, with its step (NOTE [ rows kept in wasm between layers ]
 * in kernels/wasm/wasm_rows.ts); outside a scope, at once.
 */
export function atStepEnd(release: () => void): void {
  if (depth === 0) release();
  else atEnd.push(release);
}

function runAtEnd(): void {
  const now = atEnd;
  atEnd = [];
  for (const release of now) release();
}

/**
 * A copy of `src` (usually a view of wasm memory): in a scope, into the smallest pooled array
 * that holds it (a view of its first `src.length` floats), valid until the scope ends; outside
 * one, a new array. Batches of different Σ lengths share the pool: an array sized for the
 * largest serves the smaller ones.
 */
export function stepCopy(src: Float32Array): Float32Array {
  if (depth === 0) return src.slice();
  const out = lend(src.length);
  out.set(src);
  return out;
}

/**
 * An array of `n` floats whose every element the caller writes before reading it (its contents
 * are an earlier step's): in a scope, a pooled one (as `stepCopy`'s, valid until the scope ends);
 * outside one, a new array. For a layer's large per-step results built in JavaScript (a reversed
 * input, a merged output, their gradients).
 */
export function stepArray(n: number): Float32Array {
  return depth === 0 ? new Float32Array(n) : lend(n);
}

/**
 * `n` zeros: in a scope, a pooled array cleared (as `stepArray`'s, valid until the scope ends);
 * outside one, a new array. For results whose writer may skip elements (a loss's gradient, whose
 * rows with weight 0 some losses leave alone).
 */
export function stepZeros(n: number): Float32Array {
  return depth === 0 ? new Float32Array(n) : lend(n).fill(0);
}

/** The smallest free pooled array of at least `n` floats (or a new one), lent to this scope: a view of its first `n`. */
function lend(n: number): Float32Array {
  let best = -1;
  for (let k = 0; k < free.length; k++) {
    const len = free[k].array.length;
    if (len >= n && (best < 0 || len < free[best].array.length)) best = k;
  }
  const pooled = best >= 0 ? free.splice(best, 1)[0] : { array: new Float32Array(Math.ceil(n * HEADROOM)), used: 0 };
  lent.push(pooled);
  return pooled.array.subarray(0, n);
}

/** Drops the pool now (tests; the idle timer does it otherwise). */
export function dropStepBuffers(): void {
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = null;
  free = [];
}

/** How many arrays the pool holds, free and lent (tests). */
export function stepBufferCount(): number {
  return free.length + lent.length;
}

/** Arrays unused by this many scopes that lent something are let go. */
const GENERATIONS = 4;

/**
 * The arrays this scope lent return to the pool; arrays none of the last GENERATIONS lending
 * scopes used are let go. A scope that lent nothing (a step on the JS kernels) ages nothing, and a
 * loop that alternates up to four models keeps every set.
 */
function endScope(): void {
  if (lent.length === 0) return void startIdleTimer();
  scopes++;
  for (const p of lent) p.used = scopes;
  free = free.filter((p) => p.used > scopes - GENERATIONS).concat(lent);
  lent = [];
  startIdleTimer();
}

function startIdleTimer(): void {
  idleTimer = setTimeout(dropStepBuffers, IDLE_MS);
  (idleTimer as { unref?: () => void }).unref?.();
}

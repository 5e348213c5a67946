/**
 * Two-thread ceilings for a training step, timed in the same rounds as the step they frame.
 *
 * A ceiling step is a fixed set of pieces that the threads claim one at a time from a shared
 * counter — on two threads this thread and one worker, started by a shared flag, the step over
 * when both have run out: perfect balance, one barrier a step, nothing posted, nothing to add.
 * Two kinds of piece:
 * - "gemm": `PIECES` products of the seed step's [x h]·W shape (≈ the one-thread fit step's
 *   length). Compute alone, in L1: what any two-thread step of this length could reach on this
 *   machine at that time.
 * - "chunks": the seed step's own chunks (`CHUNKS` × 125 sequences of the seed batch), each packed
 *   and run forward and backward (`shardGradients`) on the thread's own copy of the seed model —
 *   the step's work without the thread pool around it (no messages, no gradients combined, no
 *   optimizer).
 * The fit loop against "chunks" measures what the pool costs; "chunks" against "gemm" what the
 * step's own work loses when two threads run it at once (memory traffic, collection).
 */
import { Worker } from "node:worker_threads";
import { buildSeedModel } from "../dist/cli/commands/demo.js";
import { makeModelBatch, readSamples } from "../dist/training/graph_samples.js";
import { shardGradients } from "../dist/training/train_step.js";
import { seedBatch } from "./data.js";
import { gemmOnce, PEAK_SHAPES } from "./gemm_peak_loop.js";

/** The product each "gemm" piece is (the seed step's biggest, [x h]·W of lstm(32)). */
export const CEILING_SHAPE = PEAK_SHAPES[1];

/** "gemm" pieces a step by default: 400 × 9.5 MFLOP ≈ 3.8 GFLOP, ≈ 70 ms on one thread here, like the fit step. */
export const PIECES = 400;

/** "chunks" pieces a step: the seed batch of 1000 in the chunks a two-thread step cuts it into. */
export const CHUNKS = 8;

export type CeilingKind = "gemm" | "chunks";

// control words in shared memory
const GO = 0; // incremented to start a step; −1 to stop the worker
const NEXT = 1; // the next piece to claim
const DONE = 2; // 1 once the worker has run out of pieces
const COUNT = 3; // pieces in the step
const RAN = 4; // pieces the worker ran in the last step
const KIND = 5; // 0 gemm, 1 chunks
const WORDS = 6;

/** One ceiling step: its milliseconds, and how many pieces each thread ran. */
export interface CeilingStep {
  ms: number;
  mine: number;
  theirs: number;
}

/** A thread's pieces: run piece `k` of a step of that kind. */
export type Pieces = Record<CeilingKind, (k: number) => void>;

/**
 * The pieces as one thread runs them, warmed up: its own wasm instance for the GEMM, its own seed
 * model and packed samples for the chunks (the same on every thread: same seeds).
 */
export function makePieces(): Pieces {
  const { call } = gemmOnce(CEILING_SHAPE);
  const { xs, ys } = seedBatch(125 * CHUNKS, 2, 55);
  const model = buildSeedModel(1);
  const samples = readSamples(model, xs, ys, true);
  const chunkIndices = Array.from({ length: CHUNKS }, (_, c) => Array.from({ length: 125 }, (_, i) => c * 125 + i));
  const pieces: Pieces = {
    gemm: () => call(),
    chunks: (k) => void shardGradients(model, makeModelBatch(samples, chunkIndices[k % CHUNKS])),
  };
  for (let w = 0; w < 20; w++) pieces.gemm(w);
  for (let w = 0; w < 2 * CHUNKS; w++) pieces.chunks(w);
  return pieces;
}

/** This thread and one worker, ready to time ceiling steps. */
export class CeilingPair {
  private constructor(
    private readonly control: Int32Array,
    private readonly worker: Worker,
    private readonly pieces: Pieces,
    /** "gemm" pieces a step. */
    readonly gemmPieces: number,
  ) {}

  static async start(args: { pieces?: number } = {}): Promise<CeilingPair> {
    const control = new Int32Array(new SharedArrayBuffer(4 * WORDS));
    // The worker is TypeScript too: register tsx's loader inside it, then import the script.
    const script = new URL("./parallel_ceiling_worker.ts", import.meta.url).href;
    const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: { control } });
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", (m: unknown) => (m === "ready" ? resolve() : reject(new Error(String(m)))));
      worker.once("error", reject);
    });
    const pieces = makePieces();
    await ready;
    return new CeilingPair(control, worker, pieces, args.pieces ?? PIECES);
  }

  /** One ceiling step of `kind` on `threads` (1 or 2) threads. */
  step(threads: 1 | 2, kind: CeilingKind = "gemm"): CeilingStep {
    const c = this.control;
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, RAN, 0);
    Atomics.store(c, KIND, kind === "gemm" ? 0 : 1);
    Atomics.store(c, COUNT, kind === "gemm" ? this.gemmPieces : CHUNKS);
    const t0 = performance.now();
    if (threads === 2) {
      Atomics.add(c, GO, 1);
      Atomics.notify(c, GO);
    }
    const mine = runPieces(c, this.pieces);
    if (threads === 2) while (Atomics.load(c, DONE) === 0) Atomics.wait(c, DONE, 0);
    return { ms: performance.now() - t0, mine, theirs: Atomics.load(c, RAN) };
  }

  async close(): Promise<void> {
    Atomics.store(this.control, GO, -1);
    Atomics.notify(this.control, GO);
    await this.worker.terminate();
  }
}

/** Claims and runs pieces of the step's kind until none is left (both threads run this); how many it ran. */
export function runPieces(control: Int32Array, pieces: Pieces): number {
  const count = Atomics.load(control, COUNT);
  const run = Atomics.load(control, KIND) === 0 ? pieces.gemm : pieces.chunks;
  let ran = 0;
  for (let k = Atomics.add(control, NEXT, 1); k < count; k = Atomics.add(control, NEXT, 1)) {
    run(k);
    ran++;
  }
  return ran;
}

/** The worker's side: wait for a step, run pieces, say done; until GO is −1. */
export function serveCeiling(control: Int32Array, pieces: Pieces): void {
  let seen = Atomics.load(control, GO);
  for (;;) {
    Atomics.wait(control, GO, seen);
    const go = Atomics.load(control, GO);
    if (go < 0) return;
    if (go === seen) continue;
    seen = go;
    Atomics.store(control, RAN, runPieces(control, pieces));
    Atomics.store(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}

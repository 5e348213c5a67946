/**
 * The host's parallel ceiling for a training step, timed in the same rounds as the step it frames.
 *
 * A "ceiling step" is GEMM work alone — `PIECES` products of the seed step's [x h]·W shape, ≈ the
 * one-thread fit step's length — cut into pieces that the threads claim one at a time from a
 * shared counter: on two threads, this thread and one worker started by a shared flag, the step
 * over when both have run out. Perfect balance, one barrier a step, nothing to pack, post or add:
 * what any two-thread implementation of a step this long could reach on this machine at that time.
 * Its 2-thread / 1-thread ratio of medians is the yardstick for the fit loop's: on a quiet machine
 * it is ≈ 2; where other work shares the host, the second thread pays for it, and this ratio shows
 * by how much.
 */
import { Worker } from "node:worker_threads";
import { gemmOnce, PEAK_SHAPES } from "./gemm_peak_loop.js";

/** The product each piece is (the seed step's biggest, [x h]·W of lstm(32)). */
export const CEILING_SHAPE = PEAK_SHAPES[1];

/** Pieces a step by default: 400 × 9.5 MFLOP ≈ 3.8 GFLOP, ≈ 70 ms on one thread here, like the fit step. */
export const PIECES = 400;

// control words in shared memory
const GO = 0; // incremented to start a step; −1 to stop the worker
const NEXT = 1; // the next piece to claim
const DONE = 2; // 1 once the worker has run out of pieces
const COUNT = 3; // pieces in the step
const RAN = 4; // pieces the worker ran in the last step

/** One ceiling step: its milliseconds, and how many pieces each thread ran. */
export interface CeilingStep {
  ms: number;
  mine: number;
  theirs: number;
}

/** This thread and one worker, ready to time ceiling steps. */
export class CeilingPair {
  private constructor(
    private readonly control: Int32Array,
    private readonly worker: Worker,
    private readonly call: () => void,
    /** Pieces a step. */
    readonly pieces: number,
  ) {}

  static async start(args: { pieces?: number } = {}): Promise<CeilingPair> {
    const control = new Int32Array(new SharedArrayBuffer(20));
    // The worker is TypeScript too: register tsx's loader inside it, then import the script.
    const script = new URL("./parallel_ceiling_worker.ts", import.meta.url).href;
    const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: { shape: CEILING_SHAPE, control } });
    await new Promise<void>((resolve, reject) => {
      worker.once("message", (m: unknown) => (m === "ready" ? resolve() : reject(new Error(String(m)))));
      worker.once("error", reject);
    });
    const { call } = gemmOnce(CEILING_SHAPE);
    for (let w = 0; w < 20; w++) call();
    return new CeilingPair(control, worker, call, args.pieces ?? PIECES);
  }

  /** One ceiling step on `threads` (1 or 2) threads. */
  step(threads: 1 | 2): CeilingStep {
    const c = this.control;
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, RAN, 0);
    Atomics.store(c, COUNT, this.pieces);
    const t0 = performance.now();
    if (threads === 2) {
      Atomics.add(c, GO, 1);
      Atomics.notify(c, GO);
    }
    const mine = runPieces(c, this.call);
    if (threads === 2) while (Atomics.load(c, DONE) === 0) Atomics.wait(c, DONE, 0);
    return { ms: performance.now() - t0, mine, theirs: Atomics.load(c, RAN) };
  }

  async close(): Promise<void> {
    Atomics.store(this.control, GO, -1);
    Atomics.notify(this.control, GO);
    await this.worker.terminate();
  }
}

/** Claims and runs pieces until none is left (both threads run this); how many it ran. */
export function runPieces(control: Int32Array, call: () => void): number {
  const count = Atomics.load(control, COUNT);
  let ran = 0;
  while (Atomics.add(control, NEXT, 1) < count) {
    call();
    ran++;
  }
  return ran;
}

/** The worker's side: wait for a step, run pieces, say done; until GO is −1. */
export function serveCeiling(control: Int32Array, call: () => void): void {
  let seen = Atomics.load(control, GO);
  for (;;) {
    Atomics.wait(control, GO, seen);
    const go = Atomics.load(control, GO);
    if (go < 0) return;
    if (go === seen) continue;
    seen = go;
    Atomics.store(control, RAN, runPieces(control, call));
    Atomics.store(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}

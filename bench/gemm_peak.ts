/**
 * The machine's WebAssembly SIMD GEMM ceiling, measured in the same run as the step it is compared
 * with: ragged's own `gemm` export on operands already in wasm memory (no copies), on the shapes
 * that dominate an RNN step (notes/wasm-simd.md), on one thread and on two threads at once (this
 * thread plus one worker, started together through a shared flag, each with its own module
 * instance and memory).
 *
 * GFLOP/s = 2·M·N·K per call / seconds per call. The two-thread figure adds both threads' rates
 * over the same wall-clock window.
 */
import { Worker } from "node:worker_threads";
import { gemmLoop, PEAK_SHAPES, type GemmShape } from "./gemm_peak_loop.js";

export { PEAK_SHAPES, type GemmShape };

export interface PeakResult {
  shape: GemmShape;
  /** GFLOP/s on one thread. */
  one: number;
  /** GFLOP/s of two threads together (sum). */
  two: number;
}

/** Runs a shape on this thread for `ms` milliseconds; GFLOP/s. */
export function peakOneThread(shape: GemmShape, ms: number): number {
  return gemmLoop(shape, ms).gflops;
}

/**
 * Runs the shape on this thread and one worker at the same time for `ms` milliseconds; the sum
 * of both threads' GFLOP/s.
 */
export async function peakTwoThreads(shape: GemmShape, ms: number): Promise<number> {
  const start = new Int32Array(new SharedArrayBuffer(4));
  // The worker is TypeScript too: register tsx's loader inside it, then import the script.
  const script = new URL("./gemm_peak_worker.ts", import.meta.url).href;
  const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { shape, ms, start } });
  try {
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", (m: unknown) => (m === "ready" ? resolve() : reject(new Error(String(m)))));
      worker.once("error", reject);
    });
    await ready;
    const theirs = new Promise<number>((resolve, reject) => {
      worker.once("message", (m: unknown) => resolve(Number(m)));
      worker.once("error", reject);
    });
    Atomics.store(start, 0, 1);
    Atomics.notify(start, 0);
    const mine = gemmLoop(shape, ms).gflops;
    return mine + (await theirs);
  } finally {
    await worker.terminate();
  }
}

/**
 * The second thread of the two-thread peak (gemm_peak.ts): instantiates its own wasm module,
 * says "ready", waits on the shared start flag, runs the same loop and posts its GFLOP/s.
 */
import { parentPort, workerData } from "node:worker_threads";
import { gemmLoop, type GemmShape } from "./gemm_peak_loop.js";

const { shape, ms, start } = workerData as { shape: GemmShape; ms: number; start: Int32Array };
gemmLoop(shape, 50); // instantiate and warm up before the start signal
parentPort?.postMessage("ready");
Atomics.wait(start, 0, 0);
parentPort?.postMessage(gemmLoop(shape, ms).gflops);

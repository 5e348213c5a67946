/** The second thread of the parallel ceiling (parallel_ceiling.ts): its own wasm instance, then steps until told to stop. */
import { parentPort, workerData } from "node:worker_threads";
import { gemmOnce, type GemmShape } from "./gemm_peak_loop.js";
import { serveCeiling } from "./parallel_ceiling.js";

const { shape, control } = workerData as { shape: GemmShape; control: Int32Array };
const { call } = gemmOnce(shape);
for (let w = 0; w < 20; w++) call();
parentPort?.postMessage("ready");
serveCeiling(control, call);

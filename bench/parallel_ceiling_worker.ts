/** The second thread of the parallel ceilings (parallel_ceiling.ts): its own pieces, then steps until told to stop. */
import { parentPort, workerData } from "node:worker_threads";
import { makePieces, serveCeiling } from "./parallel_ceiling.js";

const { control } = workerData as { control: Int32Array };
const pieces = makePieces();
parentPort?.postMessage("ready");
serveCeiling(control, pieces);

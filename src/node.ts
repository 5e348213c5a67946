/**
 * The Node.js entry point: everything in the platform-neutral API, plus process.stdout as the
 * default progress output (a live bar on a terminal, one line per epoch otherwise), and
 * worker_threads for data-parallel training (`threads`, default one per core).
 */
// First: lets the loader pick the relaxed-SIMD kernels (NOTE [ relaxed SIMD in Node ]).
import "./node/relaxed_simd.js";
import { setDefaultProgressOutput } from "./training/progress/output.js";

setDefaultProgressOutput(() => ({
  isTTY: Boolean(process.stdout.isTTY),
  write: (text: string) => void process.stdout.write(text),
}));

// The loggers (csvLogger, tensorBoard) write real files.
import { setDefaultLogFiles } from "./training/callbacks/log_files.js";
import { nodeLogFiles } from "./node/log_files.js";
setDefaultLogFiles(nodeLogFiles);

// Importing the threads module registers worker_threads as the training threads (one per core).
import "./node/threads.js";

export * from "./index.js";
export { nodeLogFiles } from "./node/log_files.js";
export { writeReport, checkReportPath, reportAssets } from "./node/report.js";
export { fileChunks, readJsonlFile, readUeaFile } from "./node/read_file.js";
// Importing the file handler registers the file:// scheme for model.save and loadModel.
export { fileHandler, FileHandler, nodeFileOps, type FileOps, type FileHandlerOptions } from "./node/file_handler.js";

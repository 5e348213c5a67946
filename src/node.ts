/**
 * The Node.js entry point: everything in the platform-neutral API, plus process.stdout as the
 * default progress output (a live bar on a terminal, one line per epoch otherwise).
 */
import { setDefaultProgressOutput } from "./training/progress/output.js";

setDefaultProgressOutput(() => ({
  isTTY: Boolean(process.stdout.isTTY),
  write: (text: string) => void process.stdout.write(text),
}));

export * from "./index.js";
export { fileChunks, readJsonlFile, readUeaFile } from "./node/read_file.js";
// Importing the file handler registers the file:// scheme for model.save and loadModel.
export { fileHandler, FileHandler, nodeFileOps, type FileOps, type FileHandlerOptions } from "./node/file_handler.js";

/**
 * What the commands touch outside themselves: where text goes (stdout, stderr, an output file —
 * with backpressure, so a large prediction file streams instead of piling up in memory) and the
 * model directories they load and save.
 */
import { createWriteStream, promises as fsp } from "node:fs";
import type { Writable } from "node:stream";
import { RaggedError } from "../core/errors.js";
import { loadModel, saveModel } from "../io/model_io.js";
import type { Sequential } from "../models/sequential.js";
import { fileHandler } from "../node/file_handler.js";

/** A text sink that waits when the reader is slower than the writer. */
export interface TextOut {
  write(text: string): Promise<void>;
  /** Whether it is a terminal (the progress bar redraws in place there). */
  readonly isTTY: boolean;
}

/** The command's standard streams. */
export interface CliIO {
  stdout: TextOut;
  stderr: TextOut;
}

/** A TextOut over a Node stream. */
export function streamOut(stream: Writable & { isTTY?: boolean }): TextOut {
  return {
    isTTY: Boolean(stream.isTTY),
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        const ok = stream.write(text, (err) => (err ? reject(err) : undefined));
        if (ok) resolve();
        else stream.once("drain", () => resolve());
      }),
  };
}

/** The process's stdout and stderr. */
export function processIO(): CliIO {
  return { stdout: streamOut(process.stdout), stderr: streamOut(process.stderr) };
}

/**
 * A file written through a temporary name and renamed into place by `commit`, so a failed run never
 * leaves a half-written file where the user expects a whole one.
 */
export async function openOutputFile(path: string): Promise<TextOut & { commit(): Promise<void>; abort(): Promise<void> }> {
  const tmp = `${path}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (e) => reject(new RaggedError("IO_ERROR", `Cannot write ${JSON.stringify(path)}.`, { received: e.message, help: "check that the directory exists and is writable." })));
  });
  const out = streamOut(stream);
  const close = () => new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return {
    ...out,
    async commit() {
      await close();
      await fsp.rename(tmp, path);
    },
    async abort() {
      await close().catch(() => undefined);
      await fsp.unlink(tmp).catch(() => undefined);
    },
  };
}

/**
 * Loads a model saved in a directory (`model.json` + weights) or named by its model.json.
 * @throws RaggedError IO_ERROR (missing), BAD_FILE, … naming the file.
 */
export function loadModelFrom(path: string): Promise<Sequential> {
  return loadModel(fileHandler(path));
}

/** Saves `model` with its optimizer state into `dir` (atomically: NOTE [ atomic save ] in node/file_handler.ts). */
export async function saveModelTo(model: Sequential, dir: string): Promise<void> {
  await saveModel(model, fileHandler(dir), { includeOptimizer: model.loss !== null && model.optimizer !== null });
}

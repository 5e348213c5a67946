/**
 * What the commands touch outside themselves: where text goes (stdout, stderr, an output file —
 * with backpressure, so a large prediction file streams instead of piling up in memory) and the
 * model directories they load and save.
 */
import { createWriteStream, promises as fsp } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { RaggedError } from "../core/errors.js";
import { loadModel, saveModel } from "../io/model_io.js";
import type { LayersModel } from "../models/functional.js";
import { Sequential } from "../models/sequential.js";
import { processAlive } from "../node/dir_lock.js";
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

/**
 * A TextOut over a Node stream. With `name`, a failed write (a full disk: ENOSPC) rejects with
 * IO_ERROR naming it; the stream's "error" event is always handled, so it never crashes the process.
 */
export function streamOut(stream: Writable & { isTTY?: boolean }, name?: string): TextOut {
  let failure: Error | null = null;
  const coded = (e: Error) => (name === undefined || e instanceof RaggedError ? e : writeError(name, e));
  if (name !== undefined) stream.on("error", (e) => (failure ??= coded(e)));
  return {
    isTTY: Boolean(stream.isTTY),
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        const onError = (e: Error) => reject(coded(e));
        const ok = stream.write(text, (err) => (err ? onError(err) : undefined));
        if (ok) resolve();
        else {
          stream.once("drain", () => resolve());
          stream.once("error", onError);
        }
      }),
  };
}

function writeError(path: string, e: Error): RaggedError {
  const code = (e as NodeJS.ErrnoException).code;
  return new RaggedError("IO_ERROR", `Cannot write ${JSON.stringify(path)}.`, {
    received: e.message,
    help: code === "ENOSPC" ? "the disk is full: free space or write elsewhere" : "check that the path is writable",
  });
}

/** The process's stdout and stderr. */
export function processIO(): CliIO {
  return { stdout: streamOut(process.stdout), stderr: streamOut(process.stderr) };
}

/**
 * A file written through a temporary name (`<path>.tmp-<pid>`) and renamed into place by `commit`,
 * so a failed run never leaves a half-written file where the user expects a whole one. Temporaries
 * of runs killed before their commit (their pid is gone) are removed first. The rename only ever
 * replaces a regular file or nothing: a device, pipe or socket (`/dev/null`, `/dev/stdout`, a FIFO)
 * is written in place, never replaced by a file; a directory is refused.
 * @throws RaggedError IO_ERROR naming the path (cannot open; later writes: disk full, …).
 */
export async function openOutputFile(path: string): Promise<TextOut & { commit(): Promise<void>; abort(): Promise<void> }> {
  const existing = await fsp.stat(path).catch(() => null);
  if (existing?.isDirectory()) {
    throw new RaggedError("IO_ERROR", `Cannot write ${JSON.stringify(path)}: it is a directory.`, { help: "give a file name for --out" });
  }
  const inPlace = existing !== null && !existing.isFile();
  if (!inPlace) await removeStaleTemporaries(path);
  const target = inPlace ? path : `${path}.tmp-${process.pid}`;
  const stream = createWriteStream(target);
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (e) => reject(new RaggedError("IO_ERROR", `Cannot write ${JSON.stringify(path)}.`, { received: e.message, help: "check that the directory exists and is writable." })));
  });
  const out = streamOut(stream, path);
  const close = () =>
    new Promise<void>((resolve, reject) => {
      if (stream.errored) return reject(writeError(path, stream.errored));
      stream.end((err?: Error | null) => (err ? reject(writeError(path, err)) : resolve()));
    });
  return {
    ...out,
    async commit() {
      await close();
      if (inPlace) return;
      try {
        await fsp.rename(target, path);
      } catch (e) {
        await fsp.unlink(target).catch(() => undefined);
        throw writeError(path, e as Error);
      }
    },
    async abort() {
      await close().catch(() => undefined);
      if (!inPlace) await fsp.unlink(target).catch(() => undefined);
    },
  };
}

/** Removes `<path>.tmp-<pid>` files whose process no longer runs (a predict killed with -9). */
async function removeStaleTemporaries(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.tmp-`;
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) await fsp.unlink(join(dir, name)).catch(() => undefined);
  }
}

/**
 * Loads a model saved in a directory (`model.json` + weights) or named by its model.json, for the
 * commands that read one input and one target per sample (predict, evaluate, summary): a
 * Sequential, or a functional model with one per-step input and one output.
 * @throws RaggedError IO_ERROR (missing), BAD_FILE, … naming the file; UNSUPPORTED for a
 *   functional model with several inputs or outputs, or whose input is not per step.
 */
export async function loadModelFrom(path: string): Promise<LayersModel> {
  const model = await loadModel(fileHandler(path));
  if (model instanceof Sequential) return model;
  const inputs = model.inputSpecs();
  const outputs = model.outputSpecs();
  if (inputs.length !== 1 || outputs.length !== 1 || inputs[0].kind !== "sequence") {
    const has = `${inputs.length} input${inputs.length === 1 ? "" : "s"} (${inputs.map((i) => `"${i.name}": ${i.kind === "sequence" ? "per step" : i.kind}`).join(", ")}) and ${outputs.length} output${outputs.length === 1 ? "" : "s"}`;
    throw new RaggedError("UNSUPPORTED", `${path}: the functional model "${model.name}" has ${has}; the command line reads one sequence and one target per sample.`, {
      expected: "a Sequential model, or a functional model with one per-step input and one output",
      received: has,
      help: "load it in code with loadModel (ragged-rnn/node) and call fit / predict there",
    });
  }
  return model;
}

/** Resumes training only for what `ragged train` builds: a Sequential model. */
export async function loadSequentialFrom(path: string): Promise<Sequential> {
  const model = await loadModelFrom(path);
  if (!(model instanceof Sequential)) {
    throw new RaggedError("UNSUPPORTED", `${path}: "${model.name}" is a functional model; ragged train trains Sequential models.`, {
      help: "train it in code (loadModel from ragged-rnn/node, then fit); predict, evaluate and summary take it",
    });
  }
  return model;
}

/** Saves `model` with its optimizer state into `dir` (atomically: NOTE [ atomic save ] in node/file_handler.ts). */
export async function saveModelTo(model: Sequential, dir: string): Promise<void> {
  await saveModel(model, fileHandler(dir), { includeOptimizer: model.loss !== null && model.optimizer !== null });
}

/**
 * Node-only: stream a file from disk into the platform-neutral readers of `src/data/readers/`.
 * In a browser, pass `response.body` or `[await file.text()]` to `readJsonl` / `readUea` instead.
 */
import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import { RaggedError } from "../core/errors.js";
import { readJsonl, type JsonlOptions, type JsonlRecord } from "../data/readers/jsonl.js";
import { readUea, type UeaFile, type UeaOptions } from "../data/readers/uea.js";

/** Options for {@link fileChunks}. */
export interface FileChunksOptions {
  /** Bytes per chunk. Default 64 KiB (Node's default for file streams). */
  chunkSize?: number;
}

/**
 * Reads a file as a stream of byte chunks; only one chunk is held at a time.
 *
 * @param path - the file, absolute or relative to the current directory.
 * @param options - `chunkSize` in bytes.
 * @returns an async iterable of `Uint8Array` chunks; stopping the iteration closes the file.
 * @throws RaggedError `IO_ERROR` (when iterated) if the file is missing, a directory, or unreadable.
 * @example
 * let bytes = 0;
 * for await (const chunk of fileChunks("JapaneseVowels_TRAIN.ts")) bytes += chunk.length;
 */
export async function* fileChunks(path: string, options: FileChunksOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const stream = createReadStream(path, { highWaterMark: options.chunkSize ?? 64 * 1024 });
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (e) {
    throw ioError(path, e);
  } finally {
    stream.destroy();
  }
}

/**
 * Reads a JSON Lines file of sequences (format in `src/data/readers/jsonl.ts`), streaming.
 *
 * @param path - the file; it is also the `source` in error messages unless `options.source` is set.
 * @param options - as for `readJsonl`, plus `chunkSize`.
 * @returns an async generator of `{x, y?, line}`.
 * @throws RaggedError `IO_ERROR` for a missing or unreadable file; FileError as `readJsonl`.
 * @example
 * for await (const { x, y } of readJsonlFile("train.jsonl", { features: 12 })) use(x, y);
 */
export function readJsonlFile(
  path: string,
  options: JsonlOptions & FileChunksOptions = {},
): AsyncGenerator<JsonlRecord, void, undefined> {
  return readJsonl(fileChunks(path, options), { ...options, source: options.source ?? path });
}

/**
 * Opens a sktime/UEA `.ts` file (format in `src/data/readers/uea.ts`): reads its header, then
 * streams the examples.
 *
 * @param path - the file; it is also the `source` in error messages unless `options.source` is set.
 * @param options - as for `readUea`, plus `chunkSize`.
 * @returns `{header, records}` once the header is read.
 * @throws RaggedError `IO_ERROR` for a missing or unreadable file; FileError as `readUea`.
 * @example
 * const { header, records } = await readUeaFile("JapaneseVowels_TRAIN.ts");
 * header.classLabels; // ["1", …, "9"]
 * for await (const { x, y } of records) use(x, y);
 */
export function readUeaFile(path: string, options: UeaOptions & FileChunksOptions = {}): Promise<UeaFile> {
  return readUea(fileChunks(path, options), { ...options, source: options.source ?? path });
}

function ioError(path: string, cause: unknown): RaggedError {
  const code = (cause as { code?: unknown } | null)?.code;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const help =
    code === "ENOENT"
      ? `check the path; a relative path is resolved against ${process.cwd()}.`
      : code === "EISDIR"
        ? "pass the path of a file inside the directory."
        : code === "EACCES"
          ? "check the file's permissions."
          : undefined;
  return new RaggedError("IO_ERROR", `Cannot read ${JSON.stringify(path)}.`, {
    expected: `a readable file at ${resolve(path)}`,
    received: reason,
    help,
  });
}

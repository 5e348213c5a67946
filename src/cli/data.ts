/**
 * The command line's data files: JSON Lines (`.jsonl`, `.ndjson`, `.json`) or sktime/UEA `.ts`,
 * chosen by extension, read as a stream of records (each with its line number for messages).
 *
 * @example
 * const data = await openData("JapaneseVowels_TRAIN.ts");
 * for await (const chunk of chunked(data.records, 256)) use(chunk);
 */
import { extname } from "node:path";
import { RaggedError } from "../core/errors.js";
import { readJsonlFile, readUeaFile } from "../node/read_file.js";
import type { Target } from "./labels.js";

/** One sequence of a data file. */
export interface DataRecord {
  /** [T, C] steps × features. */
  x: number[][];
  y?: Target;
  /** 1-based line in the file. */
  line: number;
  /** The record's `"id"` (JSON Lines), echoed by `predict`. */
  id?: string | number;
}

/** An opened data file; `records` streams (iterate once). */
export interface DataFile {
  path: string;
  format: "jsonl" | "uea";
  /** `@classLabel` of a `.ts` file, in header order. */
  classLabels?: readonly string[];
  records: AsyncGenerator<DataRecord, void, undefined>;
}

const JSONL_EXTENSIONS = new Set([".jsonl", ".ndjson", ".json"]);

/**
 * Opens `path` for streaming.
 * @param options - `features`: the feature count every step must have (the model's), checked as the file is read.
 * @throws RaggedError `INVALID_ARGUMENT` for an unknown extension, `IO_ERROR` for an unreadable file,
 *   `FEATURE_MISMATCH` when a `.ts` file declares other dimensions; FileError (file:line) for bad content.
 */
export async function openData(path: string, options: { features?: number } = {}): Promise<DataFile> {
  const ext = extname(path).toLowerCase();
  if (ext === ".ts") {
    const { header, records } = await readUeaFile(path);
    if (options.features !== undefined && header.dimensions !== options.features) {
      await records.return();
      throw new RaggedError("FEATURE_MISMATCH", `${path}: ${header.dimensions} dimensions per step, but the model takes ${options.features}.`, {
        help: "use data with the features the model was trained on",
      });
    }
    return { path, format: "uea", classLabels: header.classLabels, records };
  }
  if (JSONL_EXTENSIONS.has(ext)) {
    return { path, format: "jsonl", records: readJsonlFile(path, options.features === undefined ? {} : { features: options.features }) };
  }
  throw new RaggedError("INVALID_ARGUMENT", `${path}: cannot tell the data format from the extension ${JSON.stringify(ext || "(none)")}.`, {
    expected: "a .jsonl file (one sequence a line) or a sktime/UEA .ts file",
    help: 'JSON Lines look like {"x": [[0.1, 0.2], [0.3, 0.4]], "y": "cat"}; rename the file to .jsonl',
  });
}

/** Every record of `path`, in memory (training reads its data whole). */
export async function readAll(path: string, options: { features?: number } = {}): Promise<{ file: DataFile; records: DataRecord[] }> {
  const file = await openData(path, options);
  const records: DataRecord[] = [];
  for await (const r of file.records) records.push(r);
  return { file, records };
}

/** Groups a stream into arrays of up to `size` items; only one group is held at a time. */
export async function* chunked<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[], void, undefined> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

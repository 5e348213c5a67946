/**
 * Typed errors. Every error ragged throws on purpose is a `RaggedError` with a stable `code`
 * (a test asserts on the code, a user may branch on it) and a message that says what was expected,
 * what arrived and what to do.
 *
 * @example
 * try { model.fit(xs, ys); } catch (e) {
 *   if (e instanceof RaggedError && e.code === "NOT_COMPILED") model.compile({ loss: "mse", optimizer: "adam" });
 * }
 */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_COMPILED"
  | "NOT_BUILT"
  | "UNKNOWN_NAME"
  | "BAD_INPUT"
  | "BAD_SEQUENCE"
  | "FEATURE_MISMATCH"
  | "NON_FINITE"
  | "TARGET_MISMATCH"
  | "SHAPE_MISMATCH"
  | "BATCH_MISMATCH"
  | "BAD_DATASET"
  | "DATASET_EXHAUSTED"
  | "BAD_FILE"
  | "UNKNOWN_LABEL"
  | "MISSING_VALUE"
  | "IO_ERROR"
  | "UNSUPPORTED"
  /** Predictions that do not fit the loss, e.g. logits given to a loss that expects probabilities (`fromLogits`). */
  | "PREDICTION_MISMATCH"
  /** No data to train on: no sequences, or only sequences of length 0. */
  | "EMPTY_DATA"
  /** A second training call (fit, fitDataset, trainOnBatch) on a model that is already training. */
  | "MODEL_BUSY"
  /** Another process (or save) holds a directory's lock file (NOTE [ directory locks ] in node/dir_lock.ts). */
  | "LOCKED"
  /** A mask whose real steps are not one block at the start or the end of the row (see `data/mask.ts`). */
  | "MASK_NOT_CONTIGUOUS"
  /** Per-step tensors of different lengths meet (an attention key and value; per-step tensors from different inputs of a functional model). */
  | "LENGTH_MISMATCH"
  /** Model inputs given in the wrong number, or under names the model does not have. */
  | "INPUT_MISMATCH"
  /** A model output cannot be computed from the model's inputs. */
  | "GRAPH_DISCONNECTED"
  /** A layer graph in which a tensor depends on itself. */
  | "GRAPH_CYCLE";

/** Details that make the message actionable; they are also kept on the error as data. */
export interface ErrorDetails {
  /** What the code expected, e.g. `"5 features per step"`. */
  expected?: string;
  /** What arrived, e.g. `"7 features at xs[3][12]"`. */
  received?: string;
  /** What the user can do about it. */
  help?: string;
}

export class RaggedError extends Error {
  readonly code: ErrorCode;
  readonly expected?: string;
  readonly received?: string;
  readonly help?: string;

  constructor(code: ErrorCode, summary: string, details: ErrorDetails = {}) {
    const lines = [summary];
    if (details.expected !== undefined) lines.push(`- Expected: ${details.expected}`);
    if (details.received !== undefined) lines.push(`- Received: ${details.received}`);
    if (details.help !== undefined) lines.push(`- help: ${details.help}`);
    super(lines.join("\n"));
    this.name = "RaggedError";
    this.code = code;
    this.expected = details.expected;
    this.received = details.received;
    this.help = details.help;
  }
}

/** Where in a text file a problem was found. */
export interface FileLocation {
  /** The file's name as the caller gave it, e.g. `"train.jsonl"`. */
  source: string;
  /** 1-based line number. */
  line: number;
  /** The part of the line at fault, e.g. `"x"[3]`, when it is narrower than the whole line. */
  field?: string;
}

/**
 * An error found while reading a data file. The message starts `source:line:` (and `field …:` when
 * known) so editors and terminals can jump to it; the same facts are kept as properties. The `code`
 * says what kind of problem it is (`BAD_FILE` for malformed content, `FEATURE_MISMATCH`,
 * `NON_FINITE`, `UNKNOWN_LABEL`, `MISSING_VALUE`, `UNSUPPORTED`); `instanceof FileError` catches them all.
 *
 * @param code - the stable error code.
 * @param location - file name, line number and optional field.
 * @param summary - one short clause, e.g. `"wrong number of features"`.
 * @param details - expected / received / help lines.
 * @example
 * const e = new FileError("BAD_FILE", { source: "train.jsonl", line: 17, field: '"x"' }, "missing");
 * e.message; // 'train.jsonl:17: field "x": missing'
 * e.line; // 17
 */
export class FileError extends RaggedError {
  readonly source: string;
  readonly line: number;
  readonly field?: string;

  constructor(code: ErrorCode, location: FileLocation, summary: string, details: ErrorDetails = {}) {
    const field = location.field === undefined ? "" : `field ${location.field}: `;
    super(code, `${location.source}:${location.line}: ${field}${summary}`, details);
    this.name = "FileError";
    this.source = location.source;
    this.line = location.line;
    this.field = location.field;
  }
}

/** Throws `INVALID_ARGUMENT` unless `condition` holds. For checks at API boundaries. */
export function check(condition: boolean, summary: string, details: ErrorDetails = {}): asserts condition {
  if (!condition) throw new RaggedError("INVALID_ARGUMENT", summary, details);
}

/** A short, bounded description of any value for `received:` lines. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (typeof value === "object") return `an object with keys {${Object.keys(value as object).slice(0, 6).join(", ")}}`;
  return typeof value;
}

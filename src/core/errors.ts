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
  /** An option or argument out of range or of the wrong kind (`batchSize: 0`, `rate: 1.5`). */
  | "INVALID_ARGUMENT"
  /** `fit`, `evaluate` or `trainOnBatch` before `compile`. */
  | "NOT_COMPILED"
  /** A model or layer used before it has weights (no `inputShape` on the first layer, no layers). */
  | "NOT_BUILT"
  /** A name ragged does not know: a loss, metric, optimizer, activation, layer class, output or layer name. */
  | "UNKNOWN_NAME"
  /** Data that is not what the method takes: not a list, a token id that is not an integer in range. */
  | "BAD_INPUT"
  /** A sample that is not a sequence (a list of steps), e.g. a number or a BigInt64Array. */
  | "BAD_SEQUENCE"
  /** A step with another number of features than the model's input, or a flat array of partial steps. */
  | "FEATURE_MISMATCH"
  /** NaN, ±Infinity or a number beyond float32 in data, weights or a prediction; a non-number value. */
  | "NON_FINITE"
  /** Targets that do not fit the model's output or loss: count, length, width, class ids, per-output names. */
  | "TARGET_MISMATCH"
  /** Shapes that do not fit: layers that disagree, a fixed step count (`inputShape: [20, 3]`, `input({ shape: [20, 3] })`, a nested model's), weights of another shape, `perStep`. */
  | "SHAPE_MISMATCH"
  /** Lists that must pair up do not: a stateful model's fixed batch size, references and hypotheses, queries and values. */
  | "BATCH_MISMATCH"
  /** A dataset that is not an iterable of batches, or an item that is not a batch. */
  | "BAD_DATASET"
  /** A dataset that ended before `stepsPerEpoch` batches. */
  | "DATASET_EXHAUSTED"
  /** A file whose content is malformed: model.json, weights, JSONL or UEA data. */
  | "BAD_FILE"
  /** A class label the model does not know (a data file's target). */
  | "UNKNOWN_LABEL"
  /** A missing value (`?`, `NaN`) where the file format forbids it. */
  | "MISSING_VALUE"
  /** Reading or writing a file failed (no such file, a full disk); the message names the file. */
  | "IO_ERROR"
  /** A valid request ragged does not implement (a Keras field it cannot honour, a layer where it cannot go). */
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

/**
 * The error ragged throws on purpose. `message` is the summary, then `- Expected: …`,
 * `- Received: …` and `- help: …` lines; the same facts are kept as properties, so code can branch
 * on them without parsing the message.
 */
export class RaggedError extends Error {
  /** The stable code: what kind of problem (see `ErrorCode`); a test or a caller may branch on it. */
  readonly code: ErrorCode;
  /** What was expected, e.g. `"5 features per step"`; absent when the summary says it all. */
  readonly expected?: string;
  /** What arrived, with its position when there is one, e.g. `"7 features at xs[3][12]"`. */
  readonly received?: string;
  /** What to do about it, e.g. `"set inputShape: [null, 7]"`. */
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

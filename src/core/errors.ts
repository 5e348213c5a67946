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
  | "IO_ERROR"
  | "UNSUPPORTED";

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

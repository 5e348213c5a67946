/**
 * Reads sequences from JSON Lines: one JSON object a line,
 *   {"x": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "y": "cat"}
 * `x` is the sequence, a list of steps; each step is a list of numbers (its features) or a single
 * number (one feature, or a token id). `y` is optional: a class label (number or string), a number,
 * or a list with one label or number per step. Blank lines are skipped; other keys are ignored.
 * Streaming: see NOTE [ streaming readers ] in `lines.ts`.
 */
import { FileError, check, describe } from "../../core/errors.js";
import { FLOAT32_MAX, fitsFloat32 } from "../../core/float32.js";
import { splitLines, type TextChunks } from "./lines.js";

/** A target: a class label or number per sequence, or one per step. */
export type JsonlTarget = number | string | Array<number | string>;

/** One sequence read from a JSON Lines file. */
export interface JsonlRecord {
  /** [T, C] steps × features. A step written as a single number becomes `[n]`. */
  x: number[][];
  /** The target, absent when the line has no `"y"`. */
  y?: JsonlTarget;
  /** The 1-based line it came from. */
  line: number;
  /** The line's `"id"` (a string or number), when it has one; `predict` echoes it. */
  id?: string | number;
}

/** Options for {@link readJsonl}. */
export interface JsonlOptions {
  /** The file's name, used in error messages. Default `"<input>"`. */
  source?: string;
  /** The longest line accepted (default 2²⁸ characters); longer is `BAD_FILE`. */
  maxLineLength?: number;
  /** Features per step every record must have. Default: whatever the first step of the file has. */
  features?: number;
}

const EXAMPLE_LINE = '{"x": [[0.1, 0.2], [0.3, 0.4]], "y": 1}';

/**
 * Reads records one line at a time, checking every line as it goes.
 *
 * @param chunks - the file's content (strings or UTF-8 bytes, any chunk size).
 * @param options - `source` for messages; `features` to fix the feature count in advance.
 * @returns an async generator of `{x, y?, line}`, one per non-blank line.
 * @throws FileError (its message starts `source:line:`), with code
 *   - `BAD_FILE`: malformed JSON, not an object, `"x"` missing or not a list of steps (of numbers or
 *     lists of numbers), a step with no features, a malformed `"y"` or one whose per-step length
 *     differs from `"x"`, or no records at all;
 *   - `FEATURE_MISMATCH`: a step whose feature count differs from `features` (or from the first step);
 *   - `NON_FINITE`: a number that overflows to ±Infinity, or `NaN`/`Infinity` written in the file.
 * @throws RaggedError `INVALID_ARGUMENT` when `features` is not a positive integer.
 * @example
 * const text = '{"x": [[1, 2], [3, 4]], "y": "a"}\n{"x": [[5, 6]]}\n';
 * for await (const r of readJsonl([text], { source: "train.jsonl" })) console.log(r);
 * // {x: [[1, 2], [3, 4]], y: "a", line: 1}
 * // {x: [[5, 6]], line: 2}
 */
export async function* readJsonl(
  chunks: TextChunks,
  options: JsonlOptions = {},
): AsyncGenerator<JsonlRecord, void, undefined> {
  const source = options.source ?? "<input>";
  if (options.features !== undefined) {
    check(
      Number.isInteger(options.features) && options.features > 0,
      "readJsonl: `features` must be a positive integer.",
      { expected: "an integer ≥ 1", received: describe(options.features) },
    );
  }
  const features: FeatureCount =
    options.features === undefined ? { count: undefined, origin: "" } : { count: options.features, origin: "the `features` option" };

  let lastLine = 0;
  let records = 0;
  for await (const { line, lineNumber } of splitLines(chunks, { source, maxLineLength: options.maxLineLength })) {
    lastLine = lineNumber;
    if (line.trim() === "") continue;
    const value = parseJsonLine(line, { source, line: lineNumber });
    yield toRecord(value, { source, line: lineNumber }, features);
    records += 1;
  }
  if (records === 0) {
    throw new FileError("BAD_FILE", { source, line: Math.max(1, lastLine) }, "no records", {
      expected: `at least one line holding a JSON object, e.g. ${EXAMPLE_LINE}`,
      received: lastLine === 0 ? "an empty file" : `${lastLine} blank line${lastLine === 1 ? "" : "s"}`,
      help: "check the path and that the file was fully written.",
    });
  }
}

/** The feature count every step must have, and where it was fixed (for messages). */
interface FeatureCount {
  count: number | undefined;
  origin: string;
}

interface Where {
  source: string;
  line: number;
}

function parseJsonLine(text: string, where: Where): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const token = /(?<![\w"])(-?Infinity|NaN)(?![\w"])/.exec(text);
    if (token !== null) {
      throw new FileError("NON_FINITE", where, `${token[1]} is not valid JSON`, {
        expected: "finite numbers",
        received: token[1],
        help: "JSON has no NaN or Infinity; Python's json.dumps writes them unless allow_nan=False. Drop or impute those values.",
      });
    }
    throw new FileError("BAD_FILE", where, "malformed JSON", {
      expected: `one complete JSON object on the line, e.g. ${EXAMPLE_LINE}`,
      received: `${describe(text)} (${reason})`,
      help: "JSON Lines needs one record per line: no pretty-printing, no trailing commas.",
    });
  }
}

function toRecord(value: unknown, where: Where, features: FeatureCount): JsonlRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FileError("BAD_FILE", where, "each line must be a JSON object", {
      expected: `an object with a "x" key, e.g. ${EXAMPLE_LINE}`,
      received: describe(value),
    });
  }
  const object = value as Record<string, unknown>;
  const x = readX(object.x, where, features);
  const record: JsonlRecord = { x, line: where.line };
  if (object.y !== undefined) record.y = readY(object.y, x.length, where);
  if (typeof object.id === "string" || (typeof object.id === "number" && Number.isFinite(object.id))) record.id = object.id;
  return record;
}

function readX(value: unknown, where: Where, features: FeatureCount): number[][] {
  if (value === undefined) {
    throw new FileError("BAD_FILE", { ...where, field: '"x"' }, "missing", {
      expected: `a "x" key holding the sequence, e.g. ${EXAMPLE_LINE}`,
      received: "no \"x\" key",
    });
  }
  if (!Array.isArray(value)) {
    throw new FileError("BAD_FILE", { ...where, field: '"x"' }, "not a list of steps", {
      expected: "a list of steps, each a list of numbers or a single number",
      received: describe(value),
    });
  }
  const steps: number[][] = [];
  for (let t = 0; t < value.length; t++) {
    const step: unknown = value[t];
    const field = `"x"[${t}]`;
    let row: number[];
    if (typeof step === "number") {
      row = [finite(step, { ...where, field })];
    } else if (Array.isArray(step)) {
      row = step.map((v: unknown, c) => {
        const at = { ...where, field: `${field}[${c}]` };
        if (typeof v !== "number") {
          throw new FileError("BAD_FILE", at, "not a number", { expected: "a number", received: describe(v) });
        }
        return finite(v, at);
      });
    } else {
      throw new FileError("BAD_FILE", { ...where, field }, "not a step", {
        expected: "a list of numbers (the step's features) or a single number",
        received: describe(step),
      });
    }
    if (row.length === 0) {
      throw new FileError("BAD_FILE", { ...where, field }, "a step with no features", {
        expected: features.count === undefined ? "at least one number" : `a list of ${features.count} numbers`,
        received: "an empty list",
      });
    }
    if (features.count === undefined) {
      features.count = row.length;
      features.origin = `${field} on line ${where.line}, the first step of the file`;
    } else if (row.length !== features.count) {
      throw new FileError("FEATURE_MISMATCH", { ...where, field }, "wrong number of features", {
        expected: `a list of ${features.count} number${features.count === 1 ? "" : "s"} (as fixed by ${features.origin})`,
        received: typeof step === "number" ? "a single number (1 feature)" : `a list of ${row.length} number${row.length === 1 ? "" : "s"}`,
        help: "every step of every line must have the same number of features.",
      });
    }
    steps.push(row);
  }
  return steps;
}

function readY(value: unknown, steps: number, where: Where): JsonlTarget {
  const field = '"y"';
  if (typeof value === "string") return value;
  if (typeof value === "number") return finite(value, { ...where, field });
  if (Array.isArray(value)) {
    if (value.length !== steps) {
      throw new FileError("BAD_FILE", { ...where, field }, "a per-step target must have one entry per step", {
        expected: `a list of ${steps} labels or numbers (the length of "x")`,
        received: `a list of ${value.length}`,
      });
    }
    return value.map((v: unknown, t) => {
      const at = { ...where, field: `${field}[${t}]` };
      if (typeof v === "string") return v;
      if (typeof v === "number") return finite(v, at);
      throw new FileError("BAD_FILE", at, "not a label or number", {
        expected: "a string or a number",
        received: describe(v),
      });
    });
  }
  throw new FileError("BAD_FILE", { ...where, field }, "not a target", {
    expected: "a class label (string or number), a number, or a list with one per step",
    received: describe(value),
    help: value === null ? 'leave out "y" for an unlabeled record rather than writing null.' : undefined,
  });
}

function finite(v: number, at: Where & { field: string }): number {
  if (Number.isFinite(v) && !fitsFloat32(v)) {
    throw new FileError("NON_FINITE", at, "exceeds float32", {
      expected: `a number within float32 range (|v| ≤ ${FLOAT32_MAX.toExponential(6)}), as training computes in float32`,
      received: describe(v),
      help: "rescale the feature (e.g. divide by its largest value) or drop the value.",
    });
  }
  if (!Number.isFinite(v)) {
    throw new FileError("NON_FINITE", at, "not a finite number", {
      expected: "a finite number",
      received: describe(v),
      help: "a literal like 1e999 overflows to Infinity; rescale or drop the value.",
    });
  }
  return v;
}

/**
 * Reads the sktime/UEA `.ts` time-series format:
 *
 *   # comments anywhere
 *   @problemName JapaneseVowels
 *   @timeStamps false
 *   @missing false
 *   @univariate false
 *   @dimensions 2
 *   @equalLength false
 *   @classLabel true 1 2 3
 *   @data
 *   0.1,0.2,0.3:1.5,1.6,1.7:2
 *
 * Each data line is one example: each dimension's values comma-separated, dimensions separated by
 * `:`, the class label last. All dimensions of one example have the same length (its step count);
 * different examples may differ. Tags are case-insensitive. Streaming: see NOTE [ streaming readers ]
 * in `lines.ts`.
 */
import { FileError, describe } from "../../core/errors.js";
import { FLOAT32_MAX, fitsFloat32 } from "../../core/float32.js";
import { splitLines, type Line, type TextChunks } from "./lines.js";

/** What the header of a `.ts` file declares. */
export interface UeaHeader {
  /** `@problemName`, if given. */
  readonly problemName?: string;
  /** `@missing`: whether the file says it has `?` values. */
  readonly missing: boolean;
  /** True when there is one dimension (`@univariate true` declares it). */
  readonly univariate: boolean;
  /** C: dimensions (features per step): `@dimensions`, else 1 if univariate, else counted on the first example. */
  readonly dimensions: number;
  /** `@equalLength` (false when absent). */
  readonly equalLength: boolean;
  /** `@seriesLength`, if given; checked on every example when `equalLength` is true. */
  readonly seriesLength?: number;
  /** The labels of `@classLabel true …`, in header order; undefined for `@classLabel false` or none. */
  readonly classLabels?: readonly string[];
  /** The line number of `@data`. */
  readonly dataLine: number;
}

/** One example of a `.ts` file. */
export interface UeaRecord {
  /** [T, C] steps × dimensions. */
  x: number[][];
  /** The class label; absent only when the header has no class labels. */
  y?: string;
  /** The 1-based line it came from. */
  line: number;
}

/** An opened `.ts` file: the header is read, the records are read as they are iterated. */
export interface UeaFile {
  readonly header: UeaHeader;
  /** Iterate once. Breaking out of the loop (or calling `return()`) stops the underlying read. */
  readonly records: AsyncGenerator<UeaRecord, void, undefined>;
}

/** Options for {@link readUea}. */
export interface UeaOptions {
  /** The file's name, used in error messages. Default `"<input>"`. */
  source?: string;
  /** What a `?` value becomes: `"error"` (default) throws `MISSING_VALUE`; `"nan"` reads it as NaN. */
  missing?: "error" | "nan";
  /** The longest line accepted (default 2²⁸ characters); longer is `BAD_FILE`. */
  maxLineLength?: number;
}

/**
 * Reads the header (through `@data`) and returns it with a generator of the examples.
 *
 * @param chunks - the file's content (strings or UTF-8 bytes, any chunk size).
 * @param options - `source` for messages; `missing` for `?` values.
 * @returns `{header, records}` once the header is read; `records` yields `{x, y, line}`.
 * @throws FileError from the returned promise, code `BAD_FILE` for a malformed or unknown header
 *   line, a data line before `@data`, no `@data`, or no examples; `UNSUPPORTED` for
 *   `@timeStamps true` or `@targetLabel true`.
 * @throws FileError from `records`, code `FEATURE_MISMATCH` for the wrong number of dimensions;
 *   `BAD_FILE` for a missing label, dimensions of unequal length, a length other than
 *   `@seriesLength`, or a value that is not a number; `UNKNOWN_LABEL` for a label not in
 *   `@classLabel`; `MISSING_VALUE` for `?` (unless `missing: "nan"`); `NON_FINITE` for ±Infinity.
 *   Field names count from 0: `dimension 2, step 5` is `x[5][2]`.
 * @example
 * const text = "@dimensions 2\n@classLabel true a b\n@data\n1,2,3:4,5,6:b\n";
 * const { header, records } = await readUea([text], { source: "toy.ts" });
 * header.classLabels; // ["a", "b"]
 * for await (const r of records) console.log(r);
 * // {x: [[1, 4], [2, 5], [3, 6]], y: "b", line: 4}
 */
export async function readUea(chunks: TextChunks, options: UeaOptions = {}): Promise<UeaFile> {
  const source = options.source ?? "<input>";
  const lines = splitLines(chunks, { source, maxLineLength: options.maxLineLength });
  try {
    const declared = await readHeader(lines, source);
    // Peek at the first example: an empty file fails here, and an undeclared dimension count is counted.
    const { first, lastLine } = await nextDataLine(lines, declared.lastLine);
    if (first === undefined) {
      throw new FileError("BAD_FILE", { source, line: lastLine }, "no examples after @data", {
        expected: `at least one data line after @data (line ${declared.header.dataLine})`,
        received: "end of file",
        help: "check that the file was fully written.",
      });
    }
    const labelled = declared.header.classLabels !== undefined;
    const dimensions = declared.header.dimensions ?? Math.max(1, first.line.split(":").length - (labelled ? 1 : 0));
    const header: UeaHeader = { ...declared.header, dimensions, univariate: dimensions === 1 };
    return { header, records: readRecords(first, lines, header, source, options.missing ?? "error") };
  } catch (e) {
    await lines.return();
    throw e;
  }
}

const KNOWN_TAGS = "@problemName, @timeStamps, @missing, @univariate, @dimensions, @equalLength, @seriesLength, @classLabel, @data";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type DeclaredHeader = Omit<Mutable<UeaHeader>, "dimensions"> & { dimensions?: number };

async function readHeader(
  lines: AsyncGenerator<Line, void, undefined>,
  source: string,
): Promise<{ header: DeclaredHeader; lastLine: number }> {
  const header: DeclaredHeader = { missing: false, univariate: false, equalLength: false, dataLine: 0 };
  let lastLine = 0;
  for await (const { line, lineNumber } of iterate(lines)) {
    lastLine = lineNumber;
    const text = line.trim();
    if (text === "" || text.startsWith("#")) continue;
    const where = { source, line: lineNumber };
    if (!text.startsWith("@")) {
      throw new FileError("BAD_FILE", where, "data before @data", {
        expected: "header lines starting with @ (or # comments), ending with @data",
        received: describe(text),
        help: "add an @data line between the header and the first example.",
      });
    }
    const [tag = "", ...args] = text.split(/\s+/);
    const name = tag.toLowerCase();
    const at = { ...where, field: tag };
    switch (name) {
      case "@data":
        header.dataLine = lineNumber;
        if (header.dimensions === undefined && header.univariate) header.dimensions = 1;
        return { header, lastLine };
      case "@problemname":
        header.problemName = args.join(" ");
        break;
      case "@timestamps":
        if (parseBoolean(args, at)) {
          throw new FileError("UNSUPPORTED", at, "time stamps are not supported", {
            expected: "@timeStamps false: plain values, equally spaced",
            received: "@timeStamps true",
            help: "resample the series to equal spacing and write plain values.",
          });
        }
        break;
      case "@missing":
        header.missing = parseBoolean(args, at);
        break;
      case "@univariate":
        header.univariate = parseBoolean(args, at);
        break;
      case "@dimensions":
        header.dimensions = parsePositiveInteger(args, at);
        break;
      case "@equallength":
        header.equalLength = parseBoolean(args, at);
        break;
      case "@serieslength":
        header.seriesLength = parsePositiveInteger(args, at);
        break;
      case "@classlabel": {
        const labelled = parseBoolean(args.slice(0, 1), at);
        if (!labelled) {
          header.classLabels = undefined;
        } else if (args.length < 2) {
          throw new FileError("BAD_FILE", at, "no class labels listed", {
            expected: "@classLabel true followed by the labels, e.g. @classLabel true 1 2 3",
            received: describe(text),
          });
        } else {
          header.classLabels = args.slice(1);
        }
        break;
      }
      case "@targetlabel":
        if (parseBoolean(args.slice(0, 1), at)) {
          throw new FileError("UNSUPPORTED", at, "regression targets are not supported", {
            expected: "@targetLabel false (a classification file)",
            received: describe(text),
          });
        }
        break;
      default:
        throw new FileError("BAD_FILE", at, "unknown header tag", {
          expected: `one of ${KNOWN_TAGS}`,
          received: describe(tag),
        });
    }
    if (header.univariate && header.dimensions !== undefined && header.dimensions !== 1) {
      throw new FileError("BAD_FILE", where, "contradictory header", {
        expected: "@univariate true with @dimensions 1 (or no @dimensions)",
        received: `@univariate true with @dimensions ${header.dimensions}`,
      });
    }
  }
  throw new FileError("BAD_FILE", { source, line: Math.max(1, lastLine) }, "no @data line", {
    expected: "a header ending with @data, then one example a line",
    received: lastLine === 0 ? "an empty file" : "end of file",
    help: "check that this is a sktime/UEA .ts file and that it was fully written.",
  });
}

/** Iterates a generator without closing it when the loop exits early (`for await` would). */
function iterate<T>(generator: AsyncGenerator<T, void, undefined>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => ({ next: () => generator.next() }) };
}

/** The next line that is neither blank nor a comment, and the number of the last line read. */
async function nextDataLine(
  lines: AsyncGenerator<Line, void, undefined>,
  lastLine: number,
): Promise<{ first?: Line; lastLine: number }> {
  for await (const l of iterate(lines)) {
    const text = l.line.trim();
    if (text !== "" && !text.startsWith("#")) return { first: l, lastLine: l.lineNumber };
    lastLine = l.lineNumber;
  }
  return { lastLine };
}

async function* readRecords(
  first: Line,
  lines: AsyncGenerator<Line, void, undefined>,
  header: UeaHeader,
  source: string,
  missing: "error" | "nan",
): AsyncGenerator<UeaRecord, void, undefined> {
  const labels = header.classLabels === undefined ? undefined : new Set(header.classLabels);
  try {
    yield parseExample(first, header, labels, source, missing);
    for await (const l of iterate(lines)) {
      const text = l.line.trim();
      if (text === "" || text.startsWith("#")) continue;
      yield parseExample(l, header, labels, source, missing);
    }
  } finally {
    await lines.return();
  }
}

function parseExample(
  { line, lineNumber }: Line,
  header: UeaHeader,
  labels: Set<string> | undefined,
  source: string,
  missing: "error" | "nan",
): UeaRecord {
  const where = { source, line: lineNumber };
  const parts = line.split(":");
  const C = header.dimensions;
  const wanted = C + (labels === undefined ? 0 : 1);
  if (parts.length !== wanted) {
    const got = parts.length - (labels === undefined ? 0 : 1);
    const missingLabel = labels !== undefined && parts.length === C;
    throw new FileError(
      missingLabel ? "BAD_FILE" : "FEATURE_MISMATCH",
      where,
      missingLabel ? "no class label" : "wrong number of dimensions",
      {
        expected:
          `${C} dimension${C === 1 ? "" : "s"} separated by ":"` + (labels === undefined ? "" : ", then the class label"),
        received: missingLabel
          ? `${parts.length} fields, the last of them ${describe(parts[parts.length - 1]!.trim())}`
          : `${got} dimension${got === 1 ? "" : "s"}` +
            (labels === undefined ? "" : " and a label"),
        help: "every example needs the dimension count of the header (@dimensions, or the first example).",
      },
    );
  }

  let y: string | undefined;
  if (labels !== undefined) {
    y = parts.pop()!.trim();
    if (!labels.has(y)) {
      throw new FileError("UNKNOWN_LABEL", { ...where, field: "class label" }, `label ${describe(y)} is not declared`, {
        expected: `one of the @classLabel labels: ${[...labels].slice(0, 20).join(" ")}${labels.size > 20 ? " …" : ""}`,
        received: describe(y),
        help: "add the label to the @classLabel line, or fix the example.",
      });
    }
  }

  const columns = parts.map((p) => p.split(","));
  const T = columns[0]!.length;
  for (let c = 1; c < C; c++) {
    if (columns[c]!.length !== T) {
      throw new FileError("BAD_FILE", { ...where, field: `dimension ${c}` }, "dimensions of unequal length", {
        expected: `${values(T)}, as dimension 0 has`,
        received: values(columns[c]!.length),
        help: "every dimension of one example has one value per step; pad or resample the shorter ones.",
      });
    }
  }
  if (header.equalLength && header.seriesLength !== undefined && T !== header.seriesLength) {
    throw new FileError("BAD_FILE", where, "wrong series length", {
      expected: `${values(header.seriesLength)} per dimension (@equalLength true, @seriesLength ${header.seriesLength})`,
      received: values(T),
    });
  }

  const x: number[][] = [];
  for (let t = 0; t < T; t++) x.push(new Array<number>(C));
  for (let c = 0; c < C; c++) {
    const column = columns[c]!;
    for (let t = 0; t < T; t++) x[t]![c] = parseValue(column[t]!, { ...where, field: `dimension ${c}, step ${t}` }, missing);
  }
  const record: UeaRecord = { x, line: lineNumber };
  if (y !== undefined) record.y = y;
  return record;
}

const values = (n: number) => `${n} value${n === 1 ? "" : "s"}`;

function parseValue(text: string, at: { source: string; line: number; field: string }, missing: "error" | "nan"): number {
  const s = text.trim();
  if (s === "?") {
    if (missing === "nan") return NaN;
    throw new FileError("MISSING_VALUE", at, "missing value", {
      expected: "a number",
      received: '"?"',
      help: 'pass {missing: "nan"} to read "?" as NaN, then impute or mask it.',
    });
  }
  const v = s === "" ? NaN : Number(s);
  if (Number.isNaN(v)) {
    throw new FileError("BAD_FILE", at, "not a number", { expected: "a number", received: describe(s) });
  }
  if (!Number.isFinite(v)) {
    throw new FileError("NON_FINITE", at, "not a finite number", { expected: "a finite number", received: describe(s) });
  }
  if (!fitsFloat32(v)) {
    throw new FileError("NON_FINITE", at, "exceeds float32", {
      expected: `a number within float32 range (|v| ≤ ${FLOAT32_MAX.toExponential(6)}), as training computes in float32`,
      received: describe(s),
      help: "rescale the dimension or drop the value.",
    });
  }
  return v;
}

function parseBoolean(args: string[], at: { source: string; line: number; field: string }): boolean {
  const value = args.length === 1 ? args[0]!.toLowerCase() : undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new FileError("BAD_FILE", at, "expected true or false", {
    expected: `${at.field} true, or ${at.field} false`,
    received: describe(args.join(" ")),
  });
}

function parsePositiveInteger(args: string[], at: { source: string; line: number; field: string }): number {
  const v = args.length === 1 && /^\d+$/.test(args[0]!) ? Number(args[0]) : NaN;
  if (!(v >= 1)) {
    throw new FileError("BAD_FILE", at, "expected a positive integer", {
      expected: `${at.field} followed by an integer ≥ 1`,
      received: describe(args.join(" ")),
    });
  }
  return v;
}

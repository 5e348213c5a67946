/**
 * Splits a stream of text or UTF-8 bytes into numbered lines, for the file readers.
 *
 * NOTE [ streaming readers ]
 * The readers never hold a whole file: at any moment they hold the chunk being split plus one
 * partial line (the text after the last newline, waiting for the next chunk). A chunk may end in
 * the middle of a line, of a `\r\n` pair, or of a multi-byte UTF-8 character; none of these change
 * the lines produced. Lines are produced on demand, so a consumer that stops early stops the read.
 * A line longer than `maxLineLength` (default 2²⁸ characters, half of what a V8 string may hold) is
 * a `BAD_FILE` error as soon as the partial line passes the limit, never a `RangeError` later.
 */
import { FileError } from "../../core/errors.js";

/** The default longest line, in UTF-16 characters: 2²⁸ (a V8 string holds at most about 2²⁹). */
export const MAX_LINE_LENGTH = 2 ** 28;

/** Options shared by the line-based readers. */
export interface LineOptions {
  /** The file's name, used in error messages. Default `"<input>"`. */
  source?: string;
  /** The longest line accepted, in characters (default MAX_LINE_LENGTH). */
  maxLineLength?: number;
}

/** Chunks of a text file: strings, UTF-8 bytes, or a mix. Sync iterables (e.g. `[text]`) work too. */
export type TextChunks = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** One line of text without its line ending, and its 1-based number. */
export interface Line {
  readonly line: string;
  readonly lineNumber: number;
}

/**
 * Splits chunks into lines at `\n` or `\r\n`. The line ending is dropped; a leading byte order mark
 * is dropped; a last line without a newline is still produced; an empty input produces no lines.
 * See NOTE [ streaming readers ].
 *
 * @param chunks - the file's content, in pieces of any size.
 * @returns an async generator of `{line, lineNumber}`, numbered from 1.
 * @param options - `source` for messages, `maxLineLength`.
 * @throws whatever the chunk source throws; FileError `BAD_FILE` for a line longer than `maxLineLength`.
 * @example
 * const lines = [];
 * for await (const l of splitLines(["a\r\nb", "c\n", "d"])) lines.push(l);
 * // [{line: "a", lineNumber: 1}, {line: "bc", lineNumber: 2}, {line: "d", lineNumber: 3}]
 */
export async function* splitLines(chunks: TextChunks, options: LineOptions = {}): AsyncGenerator<Line, void, undefined> {
  const maxLineLength = options.maxLineLength ?? MAX_LINE_LENGTH;
  const tooLong = (length: number) =>
    new FileError("BAD_FILE", { source: options.source ?? "<input>", line: lineNumber + 1 }, "line too long", {
      expected: `lines of at most ${maxLineLength} characters`,
      received: `${length} characters so far without a line break`,
      help: "JSON Lines holds one record per line; split huge records, or check that the file is text with line breaks.",
    });
  const decoder = new TextDecoder("utf-8");
  let partial = "";
  let lineNumber = 0;
  let pendingBytes = false; // the decoder may hold the first bytes of a character
  let started = false;

  for await (const chunk of chunks) {
    let text: string;
    if (typeof chunk === "string") {
      // A string after bytes ends any half-decoded character (it becomes U+FFFD).
      text = pendingBytes ? decoder.decode() + chunk : chunk;
      pendingBytes = false;
    } else {
      text = decoder.decode(chunk, { stream: true });
      pendingBytes = true;
    }
    if (!started && text.length > 0) {
      started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // TextDecoder drops it from bytes already
    }
    // `partial` never contains "\n", so only the new text needs searching.
    let start = 0;
    let newline = text.indexOf("\n");
    while (newline !== -1) {
      if (partial.length + newline - start > maxLineLength) throw tooLong(partial.length + newline - start);
      const line = partial + text.slice(start, newline);
      partial = "";
      lineNumber += 1;
      yield { line: line.endsWith("\r") ? line.slice(0, -1) : line, lineNumber };
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    if (partial.length + text.length - start > maxLineLength) throw tooLong(partial.length + text.length - start);
    partial += text.slice(start);
  }

  if (pendingBytes) partial += decoder.decode();
  if (partial.length > 0) {
    lineNumber += 1;
    yield { line: partial.endsWith("\r") ? partial.slice(0, -1) : partial, lineNumber };
  }
}

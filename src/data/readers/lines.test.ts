import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { splitLines, type Line } from "./lines.js";

async function collect(chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of splitLines(chunks)) out.push(l);
  return out;
}

/** Cuts `bytes` at the given sorted positions. */
function cut(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const p of positions) {
    pieces.push(bytes.subarray(start, p));
    start = p;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

describe("splitLines", () => {
  it("runs its doc example", async () => {
    expect(await collect(["a\r\nb", "c\n", "d"])).toEqual([
      { line: "a", lineNumber: 1 },
      { line: "bc", lineNumber: 2 },
      { line: "d", lineNumber: 3 },
    ]);
  });

  it("keeps empty lines, drops one final newline, produces nothing for empty input", async () => {
    expect((await collect(["a\n\nb\n"])).map((l) => l.line)).toEqual(["a", "", "b"]);
    expect(await collect([])).toEqual([]);
    expect(await collect(["", new Uint8Array(0)])).toEqual([]);
    expect((await collect(["\n"])).map((l) => l.line)).toEqual([""]);
  });

  it("handles \\r\\n split across chunks and a byte order mark", async () => {
    expect((await collect(["x\r", "\ny\r", "\n"])).map((l) => l.line)).toEqual(["x", "y"]);
    expect((await collect(["\uFEFFa\nb"])).map((l) => l.line)).toEqual(["a", "b"]);
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x61]);
    expect((await collect([bom.subarray(0, 2), bom.subarray(2)])).map((l) => l.line)).toEqual(["a"]);
  });

  it("gives the same lines for every way of cutting UTF-8 bytes into chunks", async () => {
    const text = "héllo wörld\r\n日本語 €\n\n𝄞 clef\r\nend";
    const bytes = new TextEncoder().encode(text);
    const expected = await collect([text]);
    expect(expected.map((l) => l.line)).toEqual(["héllo wörld", "日本語 €", "", "𝄞 clef", "end"]);
    // Every single cut position, exhaustively.
    for (let p = 0; p <= bytes.length; p++) expect(await collect(cut(bytes, [p]))).toEqual(expected);
    // Arbitrary sets of cut positions.
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: bytes.length }), { maxLength: 12 }), async (ps) => {
        expect(await collect(cut(bytes, [...ps].sort((a, b) => a - b)))).toEqual(expected);
      }),
    );
  });

  it("yields a line before reading the chunks after it", async () => {
    let produced = 0;
    async function* source() {
      for (const c of ["one\n", "two\n", "three\n"]) {
        produced += 1;
        yield c;
      }
    }
    const it = splitLines(source());
    expect((await it.next()).value).toEqual({ line: "one", lineNumber: 1 });
    expect(produced).toBe(1);
    await it.return();
  });
});

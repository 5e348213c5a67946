import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FileError, RaggedError } from "../core/errors.js";
import type { UeaRecord } from "../data/readers/uea.js";
import { fileChunks, readJsonlFile, readUeaFile } from "./read_file.js";

const DATA = fileURLToPath(new URL("../../data/uea/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "ragged-read-file-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function readAllUea(path: string, chunkSize?: number) {
  const { header, records } = await readUeaFile(path, { chunkSize });
  const all: UeaRecord[] = [];
  for await (const r of records) all.push(r);
  return { header, records: all };
}

describe("readUeaFile on JapaneseVowels", () => {
  // Lengths 7–29 over both files (data/README.md): 7–26 in TRAIN, 7–29 in TEST (counted with awk).
  for (const [split, count, longest] of [["TRAIN", 270, 26], ["TEST", 370, 29]] as const) {
    it(`reads ${split}: ${count} examples, 12 features, lengths 7–${longest}, 9 classes`, async () => {
      const { header, records } = await readAllUea(join(DATA, `JapaneseVowels_${split}.ts`));
      expect(header).toMatchObject({ problemName: "JapaneseVowels", dimensions: 12, univariate: false, dataLine: 15 });
      expect(header.classLabels).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
      expect(records).toHaveLength(count);
      const lengths = records.map((r) => r.x.length);
      expect(Math.min(...lengths)).toBe(7);
      expect(Math.max(...lengths)).toBe(longest);
      expect(records.every((r) => r.x.every((step) => step.length === 12 && step.every(Number.isFinite)))).toBe(true);
      expect(new Set(records.map((r) => r.y)).size).toBe(9);
      expect(records[0]!.line).toBe(16);
      if (split === "TRAIN") {
        expect(records[0]!.x[0]![0]).toBe(1.860936); // first value of dimension 0
        expect(records[0]!.x[0]![1]).toBe(-0.207383); // first value of dimension 1
        expect(records.filter((r) => r.y === "1")).toHaveLength(30);
      }
    });
  }

  it("gives the same records with tiny chunks", async () => {
    const path = join(DATA, "JapaneseVowels_TRAIN.ts");
    expect(await readAllUea(path, 13)).toEqual(await readAllUea(path));
  });

  it("puts the path in FileError messages", async () => {
    const path = join(tmp, "bad.ts");
    writeFileSync(path, "@dimensions 1\n@classLabel true a\n@data\n1,2:a\n1,2:z\n");
    const { records } = await readUeaFile(path);
    const seen: UeaRecord[] = [];
    const error = await (async () => {
      try {
        for await (const r of records) seen.push(r);
      } catch (e) {
        return e;
      }
    })();
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({ code: "UNKNOWN_LABEL", source: path, line: 5 });
    expect((error as Error).message.startsWith(`${path}:5: `)).toBe(true);
  });
});

describe("readJsonlFile", () => {
  it("reads records with the path as source", async () => {
    const path = join(tmp, "train.jsonl");
    writeFileSync(path, '{"x": [[1, 2]], "y": "é"}\n{"x": [[3, 4], [5, 6]], "y": "ü"}\n{"x": [[7]]}\n');
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const r of readJsonlFile(path, { chunkSize: 3 })) seen.push(r);
      })(),
    ).rejects.toMatchObject({ code: "FEATURE_MISMATCH", source: path, line: 3 });
    expect(seen).toEqual([
      { x: [[1, 2]], y: "é", line: 1 },
      { x: [[3, 4], [5, 6]], y: "ü", line: 2 },
    ]);
  });
});

describe("fileChunks and IO errors", () => {
  it("streams a file in chunks of the asked size", async () => {
    const path = join(tmp, "bytes.txt");
    writeFileSync(path, "0123456789");
    const sizes: number[] = [];
    for await (const c of fileChunks(path, { chunkSize: 4 })) sizes.push(c.length);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it("throws IO_ERROR naming a missing file", async () => {
    const path = join(tmp, "nope.ts");
    const error = await readUeaFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RaggedError);
    expect(error).toMatchObject({ code: "IO_ERROR" });
    expect((error as Error).message).toContain(JSON.stringify(path));
    expect((error as RaggedError).received).toMatch(/ENOENT/);
    const jsonl = readJsonlFile(join(tmp, "nope.jsonl"));
    await expect(jsonl.next()).rejects.toMatchObject({ code: "IO_ERROR", message: expect.stringContaining("nope.jsonl") });
  });

  it("throws IO_ERROR for a directory", async () => {
    await expect(readUeaFile(tmp)).rejects.toMatchObject({ code: "IO_ERROR", help: expect.stringMatching(/file inside/) });
  });
});

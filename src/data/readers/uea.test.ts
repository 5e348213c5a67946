import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FileError } from "../../core/errors.js";
import { readUea, type UeaOptions, type UeaRecord } from "./uea.js";

type Chunks = Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

async function readAll(chunks: Chunks, options?: UeaOptions) {
  const { header, records } = await readUea(chunks, options);
  const out: UeaRecord[] = [];
  for await (const r of records) out.push(r);
  return { header, records: out };
}

/** Reads `text` as "toy.ts" (header and all records) and returns the FileError it throws. */
async function failure(text: string, options: UeaOptions = {}): Promise<FileError> {
  try {
    await readAll([text], { source: "toy.ts", ...options });
  } catch (e) {
    expect(e).toBeInstanceOf(FileError);
    return e as FileError;
  }
  throw new Error("expected readUea to throw");
}

const HEADER = [
  "# A toy problem", // 1
  "@problemName Toy", // 2
  "@timeStamps false", // 3
  "@missing false", // 4
  "@univariate false", // 5
  "@dimensions 2", // 6
  "@equalLength false", // 7
  "@classLabel true a b c", // 8
  "@data", // 9
];
const TOY = [...HEADER, "1,2,3:4,5,6:b", "", "# a comment", "-0.5,1e-3:7,8:a", "9:10:c"].join("\n") + "\n";

/** The toy header followed by `lines` as data lines 10, 11, … */
const toy = (...lines: string[]) => [...HEADER, ...lines].join("\n");

describe("readUea", () => {
  it("runs its doc example", async () => {
    const text = "@dimensions 2\n@classLabel true a b\n@data\n1,2,3:4,5,6:b\n";
    const { header, records } = await readUea([text], { source: "toy.ts" });
    expect(header.classLabels).toEqual(["a", "b"]);
    const all: UeaRecord[] = [];
    for await (const r of records) all.push(r);
    expect(all).toEqual([{ x: [[1, 4], [2, 5], [3, 6]], y: "b", line: 4 }]);
  });

  it("parses the header and the examples as steps × dimensions", async () => {
    const { header, records } = await readAll([TOY]);
    expect(header).toEqual({
      problemName: "Toy",
      missing: false,
      univariate: false,
      dimensions: 2,
      equalLength: false,
      classLabels: ["a", "b", "c"],
      dataLine: 9,
    });
    expect(records).toEqual([
      { x: [[1, 4], [2, 5], [3, 6]], y: "b", line: 10 },
      { x: [[-0.5, 7], [1e-3, 8]], y: "a", line: 13 },
      { x: [[9, 10]], y: "c", line: 14 },
    ]);
  });

  it("infers the dimension count when the header does not declare it", async () => {
    const { header, records } = await readAll(["@classLabel true 0 1\n@data\n1,2:3,4:5,6:1\n"]);
    expect(header.dimensions).toBe(3);
    expect(records[0]!.x).toEqual([[1, 3, 5], [2, 4, 6]]);
    const uni = await readAll(["@univariate true\n@classLabel true 0 1\n@data\n1,2,3:0\n"]);
    expect(uni.header).toMatchObject({ dimensions: 1, univariate: true });
    expect(uni.records[0]!.x).toEqual([[1], [2], [3]]);
  });

  it("reads files without class labels, and tags in any case", async () => {
    const { header, records } = await readAll(["@CLASSLABEL FALSE\n@DATA\n1,2:3,4\n"]);
    expect(header.classLabels).toBeUndefined();
    expect(records).toEqual([{ x: [[1, 3], [2, 4]], line: 3 }]);
  });

  it('reads "?" as NaN when asked', async () => {
    const { records } = await readAll([toy("1,?:3,4:a")], { missing: "nan" });
    expect(records[0]!.x).toEqual([[1, 3], [NaN, 4]]);
  });

  it("gives identical records wherever the byte stream is cut", async () => {
    const bytes = new TextEncoder().encode(TOY.replace("# a comment", "# ünïcode ☃ comment").replaceAll("\n", "\r\n"));
    const expected = await readAll([bytes]);
    expect(expected.records).toHaveLength(3);
    for (let p = 0; p <= bytes.length; p++) {
      expect(await readAll([bytes.subarray(0, p), bytes.subarray(p)])).toEqual(expected);
    }
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: bytes.length }), { maxLength: 20 }), async (cuts) => {
        const sorted = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
        const pieces = sorted.slice(1).map((end, i) => bytes.subarray(sorted[i], end));
        expect(await readAll(pieces)).toEqual(expected);
      }),
    );
  });

  it("reads the header, then one example per line, only as far as consumed", async () => {
    let produced = 0;
    async function* oneLineAtATime() {
      for (const line of HEADER) {
        produced += 1;
        yield line + "\n";
      }
      for (let i = 0; i < 1000; i++) {
        produced += 1;
        yield `${i},${i}:0,0:a\n`;
      }
    }
    const { header, records } = await readUea(oneLineAtATime());
    expect(header.dataLine).toBe(9);
    expect(produced).toBe(10); // the header and a peek at the first example
    expect((await records.next()).value).toEqual({ x: [[0, 0], [0, 0]], y: "a", line: 10 });
    expect(produced).toBe(10);
    expect((await records.next()).value).toMatchObject({ line: 11 });
    expect(produced).toBe(11);
    await records.return();
  });

  it("stops reading the source when the consumer stops", async () => {
    let closed = false;
    async function* source() {
      try {
        yield TOY;
        yield "1:2:a\n";
      } finally {
        closed = true;
      }
    }
    const { records } = await readUea(source());
    for await (const _r of records) break;
    expect(closed).toBe(true);
  });

  describe("errors name the file, the line and the field", () => {
    it("a label not declared by @classLabel", async () => {
      const e = await failure(toy("1:2:a", "1:2:d"));
      expect(e.code).toBe("UNKNOWN_LABEL");
      expect(e.message).toMatch(/^toy\.ts:11: field class label: label "d" is not declared/);
      expect(e.expected).toBe("one of the @classLabel labels: a b c");
      expect([e.source, e.line]).toEqual(["toy.ts", 11]);
    });

    it("the wrong number of dimensions", async () => {
      const e = await failure(toy("1:2:a", "1:2:3:b"));
      expect(e.code).toBe("FEATURE_MISMATCH");
      expect(e.message).toMatch(/^toy\.ts:11: wrong number of dimensions/);
      expect(e.received).toBe("3 dimensions and a label");
      const one = await failure(toy("1:a"));
      expect(one.code).toBe("BAD_FILE");
      expect(one.message).toMatch(/^toy\.ts:10: no class label/);
    });

    it("dimensions of unequal length within one example", async () => {
      const e = await failure(toy("1,2,3:4,5:a"));
      expect(e.code).toBe("BAD_FILE");
      expect(e.message).toMatch(/^toy\.ts:10: field dimension 1: dimensions of unequal length/);
      expect(e.expected).toBe("3 values, as dimension 0 has");
    });

    it("a value that is not a number, or is infinite", async () => {
      const e = await failure(toy("1,2:3,x:a"));
      expect(e.code).toBe("BAD_FILE");
      expect(e.message).toMatch(/^toy\.ts:10: field dimension 1, step 1: not a number/);
      const empty = await failure(toy("1,:3,4:a"));
      expect(empty.message).toMatch(/^toy\.ts:10: field dimension 0, step 1: not a number/);
      const inf = await failure(toy("1,2:3,Infinity:a"));
      expect(inf.code).toBe("NON_FINITE");
    });

    it('a missing value "?"', async () => {
      const e = await failure(toy("1,2:3,4:a", "1,?:3,4:a"));
      expect(e.code).toBe("MISSING_VALUE");
      expect(e.message).toMatch(/^toy\.ts:11: field dimension 0, step 1: missing value/);
      expect(e.help).toMatch(/missing: "nan"/);
    });

    it("a length other than @seriesLength", async () => {
      const text = "@equalLength true\n@seriesLength 3\n@classLabel true a\n@data\n1,2,3:a\n1,2:a\n";
      const e = await failure(text);
      expect(e.code).toBe("BAD_FILE");
      expect(e.message).toMatch(/^toy\.ts:6: wrong series length/);
    });

    it("header problems", async () => {
      const unknown = await failure("@problemName x\n@dimension 3\n@data\n1:a\n");
      expect(unknown.code).toBe("BAD_FILE");
      expect(unknown.message).toMatch(/^toy\.ts:2: field @dimension: unknown header tag/);
      const bool = await failure("@missing maybe\n@data\n1\n");
      expect(bool.message).toMatch(/^toy\.ts:1: field @missing: expected true or false/);
      const dims = await failure("@dimensions 0\n@data\n1\n");
      expect(dims.message).toMatch(/^toy\.ts:1: field @dimensions: expected a positive integer/);
      const labels = await failure("@classLabel true\n@data\n1\n");
      expect(labels.message).toMatch(/^toy\.ts:1: field @classLabel: no class labels listed/);
      const contradiction = await failure("@univariate true\n@dimensions 2\n@data\n1:2\n");
      expect(contradiction.message).toMatch(/^toy\.ts:2: contradictory header/);
      const stamps = await failure("# c\n@timeStamps true\n@data\n");
      expect(stamps.code).toBe("UNSUPPORTED");
      expect(stamps.message).toMatch(/^toy\.ts:2: field @timeStamps: time stamps are not supported/);
      const data = await failure("@dimensions 1\n1,2,3:a\n");
      expect(data.message).toMatch(/^toy\.ts:2: data before @data/);
    });

    it("an empty file, no @data, or no examples", async () => {
      const empty = await failure("");
      expect(empty.code).toBe("BAD_FILE");
      expect(empty.message).toMatch(/^toy\.ts:1: no @data line/);
      const noData = await failure("# just\n@dimensions 1\n");
      expect(noData.message).toMatch(/^toy\.ts:2: no @data line/);
      const noExamples = await failure(toy("", "# nothing"));
      expect(noExamples.code).toBe("BAD_FILE");
      expect(noExamples.message).toMatch(/^toy\.ts:11: no examples after @data/);
    });

    it("closes the source when the header is bad", async () => {
      let closed = false;
      async function* source() {
        try {
          yield "@nonsense\n";
          yield "@data\n";
        } finally {
          closed = true;
        }
      }
      await expect(readUea(source())).rejects.toMatchObject({ code: "BAD_FILE" });
      expect(closed).toBe(true);
    });
  });
});

describe("issue 15: float32 range", () => {
  it("a value beyond float32 is NON_FINITE 'exceeds float32'", async () => {
    const e = await failure(toy("1,2,3:4,5,6:b", "1e39,2:3,4:a"));
    expect(e.code).toBe("NON_FINITE");
    expect(e.message).toMatch(/exceeds float32/);
  });
});

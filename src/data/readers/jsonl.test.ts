import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FileError } from "../../core/errors.js";
import { readJsonl, type JsonlOptions, type JsonlRecord } from "./jsonl.js";

async function collect(chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>, options?: JsonlOptions) {
  const out: JsonlRecord[] = [];
  for await (const r of readJsonl(chunks, options)) out.push(r);
  return out;
}

/** Reads `text` as "train.jsonl" and returns the FileError it throws. */
async function failure(text: string, options: JsonlOptions = {}): Promise<FileError> {
  try {
    await collect([text], { source: "train.jsonl", ...options });
  } catch (e) {
    expect(e).toBeInstanceOf(FileError);
    return e as FileError;
  }
  throw new Error("expected readJsonl to throw");
}

const SMALL = [
  '{"x": [[0.5, -1], [2, 3e-2]], "y": "cat"}',
  "",
  '{"x": [[1, 2]], "y": 3, "id": "ignored"}',
  '  {"x": [], "y": 1.5}',
  '{"x": [[7, 8], [9, 10], [11, 12]], "y": ["DT", "NN", 1]}',
  '{"x": [[1e3, 0]]}',
].join("\r\n");

describe("readJsonl", () => {
  it("runs its doc example", async () => {
    const text = '{"x": [[1, 2], [3, 4]], "y": "a"}\n{"x": [[5, 6]]}\n';
    expect(await collect([text], { source: "train.jsonl" })).toEqual([
      { x: [[1, 2], [3, 4]], y: "a", line: 1 },
      { x: [[5, 6]], line: 2 },
    ]);
  });

  it("reads every kind of target, skips blank lines and keeps line numbers", async () => {
    const records = await collect([SMALL]);
    expect(records.map((r) => r.line)).toEqual([1, 3, 4, 5, 6]);
    expect(records.map((r) => r.y)).toEqual(["cat", 3, 1.5, ["DT", "NN", 1], undefined]);
    expect("y" in records[4]!).toBe(false);
    expect(records[3]!.x).toEqual([[7, 8], [9, 10], [11, 12]]);
  });

  it("reads steps written as single numbers as one feature (token ids)", async () => {
    const records = await collect(['{"x": [4, 8, 15], "y": [1, 2, 3]}\n{"x": [[16], 23]}\n']);
    expect(records.map((r) => r.x)).toEqual([[[4], [8], [15]], [[16], [23]]]);
  });

  it("gives identical records wherever the byte stream is cut", async () => {
    const bytes = new TextEncoder().encode(SMALL + "\n" + '{"x": [[1, 2]], "y": "naïve 日本"}');
    const expected = await collect([bytes]);
    expect(expected).toHaveLength(6);
    for (let p = 0; p <= bytes.length; p++) {
      expect(await collect([bytes.subarray(0, p), bytes.subarray(p)])).toEqual(expected);
    }
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: bytes.length }), { maxLength: 20 }), async (cuts) => {
        const sorted = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
        const pieces = sorted.slice(1).map((end, i) => bytes.subarray(sorted[i], end));
        expect(await collect(pieces)).toEqual(expected);
      }),
    );
  });

  it("yields the first record before the stream has produced the rest", async () => {
    let produced = 0;
    async function* oneLineAtATime() {
      for (let i = 0; i < 1000; i++) {
        produced += 1;
        yield `{"x": [[${i}]]}\n`;
      }
    }
    const records = readJsonl(oneLineAtATime());
    expect((await records.next()).value).toEqual({ x: [[0]], line: 1 });
    expect(produced).toBe(1);
    expect((await records.next()).value).toEqual({ x: [[1]], line: 2 });
    expect(produced).toBe(2);
    await records.return();
  });

  it("does not mutate the options", async () => {
    const options = { source: "a.jsonl", features: 2 };
    await collect(['{"x": [[1, 2]]}'], options);
    expect(options).toEqual({ source: "a.jsonl", features: 2 });
  });

  describe("errors name the file, the line and the field", () => {
    it("malformed JSON", async () => {
      const e = await failure('{"x": [[1]]}\n\n{"x": [[1]],}\n');
      expect(e.code).toBe("BAD_FILE");
      expect(e.message).toMatch(/^train\.jsonl:3: malformed JSON/);
      expect([e.source, e.line]).toEqual(["train.jsonl", 3]);
    });

    it("NaN or Infinity written in the file", async () => {
      const e = await failure('{"x": [[1, NaN]]}');
      expect(e.code).toBe("NON_FINITE");
      expect(e.message).toMatch(/^train\.jsonl:1: NaN is not valid JSON/);
      expect(e.help).toMatch(/allow_nan/);
    });

    it("a number that overflows to Infinity", async () => {
      const e = await failure('{"x": [[1, 2]]}\n{"x": [[1, 2], [3, -1e999]]}');
      expect(e.code).toBe("NON_FINITE");
      expect(e.message).toMatch(/^train\.jsonl:2: field "x"\[1\]\[1\]: not a finite number/);
      expect(e.field).toBe('"x"[1][1]');
    });

    it("a line that is not an object", async () => {
      const e = await failure('[[1, 2]]');
      expect(e.code).toBe("BAD_FILE");
      expect(e.message).toMatch(/^train\.jsonl:1: each line must be a JSON object/);
    });

    it('"x" missing', async () => {
      const e = await failure('{"x": [[1]]}\n{"X": [[1]]}');
      expect(e.code).toBe("BAD_FILE");
      expect(e.message).toMatch(/^train\.jsonl:2: field "x": missing/);
    });

    it('"x" not a list of steps', async () => {
      const e = await failure('{"x": "1,2,3"}');
      expect(e.code).toBe("BAD_FILE");
      expect(e.message).toMatch(/^train\.jsonl:1: field "x": not a list of steps/);
      const step = await failure('{"x": [[1], {"a": 1}]}');
      expect(step.message).toMatch(/^train\.jsonl:1: field "x"\[1\]: not a step/);
      const value = await failure('{"x": [[1, "2"]]}');
      expect(value.message).toMatch(/^train\.jsonl:1: field "x"\[0\]\[1\]: not a number/);
      const empty = await failure('{"x": [[]]}');
      expect(empty.message).toMatch(/^train\.jsonl:1: field "x"\[0\]: a step with no features/);
    });

    it("a feature count that differs from the first record", async () => {
      const twelve = JSON.stringify(Array.from({ length: 12 }, (_, i) => i));
      const eleven = JSON.stringify(Array.from({ length: 11 }, (_, i) => i));
      const lines = Array.from({ length: 16 }, () => `{"x": [${twelve}]}`);
      lines.push(`{"x": [${twelve}, ${twelve}, ${twelve}, ${eleven}]}`);
      const e = await failure(lines.join("\n"));
      expect(e.code).toBe("FEATURE_MISMATCH");
      expect(e.message).toMatch(/^train\.jsonl:17: field "x"\[3\]: wrong number of features/);
      expect(e.expected).toBe('a list of 12 numbers (as fixed by "x"[0] on line 1, the first step of the file)');
      expect(e.received).toBe("a list of 11 numbers");
    });

    it("a feature count that differs from the features option", async () => {
      const e = await failure('{"x": [5, 6]}', { features: 3 });
      expect(e.code).toBe("FEATURE_MISMATCH");
      expect(e.message).toMatch(/^train\.jsonl:1: field "x"\[0\]: wrong number of features/);
      expect(e.expected).toMatch(/3 numbers \(as fixed by the `features` option\)/);
      expect(e.received).toBe("a single number (1 feature)");
    });

    it('a malformed "y"', async () => {
      const length = await failure('{"x": [1, 2], "y": [0]}');
      expect(length.code).toBe("BAD_FILE");
      expect(length.message).toMatch(/^train\.jsonl:1: field "y": a per-step target must have one entry per step/);
      const nil = await failure('{"x": [1], "y": null}');
      expect(nil.message).toMatch(/^train\.jsonl:1: field "y": not a target/);
      expect(nil.help).toMatch(/leave out "y"/);
      const inner = await failure('{"x": [1, 2], "y": [0, [1]]}');
      expect(inner.message).toMatch(/^train\.jsonl:1: field "y"\[1\]: not a label or number/);
    });

    it("an empty file, or one with only blank lines", async () => {
      const empty = await failure("");
      expect(empty.code).toBe("BAD_FILE");
      expect(empty.message).toMatch(/^train\.jsonl:1: no records/);
      expect(empty.received).toBe("an empty file");
      const blank = await failure("\n  \n\n");
      expect(blank.message).toMatch(/^train\.jsonl:3: no records/);
    });

    it("rejects a bad features option", async () => {
      await expect(collect(["{}"], { features: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    });
  });
});

describe("issue 15: float32 range and line length", () => {
  it("a number finite in float64 but beyond float32 is NON_FINITE 'exceeds float32' with its line", async () => {
    const e = await failure('{"x": [[1, 2]], "y": 0}\n{"x": [[1e39, 1]], "y": 1}\n');
    expect(e.code).toBe("NON_FINITE");
    expect(e.message).toMatch(/^train\.jsonl:2: .*exceeds float32/);
    const y = await failure('{"x": [[1, 2]], "y": -4e38}\n');
    expect(y.code).toBe("NON_FINITE");
    expect(await collect(['{"x": [[3.4028234663852886e38, 0]]}\n'])).toHaveLength(1);
  });

  it("a line longer than maxLineLength is BAD_FILE naming the line, also when it arrives in many chunks", async () => {
    const long = `{"x": [[${"1, ".repeat(200)}1]]}`;
    const e = await failure(`{"x": [[1]]}\n${long}\n`, { maxLineLength: 300 });
    expect(e.code).toBe("BAD_FILE");
    expect(e.message).toMatch(/^train\.jsonl:2: line too long/);
    const chunks = (function* () {
      yield '{"x": [[1]]}\n{"x": [[';
      for (let k = 0; k < 1000; k++) yield "1, ";
    })();
    await expect(collect(chunks, { maxLineLength: 1000 })).rejects.toMatchObject({ code: "BAD_FILE" });
  });
});

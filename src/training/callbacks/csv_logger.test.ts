import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { layers, sequential } from "../../index.js";
import { nodeLogFiles } from "../../node/log_files.js";
import { CSVLogger, csvLogger } from "./csv_logger.js";
import { memoryLogFiles } from "./log_files.js";

function data(n: number): { xs: number[][][]; ys: number[] } {
  const xs: number[][][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + (i % 7);
    xs.push(Array.from({ length: len }, (_, t) => [Math.sin(i + t), Math.cos(i * t)]));
    ys.push(i % 3);
  }
  return { xs, ys };
}

function model() {
  const m = sequential([layers.gru({ units: 4, inputShape: [null, 2] }), layers.dense({ units: 3, activation: "softmax" })], { seed: 3 });
  m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: "adam", metrics: ["accuracy"] });
  return m;
}

function parse(text: string, sep = ","): { header: string[]; rows: string[][] } {
  expect(text.endsWith("\r\n")).toBe(true);
  const lines = text.slice(0, -2).split("\r\n");
  return { header: lines[0].split(sep), rows: lines.slice(1).map((l) => l.split(sep)) };
}

describe("csvLogger", () => {
  it("writes one row per epoch that matches the History exactly (Keras columns, \\r\\n rows)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ragged-csv-"));
    const file = join(dir, "log.csv");
    const { xs, ys } = data(30);
    const history = await model().fit(xs, ys, { epochs: 3, batchSize: 8, validationSplit: 0.2, verbose: 0, callbacks: [csvLogger({ filename: file, files: nodeLogFiles })] });
    const { header, rows } = parse(readFileSync(file, "utf8"));
    expect(header).toEqual(["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]);
    expect(rows.map((r) => r[0])).toEqual(["0", "1", "2"]);
    for (const [col, name] of header.entries()) {
      if (name === "epoch") continue;
      expect(rows.map((r) => Number(r[col]))).toEqual(history.history[name]);
    }
  });

  it("adds val_ columns written NA when there is no validation (Keras), with another separator", async () => {
    const files = memoryLogFiles();
    const { xs, ys } = data(12);
    const history = await model().fit(xs, ys, { epochs: 2, batchSize: 6, verbose: 0, callbacks: [csvLogger({ filename: "a/log.tsv", separator: "\t", files })] });
    const { header, rows } = parse(new TextDecoder().decode(files.get("a/log.tsv")), "\t");
    expect(header).toEqual(["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]);
    expect(rows.map((r) => r.slice(3))).toEqual([["NA", "NA"], ["NA", "NA"]]);
    expect(rows.map((r) => Number(r[2]))).toEqual(history.history.loss);
  });

  it("append resumes a file: one header, the epochs of both runs in order", async () => {
    const files = memoryLogFiles();
    const { xs, ys } = data(16);
    const m = model();
    const first = await m.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [csvLogger({ filename: "log.csv", files, append: true })] });
    const second = await m.fit(xs, ys, { epochs: 4, initialEpoch: 2, batchSize: 8, verbose: 0, callbacks: [csvLogger({ filename: "log.csv", files, append: true })] });
    const { header, rows } = parse(new TextDecoder().decode(files.get("log.csv")));
    expect(header[0]).toBe("epoch");
    expect(rows.map((r) => r[0])).toEqual(["0", "1", "2", "3"]);
    expect(rows.map((r) => Number(r[header.indexOf("loss")]))).toEqual([...first.history.loss, ...second.history.loss]);
    // without append the file starts over
    await m.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [csvLogger({ filename: "log.csv", files })] });
    expect(parse(new TextDecoder().decode(files.get("log.csv"))).rows).toHaveLength(1);
  });

  it("quotes a field holding the separator (excel dialect)", async () => {
    const files = memoryLogFiles();
    const logger = new CSVLogger({ filename: "q.csv", files });
    await logger.onTrainBegin();
    await logger.onEpochEnd(0, { "a,b": 1, 'say "hi"': 2, val_x: 0.5 });
    expect(new TextDecoder().decode(files.get("q.csv"))).toBe('epoch,"a,b","say ""hi""",val_x\r\n0,1,2,0.5\r\n');
  });

  it("an unwritable path fails fit with IO_ERROR before training; a later failure warns and training goes on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ragged-csv-"));
    const { xs, ys } = data(8);
    for (const filename of [join(dir, "missing-folder", "log.csv"), dir]) {
      const err = await model().fit(xs, ys, { epochs: 1, verbose: 0, callbacks: [csvLogger({ filename, files: nodeLogFiles })] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RaggedError);
      expect((err as RaggedError).code).toBe("IO_ERROR");
      expect((err as RaggedError).message).toContain(filename);
    }
    const warnings: string[] = [];
    const files = memoryLogFiles();
    let calls = 0;
    const flaky = { ...files, append: async (p: string, d: Uint8Array | string) => (++calls > 2 ? Promise.reject(new Error("disk full")) : files.append(p, d)) };
    const history = await model().fit(xs, ys, { epochs: 3, batchSize: 4, verbose: 0, callbacks: [csvLogger({ filename: "log.csv", files: flaky, log: (m) => warnings.push(m) })] });
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/csvLogger: stopped logging.*disk full/);
  });

  it("rejects bad options with INVALID_ARGUMENT", () => {
    expect(() => csvLogger({ filename: "" })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => csvLogger({ filename: "x.csv", separator: ";;" })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("does not touch a file it was told to append to until training begins", () => {
    const dir = mkdtempSync(join(tmpdir(), "ragged-csv-"));
    const file = join(dir, "keep.csv");
    writeFileSync(file, "epoch,loss\r\n0,1\r\n");
    csvLogger({ filename: file, append: true, files: nodeLogFiles });
    expect(readFileSync(file, "utf8")).toBe("epoch,loss\r\n0,1\r\n");
  });
});

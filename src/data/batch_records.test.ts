import { describe, expect, it } from "vitest";
import { layers, sequential } from "../index.js";
import { readJsonl } from "./readers/jsonl.js";
import { batchRecords } from "./batch_records.js";

const JSONL = [
  '{"x": [[0.1, 0.2], [0.3, 0.1]], "y": 1}',
  '{"x": [[0.5, 0.4]], "y": 0}',
  '{"x": [[0.2, 0.2], [0.1, 0.1], [0.9, 0.8]], "y": 1}',
].join("\n");

describe("batchRecords", () => {
  it("groups a record stream into batches, the last one smaller", async () => {
    const batches = [];
    for await (const b of batchRecords(readJsonl([JSONL], { source: "t.jsonl" }), { batchSize: 2 })) batches.push(b);
    expect(batches.map((b) => b.xs.length)).toEqual([2, 1]);
    expect(batches[0].ys).toEqual([1, 0]);
  });

  it("trains with fitDataset for several epochs when given a function that reopens the stream", async () => {
    const model = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1, activation: "sigmoid" })], { seed: 1 });
    model.compile({ loss: "binaryCrossentropy", optimizer: "adam" });
    let opened = 0;
    const history = await model.fitDataset(() => {
      opened++;
      return batchRecords(readJsonl([JSONL], { source: "t.jsonl" }), { batchSize: 2 });
    }, { epochs: 3, verbose: 0, threads: 1 });
    expect(opened).toBe(3);
    expect(history.history.loss.length).toBe(3);
  });

  it("a used-up generator object in a second epoch is a clear error, not a silent empty epoch", async () => {
    const model = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 1 });
    model.compile({ loss: "mse", optimizer: "adam" });
    const once = batchRecords(readJsonl([JSONL], { source: "t.jsonl" }), { batchSize: 2 });
    await expect(model.fitDataset(once, { epochs: 2, verbose: 0, threads: 1 })).rejects.toMatchObject({ code: "DATASET_EXHAUSTED", message: expect.stringContaining("no batch in epoch 2") });
  });

  it("rejects a bad batch size", async () => {
    await expect(batchRecords([], { batchSize: 0 }).next()).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});

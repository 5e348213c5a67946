/**
 * TensorBoard event files read back by an independent reader: TFRecord framing parsed here, every
 * CRC checked with @aws-crypto/crc32c (not the writer's CRC code), every record decoded by
 * protobufjs from the .proto text of TensorFlow's Event/Summary (not the writer's hand encoder).
 */
import { crc32c as awsCrc32c } from "@aws-crypto/crc32c";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { layers, sequential } from "../../index.js";
import { nodeLogFiles } from "../../node/log_files.js";
import { memoryLogFiles } from "./log_files.js";
import { tensorBoard } from "./tensorboard.js";

// From tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto (the fields used).
const PROTO = `
syntax = "proto3";
package tensorflow;
message SummaryValue { string node_name = 7; string tag = 1; float simple_value = 2; }
message Summary { repeated SummaryValue value = 1; }
message Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
`;
const Event = protobuf.parse(PROTO).root.lookupType("tensorflow.Event");

function masked(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: { tag: string; value: number }[];
}

/** Reads a TFRecord file, checking both CRCs of every record, and decodes each Event. */
function readEvents(bytes: Uint8Array): ReadEvent[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const events: ReadEvent[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const length = Number(view.getBigUint64(pos, true));
    expect(view.getUint32(pos + 8, true)).toBe(masked(awsCrc32c(bytes.subarray(pos, pos + 8))));
    const data = bytes.subarray(pos + 12, pos + 12 + length);
    expect(data.length).toBe(length);
    expect(view.getUint32(pos + 12 + length, true)).toBe(masked(awsCrc32c(data)));
    pos += 16 + length;
    const e = Event.toObject(Event.decode(data), { longs: Number, defaults: true }) as { wallTime: number; step: number; fileVersion: string; summary?: { value?: { tag: string; simpleValue: number }[] } };
    events.push({ wallTime: e.wallTime, step: e.step, fileVersion: e.fileVersion || undefined, scalars: (e.summary?.value ?? []).map((v) => ({ tag: v.tag, value: v.simpleValue })) });
  }
  expect(pos).toBe(bytes.length);
  return events;
}

/** tag → [[step, value], …] over a file's scalar events. */
function series(events: ReadEvent[]): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  for (const e of events) for (const s of e.scalars) (out[s.tag] ??= []).push([e.step, s.value]);
  return out;
}

function data(n: number): { xs: number[][][]; ys: number[] } {
  const xs: number[][][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(Array.from({ length: 2 + (i % 5) }, (_, t) => [Math.sin(i + t), Math.cos(i - t)]));
    ys.push(i % 2);
  }
  return { xs, ys };
}

function model() {
  const m = sequential([layers.lstm({ units: 4, inputShape: [null, 2] }), layers.dense({ units: 2, activation: "softmax" })], { seed: 5 });
  m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "adam", learningRate: 0.01 }, metrics: ["accuracy"] });
  return m;
}

const f32 = (x: number) => Math.fround(x);

describe("tensorBoard", () => {
  it("writes event files TensorBoard reads: one run folder with train/ and validation/, scalars equal to the History", async () => {
    const logDir = mkdtempSync(join(tmpdir(), "ragged-tb-"));
    const { xs, ys } = data(40);
    const batchLosses: number[] = [];
    const spy = { onBatchEnd: (_b: number, logs?: Record<string, number>) => void batchLosses.push(logs?.loss ?? NaN) };
    const history = await model().fit(xs, ys, {
      epochs: 3,
      batchSize: 8,
      validationSplit: 0.2,
      verbose: 0,
      callbacks: [tensorBoard({ logDir, updateFreq: "batch", files: nodeLogFiles }), spy],
    });
    const runs = readdirSync(logDir);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^\d{8}-\d{6}$/);
    expect(readdirSync(join(logDir, runs[0])).sort()).toEqual(["train", "validation"]);
    const read = (sub: string) => {
      const files = readdirSync(join(logDir, runs[0], sub));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\..+\.\d+\.\d+\.v2$/);
      return readEvents(new Uint8Array(readFileSync(join(logDir, runs[0], sub, files[0]))));
    };
    const train = read("train");
    const validation = read("validation");
    expect(train[0].fileVersion).toBe("brain.Event:2");
    expect(validation[0].fileVersion).toBe("brain.Event:2");
    const now = Date.now() / 1000;
    for (const e of [...train, ...validation]) expect(Math.abs(e.wallTime - now)).toBeLessThan(600);

    const t = series(train);
    const v = series(validation);
    expect(t.epoch_loss).toEqual(history.history.loss.map((x, i) => [i, f32(x)]));
    expect(t.epoch_accuracy).toEqual(history.history.accuracy.map((x, i) => [i, f32(x)]));
    expect(t.epoch_learning_rate).toEqual([0, 1, 2].map((i) => [i, f32(0.01)]));
    expect(v.epoch_loss).toEqual(history.history.val_loss.map((x, i) => [i, f32(x)]));
    expect(v.epoch_accuracy).toEqual(history.history.val_accuracy.map((x, i) => [i, f32(x)]));
    expect(Object.keys(v).sort()).toEqual(["epoch_accuracy", "epoch_loss"]);
    // batch scalars: global step 1, 2, … over all epochs, the running loss the callbacks saw
    expect(t.batch_loss).toEqual(batchLosses.map((x, i) => [i + 1, f32(x)]));
    expect(batchLosses.length).toBe(3 * 4);
  });

  it("updateFreq N logs every Nth batch; \"epoch\" none; each fit gets its own run folder", async () => {
    const files = memoryLogFiles();
    const { xs, ys } = data(24);
    const m = model();
    await m.fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [tensorBoard({ logDir: "logs", updateFreq: 4, runName: "a", files })] });
    await m.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0, callbacks: [tensorBoard({ logDir: "logs", runName: "a", files })] });
    const paths = files.paths();
    const runA = paths.filter((p) => p.startsWith("logs/a/train/"));
    const runA2 = paths.filter((p) => p.startsWith("logs/a-2/train/"));
    expect(runA).toHaveLength(1);
    expect(runA2).toHaveLength(1);
    expect(paths.some((p) => p.includes("validation"))).toBe(false);
    const every4 = series(readEvents(files.get(runA[0]) as Uint8Array));
    expect(every4.batch_loss.map(([step]) => step)).toEqual([4, 8, 12]);
    const epochOnly = series(readEvents(files.get(runA2[0]) as Uint8Array));
    expect(epochOnly.batch_loss).toBeUndefined();
    expect(epochOnly.epoch_loss.map(([step]) => step)).toEqual([0]);
  });

  it("an unwritable log folder fails fit with IO_ERROR; a later failure warns once and training goes on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ragged-tb-"));
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "not a folder");
    const { xs, ys } = data(8);
    const err = await model().fit(xs, ys, { epochs: 1, verbose: 0, callbacks: [tensorBoard({ logDir: join(blocker, "logs"), files: nodeLogFiles })] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RaggedError);
    expect((err as RaggedError).code).toBe("IO_ERROR");

    const files = memoryLogFiles();
    const warnings: string[] = [];
    const failing = { ...files, append: () => Promise.reject(new Error("disk full")) };
    const history = await model().fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [tensorBoard({ files: failing, log: (w) => warnings.push(w) })] });
    expect(history.epoch).toEqual([0, 1]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/tensorBoard: stopped logging.*disk full/);
  });

  it("rejects a bad updateFreq or runName with INVALID_ARGUMENT", () => {
    for (const args of [{ updateFreq: 0 }, { updateFreq: "step" }, { runName: "a/b" }, { logDir: "" }]) {
      expect(() => tensorBoard(args as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
  });
});

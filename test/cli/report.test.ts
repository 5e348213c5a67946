/** `ragged train --report` and `ragged evaluate --report` on JapaneseVowels (9 speakers). */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reportDataFromHtml } from "../../src/vis/render_report.js";
import { ragged, tempDir } from "./run.js";

const TRAIN = "data/uea/JapaneseVowels_TRAIN.ts";
const TEST = "data/uea/JapaneseVowels_TEST.ts";

describe("HTML reports", () => {
  it("ragged train --report: curves per epoch and per batch, the 9×9 confusion matrix with labels, accuracy by length", async () => {
    const dir = tempDir();
    const report = join(dir, "report.html");
    const run = await ragged(["train", "--data", TRAIN, "--validation", TEST, "--layers", "lstm:16", "--epochs", "3", "--batch-size", "64", "--out", join(dir, "m"), "--report", report, "--json"]);
    expect(run.stderr).toContain(`Wrote the report to ${report}`);
    expect(run.code).toBe(0);
    const epochs = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    const html = readFileSync(report, "utf8");
    expect(html).toContain("uPlot"); // the library is inside the file
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing fetched when opened
    const data = reportDataFromHtml(html);
    const training = data.training as NonNullable<typeof data.training>;
    expect(training.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    training.epochs.forEach((e, i) => {
      for (const key of ["loss", "accuracy", "val_loss", "val_accuracy"]) expect(e.logs[key]).toBeCloseTo(epochs[i][key], 5);
      expect(e.learningRate).toBeCloseTo(0.001, 10);
      expect(e.paddingEfficiency).toBeGreaterThan(0.5);
      expect(e.paddingEfficiency).toBeLessThanOrEqual(1);
      expect(e.seconds).toBeGreaterThan(0);
    });
    expect(training.batches).toHaveLength(3 * Math.ceil(270 / 64)); // 270 training sequences
    const ev = data.evaluation as NonNullable<typeof data.evaluation>;
    expect(ev.source).toContain(TEST);
    expect(ev.sequences).toBe(370);
    expect(ev.confusion?.labels).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    const matrix = ev.confusion?.matrix as number[][];
    expect(matrix).toHaveLength(9);
    expect(matrix.every((row) => row.length === 9)).toBe(true);
    expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(370);
    const diagonal = matrix.reduce((n, row, i) => n + row[i], 0);
    expect(diagonal / 370).toBeCloseTo(epochs[2].val_accuracy, 5);
    expect(ev.byLength.reduce((n, b) => n + b.count, 0)).toBe(370);
    expect(ev.byLength[0].lo).toBe(7); // JapaneseVowels: lengths 7…29 (TEST)
    expect(ev.byLength.at(-1)?.hi).toBeLessThanOrEqual(29);
  }, 90_000);

  it("ragged evaluate --report; a report path that is a folder is an IO_ERROR before any work", async () => {
    const dir = tempDir();
    const model = join(dir, "m");
    expect((await ragged(["train", "--data", TRAIN, "--layers", "gru:8", "--epochs", "1", "--out", model])).code).toBe(0);
    const report = join(dir, "eval.html");
    const ev = await ragged(["evaluate", "--model", model, "--data", TEST, "--report", report, "--json"]);
    expect(ev.code).toBe(0);
    const logs = JSON.parse(ev.stdout) as Record<string, number>;
    const data = reportDataFromHtml(readFileSync(report, "utf8"));
    expect(data.training).toBeNull();
    expect(data.logs).toEqual(logs);
    const matrix = data.evaluation?.confusion?.matrix as number[][];
    expect(matrix.reduce((n, row, i) => n + row[i], 0) / 370).toBeCloseTo(logs.accuracy, 5);

    const folder = join(dir, "reports");
    mkdirSync(folder);
    for (const args of [
      ["evaluate", "--model", model, "--data", TEST, "--report", folder],
      ["train", "--data", TRAIN, "--layers", "gru:2", "--epochs", "1", "--out", join(dir, "m2"), "--report", folder],
      ["train", "--data", TRAIN, "--layers", "gru:2", "--epochs", "1", "--out", join(dir, "m3"), "--report", join(dir, "missing", "r.html")],
    ]) {
      const bad = await ragged(args);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^ragged: error \[IO_ERROR\]: Cannot write the report to/m);
      expect(bad.stdout).not.toMatch(/Epoch/);
    }
  }, 90_000);
});

import { describe, expect, it } from "vitest";
import { layers, sequential } from "../index.js";
import { trainingRecorder } from "./recorder.js";
import { analyzePredictions, lengthBuckets, reportData } from "./report_data.js";
import { renderReport, reportDataFromHtml } from "./render_report.js";

describe("analyzePredictions", () => {
  it("counts a confusion matrix (true × predicted) and accuracy by length bucket", () => {
    const ev = analyzePredictions({
      predictions: [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]],
      targets: [0, 1, 1, [1, 0]], // ids or one-hot rows
      lengths: [2, 2, 5, 5],
      task: "classification",
      labels: ["cat", "dog"],
    });
    expect(ev.confusion).toEqual({ labels: ["cat", "dog"], matrix: [[1, 1], [1, 1]] });
    expect(ev.overall).toBe(0.5);
    expect(ev.byLength.filter((b) => b.count > 0)).toEqual([
      { lo: 2, hi: 2, count: 2, value: 1 },
      { lo: 5, hi: 5, count: 2, value: 0 },
    ]);
    expect(ev.byLength.reduce((n, b) => n + b.count, 0)).toBe(4);
  });

  it("per-step models count steps; regression reports mse", () => {
    const steps = analyzePredictions({ predictions: [[[0.9, 0.1], [0.1, 0.9], [0.8, 0.2]]], targets: [[0, 1, 1]], lengths: [3], task: "classification" });
    expect(steps.rows).toBe(3);
    expect(steps.overall).toBeCloseTo(2 / 3, 12);
    expect(steps.confusion?.labels).toEqual(["0", "1"]);
    const reg = analyzePredictions({ predictions: [[1], [3]], targets: [0, 1], lengths: [1, 30], task: "regression" });
    expect(reg.metric).toBe("mse");
    expect(reg.overall).toBe((1 + 4) / 2);
    expect(reg.confusion).toBeNull();
    expect(reg.byLength[0]).toEqual({ lo: 1, hi: 3, count: 1, value: 1 });
    expect(reg.byLength.at(-1)).toEqual({ lo: 28, hi: 30, count: 1, value: 4 });
  });

  it("makes at most 12 equal-width buckets covering every length", () => {
    const b = lengthBuckets([7, 29, 12]);
    expect(b.length).toBeLessThanOrEqual(12);
    expect(b[0].lo).toBe(7);
    expect(b.at(-1)?.hi).toBe(29);
    for (let i = 1; i < b.length; i++) expect(b[i].lo).toBe(b[i - 1].hi + 1);
  });

  it("rejects predictions and targets of different counts with BATCH_MISMATCH", () => {
    expect(() => analyzePredictions({ predictions: [[1, 0]], targets: [], lengths: [1], task: "classification" })).toThrow(expect.objectContaining({ code: "BATCH_MISMATCH" }));
  });
});

describe("reportData + renderReport", () => {
  it("records per-batch and per-epoch curves, learning rate, time and padding efficiency; the HTML holds them and nothing from the network", async () => {
    const xs = Array.from({ length: 20 }, (_, i) => Array.from({ length: 1 + (i % 9) }, (_, t) => [Math.sin(i + t)]));
    const ys = xs.map((_, i) => i % 2);
    const model = sequential([layers.simpleRNN({ units: 3, inputShape: [null, 1] }), layers.dense({ units: 2, activation: "softmax" })], { seed: 2 });
    model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "sgd", learningRate: 0.05 }, metrics: ["accuracy"] });
    const recorder = trainingRecorder();
    const history = await model.fit(xs, ys, { epochs: 3, batchSize: 8, validationSplit: 0.25, verbose: 0, callbacks: [recorder] });
    const data = reportData({ title: "a <b> & </script>", recorder, batchStats: history.batchStats });
    expect(data.training?.epochs.map((e) => e.logs.loss)).toEqual(history.history.loss);
    expect(data.training?.epochs.map((e) => e.paddingEfficiency)).toEqual(history.batchStats.map((s) => s.paddingEfficiency));
    expect(data.training?.epochs.every((e) => e.learningRate === 0.05 && (e.seconds ?? -1) >= 0)).toBe(true);
    expect(data.training?.batches.map((b) => b.step)).toEqual([1, 2, 3, 4, 5, 6]); // 15 sequences in batches of 8: 2 per epoch
    expect(data.training?.batches.at(-1)?.logs.loss).toBe(history.history.loss.at(-1));

    const html = renderReport(data, { uplotJs: "window.uPlot = function () {};", uplotCss: ".u{}" });
    expect(reportDataFromHtml(html)).toEqual(data);
    expect(html).toContain("<title>a &lt;b&gt; &amp; &lt;/script&gt;</title>");
    expect(html.match(/<\/script>/g)).toHaveLength(3); // the title's "</script>" did not end a script early
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
  });
});

describe("UPLOT_CSS", () => {
  it("is the installed uPlot's stylesheet", async () => {
    const { readFileSync } = await import("node:fs");
    const { createRequire } = await import("node:module");
    const { UPLOT_CSS } = await import("./uplot_css.js");
    expect(UPLOT_CSS).toBe(readFileSync(createRequire(import.meta.url).resolve("uplot/dist/uPlot.min.css"), "utf8"));
  });
});

import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { MetricAccumulator, binaryAccuracy, categoricalAccuracy, meanAbsoluteError, meanSquaredError, metricNames, resolveMetric, sparseCategoricalAccuracy } from "./metrics.js";

const f32 = (a: number[]) => Float32Array.from(a);
const run = (m: ReturnType<typeof resolveMetric>, pred: number[], target: number[], rows: number, width: number) => Array.from(m.compute({ pred: f32(pred), target: f32(target), rows, width }));

describe("metric values (Keras functions)", () => {
  it("binaryAccuracy: mean over the last axis of y == (p > threshold); p == threshold counts as 0", () => {
    expect(run(binaryAccuracy(), [0.7, 0.2], [1, 1], 1, 2)).toEqual([0.5]);
    expect(run(binaryAccuracy(), [0.5, 0.51, 0.1, 0.9], [0, 1, 0, 0], 2, 2)).toEqual([1, 0.5]);
    expect(run(binaryAccuracy({ threshold: 0.05 }), [0.1], [1], 1, 1)).toEqual([1]);
  });

  it("categoricalAccuracy compares argmaxes (first maximum on ties)", () => {
    expect(run(categoricalAccuracy(), [0.1, 0.9, 0.8, 0.2], [0, 1, 0, 1], 2, 2)).toEqual([1, 0]);
    expect(run(categoricalAccuracy(), [0.5, 0.5, 0], [1, 0, 0], 1, 3)).toEqual([1]);
  });

  it("sparseCategoricalAccuracy compares argmax with the class id", () => {
    expect(run(sparseCategoricalAccuracy(), [0.1, 0.9, 0.8, 0.2], [1, 1], 2, 2)).toEqual([1, 0]);
    expect(() => run(sparseCategoricalAccuracy(), [0.1, 0.9], [2], 1, 2)).toThrow(/target row 0/);
  });

  it("mae and mse average over the last axis", () => {
    expect(run(meanAbsoluteError({ name: "mae" }), [1, -2], [0, 0], 1, 2)).toEqual([1.5]);
    expect(run(meanSquaredError({ name: "mse" }), [1, 2], [0, 0], 1, 2)).toEqual([2.5]);
  });

  it("rejects targets of the wrong size with TARGET_MISMATCH", () => {
    try {
      run(categoricalAccuracy(), [0.1, 0.9], [1], 1, 2);
      expect.fail("no error");
    } catch (e) {
      expect((e as RaggedError).code).toBe("TARGET_MISMATCH");
    }
  });
});

describe("resolveMetric (Keras compile's choice of accuracy)", () => {
  const kind = (name: string, loss: string | { name: string; fromLogits?: boolean }, outputWidth?: number) => {
    const m = resolveMetric(name, { loss, outputWidth });
    // Tell the kinds apart by behaviour on a probe.
    if (outputWidth === 1 || (typeof loss === "string" ? loss : loss.name).toLowerCase().includes("binary")) return run(m, [0.7, 0.2], [1, 1], 1, 2)[0] === 0.5 ? "binary" : "?";
    try {
      return run(m, [0.2, 0.8], [1], 1, 2)[0] === 1 ? "sparse" : "?";
    } catch {
      return run(m, [0.2, 0.8], [0, 1], 1, 2)[0] === 1 ? "categorical" : "?";
    }
  };

  it("picks binary, sparse or categorical accuracy from the loss and output width", () => {
    expect(kind("accuracy", "categoricalCrossentropy", 3)).toBe("categorical");
    expect(kind("accuracy", "sparse_categorical_crossentropy", 3)).toBe("sparse");
    expect(kind("acc", { name: "sparseCategoricalCrossentropy", fromLogits: true })).toBe("sparse");
    expect(kind("accuracy", "binaryCrossentropy", 2)).toBe("binary");
    expect(kind("accuracy", "mse", 1)).toBe("binary");
  });

  it("keeps the name the user gave", () => {
    expect(resolveMetric("accuracy", { loss: "categoricalCrossentropy" }).name).toBe("accuracy");
    expect(resolveMetric("acc", { loss: "sparseCategoricalCrossentropy", outputWidth: 5 }).name).toBe("acc");
    expect(resolveMetric("mae").name).toBe("mae");
    expect(resolveMetric("meanSquaredError").name).toBe("meanSquaredError");
    expect(resolveMetric("sparse_categorical_accuracy").name).toBe("sparse_categorical_accuracy");
    expect(resolveMetric("binary_crossentropy").name).toBe("binary_crossentropy");
  });

  it("accepts loss names as metrics (per-row loss values)", () => {
    expect(run(resolveMetric("mean_squared_error"), [1, 2], [0, 0], 1, 2)).toEqual([2.5]);
    expect(run(resolveMetric("categorical_crossentropy"), [0.9, 0.05, 0.05], [1, 0, 0], 1, 3)[0]).toBeCloseTo(0.10536, 5);
  });

  it("passes a Metric through, and rejects unknown names with UNKNOWN_NAME", () => {
    const m = binaryAccuracy();
    expect(resolveMetric(m)).toBe(m);
    expect(() => resolveMetric("f1")).toThrow(RaggedError);
    expect(metricNames()).toContain("sparseCategoricalAccuracy");
  });
});

describe("MetricAccumulator (Keras Mean: Σ v·m·w / Σ m·w across batches)", () => {
  it("the @example", () => {
    const acc = new MetricAccumulator(resolveMetric("accuracy", { loss: "categoricalCrossentropy", outputWidth: 2 }));
    acc.update(f32([1, 0, 1]), f32([1, 1, 0]), null);
    expect(acc.result()).toBe(0.5);
    expect(acc.name).toBe("accuracy");
  });

  it("weights rows by mask·weight and accumulates across batches until reset", () => {
    const acc = new MetricAccumulator(meanAbsoluteError({ name: "mae" }));
    expect(acc.result()).toBe(0); // nothing seen: 0, as Keras' divide_no_nan
    acc.update(f32([1, 2, NaN]), f32([1, 1, 0]), f32([1, 3, 5])); // masked NaN row adds nothing
    acc.update(f32([4]), null, f32([2]));
    expect(acc.result()).toBeCloseTo((1 * 1 + 2 * 3 + 4 * 2) / (1 + 3 + 2), 12);
    acc.reset();
    acc.update(f32([7]), null, null);
    expect(acc.result()).toBe(7);
  });

  it("updateFrom computes with the metric, then updates", () => {
    const acc = new MetricAccumulator(sparseCategoricalAccuracy({ name: "acc" }));
    acc.updateFrom({ pred: f32([0.1, 0.9, 0.8, 0.2, 0.3, 0.7]), target: f32([1, 1, 0]), rows: 3, width: 2, mask: f32([1, 1, 0]), weights: null });
    expect(acc.result()).toBe(0.5);
  });
});

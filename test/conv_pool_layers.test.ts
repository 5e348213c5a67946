/**
 * conv1d, maxPooling1D and averagePooling1D on ragged batches: finite-difference gradients (every
 * padding mode, strides, dilation — TF.js has no dilated-conv gradient), each sequence's output
 * unchanged by its batch-mates' lengths, the window geometry (lengths, edge taps, holes), training
 * with per-step targets that follow the new lengths, and coded errors.
 */
import { describe, expect, it } from "vitest";
import { RaggedError } from "../src/core/errors.js";
import { Random } from "../src/core/random.js";
import { packLayout } from "../src/data/packed.js";
import { layers, sequential } from "../src/index.js";
import type { Layer } from "../src/layers/layer.js";
import { windowOutputLength, windowPlan } from "../src/layers/_internal/windows.js";
import { builtLayer, checkLayerGradients, maxRelDiff, randomPackedInput, randomSequences } from "./harness.js";

const LENGTHS = [7, 2, 0, 5, 9, 1];

describe("conv1d / pooling: finite-difference gradients on a ragged batch (lengths 7, 2, 0, 5, 9, 1)", () => {
  const convCases: [string, Parameters<typeof layers.conv1d>[0]][] = [
    ["valid k3", { filters: 3, kernelSize: 3, biasInitializer: "glorotUniform" }],
    ["valid k2 strides 3, tanh", { filters: 2, kernelSize: 2, strides: 3, activation: "tanh" }],
    ["same k4 strides 2", { filters: 3, kernelSize: 4, strides: 2, padding: "same", biasInitializer: "glorotUniform" }],
    ["causal k3 sigmoid", { filters: 2, kernelSize: 3, padding: "causal", activation: "sigmoid" }],
    ["valid k3 dilation 2", { filters: 3, kernelSize: 3, dilationRate: 2 }],
    ["same k3 dilation 3", { filters: 2, kernelSize: 3, dilationRate: 3, padding: "same", biasInitializer: "glorotUniform" }],
    ["causal k2 dilation 4, no bias", { filters: 2, kernelSize: 2, dilationRate: 4, padding: "causal", useBias: false }],
  ];
  for (const [name, args] of convCases) {
    it(`conv1d ${name}`, () => {
      const layer = builtLayer(layers.conv1d(args), 3);
      expect(checkLayerGradients(layer, randomPackedInput(5, LENGTHS, 3))).toBeGreaterThan(40);
    });
  }
  const poolCases: [string, () => Layer][] = [
    ["maxPooling1D 2", () => layers.maxPooling1D({ poolSize: 2 })],
    ["maxPooling1D 3 strides 2 same", () => layers.maxPooling1D({ poolSize: 3, strides: 2, padding: "same" })],
    ["averagePooling1D 3 valid", () => layers.averagePooling1D({ poolSize: 3, strides: 1 })],
    ["averagePooling1D 3 strides 2 same", () => layers.averagePooling1D({ poolSize: 3, strides: 2, padding: "same" })],
  ];
  for (const [name, make] of poolCases) {
    it(name, () => {
      const layer = builtLayer(make(), 2);
      // distinct values ≥ 0.05 apart, so a ±0.01 step never swaps which entry is a window's maximum
      const input = randomPackedInput(6, LENGTHS, 2);
      const order = new Random(8).permutation(input.data.length);
      const data = Float32Array.from(order, (r) => (r - input.data.length / 2) * 0.05);
      expect(checkLayerGradients(layer, { ...input, data })).toBeGreaterThan(30);
    });
  }
});

describe("each sequence as if alone: outputs do not depend on batch-mates' lengths", () => {
  const models: [string, () => Layer[]][] = [
    ["conv1d valid → lstm", () => [layers.conv1d({ filters: 4, kernelSize: 3, inputShape: [null, 3] }), layers.lstm({ units: 3, returnSequences: true })]],
    ["conv1d same strides 2 → maxPooling1D same", () => [layers.conv1d({ filters: 4, kernelSize: 4, strides: 2, padding: "same", inputShape: [null, 3] }), layers.maxPooling1D({ poolSize: 3, padding: "same" })]],
    ["conv1d causal dilation 2 → averagePooling1D", () => [layers.conv1d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: "causal", inputShape: [null, 3] }), layers.averagePooling1D({ poolSize: 2 })]],
    ["conv1d valid → globalMaxPooling1D → dense", () => [layers.conv1d({ filters: 4, kernelSize: 2, inputShape: [null, 3] }), layers.globalMaxPooling1D(), layers.dense({ units: 2 })]],
  ];
  for (const [name, make] of models) {
    it(name, () => {
      const model = sequential(make(), { seed: 9 });
      const xs = randomSequences(new Random(4), [12, 3, 8, 1, 5, 0], 3);
      const together = model.predict(xs) as unknown[];
      xs.forEach((x, i) => {
        const alone = (model.predict([x]) as unknown[])[0];
        const a = (together[i] as number[]).flat(2) as number[];
        const b = (alone as number[]).flat(2) as number[];
        expect(a.length, `sequence ${i}`).toBe(b.length);
        expect(maxRelDiff(a, b), `sequence ${i}`).toBeLessThan(1e-6);
      });
      // the same batch in another order gives every sequence the same output
      const order = [4, 0, 5, 2, 1, 3];
      const shuffled = model.predict(order.map((i) => xs[i])) as unknown[];
      order.forEach((i, k) => expect(shuffled[k]).toEqual(together[i]));
    });
  }
});

describe("window geometry (NOTE [ windows over ragged sequences ])", () => {
  it("output lengths per padding mode, as Keras on each sequence alone", () => {
    const w = (padding: "valid" | "same" | "causal", size: number, stride: number, dilation = 1) => ({ size, stride, dilation, padding });
    expect([0, 1, 2, 3, 7].map((L) => windowOutputLength(L, w("valid", 3, 1)))).toEqual([0, 0, 0, 1, 5]);
    expect([0, 1, 5, 6, 7].map((L) => windowOutputLength(L, w("same", 3, 2)))).toEqual([0, 1, 3, 3, 4]);
    expect([0, 1, 5, 6].map((L) => windowOutputLength(L, w("causal", 3, 2)))).toEqual([0, 1, 3, 3]);
    expect([4, 5, 9].map((L) => windowOutputLength(L, w("valid", 3, 1, 2)))).toEqual([0, 1, 5]);
  });

  it("same padding reads zeros at each sequence's own edges, never a neighbour's rows", () => {
    const layout = packLayout([3, 1]); // rows: a0 x0 | a1 | a2
    const plan = windowPlan(layout, null, { size: 3, stride: 1, dilation: 1, padding: "same" });
    expect(Array.from(plan.layout.lengths)).toEqual([3, 1]);
    // output rows a0' x0' | a1' | a2', taps [t−1, t, t+1]
    expect(Array.from(plan.taps)).toEqual([-1, 0, 2, /* x0' */ -1, 1, -1, /* a1' */ 0, 2, 3, /* a2' */ 2, 3, -1]);
    expect(plan.mask).toBeNull();
  });

  it("a masked step (hole) is a zero tap; an output step is real when its window holds a real step", () => {
    const layout = packLayout([5]);
    const mask = Uint8Array.from([1, 0, 0, 0, 1]);
    const plan = windowPlan(layout, mask, { size: 2, stride: 2, dilation: 1, padding: "valid" });
    expect(Array.from(plan.layout.lengths)).toEqual([2]);
    expect(Array.from(plan.taps)).toEqual([0, -1, -1, -1]);
    expect(Array.from(plan.mask ?? [])).toEqual([1, 0]);
  });

  it("model shapes: a known length follows the window, an unknown one stays null", () => {
    const m = sequential([layers.conv1d({ filters: 2, kernelSize: 3, strides: 2, inputShape: [11, 4] }), layers.maxPooling1D({ poolSize: 2 })]);
    expect(m.layerOutputShapes()).toEqual([[null, 5, 2], [null, 2, 2]]);
    const n = sequential([layers.conv1d({ filters: 2, kernelSize: 3, padding: "causal", inputShape: [null, 4] })]);
    expect(n.outputShape).toEqual([null, null, 2]);
  });
});

describe("training through length-changing layers", () => {
  it("per-step targets follow the new lengths; a sequence shorter than the kernel has none", async () => {
    const xs = randomSequences(new Random(2), [9, 2, 6, 4], 2);
    const model = sequential([layers.conv1d({ filters: 3, kernelSize: 3, strides: 2, inputShape: [null, 2] }), layers.lstm({ units: 2, returnSequences: true })], { seed: 3 });
    model.compile({ loss: "meanSquaredError", optimizer: "adam" });
    const out = model.predict(xs) as number[][][];
    expect(out.map((o) => o.length)).toEqual([4, 0, 2, 1]);
    const ys = out.map((o) => o.map(() => [0.5, -0.5]));
    const h = await model.fit(xs, ys, { epochs: 3, batchSize: 4, verbose: 0, threads: 1 });
    expect(h.history.loss.every((l) => Number.isFinite(l))).toBe(true);
    await expect(model.fit(xs, xs.map((x) => x.map(() => [0, 0])), { epochs: 1, verbose: 0 })).rejects.toMatchObject({ code: "TARGET_MISMATCH" });
  });
});

describe("coded errors", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(RaggedError);
      return (e as RaggedError).code;
    }
    return "no error";
  };
  it("impossible kernels, strides, dilations and paddings are refused at construction", () => {
    expect(code(() => layers.conv1d({ filters: 2, kernelSize: 0 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => layers.conv1d({ filters: 0, kernelSize: 2 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => layers.conv1d({ filters: 2, kernelSize: 2, dilationRate: 0 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => layers.conv1d({ filters: 2, kernelSize: 2, strides: 2, dilationRate: 2 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => layers.conv1d({ filters: 2, kernelSize: 2, padding: "full" as "same" }))).toBe("INVALID_ARGUMENT");
    expect(code(() => layers.maxPooling1D({ poolSize: 2.5 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => layers.averagePooling1D({ padding: "causal" as "same" }))).toBe("INVALID_ARGUMENT");
  });
  it("a kernel longer than a known input length, and vectors where sequences are needed, are shape errors", () => {
    expect(code(() => sequential([layers.conv1d({ filters: 2, kernelSize: 5, inputShape: [4, 3] })]))).toBe("SHAPE_MISMATCH");
    expect(code(() => sequential([layers.conv1d({ filters: 2, kernelSize: 3, dilationRate: 2, inputShape: [4, 3] })]))).toBe("SHAPE_MISMATCH");
    expect(code(() => sequential([layers.lstm({ units: 2, inputShape: [null, 3] }), layers.conv1d({ filters: 2, kernelSize: 2 })]))).toBe("SHAPE_MISMATCH");
    expect(code(() => sequential([layers.lstm({ units: 2, inputShape: [null, 3] }), layers.maxPooling1D()]))).toBe("SHAPE_MISMATCH");
  });
});

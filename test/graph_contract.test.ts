// The Layer contract for graphs (NOTE [ the layer contract for graphs ] in layers/layer.ts):
// forwardMany with initial states and returnState, symbolic apply, lengths, vectors across layouts.
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { RaggedError } from "../src/core/errors.js";
import { packBatch, packLayout } from "../src/data/packed.js";
import { input } from "../src/layers/input_layer.js";
import * as layers from "../src/layers/index.js";
import type { ForwardContext } from "../src/layers/layer.js";
import type { SymbolicTensor } from "../src/layers/symbolic.js";
import { type LayerValue, type VectorValue, vectorInLayout } from "../src/layers/values.js";
import { randomSequences } from "./harness.js";

function ctx(): ForwardContext {
  return { training: false, rng: new Random(1), needsGrad: true, inputNeedsGrad: true };
}

describe("RNN.forwardMany with initial states", () => {
  it("returns [output, h, c] and gradients for x and both initial states (central differences)", () => {
    const rng = new Random(3);
    const lstm = layers.lstm({ units: 3, returnSequences: true, returnState: true, inputShape: [null, 2] });
    lstm.build([null, null, 2], rng);
    const packed = packBatch(randomSequences(rng, [3, 1, 2], 2));
    const x: LayerValue = { kind: "sequence", layout: packed.layout, data: packed.data, width: 2 };
    const h0 = Float32Array.from({ length: 9 }, () => rng.uniformRange(-1, 1));
    const c0 = Float32Array.from({ length: 9 }, () => rng.uniformRange(-1, 1));
    const state = (d: Float32Array): LayerValue => ({ kind: "vector", layout: packed.layout, data: d, width: 3 });
    // a loss touching every output: Σ out·w0 + Σ h·w1 + Σ c·w2
    const w = [0, 1, 2].map((k) => Float32Array.from({ length: k === 0 ? packed.layout.totalSteps * 3 : 9 }, () => rng.uniformRange(-1, 1)));
    const loss = (hh: Float32Array, cc: Float32Array) => {
      const { outputs } = lstm.forwardMany([x, state(hh), state(cc)], { ...ctx(), needsGrad: false });
      expect(outputs).toHaveLength(3);
      return outputs.reduce((s, o, k) => s + o.data.reduce((a, v, i) => a + v * w[k][i], 0), 0);
    };
    const { outputs, backward } = lstm.forwardMany([x, state(h0), state(c0)], ctx());
    expect(outputs[0].kind).toBe("sequence");
    expect(outputs[1].kind).toBe("vector");
    const grads = backward(outputs.map((o, k) => ({ ...o, data: w[k] }) as LayerValue));
    expect(grads).toHaveLength(3);
    expect(grads[0]?.data.length).toBe(packed.data.length);
    const eps = 1e-2;
    for (const [k, base] of [[1, h0], [2, c0]] as const) {
      for (let i = 0; i < 9; i++) {
        const plus = Float32Array.from(base);
        const minus = Float32Array.from(base);
        plus[i] += eps;
        minus[i] -= eps;
        const numeric = k === 1 ? (loss(plus, c0) - loss(minus, c0)) / (2 * eps) : (loss(h0, plus) - loss(h0, minus)) / (2 * eps);
        const analytic = (grads[k] as LayerValue).data[i];
        expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(2e-3 * Math.max(Math.abs(analytic), Math.abs(numeric)) + 2e-4);
      }
    }
  });
});

describe("symbolic apply", () => {
  it("records shapes, nodes, shared layers and lengths", () => {
    const a = input({ shape: [null, 3], name: "a" });
    const b = input({ shape: [null, 3], name: "b" });
    expect(a.shape).toEqual([null, null, 3]);
    const lstm = layers.lstm({ units: 4, returnSequences: true });
    const ya = lstm.apply(a) as SymbolicTensor;
    const yb = lstm.apply(b) as SymbolicTensor;
    expect(ya.shape).toEqual([null, null, 4]);
    expect(lstm.inboundNodes).toHaveLength(2);
    expect(ya.lengths).toEqual({ kind: "input", input: "a", through: [] });
    expect(yb.lengths).toEqual({ kind: "input", input: "b", through: [] });
    const [out, h, c] = layers.lstm({ units: 5, returnState: true }).apply(ya) as SymbolicTensor[];
    expect([out.shape, h.shape, c.shape]).toEqual([[null, 5], [null, 5], [null, 5]]);
    const dec = layers.lstm({ units: 5, returnSequences: true }).apply(yb, { initialState: [h, c] }) as SymbolicTensor;
    expect(dec.node.args.initialStateCount).toBe(2);
    expect(dec.node.inputs).toHaveLength(3);
    expect(dec.lengths).toEqual({ kind: "input", input: "b", through: [] });
    const rep = layers.repeatVector({ n: "inputLength", inputName: "b" }).apply(h) as SymbolicTensor;
    expect(rep.lengths).toEqual({ kind: "input", input: "b", through: [] });
  });

  it("rejects a shared layer on other feature sizes, a missing state shape, and non-symbolic input", () => {
    const lstm = layers.lstm({ units: 4 });
    lstm.apply(input({ shape: [null, 3] }));
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as RaggedError).code;
      }
      return "no error";
    };
    expect(code(() => lstm.apply(input({ shape: [null, 5] })))).toBe("SHAPE_MISMATCH");
    const x = input({ shape: [null, 3] });
    expect(code(() => layers.lstm({ units: 4 }).apply(x, { initialState: [input({ shape: [null] })] }))).toBe("SHAPE_MISMATCH");
    expect(code(() => layers.lstm({ units: 4 }).apply(x, { initialState: [input({ shape: [4] })] }))).toBe("SHAPE_MISMATCH");
    expect(code(() => layers.dense({ units: 2 }).apply(x, { initialState: [input({ shape: [4] })] }))).toBe("INVALID_ARGUMENT");
    expect(code(() => layers.dense({ units: 2 }).apply([[1, 2]] as never))).toBe("INVALID_ARGUMENT");
  });
});

describe("vectorInLayout", () => {
  it("moves sample i's row between layouts sorted differently, and back", () => {
    const from = packLayout([1, 3, 2]); // sorted: 1, 2, 0
    const to = packLayout([4, 1, 2]); // sorted: 0, 2, 1
    const data = new Float32Array(6);
    for (let i = 0; i < 3; i++) data.set([10 * i, 10 * i + 1], from.unsortedIndices[i] * 2);
    const v: VectorValue = { kind: "vector", layout: from, data, width: 2 };
    const moved = vectorInLayout(v, to);
    for (let i = 0; i < 3; i++) expect(Array.from(moved.data.subarray(to.unsortedIndices[i] * 2, to.unsortedIndices[i] * 2 + 2))).toEqual([10 * i, 10 * i + 1]);
    expect(Array.from(vectorInLayout(moved, from).data)).toEqual(Array.from(data));
  });
});

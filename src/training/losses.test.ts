/**
 * Losses: finite-difference gradient checks directly on `compute`, Keras reference values, options
 * and errors.
 *
 * The gradient check: the objective is Σ_r scale_r·ℓ_r, summed in float64 from `compute`'s
 * per-row values, with random `scale`. Each prediction is moved by ±h in its float32 storage and
 * the difference is divided by the step actually taken (float32(p+h) − float32(p−h)). h = 1e-3:
 * truncation O(h²) is below 1e-5 here; float32 rounding of ℓ (≈ 6e-8·|ℓ|) over 2h is ≈ 3e-5·|ℓ|.
 * Predictions keep clear of kinks (clipping at ε, |d| = 0 for mae, |d| = δ for huber) by more than h.
 */
import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { Random } from "../core/random.js";
import { type Loss, type LossSpec, getLoss, lossNames } from "./losses.js";

const H = 1e-3;
const RTOL = 2e-3;
const ATOL = 2e-4;

interface Case {
  spec: LossSpec;
  /** Random predictions and targets for a row of `width`. */
  row: (rng: Random, width: number) => { pred: number[]; target: number[] };
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

const probs = (rng: Random, w: number) => Array.from({ length: w }, () => rng.uniformRange(0.05, 1));
const logits = (rng: Random, w: number) => Array.from({ length: w }, () => rng.uniformRange(-3, 3));
const oneHot = (rng: Random, w: number) => {
  const y = new Array(w).fill(0);
  y[rng.int(0, w)] = 1;
  return y;
};
/** Targets and predictions whose differences avoid |d| < 3h and ||d| − δ| < 3h. */
const regression = (delta: number | null) => (rng: Random, w: number) => {
  const pred: number[] = [];
  const target: number[] = [];
  for (let k = 0; k < w; k++) {
    let d = 0;
    do d = rng.uniformRange(-2.5, 2.5);
    while (Math.abs(d) < 3 * H || (delta !== null && Math.abs(Math.abs(d) - delta) < 3 * H));
    const y = rng.uniformRange(-1, 1);
    target.push(y);
    pred.push(y + d);
  }
  return { pred, target };
};

const CASES: Case[] = [
  { spec: "categoricalCrossentropy", row: (rng, w) => ({ pred: probs(rng, w), target: oneHot(rng, w) }) },
  { spec: "categoricalCrossentropy", row: (rng, w) => ({ pred: probs(rng, w), target: softmax(logits(rng, w)) }) }, // soft targets
  { spec: { name: "categoricalCrossentropy", fromLogits: true }, row: (rng, w) => ({ pred: logits(rng, w), target: softmax(logits(rng, w)) }) },
  { spec: "sparseCategoricalCrossentropy", row: (rng, w) => ({ pred: probs(rng, w), target: [rng.int(0, w)] }) },
  { spec: { name: "sparseCategoricalCrossentropy", fromLogits: true }, row: (rng, w) => ({ pred: logits(rng, w), target: [rng.int(0, w)] }) },
  { spec: "binaryCrossentropy", row: (rng, w) => ({ pred: Array.from({ length: w }, () => rng.uniformRange(0.05, 0.95)), target: Array.from({ length: w }, () => rng.uniform()) }) },
  { spec: { name: "binaryCrossentropy", fromLogits: true }, row: (rng, w) => ({ pred: logits(rng, w), target: Array.from({ length: w }, () => rng.uniform()) }) },
  { spec: "meanSquaredError", row: regression(null) },
  { spec: "meanAbsoluteError", row: regression(null) },
  { spec: "huber", row: regression(1) },
  { spec: { name: "huber", delta: 0.3 }, row: regression(0.3) },
];

function checkLossGradient(loss: Loss, rng: Random, rows: number, width: number, row: Case["row"]): number {
  const tw = loss.targetWidth(width);
  const pred = new Float32Array(rows * width);
  const target = new Float32Array(rows * tw);
  for (let r = 0; r < rows; r++) {
    const { pred: p, target: y } = row(rng, width);
    pred.set(p, r * width);
    target.set(y, r * tw);
  }
  const scale = Float32Array.from({ length: rows }, () => rng.uniformRange(0.1, 2));
  const objective = () => loss.compute({ pred, target, rows, width, grad: null, scale }).reduce((s, l, r) => s + l * scale[r], 0);
  const grad = new Float32Array(rows * width);
  loss.compute({ pred, target, rows, width, grad, scale });
  for (let i = 0; i < pred.length; i++) {
    const saved = pred[i];
    pred[i] = saved + H;
    const up = objective();
    const hi = pred[i];
    pred[i] = saved - H;
    const down = objective();
    const lo = pred[i];
    pred[i] = saved;
    const numeric = (up - down) / (hi - lo);
    const tol = RTOL * Math.max(Math.abs(grad[i]), Math.abs(numeric)) + ATOL;
    if (!(Math.abs(grad[i] - numeric) <= tol)) expect.fail(`${loss.name} d/dpred[${i}]: analytic ${grad[i]}, numeric ${numeric}`);
  }
  return pred.length;
}

describe("loss gradients (central differences on compute)", () => {
  CASES.forEach((c, ci) => {
    it(`${JSON.stringify(c.spec)}`, () => {
      const rng = new Random(100 + ci);
      const loss = getLoss(c.spec);
      expect(checkLossGradient(loss, rng, 6, 4, c.row)).toBe(24);
      expect(checkLossGradient(loss, rng, 3, 1, c.row)).toBe(3); // width 1: the degenerate case
    });
  });

  it("the gradient is 0 where categorical probabilities are clipped, as Keras' clip_by_value", () => {
    const loss = getLoss("categoricalCrossentropy");
    const grad = new Float32Array(3);
    loss.compute({ pred: new Float32Array([0, 0.5, 0.5]), target: new Float32Array([1, 0, 0]), rows: 1, width: 3, grad, scale: null });
    expect(grad[0]).toBe(0);
  });
});

const one = (loss: Loss, pred: number[], target: number[], width: number) => Array.from(loss.compute({ pred: Float32Array.from(pred), target: Float32Array.from(target), rows: target.length / loss.targetWidth(width), width, grad: null, scale: null }));

describe("loss values (Keras reference numbers)", () => {
  it("categoricalCrossentropy: Keras' docstring example [0.10536, 0.11653, 0.06188]", () => {
    const values = one(getLoss("categorical_crossentropy"), [0.9, 0.05, 0.05, 0.05, 0.89, 0.06, 0.05, 0.01, 0.94], [1, 0, 0, 0, 1, 0, 0, 0, 1], 3);
    [0.10536, 0.11653, 0.06188].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 5));
  });

  it("sparseCategoricalCrossentropy equals categoricalCrossentropy on the one-hot rows, with and without logits", () => {
    const rng = new Random(9);
    for (const fromLogits of [false, true]) {
      const pred = Array.from({ length: 12 }, () => (fromLogits ? rng.uniformRange(-3, 3) : rng.uniformRange(0, 1)));
      const labels = [2, 0, 1, 2];
      const hot = labels.flatMap((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0)));
      const sparse = one(getLoss({ name: "sparse_categorical_crossentropy", fromLogits }), pred, labels, 3);
      const dense = one(getLoss({ name: "categoricalCrossentropy", fromLogits }), pred, hot, 3);
      expect(sparse).toEqual(dense);
    }
  });

  it("the @example values", () => {
    expect(one(getLoss({ name: "sparseCategoricalCrossentropy", fromLogits: true }), [2, 1, 0.1], [0], 3)[0]).toBeCloseTo(0.41703, 5);
    expect(one(getLoss("binaryCrossentropy"), [0.6, 0.4], [0, 1], 2)[0]).toBeCloseTo(0.91629, 5);
    expect(one(getLoss("mse"), [1, 2], [0, 0], 2)[0]).toBeCloseTo(2.5, 6);
    expect(one(getLoss("mae"), [1, -2], [0, 0], 2)[0]).toBeCloseTo(1.5, 6);
    expect(one(getLoss({ name: "huber", delta: 1 }), [0.5, 3], [0, 0], 2)[0]).toBeCloseTo(1.3125, 6);
  });

  it("fromLogits on z equals the probability form on softmax(z) / sigmoid(z) (away from clipping)", () => {
    const z = [0.3, -1.2, 2.0];
    const y = [0, 0, 1];
    const cce = one(getLoss({ name: "categoricalCrossentropy", fromLogits: true }), z, y, 3)[0];
    expect(cce).toBeCloseTo(one(getLoss("categoricalCrossentropy"), softmax(z), y, 3)[0], 5);
    expect(cce).toBeCloseTo(Math.log(z.reduce((s, v) => s + Math.exp(v), 0)) - 2.0, 5);
    const sig = z.map((v) => 1 / (1 + Math.exp(-v)));
    const yb = [1, 0, 0.3];
    // The probability form adds ε inside its logs (NOTE in losses.ts): equal to ~1e-6.
    expect(one(getLoss({ name: "bce", fromLogits: true }), z, yb, 3)[0]).toBeCloseTo(one(getLoss("bce"), sig, yb, 3)[0], 5);
  });

  it("huber is ½d² inside δ and δ|d| − ½δ² outside; mae is mean |d|", () => {
    const loss = getLoss({ name: "huber_loss", delta: 2 });
    expect(one(loss, [1, -5], [0, 0], 2)[0]).toBeCloseTo((0.5 * 1 + (2 * 5 - 0.5 * 4)) / 2, 6);
  });
});

describe("getLoss", () => {
  it("accepts camelCase, snake_case, Keras class names and short aliases, and config objects", () => {
    expect(getLoss("sparse_categorical_crossentropy").name).toBe("sparseCategoricalCrossentropy");
    expect(getLoss("SparseCategoricalCrossentropy").targetWidth(7)).toBe(1);
    expect(getLoss("mae").name).toBe("meanAbsoluteError");
    expect(getLoss("huber_loss").options).toEqual({ delta: 1 });
    expect(getLoss({ name: "huber", delta: 0.5 }).options).toEqual({ delta: 0.5 });
    expect(getLoss({ name: "categorical_crossentropy", fromLogits: true }).options).toEqual({ fromLogits: true });
    expect(getLoss("binaryCrossentropy").options).toEqual({ fromLogits: false });
    expect(lossNames()).toEqual(["categoricalCrossentropy", "sparseCategoricalCrossentropy", "binaryCrossentropy", "meanSquaredError", "meanAbsoluteError", "huber", "ctc"]);
  });

  it("passes a Loss through unchanged", () => {
    const loss = getLoss("mse");
    expect(getLoss(loss)).toBe(loss);
  });

  it("rejects unknown names, unknown options and bad option values", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(RaggedError);
        return (e as RaggedError).code;
      }
      return "no error";
    };
    expect(code(() => getLoss("hinge"))).toBe("UNKNOWN_NAME");
    expect(code(() => getLoss({ name: "mse", fromLogits: true }))).toBe("INVALID_ARGUMENT");
    expect(code(() => getLoss({ name: "huber", fromLogits: true }))).toBe("INVALID_ARGUMENT");
    expect(code(() => getLoss({ name: "huber", delta: -1 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => getLoss({ name: "bce", fromLogits: "yes" } as never))).toBe("INVALID_ARGUMENT");
  });

  it("rejects invalid sparse labels, naming the row", () => {
    const loss = getLoss("sparseCategoricalCrossentropy");
    const pred = new Float32Array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    for (const bad of [-1, 1.5, 2, NaN]) {
      const target = new Float32Array([0, bad, 1]);
      const run = () => loss.compute({ pred, target, rows: 3, width: 2, grad: null, scale: null });
      expect(run).toThrow(RaggedError);
      expect(run).toThrow(/target row 1/);
      try {
        run();
      } catch (e) {
        expect((e as RaggedError).code).toBe("TARGET_MISMATCH");
      }
    }
  });

  it("does not mutate its inputs", () => {
    const pred = new Float32Array([0.2, 0.8, 0.6, 0.4]);
    const target = new Float32Array([1, 0]);
    const [p, t] = [Float32Array.from(pred), Float32Array.from(target)];
    getLoss("sparseCategoricalCrossentropy").compute({ pred, target, rows: 2, width: 2, grad: new Float32Array(4), scale: null });
    expect(pred).toEqual(p);
    expect(target).toEqual(t);
  });
});

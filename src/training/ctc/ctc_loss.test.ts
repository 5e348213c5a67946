import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { packLayout } from "../../data/packed.js";
import { getLoss } from "../losses.js";
import { ctc } from "./ctc_loss.js";
import { ctcBackward, ctcForward, ctcGradLogProbs, ctcMinimumSteps } from "./ctc_kernel.js";

/** test/golden/ctc.json, written by scripts/golden/ctc.py (PyTorch nn.CTCLoss, float64). */
interface GoldenCase {
  name: string;
  T: number;
  K: number;
  blank: number;
  labels: number[];
  fromLogits: boolean;
  pred: number[][];
  loss: number | null;
  loss_zero_infinity: number;
  grad: number[][];
}
const golden = JSON.parse(readFileSync(new URL("../../../test/golden/ctc.json", import.meta.url), "utf8")) as { script: string; cases: GoldenCase[] };

/** Packs sequences (each [T][K]) and their labels, runs `computeSequences`, returns values and grads in caller order. */
function runBatch(loss: ReturnType<typeof ctc>, preds: number[][][], labelLists: number[][], weights?: number[]) {
  const K = preds[0]?.[0]?.length ?? 1;
  const layout = packLayout(preds.map((p) => p.length));
  const pred = new Float32Array(layout.totalSteps * K);
  const labelOffsets = new Int32Array(layout.batch + 1);
  for (let j = 0; j < layout.batch; j++) labelOffsets[j + 1] = labelOffsets[j] + labelLists[layout.sortedIndices[j]].length;
  const labels = new Float32Array(labelOffsets[layout.batch]);
  const scale = new Float32Array(layout.batch);
  for (let j = 0; j < layout.batch; j++) {
    const i = layout.sortedIndices[j];
    labels.set(labelLists[i], labelOffsets[j]);
    scale[j] = weights ? weights[i] : 1;
    preds[i].forEach((row, t) => pred.set(row, (layout.offsets[t] + j) * K));
  }
  const grad = new Float32Array(pred.length).fill(NaN);
  const sorted = (loss.computeSequences as NonNullable<typeof loss.computeSequences>)({ pred, layout, labels, labelOffsets, width: K, grad, scale });
  return preds.map((p, i) => {
    const j = layout.unsortedIndices[i];
    return { value: sorted[j], grad: p.map((_, t) => Array.from(grad.subarray((layout.offsets[t] + j) * K, (layout.offsets[t] + j + 1) * K))) };
  });
}

function expectClose(actual: number[][], expected: number[][], rel: number, what: string): void {
  let scale = 0;
  for (const row of expected) for (const v of row) scale = Math.max(scale, Math.abs(v));
  actual.forEach((row, t) =>
    row.forEach((a, k) => {
      const e = expected[t][k];
      if (!(Math.abs(a - e) <= rel * Math.abs(e) + 1e-7 * Math.max(scale, 1))) throw new Error(`${what}: grad[${t}][${k}] = ${a}, expected ${e}`);
    }),
  );
}

describe("ctc: golden values from PyTorch nn.CTCLoss", () => {
  it("the fixture covers repeats, blanks, length-1 labels, L = T, empty labels and impossible alignments", () => {
    expect(golden.script).toBe("scripts/golden/ctc.py");
    const names = golden.cases.map((c) => c.name);
    for (const n of ["repeats", "length_one_label", "label_length_equals_input_length", "impossible_too_long", "impossible_repeat", "empty_label", "blank_last"]) {
      expect(names).toContain(`${n}/logits`);
      expect(names).toContain(`${n}/probabilities`);
    }
  });

  for (const c of golden.cases) {
    it(`${c.name}: loss and gradient within 1e-5 relative`, () => {
      for (const zeroInfinity of [false, true]) {
        const loss = ctc({ blankIndex: c.blank, fromLogits: c.fromLogits, zeroInfinity });
        const [r] = runBatch(loss, [c.pred], [c.labels]);
        const expected = zeroInfinity ? c.loss_zero_infinity : (c.loss ?? Infinity);
        if (Number.isFinite(expected)) expect(Math.abs(r.value - expected)).toBeLessThanOrEqual(1e-5 * Math.abs(expected) + 1e-7);
        else expect(r.value).toBe(Infinity);
        expectClose(r.grad, c.grad, 1e-5, c.name);
        for (const row of r.grad) for (const v of row) expect(Number.isNaN(v)).toBe(false);
      }
    });
  }

  it("a packed batch of all cases gives each sample exactly its own loss and gradient (batch-mates do not matter)", () => {
    for (const fromLogits of [true, false]) {
      for (const K of [...new Set(golden.cases.map((c) => c.K))]) {
        const cases = golden.cases.filter((c) => c.K === K && c.fromLogits === fromLogits && c.blank === 0);
        if (cases.length < 2) continue;
        const loss = ctc({ fromLogits, zeroInfinity: true });
        const together = runBatch(loss, cases.map((c) => c.pred), cases.map((c) => c.labels));
        cases.forEach((c, i) => {
          const alone = runBatch(loss, [c.pred], [c.labels])[0];
          expect(together[i].value).toBe(alone.value);
          expect(together[i].grad).toEqual(alone.grad);
        });
      }
    }
  });
});

describe("ctc kernel: finite differences", () => {
  /** Random log-probabilities (float64, rows log-normalised). */
  function randomLogProbs(T: number, K: number, seed: number): Float64Array {
    let s = seed;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const lp = new Float64Array(T * K);
    for (let t = 0; t < T; t++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp((lp[t * K + k] = 3 * rand()));
      for (let k = 0; k < K; k++) lp[t * K + k] -= Math.log(sum);
    }
    return lp;
  }

  it("d(−log p)/d logProbs matches central differences of ctcForward (float64, 1e-6 relative)", () => {
    const cases: [number, number, number[], number][] = [
      [7, 4, [1, 1, 2], 0],
      [5, 3, [2], 0],
      [6, 5, [1, 2, 3, 1], 4],
      [4, 3, [], 0],
    ];
    for (const [T, K, labels, blank] of cases) {
      const lp = randomLogProbs(T, K, T * 31 + K);
      const S = 2 * labels.length + 1;
      const alpha = new Float64Array(T * S);
      const beta = new Float64Array(T * S);
      const g = new Float64Array(T * K);
      const ll = ctcForward(alpha, lp, T, K, labels, blank);
      ctcBackward(beta, lp, T, K, labels, blank);
      ctcGradLogProbs(g, alpha, beta, lp, T, K, labels, blank, ll);
      const h = 1e-6;
      for (let i = 0; i < T * K; i++) {
        const plus = lp.slice();
        const minus = lp.slice();
        plus[i] += h;
        minus[i] -= h;
        const fd = (-ctcForward(alpha, plus, T, K, labels, blank) + ctcForward(alpha, minus, T, K, labels, blank)) / (2 * h);
        expect(Math.abs(g[i] - fd)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it("alpha and beta give the same likelihood at every step (Σ_s α_t(s)β_t(s)/y_t = p)", () => {
    const T = 9;
    const K = 5;
    const labels = [3, 3, 1, 4];
    const lp = randomLogProbs(T, K, 5);
    const S = 9;
    const alpha = new Float64Array(T * S);
    const beta = new Float64Array(T * S);
    const ll = ctcForward(alpha, lp, T, K, labels, 0);
    ctcBackward(beta, lp, T, K, labels, 0);
    for (let t = 0; t < T; t++) {
      let total = 0;
      for (let s = 0; s < S; s++) {
        const k = s % 2 === 0 ? 0 : labels[(s - 1) / 2];
        total += Math.exp(alpha[t * S + s] + beta[t * S + s] - lp[t * K + k] - ll);
      }
      expect(total).toBeCloseTo(1, 12);
    }
  });

  it("through logits and probabilities: the chained gradient matches central differences (float32 inputs)", () => {
    const T = 6;
    const K = 4;
    const labels = [2, 2, 3];
    const logits = Array.from({ length: T }, (_, t) => Array.from({ length: K }, (_, k) => Math.sin(t * 7 + k * 3) * 2));
    const probs = logits.map((row) => {
      const e = row.map(Math.exp);
      const s = e.reduce((a, b) => a + b);
      return e.map((v) => Math.fround(v / s));
    });
    for (const [fromLogits, x] of [[true, logits], [false, probs]] as const) {
      const loss = ctc({ fromLogits });
      const base = runBatch(loss, [x as number[][]], [labels])[0];
      const h = fromLogits ? 1e-2 : 1e-3;
      for (let t = 0; t < T; t++) {
        for (let k = 0; k < K; k++) {
          const at = (d: number) => {
            const y = x.map((r) => r.slice());
            y[t][k] += d;
            if (!fromLogits) y[t] = y[t].map((v) => v / (1 + d)); // stay on the simplex (scaled): compare the projected derivative below
            return runBatch(loss, [y], [labels])[0].value;
          };
          if (fromLogits) {
            const fd = (at(h) - at(-h)) / (2 * h);
            expect(Math.abs(base.grad[t][k] - fd)).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(fd)));
          }
        }
      }
      if (!fromLogits) {
        // probabilities: move mass δ from class a to class b in one row: dℓ ≈ δ·(g_b − g_a)
        const delta = 1e-3;
        for (let t = 0; t < T; t++) {
          const y = x.map((r) => r.slice());
          y[t][1] += delta;
          y[t][0] -= delta;
          const up = runBatch(loss, [y], [labels])[0].value;
          y[t][1] -= 2 * delta;
          y[t][0] += 2 * delta;
          const down = runBatch(loss, [y], [labels])[0].value;
          const fd = (up - down) / (2 * delta);
          expect(Math.abs(base.grad[t][1] - base.grad[t][0] - fd)).toBeLessThanOrEqual(5e-3 * Math.max(1, Math.abs(fd)));
        }
      }
    }
  });

  it("ctcMinimumSteps counts a blank between repeats", () => {
    expect(ctcMinimumSteps([1, 1, 2])).toBe(4);
    expect(ctcMinimumSteps([1, 2, 3])).toBe(3);
    expect(ctcMinimumSteps([])).toBe(0);
  });
});

describe("ctc: options, weights and errors", () => {
  const pred = [
    [0.6, 0.3, 0.1],
    [0.2, 0.2, 0.6],
    [0.5, 0.4, 0.1],
  ];

  it("is available by name with options, and by its Keras class name", () => {
    expect(getLoss("ctc").options).toEqual({ blankIndex: 0, fromLogits: false, zeroInfinity: false });
    expect(getLoss({ name: "CTC", fromLogits: true, blankIndex: -1 }).options).toEqual({ blankIndex: -1, fromLogits: true, zeroInfinity: false });
    expect(getLoss("ctc").targets).toBe("labelSequences");
    expect(() => getLoss({ name: "ctc", delta: 1 })).toThrow(/does not take the option `delta`/);
    expect(() => ctc({ blankIndex: 0.5 })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => ctc({ zeroInfinity: "yes" as unknown as boolean })).toThrow(/must be a boolean/);
  });

  it("blankIndex −1 is the last class: same loss as blank 0 with the classes rotated", () => {
    const rotated = pred.map((r) => [r[1], r[2], r[0]]); // class 0 → last
    const a = runBatch(ctc(), [pred], [[1, 2]])[0].value;
    const b = runBatch(ctc({ blankIndex: -1 }), [rotated], [[0, 1]])[0].value;
    expect(b).toBeCloseTo(a, 6);
  });

  it("scale (sample weight / B) multiplies the gradient, not the per-sample value", () => {
    const one = runBatch(ctc(), [pred], [[1]], [1])[0];
    const half = runBatch(ctc(), [pred], [[1]], [0.5])[0];
    expect(half.value).toBe(one.value);
    half.grad.forEach((row, t) => row.forEach((v, k) => expect(v).toBeCloseTo(one.grad[t][k] / 2, 6)));
  });

  it("an empty prediction with a non-empty label is an impossible alignment: Infinity, or 0 with zeroInfinity; never NaN", () => {
    const r = runBatch(ctc(), [pred, []], [[1], [2]]);
    expect(r[1].value).toBe(Infinity);
    expect(runBatch(ctc({ zeroInfinity: true }), [pred, []], [[1], [2]])[1].value).toBe(0);
    expect(runBatch(ctc(), [pred, []], [[1], []])[1].value).toBe(0); // empty label on an empty prediction: p = 1
  });

  it("labels: the blank, out-of-range ids and non-integers are TARGET_MISMATCH with the position", () => {
    const loss = ctc();
    const read = (v: unknown) => (loss.readLabels as NonNullable<typeof loss.readLabels>)(v, "ys[4]", 5);
    expect(Array.from(read([1, 4, 4]))).toEqual([1, 4, 4]);
    expect(Array.from(read(Int32Array.from([2, 3])))).toEqual([2, 3]);
    expect(() => read([1, 0])).toThrow(expect.objectContaining({ code: "TARGET_MISMATCH", message: expect.stringMatching(/ys\[4\]\[1\] is the blank index 0/) }));
    expect(() => read([5])).toThrow(expect.objectContaining({ code: "TARGET_MISMATCH", message: expect.stringMatching(/ys\[4\]\[0\] is not a class id of the model's 5 outputs/) }));
    expect(() => read([1.5])).toThrow(/not a class id/);
    expect(() => read(-1)).toThrow(/must be a label sequence/);
    const last = ctc({ blankIndex: -1 });
    expect(() => (last.readLabels as NonNullable<typeof last.readLabels>)([0, 4], "ys[0]", 5)).toThrow(/blank index 4/);
  });

  it("fromLogits mismatches are detected from the values (PREDICTION_MISMATCH)", () => {
    const logits = [
      [2, -1, 0.5],
      [0, 1, 3],
    ];
    expect(() => runBatch(ctc(), [logits], [[1]])).toThrow(expect.objectContaining({ code: "PREDICTION_MISMATCH", message: expect.stringMatching(/expected probabilities/) }));
    expect(() => runBatch(ctc({ fromLogits: true }), [pred], [[1]])).toThrow(expect.objectContaining({ code: "PREDICTION_MISMATCH", message: expect.stringMatching(/expected logits/) }));
    expect(() => runBatch(ctc({ fromLogits: true }), [logits], [[1]])).not.toThrow();
  });

  it("compute (per-row targets) is refused with a clear error", () => {
    expect(() => ctc().compute({ pred: new Float32Array(3), target: new Float32Array(1), rows: 1, width: 3, grad: null, scale: null })).toThrow(RaggedError);
  });
});

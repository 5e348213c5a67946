/**
 * NOTE [ step buffers ] (src/core/step_buffers.ts) at the model level: the wasm recurrent kernels
 * copy h and dx into arrays recycled from step to step, and Bidirectional builds its reversed
 * input, merged output and their gradients in such arrays too. Layers of equal width make every
 * such array the same length, and Bidirectional keeps several alive at once (both directions'
 * outputs, then their input gradients, until summed), so an array handed out twice in one step
 * would change the numbers: several steps on the wasm kernels must match the reference kernels
 * (which allocate afresh) step by step.
 */
import { afterEach, describe, expect, it } from "vitest";
import { input, kernels, layers, model, sequential, setKernels, useFastKernels, type SymbolicTensor } from "../../index.js";
import { dropStepBuffers, stepBufferCount } from "../step_buffers.js";
import { trainSideBySide } from "./wasm_checks.test-support.js";

const initial = kernels();
afterEach(() => {
  setKernels(initial);
  dropStepBuffers();
});

const W = 6;

function build(kind: "lstm" | "gru" | "simpleRNN") {
  const rnn = () => layers[kind]({ units: W, returnSequences: true });
  // both directions' outputs (and input gradients) are alive at once until they are summed
  const both = (first: boolean) => layers.bidirectional({ layer: rnn(), mergeMode: "sum", ...(first ? { inputShape: [null, W] as [null, number] } : {}) });
  const model = sequential([both(true), both(false), rnn(), layers.dense({ units: 2 })], { seed: 3 });
  model.compile({ loss: "mse", optimizer: "adam" });
  return model;
}

/** Ragged data whose width equals the layers': x [len, W], per-step targets [len, 2]. */
function data() {
  const lengths = [7, 3, 9, 1, 5, 8];
  const xs = lengths.map((n, i) => Array.from({ length: n }, (_, t) => Array.from({ length: W }, (_, c) => Math.sin(i + 0.3 * t + 0.7 * c))));
  const ys = lengths.map((n, i) => Array.from({ length: n }, (_, t) => [Math.cos(i + t), 0.5 * Math.sin(t - i)]));
  return { xs, ys };
}

describe("recycled step buffers leave training unchanged", () => {
  for (const kind of ["lstm", "gru", "simpleRNN"] as const) {
    it(`${kind}: 4 steps of 2 bidirectional layers and one more (width ${W}) on wasm match the reference kernels, loss and weights`, async () => {
      expect(useFastKernels()).toBe(true);
      // the kernels' outputs h: 2 + 2 (the third layer's stays in wasm memory, where the dense
      // layer reads it) and input gradients dx: 2 + 1 (none for the first layer); each
      // Bidirectional layer's reversed input, merged output and the merge's two gradients (2 × 4);
      // the second's reversed input gradient and the directions' summed one (2): 17, all [N, W];
      // the dense layer's output and input gradient (2), the loss's per-row scale, values and
      // gradient (3), and the packed batch's inputs and targets (2): 24
      await trainSideBySide(build(kind), build(kind), data(), 4, () => expect(stepBufferCount()).toBe(24));
    });
  }
});

describe("recycled step buffers leave attention training unchanged", () => {
  it(`self-attention after an lstm (width ${W}): its output and dq, dk, dv are [N, ${W}] and alive together; 4 steps match the reference kernels`, async () => {
    expect(useFastKernels()).toBe(true);
    const build = () => {
      const x = input({ shape: [null, W] });
      const h = layers.lstm({ units: W, returnSequences: true }).apply(x) as SymbolicTensor;
      const att = layers.attention({ useScale: true }).apply([h, h, h]) as SymbolicTensor;
      const y = layers.dense({ units: 2 }).apply(layers.add({}).apply([h, att]) as SymbolicTensor) as SymbolicTensor;
      const m = model({ inputs: x, outputs: y, seed: 5 });
      m.compile({ loss: "mse", optimizer: "adam" });
      return m;
    };
    await trainSideBySide(build(), build(), data(), 4);
    expect(stepBufferCount()).toBeGreaterThanOrEqual(5); // lstm h, attention out, dq, dk, dv
  });
});

/**
 * NOTE [ rows kept in wasm between layers ] (kernels/wasm/wasm_rows.ts): in a training step a
 * stack of wasm recurrent layers (LSTM, GRU in both forms, SimpleRNN) hands h and dx from layer to
 * layer in wasm memory. The numbers must be the
 * same to the bit as the same step with every array copied out (outside a step scope); the rows
 * must really stay in wasm (the values say so), be freed when consumed and at the step's end, and
 * a read after they are gone must be an error, not stale memory.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { RaggedError } from "../errors.js";
import { packLayout } from "../../data/packed.js";
import { input, jsKernels, kernels, layers, model, sequential, setKernels, useFastKernels, type Layer, type SymbolicTensor } from "../../index.js";
import { type LayerValue, wasmRowsOf } from "../../layers/values.js";
import { dropStepBuffers, stepBufferCount, withStepBuffers } from "../step_buffers.js";
import { loadRaggedWasm, wasmHeap } from "../wasm/loader.js";
import { trainSideBySide } from "./wasm_checks.test-support.js";

const initial = kernels();
afterEach(() => {
  setKernels(initial);
  dropStepBuffers();
});

const C = 5;
const lengths = [7, 3, 9, 1, 5, 8, 0, 4];
const layout = packLayout(lengths);
const rng = new Random(11);
const x: LayerValue = { kind: "sequence", layout, data: Float32Array.from({ length: layout.totalSteps * C }, () => rng.uniformRange(-1, 1)), width: C, mask: null };

const kinds = {
  lstm: (units: number) => layers.lstm({ units, returnSequences: true }),
  gru: (units: number) => layers.gru({ units, returnSequences: true }),
  "gru(resetAfter: false)": (units: number) => layers.gru({ units, returnSequences: true, resetAfter: false }),
  simpleRNN: (units: number) => layers.simpleRNN({ units, returnSequences: true }),
};
type Kind = keyof typeof kinds;

/** Three layers of `kind`, 6 → 4 → 3 units, built with fixed weights: the middle one both reads and makes rows. */
function stack(kind: Kind = "lstm"): Layer[] {
  const widths = [C, 6, 4, 3];
  return [1, 2, 3].map((k) => {
    const layer = kinds[kind](widths[k]);
    layer.build([null, null, widths[k - 1]], new Random(k));
    return layer;
  });
}

interface Run {
  y: number[];
  grads: number[][];
  /** Whether h of layers 1 and 2 came as wasm rows, and dx of layers 3 and 2. */
  hRows: boolean[];
  dxRows: boolean[];
}

/** Forward and backward through the stack, with dy = a fixed pattern; every layer's weight gradients after. */
function run(stackLayers: Layer[]): Run {
  for (const l of stackLayers) for (const v of l.trainableWeights) v.grad.fill(0);
  const ctx = (first: boolean) => ({ training: true, rng: new Random(0), needsGrad: true, inputNeedsGrad: !first });
  const passes = [];
  let value = x;
  for (const [k, layer] of stackLayers.entries()) {
    const pass = layer.forward(value, ctx(k === 0));
    passes.push(pass);
    value = pass.output;
  }
  const hRows = passes.slice(0, 2).map((p) => wasmRowsOf(p.output) !== null);
  const y = Array.from(value.data);
  let d: LayerValue | null = { ...value, data: Float32Array.from(y, (_, i) => Math.sin(0.37 * i)) };
  const dxRows: boolean[] = [];
  for (let k = passes.length - 1; k >= 0; k--) {
    d = passes[k].backward(d as LayerValue);
    if (k > 0) dxRows.push(d !== null && wasmRowsOf(d) !== null);
  }
  return { y, grads: stackLayers.map((l) => l.trainableWeights.flatMap((v) => Array.from(v.grad))), hRows, dxRows };
}

describe("rows kept in wasm between recurrent layers", () => {
  for (const kind of Object.keys(kinds) as Kind[]) {
    it(`${kind} ×3: in a step scope h and dx stay in wasm, and output and weight gradients are bit-identical to copying them`, () => {
      expect(useFastKernels()).toBe(true);
      const wasm = loadRaggedWasm();
      expect(wasm).not.toBeNull();
      const heap = wasmHeap(wasm!);
      const blocksBefore = heap.liveBlocks;
      const copied = run(stack(kind));
      expect(copied.hRows).toEqual([false, false]); // outside a scope every result is an array
      expect(copied.dxRows).toEqual([false, false]);
      const kept = withStepBuffers(() => run(stack(kind)));
      expect(kept.hRows).toEqual([true, true]);
      expect(kept.dxRows).toEqual([true, true]);
      expect(kept.y).toEqual(copied.y);
      expect(kept.grads).toEqual(copied.grads);
      expect(kept.grads.every((g) => g.some((v) => v !== 0))).toBe(true);
      expect(heap.liveBlocks).toBe(blocksBefore); // every cache and every dx block freed
    });

    it(`${kind} ×3 matches the reference kernels (1e-5)`, () => {
      useFastKernels();
      const kept = withStepBuffers(() => run(stack(kind)));
      setKernels(jsKernels);
      const reference = run(stack(kind));
      kept.y.forEach((v, i) => expect(Math.abs(v - reference.y[i])).toBeLessThanOrEqual(1e-5));
      kept.grads.forEach((g, k) => g.forEach((v, i) => expect(Math.abs(v - reference.grads[k][i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(reference.grads[k][i])))));
    });
  }

  it("a GRU reads an LSTM's rows and hands its dx back to it: bit-identical to copying them", () => {
    useFastKernels();
    const mixed = () => {
      const [l1] = stack("lstm");
      const [, l2, l3] = stack("gru");
      return [l1, l2, l3];
    };
    const copied = run(mixed());
    const kept = withStepBuffers(() => run(mixed()));
    expect(kept.hRows).toEqual([true, true]);
    expect(kept.dxRows).toEqual([true, true]);
    expect(kept.y).toEqual(copied.y);
    expect(kept.grads).toEqual(copied.grads);
  });

  it("an output read before backward stays readable; one first read after its layer's backward is an error, not stale memory", () => {
    useFastKernels();
    const [l1, l2] = stack();
    const ctx = { training: true, rng: new Random(0), needsGrad: true, inputNeedsGrad: true };
    withStepBuffers(() => {
      const f1 = l1.forward(x, { ...ctx, inputNeedsGrad: false });
      const f2 = l2.forward(f1.output, ctx);
      const early = f2.output.data; // copied out now
      const spread = { ...f1.output }; // a spread copy is an ordinary value
      expect(wasmRowsOf(spread)).toBeNull();
      expect(Array.from(spread.data)).toEqual(Array.from(f1.output.data));
      const dx = f2.backward({ ...f2.output, data: new Float32Array(early.length).fill(0.5) });
      f1.backward(dx as LayerValue);
      expect(wasmRowsOf(dx as LayerValue)).toBeNull(); // consumed by l1's backward
      expect(f2.output.data).toBe(early);
      let error: unknown;
      try {
        void (dx as LayerValue).data;
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RaggedError);
      expect((error as RaggedError).code).toBe("INVALID_ARGUMENT");
      expect((error as RaggedError).message).toMatch(/freed/);
    });
  });

  it("dx rows nobody reads are freed when the step ends", () => {
    useFastKernels();
    const heap = wasmHeap(loadRaggedWasm()!);
    const before = heap.liveBlocks;
    const [l1, l2] = stack();
    const ctx = { training: true, rng: new Random(0), needsGrad: true, inputNeedsGrad: true };
    withStepBuffers(() => {
      const f1 = l1.forward(x, { ...ctx, inputNeedsGrad: false });
      const f2 = l2.forward(f1.output, ctx);
      const dx = f2.backward({ ...f2.output, data: new Float32Array(f2.output.data.length).fill(0.5) });
      expect(wasmRowsOf(dx as LayerValue)).not.toBeNull();
      expect(heap.liveBlocks).toBe(before + 2); // l1's cache and l2's dx; l1's backward never runs
    });
    l1.forward(x, { ...ctx, needsGrad: false }); // the next forward in l1's slot frees its cache
    expect(heap.liveBlocks).toBe(before);
  });
});

describe("a dense layer reads a recurrent layer's rows in place", () => {
  /** lstm(6) → dense(3, tanh): forward, backward with a fixed dy; outputs, weight gradients, and the step buffers the step took. */
  function lstmDense() {
    const lstm = layers.lstm({ units: 6, returnSequences: true });
    lstm.build([null, null, C], new Random(1));
    const dense = layers.dense({ units: 3, activation: "tanh" });
    dense.build([null, null, 6], new Random(2));
    for (const l of [lstm, dense]) for (const v of l.trainableWeights) v.grad.fill(0);
    const ctx = { training: true, rng: new Random(0), needsGrad: true, inputNeedsGrad: false };
    const f1 = lstm.forward(x, ctx);
    const f2 = dense.forward(f1.output, { ...ctx, inputNeedsGrad: true });
    const kept = wasmRowsOf(f1.output) !== null;
    const y = Array.from(f2.output.data);
    const dh = f2.backward({ ...f2.output, data: Float32Array.from(y, (_, i) => Math.cos(0.21 * i)) });
    f1.backward(dh as LayerValue);
    const grads = [lstm, dense].map((l) => l.trainableWeights.flatMap((v) => Array.from(v.grad)));
    return { y, grads, kept, buffers: stepBufferCount() };
  }

  it("lstm → dense: bit-identical to copying h out, and h is never copied", () => {
    useFastKernels();
    const copied = lstmDense();
    dropStepBuffers();
    const inPlace = withStepBuffers(() => lstmDense());
    expect(inPlace.kept).toBe(true);
    expect(inPlace.buffers).toBe(2); // the dense layer's output and input gradient only: h, copied out, would be a third
    expect(inPlace.y).toEqual(copied.y);
    expect(inPlace.grads).toEqual(copied.grads);
    setKernels(jsKernels);
    const reference = lstmDense();
    inPlace.grads.forEach((g, k) => g.forEach((v, i) => expect(Math.abs(v - reference.grads[k][i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(reference.grads[k][i])))));
  });
});

describe("models whose recurrent layers hand rows on, against the reference kernels", () => {
  const W = 6;
  const data = () => {
    const xs = lengths.filter((n) => n > 0).map((n, i) => Array.from({ length: n }, (_, t) => Array.from({ length: W }, (_, c) => Math.sin(i + 0.3 * t + 0.7 * c))));
    const ys = xs.map((s, i) => s.map((_, t) => [Math.cos(i + t), 0.5 * Math.sin(t - i)]));
    return { xs, ys };
  };
  const builds: Record<string, () => ReturnType<typeof sequential>> = {
    // rows on, rows reversed (goBackwards reads them in JS), rows dropped out (dropout copies), rows into a dense layer
    "lstm → lstm(goBackwards) → lstm(dropout) → lstm → dense": () =>
      sequential([
        layers.lstm({ units: W, returnSequences: true, inputShape: [null, W] }),
        layers.lstm({ units: W, returnSequences: true, goBackwards: true }),
        layers.lstm({ units: W, returnSequences: true, dropout: 0.2 }),
        layers.lstm({ units: W, returnSequences: true }),
        layers.dense({ units: 2 }),
      ], { seed: 4 }),
    // one lstm's output read by a second lstm and by a dense layer; their gradients add up
    "lstm → (lstm, dense) → add → dense": () => {
      const inp = input({ shape: [null, W] });
      const h = layers.lstm({ units: W, returnSequences: true }).apply(inp) as SymbolicTensor;
      const a = layers.lstm({ units: W, returnSequences: true }).apply(h) as SymbolicTensor;
      const b = layers.dense({ units: W }).apply(h) as SymbolicTensor;
      const y = layers.dense({ units: 2 }).apply(layers.add({}).apply([a, b]) as SymbolicTensor) as SymbolicTensor;
      return model({ inputs: inp, outputs: y, seed: 6 }) as unknown as ReturnType<typeof sequential>;
    },
  };
  for (const [name, build] of Object.entries(builds)) {
    it(`${name}: 3 steps on wasm match the reference kernels, loss and weights`, async () => {
      const fast = build();
      const reference = build();
      for (const m of [fast, reference]) m.compile({ loss: "mse", optimizer: "adam" });
      await trainSideBySide(fast, reference, data(), 3);
    });
  }
});

// Recurrent dropout in the WebAssembly recurrent kernels (LSTM, SimpleRNN, GRU in both forms) (NOTE [ recurrent dropout in the recurrent
// kernels ] in recurrent_rows.ts) against the JS reference, which recurrent_dropout.test.ts checks
// against float64 formulas and central differences: random packed layouts (unequal lengths incl. 0,
// per-row masks with holes, odd sizes, a batch past one GEMM strip and one KC block), forward and
// backward, the backward on the wasm cache and on a reference cache. Same tolerance as wasm.test.ts:
//     |wasm − js| ≤ 1e-5 · (1 + max |js|)   for every element of every output.
// Each case also checks that wasm ran (a wasm cache keeps its arrays in wasm memory), not the
// reference it falls back to.
import { describe, expect, it } from "vitest";
import { Act } from "./activations.js";
import { gruBackward, gruForward, type GruBackwardArgs, type GruCache, type GruForwardArgs } from "./gru.js";
import { lstmBackward, lstmForward, type LstmBackwardArgs, type LstmCache, type LstmForwardArgs } from "./lstm.js";
import { simpleRnnBackward, simpleRnnForward, type SimpleRnnBackwardArgs, type SimpleRnnCache, type SimpleRnnForwardArgs } from "./simple_rnn.js";
import {
  wasmGruBackward, wasmGruForward, wasmLstmBackward, wasmLstmForward, wasmSimdSupported, wasmSimpleRnnBackward, wasmSimpleRnnForward,
} from "./wasm.js";
import { packLayout, type PackedLayout } from "../../data/packed.js";
import { Random } from "../random.js";
import { int, randomArray, scaledError, TOL, worstWithin } from "./wasm_checks.test-support.js";

const RATE = 0.3;

/** [B, H] sorted order, scaled by 1/(1 − rate): about `RATE` of each row dropped. */
function recurrentMask(rng: Random, B: number, H: number): Float32Array {
  return Float32Array.from({ length: B * H }, () => (rng.uniform() < RATE ? 0 : 1 / (1 - RATE)));
}

/** ~1/3 of the rows masked. */
function rowMask(rng: Random, layout: PackedLayout): Uint8Array {
  return Uint8Array.from({ length: layout.totalSteps }, () => (rng.uniform() < 0.35 ? 0 : 1));
}

/** Whether a cache is the wasm kernel's own (its arrays kept in wasm memory), not the reference's. */
function ranInWasm(cache: object): boolean {
  return typeof (cache as { liveBlock?: unknown }).liveBlock === "function";
}

interface Case {
  C: number;
  H: number;
  batch: number;
  maxLength: number;
  masked: boolean;
}

interface Grads {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array;
}

/**
 * Backward three ways — the reference on its own cache, wasm on the reference's cache (copied into
 * wasm memory), wasm on its own cache — and each wasm result's errors against the reference's.
 */
function addBackwardErrors<Cache>(
  errors: Record<string, number>,
  run: {
    zeros: () => Grads; fJs: Cache; fWasm: Cache;
    js: (cache: Cache, grads: Grads) => { dx: Float32Array | null; dh0: Float32Array; dc0?: Float32Array };
    wasm: (cache: Cache, grads: Grads) => { dx: Float32Array | null; dh0: Float32Array; dc0?: Float32Array };
  },
): void {
  const gJs = run.zeros();
  const bJs = run.js(run.fJs, gJs);
  for (const [tag, cache] of [["fromJs ", run.fJs], ["chained ", run.fWasm]] as const) {
    const g = run.zeros();
    const b = run.wasm(cache, g);
    errors[`${tag}dx`] = scaledError(b.dx, bJs.dx);
    errors[`${tag}dh0`] = scaledError(b.dh0, bJs.dh0);
    if (bJs.dc0) errors[`${tag}dc0`] = scaledError(b.dc0 ?? null, bJs.dc0);
    errors[`${tag}dKernel`] = scaledError(g.kernel, gJs.kernel);
    errors[`${tag}dRecurrentKernel`] = scaledError(g.recurrentKernel, gJs.recurrentKernel);
    errors[`${tag}dBias`] = scaledError(g.bias, gJs.bias);
  }
}

/** A packed layout of `batch` random lengths up to `maxLength`, one of them 0. */
function randomLayout(rng: Random, batch: number, maxLength: number): PackedLayout {
  const lengths = Array.from({ length: batch }, () => int(rng, 0, maxLength));
  lengths[int(rng, 0, batch - 1)] = 0;
  return packLayout(lengths);
}

function lstmCase(rng: Random, { C, H, batch, maxLength, masked }: Case): Record<string, number> {
  const layout = randomLayout(rng, batch, maxLength);
  const { totalSteps: N, batch: B } = layout;
  const G = 4 * H;
  const weights = { kernel: randomArray(rng, C * G, 0.6), recurrentKernel: randomArray(rng, H * G, 0.9 / Math.sqrt(H)), bias: randomArray(rng, G, 0.5) };
  const fwd: LstmForwardArgs = {
    layout, x: randomArray(rng, N * C), C, H, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid,
    h0: randomArray(rng, B * H), c0: randomArray(rng, B * H), recurrentMask: recurrentMask(rng, B, H),
    ...(masked ? { mask: rowMask(rng, layout) } : {}),
  };
  const dh = randomArray(rng, N * H);
  const dhLast = randomArray(rng, B * H);
  const dcLast = randomArray(rng, B * H);
  const zeros = () => ({ kernel: new Float32Array(C * G), recurrentKernel: new Float32Array(H * G), bias: new Float32Array(G) });
  const bwd = (cache: LstmCache, grads: Grads): LstmBackwardArgs =>
    ({ cache, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, dh, dhLast, dcLast, grads, needInputGrad: true });

  const fJs = lstmForward(fwd);
  const fWasm = wasmLstmForward(fwd);
  expect(ranInWasm(fWasm), "the wasm forward ran in wasm").toBe(true);
  expect(fWasm.recurrentMask).toBe(fwd.recurrentMask);
  const errors: Record<string, number> = {
    h: scaledError(fWasm.h, fJs.h), hLast: scaledError(fWasm.hLast, fJs.hLast), cLast: scaledError(fWasm.cLast, fJs.cLast),
    gates: scaledError(fWasm.gates, fJs.gates), c: scaledError(fWasm.c, fJs.c),
  };
  addBackwardErrors(errors, { zeros, fJs, fWasm, js: (c, g) => lstmBackward(bwd(c, g)), wasm: (c, g) => wasmLstmBackward(bwd(c, g)) });
  return errors;
}

function simpleRnnCase(rng: Random, { C, H, batch, maxLength, masked }: Case): Record<string, number> {
  const layout = randomLayout(rng, batch, maxLength);
  const { totalSteps: N, batch: B } = layout;
  const weights = { kernel: randomArray(rng, C * H, 0.6), recurrentKernel: randomArray(rng, H * H, 0.9 / Math.sqrt(H)), bias: randomArray(rng, H, 0.5) };
  const fwd: SimpleRnnForwardArgs = {
    layout, x: randomArray(rng, N * C), C, H, weights, activation: Act.Tanh,
    h0: randomArray(rng, B * H), recurrentMask: recurrentMask(rng, B, H), ...(masked ? { mask: rowMask(rng, layout) } : {}),
  };
  const dh = randomArray(rng, N * H);
  const dhLast = randomArray(rng, B * H);
  const zeros = () => ({ kernel: new Float32Array(C * H), recurrentKernel: new Float32Array(H * H), bias: new Float32Array(H) });
  const bwd = (cache: SimpleRnnCache, grads: Grads): SimpleRnnBackwardArgs =>
    ({ cache, weights, activation: Act.Tanh, dh, dhLast, grads, needInputGrad: true });

  const fJs = simpleRnnForward(fwd);
  const fWasm = wasmSimpleRnnForward(fwd);
  expect(ranInWasm(fWasm), "the wasm forward ran in wasm").toBe(true);
  expect(fWasm.recurrentMask).toBe(fwd.recurrentMask);
  const errors: Record<string, number> = { h: scaledError(fWasm.h, fJs.h), state: scaledError(fWasm.state, fJs.state), hLast: scaledError(fWasm.hLast, fJs.hLast) };
  addBackwardErrors(errors, { zeros, fJs, fWasm, js: (c, g) => simpleRnnBackward(bwd(c, g)), wasm: (c, g) => wasmSimpleRnnBackward(bwd(c, g)) });
  return errors;
}

function gruCase(resetAfter: boolean) {
  return (rng: Random, { C, H, batch, maxLength, masked }: Case): Record<string, number> => {
    const layout = randomLayout(rng, batch, maxLength);
    const { totalSteps: N, batch: B } = layout;
    const G = 3 * H;
    const biasSize = resetAfter ? 2 * G : G;
    const weights = { kernel: randomArray(rng, C * G, 0.6), recurrentKernel: randomArray(rng, H * G, 0.9 / Math.sqrt(H)), bias: randomArray(rng, biasSize, 0.5) };
    const fwd: GruForwardArgs = {
      layout, x: randomArray(rng, N * C), C, H, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, resetAfter,
      h0: randomArray(rng, B * H), recurrentMask: recurrentMask(rng, B, H), ...(masked ? { mask: rowMask(rng, layout) } : {}),
    };
    const dh = randomArray(rng, N * H);
    const dhLast = randomArray(rng, B * H);
    const zeros = () => ({ kernel: new Float32Array(C * G), recurrentKernel: new Float32Array(H * G), bias: new Float32Array(biasSize) });
    const bwd = (cache: GruCache, grads: Grads): GruBackwardArgs =>
      ({ cache, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, dh, dhLast, grads, needInputGrad: true });

    const fJs = gruForward(fwd);
    const fWasm = wasmGruForward(fwd);
    expect(ranInWasm(fWasm), "the wasm forward ran in wasm").toBe(true);
    expect(fWasm.recurrentMask).toBe(fwd.recurrentMask);
    const aux = (c: GruCache) => (resetAfter ? c.recH : c.resetState);
    const errors: Record<string, number> = {
      h: scaledError(fWasm.h, fJs.h), state: scaledError(fWasm.state, fJs.state), hLast: scaledError(fWasm.hLast, fJs.hLast),
      gates: scaledError(fWasm.gates, fJs.gates), aux: scaledError(aux(fWasm), aux(fJs)),
    };
    addBackwardErrors(errors, { zeros, fJs, fWasm, js: (c, g) => gruBackward(bwd(c, g)), wasm: (c, g) => wasmGruBackward(bwd(c, g)) });
    return errors;
  };
}

const CASES = { lstm: lstmCase, simpleRnn: simpleRnnCase, "gru (resetAfter)": gruCase(true), "gru (reset before)": gruCase(false) };

for (const [kind, run] of Object.entries(CASES)) {
  describe.runIf(wasmSimdSupported())(`wasm ${kind} with a recurrent dropout mask matches the JS reference`, () => {
    it("on random layouts, masks with holes and odd sizes", () => {
      const rng = new Random(61);
      let worst = 0;
      const shapes: [number, number][] = [[3, 5], [5, 32], [1, 1], [7, 3], [4, 9], [2, 8]];
      for (let k = 0; k < 24; k++) {
        const [C, H] = shapes[k % shapes.length];
        const c: Case = { C, H, batch: int(rng, 1, 12), maxLength: 9, masked: k % 2 === 1 };
        worst = Math.max(worst, worstWithin(run(rng, c), `case ${k} C=${C} H=${H} masked=${c.masked}`));
      }
      expect(worst).toBeLessThanOrEqual(TOL);
    });

    it("on a batch past one GEMM strip and one KC block (B=300, lengths up to 30)", () => {
      const rng = new Random(62);
      expect(worstWithin(run(rng, { C: 5, H: 32, batch: 300, maxLength: 30, masked: false }), "B=300")).toBeLessThanOrEqual(TOL);
      expect(worstWithin(run(rng, { C: 16, H: 12, batch: 300, maxLength: 30, masked: true }), "B=300 masked")).toBeLessThanOrEqual(TOL);
    });
  });
}

describe.runIf(wasmSimdSupported())("wasm LSTM with a recurrent dropout mask", () => {
  it("the mask matters: the same problem without it gives other outputs and gradients", () => {
    const rng = new Random(73);
    const layout = packLayout([4, 2, 3]);
    const C = 3, H = 4, G = 16;
    const weights = { kernel: randomArray(rng, C * G, 0.6), recurrentKernel: randomArray(rng, H * G, 0.5), bias: null };
    const base: LstmForwardArgs = { layout, x: randomArray(rng, layout.totalSteps * C), C, H, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, h0: randomArray(rng, 3 * H) };
    const mask = Float32Array.from({ length: 3 * H }, (_, k) => (k % 2 === 0 ? 0 : 2));
    const withMask = wasmLstmForward({ ...base, recurrentMask: mask });
    const without = wasmLstmForward(base);
    expect(Array.from(withMask.h)).not.toEqual(Array.from(without.h));
    const grads = () => ({ kernel: new Float32Array(C * G), recurrentKernel: new Float32Array(H * G), bias: null });
    const dh = randomArray(rng, layout.totalSteps * H);
    const g1 = grads(), g2 = grads();
    wasmLstmBackward({ cache: withMask, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, dh, dhLast: null, dcLast: null, grads: g1, needInputGrad: true });
    wasmLstmBackward({ cache: without, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, dh, dhLast: null, dcLast: null, grads: g2, needInputGrad: true });
    expect(Array.from(g1.recurrentKernel)).not.toEqual(Array.from(g2.recurrentKernel));
  });

  it("a mask that is not [B, H] goes to the reference, which says what is wrong", () => {
    const rng = new Random(74);
    const layout = packLayout([2, 1]);
    const args: LstmForwardArgs = {
      layout, x: randomArray(rng, 3 * 2), C: 2, H: 3, weights: { kernel: randomArray(rng, 24), recurrentKernel: randomArray(rng, 36), bias: null },
      activation: Act.Tanh, recurrentActivation: Act.Sigmoid, recurrentMask: new Float32Array(5),
    };
    expect(() => wasmLstmForward(args)).toThrow(/recurrentMask .* must have one row of H values per sequence/);
  });
});

// The WebAssembly SimpleRNN (and GRU) kernels against the JS reference (the spec), on random packed
// layouts: unequal lengths including 0, h0 given or not, per-row masks with holes, odd sizes, every
// activation, with and without bias, dh and dhLast. Same tolerance as wasm.test.ts, stated there:
//     |wasm − js| ≤ 1e-5 · (1 + max |js|)   for every element of every output.
import { describe, expect, it } from "vitest";
import { Act } from "./activations.js";
import {
  simpleRnnBackward, simpleRnnForward, type SimpleRnnBackwardArgs, type SimpleRnnForwardArgs,
} from "./simple_rnn.js";
import { gruBackward, gruForward, type GruBackwardArgs, type GruForwardArgs } from "./gru.js";
import { wasmGruBackward, wasmGruForward, wasmSimdSupported, wasmSimpleRnnBackward, wasmSimpleRnnForward } from "./wasm.js";
import { packLayout, type PackedLayout } from "../../data/packed.js";
import { Random } from "../random.js";
import { loadRaggedWasm, wasmHeap } from "../wasm/loader.js";
import { int, randomArray, scaledError, TOL, worstWithin } from "./wasm_checks.test-support.js";

/**
 * Recurrent kernels of spectral radius ≈ 0.5: a contracting recurrence, as trained ones mostly are.
 * With a radius above 1 the recurrence is chaotic and any rounding difference (f32 here, f64 sums
 * in the reference) grows exponentially with the length, whichever kernel is right.
 */
const RECURRENT_SCALE = (H: number): number => 0.9 / Math.sqrt(H);
const ACTS: Act[] = [Act.Tanh, Act.Relu, Act.Sigmoid, Act.Linear, Act.HardSigmoid, Act.HardSigmoidTfjs];

/** ~1/3 of the rows masked and one sequence masked throughout. */
function randomMask(rng: Random, layout: PackedLayout): Uint8Array {
  const mask = Uint8Array.from({ length: layout.totalSteps }, () => (rng.uniform() < 0.35 ? 0 : 1));
  if (layout.batch === 0) return mask;
  const j = int(rng, 0, layout.batch - 1);
  for (let t = 0; t < layout.sortedLengths[j]; t++) mask[layout.offsets[t] + j] = 0;
  return mask;
}

/** A random problem: layout, options from the bits of `variant`. */
function problem(rng: Random, variant: number, shapes: [number, number][], size = { batch: 0, maxLength: 9 }) {
  const [C, H] = shapes[variant % shapes.length];
  const B = size.batch || int(rng, 1, 12);
  const lengths = Array.from({ length: B }, () => int(rng, 0, size.maxLength));
  lengths[int(rng, 0, B - 1)] = 0;
  const layout = packLayout(lengths);
  const { totalSteps: N } = layout;
  return {
    C, H, layout, lengths,
    x: randomArray(rng, N * C),
    h0: (variant & 1) === 1 ? randomArray(rng, B * H) : undefined,
    withBias: (variant & 2) === 0,
    dh: (variant & 4) === 0 ? randomArray(rng, N * H) : null,
    dhLast: (variant & 8) === 0 || (variant & 4) !== 0 ? randomArray(rng, B * H) : null,
    needInputGrad: (variant & 16) === 0,
    mask: (variant & 32) !== 0 ? randomMask(rng, layout) : undefined,
    act: ACTS[(variant >> 1) % ACTS.length],
  };
}

const copy = <T extends { kernel: Float32Array; recurrentKernel: Float32Array; bias: Float32Array | null }>(g: T): T =>
  ({ ...g, kernel: Float32Array.from(g.kernel), recurrentKernel: Float32Array.from(g.recurrentKernel), bias: g.bias ? Float32Array.from(g.bias) : null });

describe.runIf(wasmSimdSupported())("wasm simpleRnnForward / simpleRnnBackward match the JS reference", () => {
  function compare(rng: Random, variant: number, shapes: [number, number][], size?: { batch: number; maxLength: number }): number {
    const pr = problem(rng, variant, shapes, size);
    const { C, H, layout } = pr;
    const weights = { kernel: randomArray(rng, C * H, 0.6), recurrentKernel: randomArray(rng, H * H, RECURRENT_SCALE(H)), bias: pr.withBias ? randomArray(rng, H, 0.5) : null };
    const fwd: SimpleRnnForwardArgs = {
      layout, x: pr.x, C, H, weights, activation: pr.act,
      ...(pr.h0 ? { h0: pr.h0 } : {}), ...(pr.mask ? { mask: pr.mask } : {}),
    };
    const grads = { kernel: randomArray(rng, C * H), recurrentKernel: randomArray(rng, H * H), bias: pr.withBias ? randomArray(rng, H) : null };
    const bwd = (cache: SimpleRnnBackwardArgs["cache"], g: typeof grads): SimpleRnnBackwardArgs =>
      ({ cache, weights, activation: pr.act, dh: pr.dh, dhLast: pr.dhLast, grads: g, needInputGrad: pr.needInputGrad });
    const fJs = simpleRnnForward(fwd);
    const fWasm = wasmSimpleRnnForward(fwd);
    expect(fWasm.x).toBe(fwd.x);
    const errors: Record<string, number> = {
      h: scaledError(fWasm.h, fJs.h), state: scaledError(fWasm.state, fJs.state), hLast: scaledError(fWasm.hLast, fJs.hLast),
    };
    const gJs = copy(grads), gFromJs = copy(grads), gChained = copy(grads);
    const bJs = simpleRnnBackward(bwd(fJs, gJs));
    const bFromJs = wasmSimpleRnnBackward(bwd(fJs, gFromJs)); // the wasm backward on the reference's cache
    const bChained = wasmSimpleRnnBackward(bwd(fWasm, gChained)); // and on its own, kept in wasm memory
    for (const [tag, b, g] of [["", bFromJs, gFromJs], ["chained ", bChained, gChained]] as const) {
      errors[`${tag}dh0`] = scaledError(b.dh0, bJs.dh0);
      errors[`${tag}dx`] = scaledError(b.dx, bJs.dx);
      errors[`${tag}dKernel`] = scaledError(g.kernel, gJs.kernel);
      errors[`${tag}dRecurrentKernel`] = scaledError(g.recurrentKernel, gJs.recurrentKernel);
      errors[`${tag}dBias`] = scaledError(g.bias, gJs.bias);
    }
    return worstWithin(errors, `variant ${variant} C=${C} H=${H} act=${pr.act} lengths=[${pr.lengths}] mask=${pr.mask !== undefined}`);
  }

  it("on random layouts, masks, odd sizes and every option", () => {
    const rng = new Random(31);
    let worst = 0;
    for (let variant = 0; variant < 64; variant++) worst = Math.max(worst, compare(rng, variant, [[3, 5], [5, 32], [1, 1], [7, 3], [4, 9], [2, 8]]));
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it("on a benchmark-sized batch (B=400, unequal lengths up to 40)", () => {
    const rng = new Random(32);
    expect(compare(rng, 0, [[5, 32]], { batch: 400, maxLength: 40 })).toBeLessThanOrEqual(TOL);
    expect(compare(rng, 32, [[16, 12]], { batch: 400, maxLength: 40 })).toBeLessThanOrEqual(TOL);
  });

  it("keeps its cache until backward, and nothing with needsGrad: false", () => {
    const rng = new Random(33);
    const layout = packLayout([3, 0, 2]);
    const weights = { kernel: randomArray(rng, 6), recurrentKernel: randomArray(rng, 9), bias: null };
    const args: SimpleRnnForwardArgs = { layout, x: randomArray(rng, 10), C: 2, H: 3, weights, activation: Act.Tanh };
    const live = (): number => wasmHeap(loadRaggedWasm()!).liveBlocks;
    const before = live();
    wasmSimpleRnnForward({ ...args, needsGrad: false });
    expect(live()).toBe(before);
    const cache = wasmSimpleRnnForward(args);
    expect(live()).toBe(before + 1);
    const grads = { kernel: new Float32Array(6), recurrentKernel: new Float32Array(9), bias: null };
    wasmSimpleRnnBackward({ cache, weights, activation: Act.Tanh, dh: null, dhLast: randomArray(rng, 9), grads, needInputGrad: true });
    expect(live()).toBe(before);
  });
});

describe.runIf(wasmSimdSupported())("wasm gruForward / gruBackward match the JS reference (both resetAfter forms)", () => {
  const PAIRS: [Act, Act][] = [[Act.Tanh, Act.Sigmoid], [Act.Relu, Act.HardSigmoid], [Act.Linear, Act.HardSigmoidTfjs], [Act.Sigmoid, Act.Tanh]];

  function compare(rng: Random, variant: number, resetAfter: boolean, shapes: [number, number][], size?: { batch: number; maxLength: number }): number {
    const pr = problem(rng, variant, shapes, size);
    const { C, H, layout } = pr;
    const G = 3 * H;
    const [activation, recurrentActivation] = PAIRS[(variant >> 1) % PAIRS.length];
    const biasSize = resetAfter ? 2 * G : G;
    const weights = { kernel: randomArray(rng, C * G, 0.6), recurrentKernel: randomArray(rng, H * G, RECURRENT_SCALE(H)), bias: pr.withBias ? randomArray(rng, biasSize, 0.5) : null };
    const fwd: GruForwardArgs = {
      layout, x: pr.x, C, H, weights, activation, recurrentActivation, resetAfter,
      ...(pr.h0 ? { h0: pr.h0 } : {}), ...(pr.mask ? { mask: pr.mask } : {}),
    };
    const grads = { kernel: randomArray(rng, C * G), recurrentKernel: randomArray(rng, H * G), bias: pr.withBias ? randomArray(rng, biasSize) : null };
    const bwd = (cache: GruBackwardArgs["cache"], g: typeof grads): GruBackwardArgs =>
      ({ cache, weights, activation, recurrentActivation, dh: pr.dh, dhLast: pr.dhLast, grads: g, needInputGrad: pr.needInputGrad });
    const fJs = gruForward(fwd);
    const fWasm = wasmGruForward(fwd);
    expect(fWasm.resetAfter).toBe(resetAfter);
    const errors: Record<string, number> = {
      h: scaledError(fWasm.h, fJs.h), state: scaledError(fWasm.state, fJs.state), hLast: scaledError(fWasm.hLast, fJs.hLast),
      gates: scaledError(fWasm.gates, fJs.gates), recH: scaledError(fWasm.recH, fJs.recH), resetState: scaledError(fWasm.resetState, fJs.resetState),
    };
    const gJs = copy(grads), gFromJs = copy(grads), gChained = copy(grads);
    const bJs = gruBackward(bwd(fJs, gJs));
    const bFromJs = wasmGruBackward(bwd(fJs, gFromJs));
    const bChained = wasmGruBackward(bwd(fWasm, gChained));
    for (const [tag, b, g] of [["", bFromJs, gFromJs], ["chained ", bChained, gChained]] as const) {
      errors[`${tag}dh0`] = scaledError(b.dh0, bJs.dh0);
      errors[`${tag}dx`] = scaledError(b.dx, bJs.dx);
      errors[`${tag}dKernel`] = scaledError(g.kernel, gJs.kernel);
      errors[`${tag}dRecurrentKernel`] = scaledError(g.recurrentKernel, gJs.recurrentKernel);
      errors[`${tag}dBias`] = scaledError(g.bias, gJs.bias);
    }
    return worstWithin(errors, `resetAfter=${resetAfter} variant ${variant} C=${C} H=${H} lengths=[${pr.lengths}] mask=${pr.mask !== undefined}`);
  }

  for (const resetAfter of [true, false]) {
    it(`resetAfter: ${resetAfter}, on random layouts, masks, odd sizes and every option`, () => {
      const rng = new Random(resetAfter ? 41 : 42);
      let worst = 0;
      for (let variant = 0; variant < 64; variant++) worst = Math.max(worst, compare(rng, variant, resetAfter, [[3, 5], [5, 32], [1, 1], [7, 3], [4, 9], [2, 8]]));
      expect(worst).toBeLessThanOrEqual(TOL);
    });

    it(`resetAfter: ${resetAfter}, on a benchmark-sized batch (B=400, unequal lengths up to 40)`, () => {
      const rng = new Random(43);
      expect(compare(rng, 0, resetAfter, [[5, 32]], { batch: 400, maxLength: 40 })).toBeLessThanOrEqual(TOL);
      expect(compare(rng, 32, resetAfter, [[16, 12]], { batch: 400, maxLength: 40 })).toBeLessThanOrEqual(TOL);
    });
  }

  it("keeps its cache until backward, and nothing with needsGrad: false", () => {
    const rng = new Random(44);
    const layout = packLayout([3, 0, 2]);
    const weights = { kernel: randomArray(rng, 18), recurrentKernel: randomArray(rng, 27), bias: null };
    const args: GruForwardArgs = { layout, x: randomArray(rng, 10), C: 2, H: 3, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, resetAfter: true };
    const live = (): number => wasmHeap(loadRaggedWasm()!).liveBlocks;
    const before = live();
    wasmGruForward({ ...args, needsGrad: false });
    expect(live()).toBe(before);
    const cache = wasmGruForward(args);
    expect(live()).toBe(before + 1);
    const grads = { kernel: new Float32Array(18), recurrentKernel: new Float32Array(27), bias: null };
    wasmGruBackward({ cache, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, dh: null, dhLast: randomArray(rng, 9), grads, needInputGrad: true });
    expect(live()).toBe(before);
    expect(() => cache.gates).toThrow(/consumed/);
  });
});

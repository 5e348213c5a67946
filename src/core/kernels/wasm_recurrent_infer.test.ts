// The recurrent layers' inference forwards in WebAssembly (NOTE [ inference keeps nothing ] in
// kernels/wasm/lstm.ts): with `needsGrad: false`, with a mask or without, the LSTM keeps no gates, c
// or σ(c), the GRU no gates or aux for every row; h and the final states must be bit-identical to
// the training forward's (same operations, same order), and within the usual tolerance of the JS
// reference (the spec):
//     |wasm − js| ≤ 1e-5 · (1 + max |js|)   for every element of every output.
import { describe, expect, it } from "vitest";
import { Act } from "./activations.js";
import { gruForward, type GruForwardArgs } from "./gru.js";
import { lstmForward, type LstmForwardArgs } from "./lstm.js";
import { wasmGruForward, wasmLstmForward, wasmSimdSupported } from "./wasm.js";
import { packLayout, type PackedLayout } from "../../data/packed.js";
import { Random } from "../random.js";
import { loadRaggedWasm, wasmHeap } from "../wasm/loader.js";
import { int, randomArray, scaledError, worstWithin } from "./wasm_checks.test-support.js";

const SHAPES: [number, number][] = [[5, 32], [3, 1], [1, 5], [7, 8], [32, 8], [4, 33], [2, 3]];
const PAIRS: [Act, Act][] = [[Act.Tanh, Act.Sigmoid], [Act.Relu, Act.HardSigmoid], [Act.Linear, Act.Sigmoid]];

/** A random forward problem: lengths in [0, maxLength] with at least one 0, optional h0/c0 and bias. */
function problem(rng: Random, variant: number, size: { batch: number; maxLength: number }): LstmForwardArgs {
  const [C, H] = SHAPES[variant % SHAPES.length];
  const G = 4 * H;
  const B = size.batch || int(rng, 1, 12);
  const lengths = Array.from({ length: B }, () => int(rng, 0, size.maxLength));
  lengths[int(rng, 0, B - 1)] = 0;
  const layout = packLayout(lengths);
  const [activation, recurrentActivation] = PAIRS[(variant >> 1) % PAIRS.length];
  return {
    layout, C, H, activation, recurrentActivation,
    x: randomArray(rng, layout.totalSteps * C),
    weights: { kernel: randomArray(rng, C * G, 0.6), recurrentKernel: randomArray(rng, H * G, 0.9 / Math.sqrt(H)), bias: (variant & 2) === 0 ? randomArray(rng, G, 0.5) : null },
    ...((variant & 1) === 1 ? { h0: randomArray(rng, B * H), c0: randomArray(rng, B * H) } : {}),
  };
}

/** A row mask with ~35 % holes, and one sequence masked throughout. */
function maskWithHoles(rng: Random, layout: PackedLayout): Uint8Array {
  const mask = Uint8Array.from({ length: layout.totalSteps }, () => (rng.uniform() < 0.35 ? 0 : 1));
  const j = int(rng, 0, layout.batch - 1);
  for (let t = 0; t < layout.sortedLengths[j]; t++) mask[layout.offsets[t] + j] = 0;
  return mask;
}

/** The first index where a and b differ (bit for bit, as floats), or −1; a length mismatch is index −2. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/**
 * Runs `forward` for inference twice, then for training: the second inference must run in the
 * memory the first grew it to, and the training forward (which keeps its cache) must grow it further.
 */
function inferenceFitsWhereTrainingGrows<A, R>(forward: (args: A & { needsGrad: boolean }) => R, args: A): { inferred: R; kept: R } {
  const wasm = loadRaggedWasm();
  if (wasm === null) throw new Error("wasm did not load");
  forward({ ...args, needsGrad: false }); // the memory now holds what inference needs
  const before = wasm.memory.buffer.byteLength;
  const inferred = forward({ ...args, needsGrad: false });
  expect(wasm.memory.buffer.byteLength).toBe(before);
  expect(wasmHeap(wasm).liveBlocks).toBe(0);
  const kept = forward({ ...args, needsGrad: true });
  (kept as { release?: () => void }).release?.();
  expect(wasm.memory.buffer.byteLength).toBeGreaterThan(before);
  return { inferred, kept };
}

describe.runIf(wasmSimdSupported())("wasm LSTM inference forward", () => {
  it("keeps nothing: 20 000 rows of LSTM(64) grow wasm memory by far less than the training forward's cache", () => {
    // first in this file, so the module's memory is what this test made it: the training forward
    // would keep gates, c, σ(c) and state, 7·64 floats per row (36 MB); inference needs h and x
    const wasm = loadRaggedWasm();
    if (wasm === null) throw new Error("wasm did not load");
    const rng = new Random(1);
    const B = 200;
    const layout = packLayout(Array.from({ length: B }, () => 100));
    const C = 5, H = 64, G = 4 * H;
    const before = wasm.memory.buffer.byteLength;
    const args: LstmForwardArgs = {
      layout, C, H, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, x: randomArray(rng, layout.totalSteps * C),
      weights: { kernel: randomArray(rng, C * G, 0.6), recurrentKernel: randomArray(rng, H * G, 0.1), bias: randomArray(rng, G) },
      needsGrad: false,
    };
    const cache = wasmLstmForward(args);
    const grown = wasm.memory.buffer.byteLength - before;
    expect(grown).toBeLessThan(12 * 2 ** 20); // h (5.1 MB) + x (0.4 MB), rounded up to whole pages
    expect(wasmHeap(wasm).liveBlocks).toBe(0);
    expect(() => cache.gates).toThrow(/needsGrad: false/);
    // and the same h as the reference
    expect(scaledError(cache.h, lstmForward(args).h)).toBeLessThan(1e-5);
  });

  it("gives h, hLast and cLast bit-identical to the training forward's, and within 1e-5 of the reference", () => {
    const rng = new Random(7);
    let worst = 0;
    let cases = 0;
    for (const size of [{ batch: 0, maxLength: 9 }, { batch: 1, maxLength: 40 }, { batch: 0, maxLength: 1 }, { batch: 37, maxLength: 12 }, { batch: 300, maxLength: 6 }]) {
      for (let variant = 0; variant < 24; variant++) {
        const args = problem(rng, variant, size);
        const kept = wasmLstmForward({ ...args, needsGrad: true });
        (kept as { release?: () => void }).release?.(); // its block (h and the final states are copies)
        const inferred = wasmLstmForward({ ...args, needsGrad: false });
        expect(inferred.h).toEqual(kept.h);
        expect(inferred.hLast).toEqual(kept.hLast);
        expect(inferred.cLast).toEqual(kept.cLast);
        const ref = lstmForward(args);
        worst = Math.max(worst, worstWithin({ h: scaledError(inferred.h, ref.h), hLast: scaledError(inferred.hLast, ref.hLast), cLast: scaledError(inferred.cLast, ref.cLast) }, `variant ${variant}, B ${args.layout.batch}`));
        cases++;
      }
    }
    expect(cases).toBe(120);
    expect(worst).toBeLessThan(1e-5);
  });

  it("gives a sequence of length 0 its initial states, and handles a batch of only empty sequences", () => {
    const rng = new Random(3);
    const C = 3, H = 5, G = 4 * H;
    for (const lengths of [[4, 0, 2], [0, 0]]) {
      const layout = packLayout(lengths);
      const B = lengths.length;
      const h0 = randomArray(rng, B * H), c0 = randomArray(rng, B * H);
      const args: LstmForwardArgs = {
        layout, C, H, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, x: randomArray(rng, layout.totalSteps * C), h0, c0,
        weights: { kernel: randomArray(rng, C * G), recurrentKernel: randomArray(rng, H * G, 0.3), bias: null }, needsGrad: false,
      };
      const out = wasmLstmForward(args);
      for (let j = 0; j < B; j++) {
        if (layout.sortedLengths[j] !== 0) continue;
        expect(out.hLast.subarray(j * H, (j + 1) * H)).toEqual(h0.subarray(j * H, (j + 1) * H));
        expect(out.cLast.subarray(j * H, (j + 1) * H)).toEqual(c0.subarray(j * H, (j + 1) * H));
      }
      const ref = lstmForward(args);
      expect(scaledError(out.cLast, ref.cLast)).toBeLessThan(1e-5);
    }
  });

  it("with a mask (holes, and sequences masked throughout): the same h, hLast and cLast as the training forward", () => {
    const rng = new Random(5);
    let cases = 0;
    for (const size of [{ batch: 0, maxLength: 9 }, { batch: 1, maxLength: 30 }, { batch: 37, maxLength: 12 }]) {
      for (let variant = 0; variant < 14; variant++) {
        const args = problem(rng, variant, size);
        const { layout } = args;
        const masked = { ...args, mask: maskWithHoles(rng, layout) };
        const kept = wasmLstmForward({ ...masked, needsGrad: true });
        (kept as { release?: () => void }).release?.(); // its block (h and the final states are copies)
        const inferred = wasmLstmForward({ ...masked, needsGrad: false });
        expect(firstDifference(inferred.h, kept.h)).toBe(-1);
        expect(firstDifference(inferred.hLast, kept.hLast)).toBe(-1);
        expect(firstDifference(inferred.cLast, kept.cLast)).toBe(-1);
        const ref = lstmForward(masked);
        worstWithin({ h: scaledError(inferred.h, ref.h), hLast: scaledError(inferred.hLast, ref.hLast), cLast: scaledError(inferred.cLast, ref.cLast) }, `masked variant ${variant}, B ${layout.batch}`);
        cases++;
      }
    }
    expect(cases).toBe(42);
  });

  it("with a mask keeps the output and the carried state only: 20 000 masked rows of LSTM(64) in ~11 MB", () => {
    const rng = new Random(6);
    const layout = packLayout(Array.from({ length: 200 }, () => 100));
    const C = 5, H = 64, G = 4 * H;
    const mask = Uint8Array.from({ length: layout.totalSteps }, (_, r) => (r % 7 === 3 ? 0 : 1));
    const args: LstmForwardArgs = {
      layout, C, H, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, x: randomArray(rng, layout.totalSteps * C), mask,
      weights: { kernel: randomArray(rng, C * G, 0.6), recurrentKernel: randomArray(rng, H * G, 0.1), bias: randomArray(rng, G) },
    };
    // the kept path needs 7·64 floats a row more (36 MB) than the 2·64 (10 MB) inference took; no
    // earlier test in this file grows the memory that far, so it must grow
    inferenceFitsWhereTrainingGrows(wasmLstmForward, args);
  });
});

describe.runIf(wasmSimdSupported())("wasm GRU inference forward", () => {
  function gruProblem(rng: Random, variant: number, size: { batch: number; maxLength: number }): GruForwardArgs {
    const l = problem(rng, variant, size);
    const { C, H } = l;
    const G = 3 * H;
    const resetAfter = (variant & 4) === 0;
    return {
      layout: l.layout, C, H, x: l.x, activation: l.activation, recurrentActivation: l.recurrentActivation, resetAfter,
      weights: { kernel: randomArray(rng, C * G, 0.6), recurrentKernel: randomArray(rng, H * G, 0.9 / Math.sqrt(H)), bias: (variant & 2) === 0 ? randomArray(rng, resetAfter ? 2 * G : G, 0.5) : null },
      ...(l.h0 ? { h0: l.h0 } : {}),
    };
  }

  it("gives h and hLast bit-identical to the training forward's, both forms, and within 1e-5 of the reference", () => {
    const rng = new Random(11);
    let worst = 0;
    let cases = 0;
    for (const size of [{ batch: 0, maxLength: 9 }, { batch: 1, maxLength: 40 }, { batch: 0, maxLength: 1 }, { batch: 37, maxLength: 12 }, { batch: 300, maxLength: 6 }]) {
      for (let variant = 0; variant < 24; variant++) {
        const args = gruProblem(rng, variant, size);
        const kept = wasmGruForward({ ...args, needsGrad: true });
        (kept as { release?: () => void }).release?.(); // its block (h and hLast are copies)
        const inferred = wasmGruForward({ ...args, needsGrad: false });
        expect(inferred.h).toEqual(kept.h);
        expect(inferred.hLast).toEqual(kept.hLast);
        const ref = gruForward(args);
        worst = Math.max(worst, worstWithin({ h: scaledError(inferred.h, ref.h), hLast: scaledError(inferred.hLast, ref.hLast) }, `variant ${variant}, B ${args.layout.batch}, resetAfter ${args.resetAfter}`));
        cases++;
      }
    }
    expect(cases).toBe(120);
    expect(worst).toBeLessThan(1e-5);
  });

  it("with a mask (holes, and sequences masked throughout): the same h and hLast as the training forward, both forms", () => {
    const rng = new Random(13);
    let cases = 0;
    for (const size of [{ batch: 0, maxLength: 9 }, { batch: 1, maxLength: 30 }, { batch: 37, maxLength: 12 }]) {
      for (let variant = 0; variant < 16; variant++) {
        const args = gruProblem(rng, variant, size);
        const { layout } = args;
        const masked = { ...args, mask: maskWithHoles(rng, layout) };
        const kept = wasmGruForward({ ...masked, needsGrad: true });
        (kept as { release?: () => void }).release?.(); // its block (h and hLast are copies)
        const inferred = wasmGruForward({ ...masked, needsGrad: false });
        expect(firstDifference(inferred.h, kept.h)).toBe(-1);
        expect(firstDifference(inferred.hLast, kept.hLast)).toBe(-1);
        const ref = gruForward(masked);
        worstWithin({ h: scaledError(inferred.h, ref.h), hLast: scaledError(inferred.hLast, ref.hLast) }, `masked variant ${variant}, B ${layout.batch}, resetAfter ${args.resetAfter}`);
        cases++;
      }
    }
    expect(cases).toBe(48);
  });

  it("keeps nothing: 60 000 rows of GRU(64) run in the memory inference needs, where training's cache must grow it", () => {
    const rng = new Random(2);
    const layout = packLayout(Array.from({ length: 600 }, () => 100));
    const C = 5, H = 64, G = 3 * H;
    const args: GruForwardArgs = {
      layout, C, H, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, resetAfter: true, x: randomArray(rng, layout.totalSteps * C),
      weights: { kernel: randomArray(rng, C * G, 0.6), recurrentKernel: randomArray(rng, H * G, 0.1), bias: randomArray(rng, 2 * G) },
    };
    // inference needs h and x (17 MB here); the training forward also keeps gates, aux and state for
    // every row (77 MB), more than this file's earlier tests grew the memory to
    const { inferred, kept } = inferenceFitsWhereTrainingGrows(wasmGruForward, args);
    expect(() => inferred.gates).toThrow(/needsGrad: false/);
    expect(firstDifference(kept.h, inferred.h)).toBe(-1); // (toEqual walks 3.8 M elements slowly)
  });
});

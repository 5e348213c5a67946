// The WebAssembly SIMD kernels against the JS reference (the spec), on random shapes.
//
// Tolerance, stated once: the kernels compute in f32 with a different summation order (and the
// reference accumulates GEMM tiles in f64), so an element may differ by rounding in proportion to
// the magnitude of what was summed. We require, for every element,
//     |wasm − js| ≤ 1e-5 · (1 + scale)
// where for GEMM `scale` is the same entry of |op(A)|·|op(B)| (+ |out| when accumulating), and for
// the LSTM it is the largest |js| of the array compared. Observed errors are ~50× below that.
import { describe, expect, it } from "vitest";
import { Act } from "./activations.js";
import { gemm, type GemmArgs } from "./gemm.js";
import { lstmBackward, lstmForward, type LstmBackwardArgs, type LstmCache, type LstmForwardArgs } from "./lstm.js";
import { jsKernels, kernels, setKernels } from "./registry.js";
import { useFastKernels, wasmGemm, wasmKernels, wasmLstmBackward, wasmLstmForward, wasmSimdSupported } from "./wasm.js";
import { packLayout } from "../../data/packed.js";
import { Random } from "../random.js";
import { loadRaggedWasm, wasmHeap } from "../wasm/loader.js";

const TOL = 1e-5;

function randomArray(rng: Random, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * scale;
  return out;
}

function int(rng: Random, lo: number, hi: number): number {
  return lo + Math.floor(rng.uniform() * (hi - lo + 1));
}

/** max over elements of |got − want| / (1 + scale[i]); scale defaults to max |want|. */
function scaledError(got: Float32Array, want: Float32Array, scale?: Float32Array): number {
  expect(got.length).toBe(want.length);
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]));
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (1 + (scale ? scale[i] : maxAbs));
    if (!(d <= worst)) worst = d; // NaN propagates as a failure
  }
  return worst;
}

const abs = (x: Float32Array): Float32Array => x.map(Math.abs);

/** Bitwise equality of two float arrays (fast on millions of elements, unlike toEqual). */
function same(a: Float32Array | null, b: Float32Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Runs both GEMMs on copies of the same out; returns the scaled error and checks the rest of out. */
function compareGemm(args: GemmArgs): number {
  const outJs = Float32Array.from(args.out);
  const outWasm = Float32Array.from(args.out);
  const aCopy = Float32Array.from(args.a);
  const bCopy = Float32Array.from(args.b);
  gemm({ ...args, out: outJs });
  wasmGemm({ ...args, out: outWasm });
  expect(same(args.a, aCopy) && same(args.b, bCopy)).toBe(true); // inputs untouched
  const oo = args.outOffset ?? 0;
  const size = args.M * args.N;
  // the scale: |op(A)|·|op(B)| (+ |out| when accumulating)
  const scale = args.accumulate ? abs(args.out) : new Float32Array(args.out.length);
  gemm({ ...args, a: abs(args.a), b: abs(args.b), out: scale, accumulate: true });
  // outside [oo, oo + M·N) nothing changes
  expect(same(outWasm.subarray(0, oo), args.out.subarray(0, oo))).toBe(true);
  expect(same(outWasm.subarray(oo + size), args.out.subarray(oo + size))).toBe(true);
  return scaledError(outWasm.subarray(oo, oo + size), outJs.subarray(oo, oo + size), scale.subarray(oo, oo + size));
}

function gemmCase(rng: Random, M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean, offsets: boolean): GemmArgs {
  const ao = offsets ? int(rng, 0, 7) : 0;
  const bo = offsets ? int(rng, 0, 7) : 0;
  const oo = offsets ? int(rng, 0, 7) : 0;
  return {
    out: randomArray(rng, oo + M * N + (offsets ? 5 : 0)),
    outOffset: oo,
    a: randomArray(rng, ao + M * K + (offsets ? 3 : 0)),
    aOffset: ao,
    b: randomArray(rng, bo + K * N + (offsets ? 3 : 0)),
    bOffset: bo,
    M, N, K, transA, transB, accumulate,
  };
}

describe.runIf(wasmSimdSupported())("wasm gemm matches the JS reference", () => {
  it("on random shapes in 1..70, every transpose case, accumulate on/off, with offsets", () => {
    const rng = new Random(7);
    let worst = 0;
    for (let trial = 0; trial < 240; trial++) {
      const M = int(rng, 1, 70), N = int(rng, 1, 70), K = int(rng, 1, 70);
      const transA = (trial & 1) === 1, transB = (trial & 2) === 2, accumulate = (trial & 4) === 4, offsets = (trial & 8) === 8;
      const err = compareGemm(gemmCase(rng, M, N, K, transA, transB, accumulate, offsets));
      if (!(err <= TOL)) throw new Error(`M=${M} N=${N} K=${K} transA=${transA} transB=${transB} acc=${accumulate}: error ${err}`);
      worst = Math.max(worst, err);
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it("on the shapes of the benchmark model (K up to 55 000)", () => {
    const rng = new Random(11);
    const shapes: [number, number, number, boolean, boolean, boolean][] = [
      [1000, 128, 37, false, false, false], // recurrent step + input (layer 1)
      [55000, 128, 5, false, false, false], // input projection, all rows
      [1000, 32, 40, false, false, true], // layer 2 step
      [37, 128, 1000, true, false, true], // weight gradient Aᵀ·B
      [1000, 37, 128, false, true, false], // dh / dx = dz·Uᵀ
      [32, 128, 55000, true, false, true], // dU over all rows
      [55000, 5, 128, false, true, false], // dx of layer 1
    ];
    for (const [M, N, K, tA, tB, acc] of shapes) {
      const err = compareGemm(gemmCase(rng, M, N, K, tA, tB, acc, false));
      expect(err, `${M}x${K}·${K}x${N} transA=${tA} transB=${tB}`).toBeLessThanOrEqual(TOL);
    }
  });

  it("a row of A gets the same bits alone (M = 1) as in any strip of a larger product (the one-row path)", () => {
    const rng = new Random(19);
    for (const [M, N, K] of [[7, 40, 33], [13, 72, 300], [6, 8, 5], [1, 100, 70]] as const) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const args = gemmCase(rng, M, N, K, false, transB, accumulate, false);
          const all = Float32Array.from(args.out);
          wasmGemm({ ...args, out: all });
          for (const i of [0, M - 1, Math.floor(M / 2)]) {
            const alone = args.out.slice(i * N, (i + 1) * N);
            wasmGemm({ ...args, out: alone, a: args.a.slice(i * K, (i + 1) * K), M: 1 });
            expect(alone, `M=${M} N=${N} K=${K} transB=${transB} acc=${accumulate} row ${i}`).toEqual(all.slice(i * N, (i + 1) * N));
          }
        }
      }
    }
  });

  it("handles empty dimensions as the reference does", () => {
    const rng = new Random(3);
    for (const [M, N, K] of [[0, 5, 3], [4, 0, 3], [4, 5, 0], [0, 0, 0]]) {
      for (const accumulate of [false, true]) {
        const args = gemmCase(rng, M, N, K, false, false, accumulate, true);
        const outJs = Float32Array.from(args.out);
        const outWasm = Float32Array.from(args.out);
        gemm({ ...args, out: outJs });
        wasmGemm({ ...args, out: outWasm });
        expect(outWasm).toEqual(outJs);
      }
    }
  });

  it("falls back to the reference when the arrays are shorter than the shapes say", () => {
    const args: GemmArgs = { out: new Float32Array(4), a: new Float32Array(3), b: new Float32Array(4), M: 2, N: 2, K: 2 };
    const outJs = new Float32Array(4);
    gemm({ ...args, out: outJs });
    wasmGemm(args);
    expect(args.out).toEqual(outJs);
  });
});

// ---------------------------------------------------------------------------------------------

interface LstmCase {
  forward: LstmForwardArgs;
  backward: Omit<LstmBackwardArgs, "cache">;
}

const ACT_PAIRS: [Act, Act][] = [
  [Act.Tanh, Act.Sigmoid],
  [Act.Relu, Act.HardSigmoid],
  [Act.Linear, Act.HardSigmoidTfjs],
  [Act.Sigmoid, Act.Tanh],
];

function lstmCase(rng: Random, C: number, H: number, lengths: number[], variant: number): LstmCase {
  const layout = packLayout(lengths);
  const { batch: B, totalSteps: N } = layout;
  const G = 4 * H;
  const [activation, recurrentActivation] = ACT_PAIRS[variant % ACT_PAIRS.length];
  const withState = (variant & 1) === 1;
  const withBias = (variant & 2) === 0;
  const withDh = (variant & 4) === 0;
  const withLast = (variant & 8) === 0 || !withDh;
  const weights = {
    kernel: randomArray(rng, C * G, 0.5),
    recurrentKernel: randomArray(rng, H * G, 0.5),
    bias: withBias ? randomArray(rng, G, 0.5) : null,
  };
  return {
    forward: {
      layout, x: randomArray(rng, N * C), C, H, weights, activation, recurrentActivation,
      ...(withState ? { h0: randomArray(rng, B * H), c0: randomArray(rng, B * H) } : {}),
    },
    backward: {
      weights, activation, recurrentActivation,
      dh: withDh ? randomArray(rng, N * H) : null,
      dhLast: withLast ? randomArray(rng, B * H) : null,
      dcLast: withLast ? randomArray(rng, B * H) : null,
      grads: { kernel: randomArray(rng, C * G), recurrentKernel: randomArray(rng, H * G), bias: withBias ? randomArray(rng, G) : null },
      needInputGrad: (variant & 16) === 0,
    },
  };
}

const CACHE_ARRAYS = ["gates", "c", "cAct", "h", "h0", "c0", "hLast", "cLast"] as const;

function copyGrads(g: LstmBackwardArgs["grads"]): LstmBackwardArgs["grads"] {
  return { kernel: Float32Array.from(g.kernel), recurrentKernel: Float32Array.from(g.recurrentKernel), bias: g.bias ? Float32Array.from(g.bias) : null };
}

/** Runs forward + backward with both kernels; returns the worst scaled error of every output. */
function compareLstm(k: LstmCase): Record<string, number> {
  const errors: Record<string, number> = {};
  const xCopy = Float32Array.from(k.forward.x);
  const fJs = lstmForward(k.forward);
  const fWasm = wasmLstmForward(k.forward);
  expect(same(k.forward.x, xCopy)).toBe(true);
  expect(fWasm.x).toBe(k.forward.x); // the cache keeps the caller's x, as the spec's does
  expect(fWasm.layout).toBe(fJs.layout);
  expect([fWasm.C, fWasm.H]).toEqual([fJs.C, fJs.H]);
  for (const name of CACHE_ARRAYS) errors[name] = scaledError(fWasm[name], fJs[name]);
  if (fJs.state) errors.state = scaledError(fWasm.state as Float32Array, fJs.state);
  else expect(fWasm.state).toBeUndefined();

  // backward from the same (JS) cache, so the comparison isolates the backward kernel
  const gradsJs = copyGrads(k.backward.grads);
  const gradsWasm = copyGrads(k.backward.grads);
  const dhCopy = k.backward.dh ? Float32Array.from(k.backward.dh) : null;
  const bJs = lstmBackward({ ...k.backward, cache: fJs, grads: gradsJs });
  const bWasm = wasmLstmBackward({ ...k.backward, cache: fJs, grads: gradsWasm });
  expect(same(k.backward.dh, dhCopy)).toBe(true);
  errors.dh0 = scaledError(bWasm.dh0, bJs.dh0);
  errors.dc0 = scaledError(bWasm.dc0, bJs.dc0);
  if (bJs.dx === null) expect(bWasm.dx).toBeNull();
  else errors.dx = scaledError(bWasm.dx as Float32Array, bJs.dx);
  errors.dKernel = scaledError(gradsWasm.kernel, gradsJs.kernel);
  errors.dRecurrentKernel = scaledError(gradsWasm.recurrentKernel, gradsJs.recurrentKernel);
  if (gradsJs.bias) errors.dBias = scaledError(gradsWasm.bias as Float32Array, gradsJs.bias);

  // and the wasm backward on the wasm forward's cache agrees too
  const gradsChain = copyGrads(k.backward.grads);
  const bChain = wasmLstmBackward({ ...k.backward, cache: fWasm, grads: gradsChain });
  errors.chainedDh0 = scaledError(bChain.dh0, bJs.dh0);
  errors.chainedDRecurrentKernel = scaledError(gradsChain.recurrentKernel, gradsJs.recurrentKernel);
  return errors;
}

describe.runIf(wasmSimdSupported())("wasm lstmForward / lstmBackward match the JS reference", () => {
  it("on random packed layouts (unequal lengths, a length-0 sequence), all activation pairs and options", () => {
    const rng = new Random(42);
    const shapes: [number, number][] = [[5, 32], [32, 8], [3, 5], [1, 1], [7, 3], [4, 6], [2, 4]];
    let worst = 0;
    for (let variant = 0; variant < 32; variant++) {
      const [C, H] = shapes[variant % shapes.length];
      const B = int(rng, 1, 13);
      const lengths = Array.from({ length: B }, () => int(rng, 0, 9));
      lengths[int(rng, 0, B - 1)] = 0; // at least one empty sequence
      const errors = compareLstm(lstmCase(rng, C, H, lengths, variant));
      for (const [name, err] of Object.entries(errors)) {
        if (!(err <= TOL)) throw new Error(`variant ${variant} C=${C} H=${H} lengths=[${lengths}]: ${name} error ${err}`);
        worst = Math.max(worst, err);
      }
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it("on the benchmark's layer shapes (B=1000, unequal lengths up to 55)", () => {
    const rng = new Random(5);
    const lengths = Array.from({ length: 1000 }, (_, i) => (i === 0 ? 0 : int(rng, 1, 55)));
    for (const [C, H] of [[5, 32], [32, 8]]) {
      const errors = compareLstm(lstmCase(rng, C, H, lengths, 0));
      for (const [name, err] of Object.entries(errors)) expect(err, `C=${C} H=${H} ${name}`).toBeLessThanOrEqual(TOL);
    }
  });

  it("a sequence alone (one row per step) gets bit for bit what it gets among batch-mates (the one-row GEMM path)", () => {
    const rng = new Random(17);
    // H = 32 → G = 128: four groups of 4 panels; H = 10 → G = 40: one group and one panel left; H = 3: only tiles.
    for (const [C, H] of [[5, 32], [32, 10], [4, 3]]) {
      const lengths = [7, 12, 3, 12, 1];
      const k = lstmCase(rng, C, H, lengths, 0);
      const together = wasmLstmForward({ ...k.forward, needsGrad: false });
      const { layout } = k.forward;
      for (let i = 0; i < lengths.length; i++) {
        const rows = Array.from({ length: lengths[i] }, (_, t) => layout.offsets[t] + layout.unsortedIndices[i]);
        const x = new Float32Array(lengths[i] * C);
        rows.forEach((r, t) => x.set(k.forward.x.subarray(r * C, (r + 1) * C), t * C));
        const alone = wasmLstmForward({ ...k.forward, layout: packLayout([lengths[i]]), x, needsGrad: false });
        rows.forEach((r, t) => {
          expect(Array.from(alone.h.subarray(t * H, (t + 1) * H)), `C=${C} H=${H} sequence ${i} step ${t}`).toEqual(Array.from(together.h.subarray(r * H, (r + 1) * H)));
        });
      }
    }
  });

  it("handles a batch of only empty sequences and an empty batch", () => {
    const rng = new Random(9);
    for (const lengths of [[0, 0, 0], []]) {
      const errors = compareLstm(lstmCase(rng, 3, 4, lengths, 1));
      for (const err of Object.values(errors)) expect(err).toBe(0);
    }
  });

  it("keeps a vanishing gradient out of the denormal range (NOTE [ denormals ] in wasm/assembly/math.ts)", () => {
    // only a final-state gradient, a small recurrent kernel and small forget gates: the gradient
    // shrinks ~10× per step, and denormal f32 arithmetic is ~100× slower in wasm
    const rng = new Random(4);
    const lengths = Array.from({ length: 40 }, () => 55);
    const k = lstmCase(rng, 5, 8, lengths, 12); // variant 12: tanh/sigmoid, bias, no dh, dhLast given
    k.forward.weights.recurrentKernel = randomArray(rng, 8 * 32, 0.02);
    const bias = k.forward.weights.bias as Float32Array;
    for (let u = 8; u < 16; u++) bias[u] = -3;
    k.backward.weights = k.forward.weights;
    const errors = compareLstm(k);
    for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThanOrEqual(TOL);
    const cache = wasmLstmForward(k.forward);
    const c = cache.c; // read before backward consumes the cache
    const result = wasmLstmBackward({ ...k.backward, cache, grads: copyGrads(k.backward.grads) });
    const denormal = (x: Float32Array | null): number => (x ?? new Float32Array(0)).filter((v) => v !== 0 && Math.abs(v) < 1.2e-38).length;
    const reference = lstmBackward({ ...k.backward, cache: lstmForward(k.forward), grads: copyGrads(k.backward.grads) });
    expect(denormal(reference.dh0) + denormal(reference.dx)).toBeGreaterThan(0); // the case is real
    expect(denormal(result.dh0) + denormal(result.dc0) + denormal(result.dx) + denormal(c)).toBe(0);
  });

  it("falls back to the reference for an activation id it does not know", () => {
    const rng = new Random(1);
    const k = lstmCase(rng, 2, 3, [2, 1], 0);
    const unknown = 99 as Act;
    const args = { ...k.forward, activation: unknown };
    const fJs: LstmCache = lstmForward(args);
    const fWasm = wasmLstmForward(args);
    expect(Array.from(fWasm.h)).toEqual(Array.from(fJs.h)); // the spec's result, NaNs and all
  });
});

/** A random per-row mask with holes: ~1/3 of the rows masked, some sequences masked throughout. */
function randomMask(rng: Random, layout: ReturnType<typeof packLayout>): Uint8Array {
  const mask = Uint8Array.from({ length: layout.totalSteps }, () => (rng.uniform() < 0.35 ? 0 : 1));
  if (layout.batch === 0) return mask;
  const j = int(rng, 0, layout.batch - 1);
  for (let t = 0; t < layout.sortedLengths[j]; t++) mask[layout.offsets[t] + j] = 0; // one sequence all masked
  return mask;
}

describe.runIf(wasmSimdSupported())("wasm lstm with a per-row mask (NOTE [ masked rows … ] in lstm.ts)", () => {
  it("matches the reference on random layouts, masks with holes and every option", () => {
    const rng = new Random(23);
    const shapes: [number, number][] = [[3, 5], [5, 32], [1, 1], [7, 3], [2, 8]];
    let worst = 0;
    for (let variant = 0; variant < 32; variant++) {
      const [C, H] = shapes[variant % shapes.length];
      const B = int(rng, 1, 11);
      const lengths = Array.from({ length: B }, () => int(rng, 0, 9));
      const k = lstmCase(rng, C, H, lengths, variant);
      k.forward.mask = randomMask(rng, k.forward.layout);
      const errors = compareLstm(k);
      for (const [name, err] of Object.entries(errors)) {
        if (!(err <= TOL)) throw new Error(`variant ${variant} C=${C} H=${H} lengths=[${lengths}]: ${name} error ${err}`);
        worst = Math.max(worst, err);
      }
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it("gives exact zeros at masked output rows and carries the state", () => {
    const rng = new Random(2);
    const k = lstmCase(rng, 3, 4, [3, 2, 0, 3], 1);
    const mask = Uint8Array.from({ length: k.forward.layout.totalSteps }, (_, r) => (r % 3 === 1 ? 0 : 1));
    const f = wasmLstmForward({ ...k.forward, mask });
    const ref = lstmForward({ ...k.forward, mask });
    for (let r = 0; r < mask.length; r++) {
      if (mask[r] === 0) expect(Array.from(f.h.subarray(r * 4, r * 4 + 4))).toEqual([0, 0, 0, 0]);
    }
    expect(scaledError(f.state as Float32Array, ref.state as Float32Array)).toBeLessThanOrEqual(TOL);
    expect(scaledError(f.hLast, ref.hLast)).toBeLessThanOrEqual(TOL);
  });
});

describe.runIf(wasmSimdSupported())("the wasm lstm cache lives in wasm memory", () => {
  const live = (): number => wasmHeap(loadRaggedWasm()!).liveBlocks;

  it("until backward consumes it; a second backward is refused", () => {
    const k = lstmCase(new Random(3), 3, 4, [3, 1, 2], 0);
    const before = live();
    const cache = wasmLstmForward(k.forward);
    expect(live()).toBe(before + 1);
    wasmLstmBackward({ ...k.backward, cache, grads: copyGrads(k.backward.grads) });
    expect(live()).toBe(before);
    expect(() => wasmLstmBackward({ ...k.backward, cache, grads: copyGrads(k.backward.grads) })).toThrow(/consumed/);
    expect(() => cache.gates).toThrow(/consumed/);
    expect(cache.h.length).toBe(6 * 4); // h and the final states stay readable
  });

  it("keeps nothing with needsGrad: false, and the outputs are the same", () => {
    const k = lstmCase(new Random(4), 3, 4, [3, 0, 2], 1);
    const before = live();
    const kept = wasmLstmForward(k.forward);
    const inference = wasmLstmForward({ ...k.forward, needsGrad: false });
    expect(live()).toBe(before + 1);
    expect(same(inference.h, kept.h) && same(inference.hLast, kept.hLast) && same(inference.cLast, kept.cLast)).toBe(true);
    expect(() => wasmLstmBackward({ ...k.backward, cache: inference, grads: copyGrads(k.backward.grads) })).toThrow(/needsGrad/);
    wasmLstmBackward({ ...k.backward, cache: kept, grads: copyGrads(k.backward.grads) });
    expect(live()).toBe(before);
  });

  it("a new forward in the same slot releases the cache its backward never consumed", () => {
    const k = lstmCase(new Random(5), 3, 4, [3, 2], 0);
    const slot = {};
    const before = live();
    const first = wasmLstmForward({ ...k.forward, slot });
    for (let i = 0; i < 5; i++) wasmLstmForward({ ...k.forward, slot });
    expect(live()).toBe(before + 1);
    expect(() => first.c).toThrow(/replaced/);
    const last = wasmLstmForward({ ...k.forward, slot });
    wasmLstmBackward({ ...k.backward, cache: last, grads: copyGrads(k.backward.grads) });
    expect(live()).toBe(before);
  });

  it("the reference backward reads a wasm cache through its lazy fields", () => {
    const k = lstmCase(new Random(6), 5, 3, [4, 2, 0, 3], 1);
    k.forward.mask = randomMask(new Random(7), k.forward.layout);
    const gJs = copyGrads(k.backward.grads);
    const gMixed = copyGrads(k.backward.grads);
    const bJs = lstmBackward({ ...k.backward, cache: lstmForward(k.forward), grads: gJs });
    const cache = wasmLstmForward(k.forward);
    const bMixed = lstmBackward({ ...k.backward, cache, grads: gMixed });
    (cache as unknown as { release(): void }).release();
    expect(scaledError(bMixed.dh0, bJs.dh0)).toBeLessThanOrEqual(TOL);
    expect(scaledError(gMixed.recurrentKernel, gJs.recurrentKernel)).toBeLessThanOrEqual(TOL);
  });
});

describe("kernel selection", () => {
  it("useFastKernels switches to wasm-simd only where supported", () => {
    const before = kernels();
    try {
      const switched = useFastKernels();
      expect(switched).toBe(wasmSimdSupported());
      expect(kernels().name).toBe(switched ? "wasm-simd" : "js");
      expect(wasmKernels.name).toBe("wasm-simd");
    } finally {
      setKernels(before === wasmKernels ? jsKernels : before);
    }
  });
});

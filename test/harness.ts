/**
 * Shared test helpers: random ragged data, and the finite-difference gradient check.
 *
 * NOTE [ gradient-check tolerance ]
 * The engine computes in float32, so derivatives are checked by central differences with a step of
 * 1e-2 on the loss: truncation error O(h²) ≈ 1e-4 relative, float32 rounding ≈ 1e-7/h ≈ 1e-5.
 * An analytic entry passes when |a − n| ≤ 2e-3 · max(|a|, |n|) + 2e-4.
 */
import { expect } from "vitest";
import { RaggedError } from "../src/core/errors.js";
import { packBatch } from "../src/data/packed.js";
import { Random } from "../src/core/random.js";
import type { ForwardContext, Layer } from "../src/layers/layer.js";
import type { LayerValue } from "../src/layers/values.js";
import type { Sequential } from "../src/models/sequential.js";
import type { LayersModel } from "../src/models/functional.js";
import { type ModelBatch, makeModelBatch, readSamples } from "../src/training/graph_samples.js";
import { type Batch, makeBatch, toSamples } from "../src/training/samples.js";
import { computeGradients, evaluateStep } from "../src/training/train_step.js";

export const GRAD_STEP = 1e-2;
export const GRAD_RTOL = 2e-3;
export const GRAD_ATOL = 2e-4;

/** Sequences of the given lengths with `features` values uniform in [−1, 1). */
export function randomSequences(rng: Random, lengths: number[], features: number): number[][][] {
  return lengths.map((len) => Array.from({ length: len }, () => Array.from({ length: features }, () => rng.uniformRange(-1, 1))));
}

/** One-hot per-step targets (or per-sequence when `perStep` is false). */
export function randomOneHot(rng: Random, lengths: number[], classes: number, perStep: boolean): number[][][] | number[][] {
  const oneHot = () => {
    const v = new Array(classes).fill(0);
    v[rng.int(0, classes)] = 1;
    return v;
  };
  return perStep ? lengths.map((len) => Array.from({ length: len }, oneHot)) : lengths.map(oneHot);
}

/** Random real-valued targets in [0, 1). */
export function randomTargets(rng: Random, lengths: number[], width: number, perStep: boolean): number[][][] | number[][] {
  const row = () => Array.from({ length: width }, () => rng.uniform());
  return perStep ? lengths.map((len) => Array.from({ length: len }, row)) : lengths.map(row);
}

export function batchOf(model: Sequential, xs: unknown, ys: unknown, sampleWeight?: ArrayLike<number | ArrayLike<number>>): Batch {
  const samples = toSamples(xs, ys, { ...model.sampleArgs(true), sampleWeight });
  return makeBatch(samples, Array.from({ length: samples.count }, (_, i) => i));
}

/**
 * Checks every trainable weight's analytic gradient against central differences, on up to
 * `perVariable` entries of each (chosen at random). See NOTE [ gradient-check tolerance ]. `step`
 * (default GRAD_STEP) is smaller for models with a max, where a wide step can cross a kink.
 * @returns the number of entries checked.
 */
export function checkGradients(model: LayersModel, batch: ModelBatch, options: { perVariable?: number; seed?: number; step?: number } = {}): number {
  const rng = new Random(options.seed ?? 7);
  const step = options.step ?? GRAD_STEP;
  computeGradients(model, batch);
  const analytic = model.trainableWeights.map((v) => Float32Array.from(v.grad));
  let checked = 0;
  model.trainableWeights.forEach((v, vi) => {
    const count = Math.min(v.size, options.perVariable ?? 48);
    const picks = v.size <= count ? Array.from({ length: v.size }, (_, i) => i) : Array.from({ length: count }, () => rng.int(0, v.size));
    for (const k of picks) {
      const saved = v.value[k];
      v.value[k] = saved + step;
      const up = evaluateStep(model, batch).loss;
      v.value[k] = saved - step;
      const down = evaluateStep(model, batch).loss;
      v.value[k] = saved;
      const numeric = (up - down) / (2 * step);
      const a = analytic[vi][k];
      const tol = GRAD_RTOL * Math.max(Math.abs(a), Math.abs(numeric)) + GRAD_ATOL;
      if (Math.abs(a - numeric) > tol) {
        expect.fail(`gradient of ${v.name}[${k}] (variable ${vi}): analytic ${a}, numeric ${numeric}, |diff| ${Math.abs(a - numeric)} > ${tol}`);
      }
      checked++;
    }
  });
  return checked;
}

/** max |a − b| / max(1, |b|): absolute for small entries, relative above 1 (the oracle's measure). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** max |a − b| over two equally shaped nested arrays (up to 4 levels), flattened. */
export function maxAbsDiff(a: unknown, b: unknown): number {
  const x = (a as number[]).flat(3) as number[];
  const y = (b as number[]).flat(3) as number[];
  expect(x.length).toBe(y.length);
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
}

/** `count` vectors of `width` numbers uniform in [−1, 1). */
export function randomVectors(seed: number, count: number, width: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => Array.from({ length: width }, () => rng.uniformRange(-1, 1)));
}

/** Runs `f`, which must throw a RaggedError, and returns it (any other error is rethrown). */
export function refused(f: () => unknown): RaggedError {
  try {
    f();
  } catch (e) {
    if (e instanceof RaggedError) return e;
    throw e;
  }
  throw new Error("expected a RaggedError, but nothing was thrown");
}

/**
 * Finite-difference check of one layer on its own: loss = Σ r ⊙ output for a fixed random r, so
 * d loss / d output = r. Checks the weights' gradients and the input's (when `backward` returns
 * one). Every forward gets a fresh `Random(seed)`, so a training-mode layer (dropout) draws the
 * same mask each time and the check differentiates that fixed mask. See NOTE [ gradient-check
 * tolerance ].
 * @returns the number of entries checked.
 */
export function checkLayerGradients(layer: Layer, input: LayerValue, options: { training?: boolean; seed?: number; perVariable?: number } = {}): number {
  const seed = options.seed ?? 11;
  const ctx = (): ForwardContext => ({ training: options.training ?? false, rng: new Random(seed), needsGrad: true, inputNeedsGrad: true });
  const first = layer.forward(input, ctx());
  const pickRng = new Random(seed + 1);
  const r = Float32Array.from(first.output.data, () => pickRng.uniformRange(-1, 1));
  const lossOf = (x: LayerValue): number => {
    const out = layer.forward(x, ctx()).output.data;
    let s = 0;
    for (let i = 0; i < out.length; i++) s += r[i] * out[i];
    return s;
  };
  for (const v of layer.trainableWeights) v.grad.fill(0);
  const dInput = first.backward({ ...first.output, data: r } as LayerValue);
  let checked = 0;
  const compare = (what: string, a: number, numeric: number) => {
    const tol = GRAD_RTOL * Math.max(Math.abs(a), Math.abs(numeric)) + GRAD_ATOL;
    if (Math.abs(a - numeric) > tol) expect.fail(`gradient of ${what}: analytic ${a}, numeric ${numeric}, |diff| ${Math.abs(a - numeric)} > ${tol}`);
    checked++;
  };
  const entries = (size: number) => {
    const count = Math.min(size, options.perVariable ?? 48);
    return size <= count ? Array.from({ length: size }, (_, i) => i) : Array.from({ length: count }, () => pickRng.int(0, size));
  };
  for (const v of layer.trainableWeights) {
    const analytic = Float32Array.from(v.grad);
    for (const k of entries(v.size)) {
      const saved = v.value[k];
      v.value[k] = saved + GRAD_STEP;
      const up = lossOf(input);
      v.value[k] = saved - GRAD_STEP;
      const down = lossOf(input);
      v.value[k] = saved;
      compare(`${layer.name}/${v.name}[${k}]`, analytic[k], (up - down) / (2 * GRAD_STEP));
    }
  }
  if (dInput) {
    for (const k of entries(input.data.length)) {
      const data = Float32Array.from(input.data);
      data[k] += GRAD_STEP;
      const up = lossOf({ ...input, data } as LayerValue);
      data[k] -= 2 * GRAD_STEP;
      const down = lossOf({ ...input, data } as LayerValue);
      compare(`${layer.name} input[${k}]`, dInput.data[k], (up - down) / (2 * GRAD_STEP));
    }
  }
  return checked;
}

/** A packed batch of every sample for any model (several inputs/outputs: lists or objects by name). */
export function modelBatchOf(model: LayersModel, xs: unknown, ys: unknown, sampleWeight?: unknown): ModelBatch {
  const samples = readSamples(model, xs, ys, true, { sampleWeight });
  return makeModelBatch(samples, Array.from({ length: samples.count }, (_, i) => i));
}

/** A packed batch of random sequences (seeded) of these lengths and C features, as a layer's input. */
export function randomPackedInput(seed: number, lengths: number[], C: number, mask?: Uint8Array): LayerValue {
  const p = packBatch(randomSequences(new Random(seed), lengths, C), { features: C });
  return { kind: "sequence", layout: p.layout, data: p.data, width: C, mask: mask ?? null };
}

/** `layer` built for C input features (weights seeded). */
export function builtLayer<T extends Layer>(layer: T, C: number, seed = 3): T {
  layer.build([null, null, C], new Random(seed));
  return layer;
}

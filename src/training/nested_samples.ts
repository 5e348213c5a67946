/**
 * Nested input data (`input({ shape: [null, null] })`): per sample a list of steps, each itself a
 * non-empty list of token ids — a sentence of words, each a list of character ids:
 *
 *   xs.chars = [[[3, 1, 20], [9, 4]], [[7]]]   // sentence 0: two words; sentence 1: one word
 *
 * `toNestedSamples` checks the depth and every id once, at the boundary, and copies them;
 * `makeNestedBatch` packs a batch twice, padding-free at both levels (NOTE [ nested values ] in
 * layers/values.ts): the sentences into the outer layout (one row per word), and all words of
 * the batch — word r of the outer rows as sequence r — into one inner layout of characters.
 */
import { RaggedError, describe } from "../core/errors.js";
import { fitsFloat32 } from "../core/float32.js";
import { type PackedLayout, packLayout } from "../data/packed.js";
import type { Batch, Samples } from "./samples.js";

/** Samples of a nested input: `xs[i]` all ids of sample i, word after word; `wordLengths[i]` their lengths. */
export interface NestedSamples extends Samples {
  /** Per sample, the number of ids of each of its steps (words). `lengths[i]` counts the steps. */
  readonly wordLengths: readonly Int32Array[];
}

/** The inner half of a nested batch: all words as one packed batch, word r = outer row r. */
export interface NestedRows {
  layout: PackedLayout;
  /** [inner rows, features] */
  x: Float32Array;
}

export function isNestedSamples(s: Samples): s is NestedSamples {
  return (s as NestedSamples).wordLengths !== undefined;
}

/**
 * Validates and copies nested ids: `xs[i][t][c]` is id c of step (word) t of sample i.
 * @throws RaggedError `BAD_INPUT` (not a list), `BAD_SEQUENCE` (a sample or word that is not a
 *   list, a word without ids, a list where an id belongs: wrong depth), `NON_FINITE`.
 */
export function toNestedSamples(xs: unknown, name: string): NestedSamples {
  if (!isList(xs)) {
    throw new RaggedError("BAD_INPUT", `${name} must be a list of samples, each a list of steps of ids.`, {
      expected: `${name}[i][t][c]: id c of step t of sample i (e.g. sentence → word → character ids)`,
      received: describe(xs),
    });
  }
  const count = xs.length;
  const out: Float32Array[] = new Array(count);
  const wordLengths: Int32Array[] = new Array(count);
  const lengths = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const sample = xs[i];
    if (!isList(sample) || ArrayBuffer.isView(sample)) {
      throw new RaggedError("BAD_SEQUENCE", `${name}[${i}] is not a list of steps.`, {
        expected: `${name}[${i}][t] = a list of ids (a nested input has three levels: sample → step → id)`,
        received: describe(sample),
      });
    }
    const steps = sample.length;
    const lens = new Int32Array(steps);
    let total = 0;
    for (let t = 0; t < steps; t++) {
      const word = sample[t];
      if (!isList(word)) {
        throw new RaggedError("BAD_SEQUENCE", `${name}[${i}][${t}] is not a list of ids.`, {
          expected: `a list of ids per step (a nested input has three levels: sample → step → id)`,
          received: describe(word),
          help: "for one id per step use input({ shape: [null] }) instead",
        });
      }
      if (word.length === 0) {
        throw new RaggedError("BAD_SEQUENCE", `${name}[${i}][${t}] has no ids.`, {
          expected: "at least one id in every step (a word has at least one character)",
          received: "an empty list",
          help: "drop the empty step from the sample (and from the sample's other inputs and targets), or give it a placeholder id",
        });
      }
      lens[t] = word.length;
      total += word.length;
    }
    const flat = new Float32Array(total);
    let at = 0;
    for (let t = 0; t < steps; t++) {
      const word = sample[t] as ArrayLike<unknown>;
      for (let c = 0; c < word.length; c++) flat[at++] = readId(word[c], `${name}[${i}][${t}][${c}]`);
    }
    out[i] = flat;
    wordLengths[i] = lens;
    lengths[i] = steps;
  }
  return { count, features: 1, xs: out, lengths, ys: null, yWidth: 0, perStep: false, weights: null, masks: null, outputLengths: null, wordLengths };
}

function readId(v: unknown, where: string): number {
  if (typeof v === "number" && fitsFloat32(v)) return v;
  if (typeof v === "number") {
    throw new RaggedError("NON_FINITE", `${where} is not a finite number.`, { expected: "finite ids", received: describe(v) });
  }
  throw new RaggedError("BAD_SEQUENCE", `${where} is not an id.`, {
    expected: "a number (a nested input has three levels: sample → step → id)",
    received: describe(v),
    help: isList(v) ? "the data is nested one level too deep" : undefined,
  });
}

function isList(v: unknown): v is ArrayLike<unknown> {
  return v !== null && typeof v === "object" && typeof (v as ArrayLike<unknown>).length === "number";
}

/**
 * Packs `samples[indices]`: the outer layout over the samples' step counts, and the inner layout
 * over the words in outer row order (word at row `offsets[t] + j` is inner sequence `offsets[t] + j`).
 * `x` of the result is the inner rows (`nested.x`).
 */
export function makeNestedBatch(samples: NestedSamples, indices: readonly number[]): Batch & { nested: NestedRows } {
  const outer = packLayout(indices.map((i) => samples.lengths[i]));
  const N = outer.totalSteps;
  const wordLength = new Int32Array(N);
  const wordStart = new Int32Array(N);
  const wordSample = new Int32Array(N);
  for (let j = 0; j < outer.batch; j++) {
    const sample = indices[outer.sortedIndices[j]];
    const lens = samples.wordLengths[sample];
    let at = 0;
    for (let t = 0; t < outer.sortedLengths[j]; t++) {
      const r = outer.offsets[t] + j;
      wordLength[r] = lens[t];
      wordStart[r] = at;
      wordSample[r] = sample;
      at += lens[t];
    }
  }
  const inner = packLayout(wordLength);
  const C = samples.features;
  const x = new Float32Array(inner.totalSteps * C);
  for (let q = 0; q < inner.batch; q++) {
    const r = inner.sortedIndices[q];
    const src = samples.xs[wordSample[r]];
    for (let c = 0; c < inner.sortedLengths[q]; c++) {
      const to = (inner.offsets[c] + q) * C;
      const from = (wordStart[r] + c) * C;
      for (let k = 0; k < C; k++) x[to + k] = src[from + k];
    }
  }
  return { layout: outer, x, features: C, mask: null, y: null, weights: null, indices, padding: null, nested: { layout: inner, x } };
}

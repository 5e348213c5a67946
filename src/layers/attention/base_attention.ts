/**
 * What `Attention` (Luong) and `AdditiveAttention` (Bahdanau) share, as in Keras 3 where the
 * second subclasses the first: the call convention (`[query, value]`, `[query, value, key]`, or
 * one tensor for self-attention), shape checks, dropout on the probabilities, the query's mask
 * on the output, and the optional scores output. The subclasses say how scores are computed
 * (`scoreOf`) and where the score parameters' gradients go (`addScoreGrads`).
 *
 * Porting notes:
 * - Keras requires a list `[query, value(, key)]`; ragged also takes one tensor and attends it to
 *   itself (query = value = key; its gradient is the sum of the three).
 * - `useCausalMask` and `returnAttentionScores` are call arguments in Keras; ragged takes them
 *   when the layer is made (a saved model keeps them in the layer config, written only when true).
 * - Keras masks padded keys by subtracting 1e9 from their scores; ragged has no padded keys. A
 *   sample whose value sequence is empty gets zeros (Keras would spread the weight over padding).
 * - `seed` is written and read, but dropout draws from the model's seeded stream (as `Dropout`).
 */
import { RaggedError, describe } from "../../core/errors.js";
import type { AttentionScore } from "../../core/kernels/attention.js";
import { Random } from "../../core/random.js";
import { packBatch, unpackRows } from "../../data/packed.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type ManyForwardResult, type Shape } from "../layer.js";
import { describeLengths, type LengthSource, sameLengths, type SymbolicTensor } from "../symbolic.js";
import type { LayerValue, SequenceValue } from "../values.js";
import { type AttentionScores, runAttention, type RunAttentionGrads, scoresBySample } from "./run_attention.js";

export interface BaseAttentionArgs extends BaseLayerArgs {
  /** Fraction of the attention probabilities dropped in training. Default 0. */
  dropout?: number;
  /** Written to the config (Keras); dropout is seeded by the model. */
  seed?: number | null;
  /** Query step i attends only to key steps j ≤ i (decoder self-attention). Default false. */
  useCausalMask?: boolean;
  /**
   * Keras' `return_attention_scores`: the probabilities are ragged matrices, so ragged returns them
   * from `call` (always); a layer made with this option refuses to be part of a model. Default false.
   */
  returnAttentionScores?: boolean;
}

/** The inputs of one call, sorted out of the list. */
export interface AttentionInputs {
  query: SequenceValue;
  value: SequenceValue;
  key: SequenceValue;
  /** How many values were passed: 1 (self-attention), 2 ([query, value]) or 3. */
  count: number;
}

/** What the forward of every attention layer gives: the output, the scores, and the backward. */
export interface Attended {
  output: SequenceValue;
  scores: AttentionScores;
  /** dOut [Nq, out] (+ dProbs) → one gradient per input, in the order they were passed. */
  backward(dOut: Float32Array, dProbs: Float32Array | null): Float32Array[];
}

/** What `call` returns: ragged arrays in caller order. */
export interface AttentionCallResult {
  /** output[i][t]: the output at query step t of sample i. */
  output: number[][][];
  /**
   * The attention probabilities: scores[i] is sample i's [Lq_i][Lk_i] matrix
   * ([heads][Lq_i][Lk_i] for multi-head attention): its own query steps by its own key steps.
   */
  scores: number[][][] | number[][][][];
}

export abstract class BaseAttention extends Layer {
  readonly dropout: number;
  readonly seed: number | null;
  readonly useCausalMask: boolean;
  readonly returnAttentionScores: boolean;

  constructor(args: BaseAttentionArgs, defaultBase: string) {
    super(args, defaultBase);
    const rate = args.dropout ?? 0;
    if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) {
      throw new RaggedError("INVALID_ARGUMENT", `${defaultBase} \`dropout\` must be a fraction in [0, 1).`, { received: `dropout = ${String(rate)}` });
    }
    this.dropout = rate;
    this.seed = args.seed ?? null;
    this.useCausalMask = args.useCausalMask ?? false;
    this.returnAttentionScores = args.returnAttentionScores ?? false;
  }

  /** The score (from the current weights) for a query and key of `dim` features. */
  protected abstract scoreOf(dim: number): AttentionScore;
  /** Adds the score parameters' gradients into their variables. */
  protected abstract addScoreGrads(g: RunAttentionGrads): void;
  /** Weights for a query/key of `dim` features. */
  protected abstract createScoreWeights(dim: number, rng: Random): void;

  protected override validateInputShapes(inputShapes: Shape[]): void {
    if (inputShapes.length < 1 || inputShapes.length > 3) {
      throw new RaggedError("BAD_INPUT", `${this.className} layer "${this.name}" takes [query, value] or [query, value, key] (or one tensor, attended to itself).`, {
        expected: "1, 2 or 3 inputs",
        received: `${inputShapes.length} inputs`,
      });
    }
    const names = ["query", "value", "key"];
    inputShapes.forEach((s, i) => {
      if (s.length !== 3 || s[2] === null) {
        throw new RaggedError("SHAPE_MISMATCH", `The ${names[i]} of ${this.className} layer "${this.name}" must be a sequence of feature vectors.`, {
          expected: "shape [null, null, features]",
          received: `[${s.map((d) => (d === null ? "null" : d)).join(", ")}]`,
          help: "attention works on per-step tensors, e.g. an RNN's output with returnSequences: true",
        });
      }
    });
    const q = inputShapes[0][2] as number;
    const k = (inputShapes[2] ?? inputShapes[1] ?? inputShapes[0])[2] as number;
    if (q !== k) {
      throw new RaggedError("SHAPE_MISMATCH", `The query and the key of ${this.className} layer "${this.name}" must have the same number of features.`, {
        expected: `${q} key features (the query's)`,
        received: `${k}`,
        help: inputShapes.length === 3 ? "project the key (e.g. a dense layer) to the query's width" : "project the value, or pass a separate key of the query's width",
      });
    }
  }

  protected validateInputShape(inputShape: Shape): void {
    this.validateInputShapes([inputShape]);
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    this.createScoreWeights(inputShape[2] as number, rng);
  }

  /** The shapes being built for (`buildMany`'s, or the one `build` was given). */
  protected shapesForBuild(inputShape: Shape): Shape[] {
    return this.buildShapes ?? [inputShape];
  }

  override computeOutputShapes(inputShapes: Shape[]): Shape[] {
    const query = inputShapes[0];
    const value = inputShapes[1] ?? inputShapes[0];
    return [[query[0], query[1], value[2]]];
  }

  /**
   * In a graph the output follows the query's lengths (the value's may differ); the key, when
   * given, must follow the value's.
   */
  protected override symbolicLengths(inputs: SymbolicTensor[], outShapes: Shape[]): LengthSource[] {
    if (this.returnAttentionScores) {
      throw new RaggedError("UNSUPPORTED", `${this.className} "${this.name}" cannot output its scores inside a model: they are ragged matrices (Lq × Lk per sample), not per-step rows.`, {
        help: "make the layer without returnAttentionScores for the model, and read the scores with layer.call([query, value]) (same weights)",
      });
    }
    const [query, value, key] = inputs;
    if (key && !sameLengths(key.lengths, value.lengths)) {
      throw new RaggedError("LENGTH_MISMATCH", `The key and the value of ${this.className} "${this.name}" must have the same lengths.`, {
        expected: `the key with ${describeLengths(value.lengths)} (as the value "${value.name}")`,
        received: `"${key.name}" with ${describeLengths(key.lengths)}`,
        help: "pass the key and the value from the same sequence (e.g. the encoder's outputs), or leave out the key",
      });
    }
    return outShapes.map(() => query.lengths);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return this.computeOutputShapes([inputShape])[0];
  }

  /** Sorts `[query, value(, key)]` (or one value) out, checking each is a per-step value. */
  protected sortInputs(inputs: LayerValue[]): AttentionInputs {
    const names = ["query", "value", "key"];
    if (inputs.length < 1 || inputs.length > 3) {
      throw new RaggedError("BAD_INPUT", `${this.className} layer "${this.name}" takes [query, value] or [query, value, key].`, {
        received: `${inputs.length} inputs`,
      });
    }
    inputs.forEach((v, i) => {
      if (v.kind !== "sequence") {
        throw new RaggedError("SHAPE_MISMATCH", `The ${names[i]} of ${this.className} layer "${this.name}" must be per-step (a sequence), not one vector per sequence.`, {
          help: "use returnSequences: true on the layer that feeds it",
        });
      }
    });
    const seq = inputs as SequenceValue[];
    const query = seq[0];
    const value = seq[1] ?? query;
    const key = seq[2] ?? value;
    return { query, value, key, count: inputs.length };
  }

  /** The attention on already sorted inputs: output value, scores and backward. */
  protected attend(inputs: AttentionInputs, ctx: ForwardContext): Attended {
    const { query, value, key } = inputs;
    const dim = query.width;
    const run = runAttention({
      query, key, value, heads: 1, Dk: dim, Dv: value.width, score: this.scoreOf(dim),
      causal: this.useCausalMask, dropout: this.dropout, training: ctx.training, rng: ctx.rng, layer: this.name,
    });
    const output: SequenceValue = { kind: "sequence", layout: query.layout, data: run.out, width: value.width, mask: query.mask ?? null };
    const backward = (dOut: Float32Array, dProbs: Float32Array | null): Float32Array[] => {
      const g = run.backward(dOut, dProbs);
      this.addScoreGrads(g);
      return gradsByInput(inputs.count, g.dQuery, g.dKey, g.dValue);
    };
    return { output, scores: run.scores, backward };
  }

  /** Shapes given to `buildMany`, read by `createWeights` (which the base `build` calls with the first). */
  protected buildShapes: Shape[] | null = null;

  /**
   * Builds for `[query, value(, key)]` shapes (or one: self-attention).
   * @throws RaggedError BAD_INPUT (not 1–3 inputs), SHAPE_MISMATCH (not per-step, or query and key widths differ).
   */
  override buildMany(inputShapes: Shape[], rng: Random): void {
    if (this.built) return;
    this.validateInputShapes(inputShapes);
    this.buildShapes = inputShapes.map((s) => [...s]);
    this.createWeights(inputShapes[0], rng);
    this.markBuilt(inputShapes);
  }

  /**
   * Runs the layer on packed values `[query, value(, key)]` (or one, attended to itself). Outputs:
   * the attention output in the query's layout. Backward takes the output's gradient and returns
   * one gradient per input.
   */
  override forwardMany(inputs: LayerValue[], ctx: ForwardContext): ManyForwardResult {
    const sorted = this.sortInputs(inputs);
    const attended = this.attend(sorted, ctx);
    const { output } = attended;
    return {
      outputs: [output],
      backward: (dOutputs) => {
        const dOut = dOutputs[0]?.data ?? new Float32Array(output.data.length);
        const grads = attended.backward(dOut, null);
        return grads.map((g, i) => ({ ...(inputs[i] as SequenceValue), data: g }));
      },
    };
  }

  /** One input: self-attention on it (the single-input path of the Layer contract). */
  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    const { outputs, backward } = this.forwardMany([input], ctx);
    return { output: outputs[0], backward: (d) => backward([d])[0] };
  }

  /**
   * Runs the layer on its own on ragged arrays — the way to get the attention probabilities as
   * ragged matrices (Keras' `return_attention_scores=True`).
   * @param inputs - `[query, value]`, `[query, value, key]` or `[x]` (self-attention); each a list of
   *   sequences (query[i] and value[i] belong to sample i; their lengths may differ).
   * @returns the output and the scores, in caller order.
   * @throws RaggedError BAD_INPUT (wrong number of inputs), BATCH_MISMATCH (different numbers of
   *   sequences), LENGTH_MISMATCH (key and value lengths differ), SHAPE_MISMATCH (wrong widths).
   * @example
   * const att = layers.attention({});
   * const { output, scores } = att.call([[[[1, 0], [0, 1]]], [[[1, 0], [0, 1], [1, 1]]]]);
   * scores[0].length;    // 2 query steps
   * scores[0][0].length; // 3 value steps
   */
  call(inputs: unknown[], options: { training?: boolean; rng?: Random } = {}): AttentionCallResult {
    if (!Array.isArray(inputs) || inputs.length < 1 || inputs.length > 3) {
      throw new RaggedError("BAD_INPUT", `${this.className} layer "${this.name}" is called on [query, value], [query, value, key] or [x].`, {
        received: describe(inputs),
      });
    }
    const names = ["query", "value", "key"];
    const packed = inputs.map((x, i) => packBatch(x as number[][][], { name: names[i] }));
    const values: LayerValue[] = packed.map((p) => ({ kind: "sequence", layout: p.layout, data: p.data, width: p.features }));
    const rng = options.rng ?? new Random(0);
    if (!this.built) this.buildMany(packed.map((p) => [null, null, p.features]), rng);
    const ctx: ForwardContext = { training: options.training ?? false, rng, needsGrad: false, inputNeedsGrad: false };
    const attended = this.attend(this.sortInputs(values), ctx);
    return {
      output: unpackRows(attended.output.data, attended.output.width, attended.output.layout),
      scores: scoresBySample(attended.scores, this.className === "MultiHeadAttention"),
    };
  }

  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { dropout: this.dropout, seed: this.seed };
    if (this.useCausalMask) config.useCausalMask = true;
    if (this.returnAttentionScores) config.returnAttentionScores = true;
    return config;
  }
}

/** The gradients of the inputs as passed: [x] (self-attention), [query, value] or [query, value, key]. */
export function gradsByInput(count: number, dQuery: Float32Array, dKey: Float32Array, dValue: Float32Array): Float32Array[] {
  if (count === 1) return [dQuery.map((x, i) => x + dKey[i] + dValue[i])];
  if (count === 2) return [dQuery, dValue.map((x, i) => x + dKey[i])];
  return [dQuery, dValue, dKey];
}

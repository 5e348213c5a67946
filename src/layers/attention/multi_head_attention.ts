/**
 * MultiHeadAttention (Keras 3 `MultiHeadAttention`, "Attention is all you need"): the query, key
 * and value are projected into `numHeads` heads (one GEMM each over all packed rows), each head
 * runs scaled dot-product attention (scores · 1/√keyDim) of every query sequence against its own
 * sample's key steps, and the heads, concatenated, are projected to the output (the query's width,
 * or `outputShape`). Ragged: a query attends only to its own sample's real key steps.
 *
 * Inputs `[query, value]`, `[query, value, key]`, or one tensor (self-attention).
 * Weights, Keras layout and order: `query/kernel` [Cq, heads, keyDim], `query/bias`
 * [heads, keyDim], `key/kernel` [Ck, heads, keyDim], `key/bias`, `value/kernel`
 * [Cv, heads, valueDim], `value/bias` [heads, valueDim], `attention_output/kernel`
 * [heads, valueDim, out], `attention_output/bias` [out] (biases only with useBias).
 *
 * Porting notes: `attentionAxes` is attention over the time axis only (null); `useGate`,
 * `slidingWindow` and constraints are not implemented (a config asking for them is refused);
 * `outputShape` is one width. See also the notes in base_attention.ts (call arguments taken at
 * construction, seed, empty value sequences).
 *
 * @example
 * const mha = layers.multiHeadAttention({ numHeads: 4, keyDim: 16 });
 * const y = mha.apply([decoderStates, encoderStates]);
 */
import { RaggedError } from "../../core/errors.js";
import { addBias, sumRows } from "../../core/kernels/gemm.js";
import { kernels } from "../../core/kernels/registry.js";
import type { Random } from "../../core/random.js";
import { type InitializerSpec, initialize, parseInitializer } from "../initializers.js";
import type { ForwardContext, Shape, Variable } from "../layer.js";
import { type Regularizer, type RegularizerSpec, parseRegularizer } from "../regularizers.js";
import type { SequenceValue } from "../values.js";
import { type Attended, BaseAttention, type AttentionInputs, type BaseAttentionArgs, gradsByInput } from "./base_attention.js";
import { runAttention, type RunAttentionGrads } from "./run_attention.js";
import type { AttentionScore } from "../../core/kernels/attention.js";

export interface MultiHeadAttentionArgs extends BaseAttentionArgs {
  numHeads: number;
  /** Width of each head of the query and key. */
  keyDim: number;
  /** Width of each head of the value. Default `keyDim`. */
  valueDim?: number | null;
  /** Default true. */
  useBias?: boolean;
  /** Output width (a number or `[width]`). Default: the query's width. */
  outputShape?: number | number[] | null;
  /** Only null (attention over the time axis). */
  attentionAxes?: null;
  /** Default `"glorotUniform"`. */
  kernelInitializer?: InitializerSpec;
  /** Default `"zeros"`. */
  biasInitializer?: InitializerSpec;
  kernelRegularizer?: RegularizerSpec;
  biasRegularizer?: RegularizerSpec;
}

/** One projection: x·kernel + bias over packed rows. */
interface Projection {
  kernel: Variable;
  bias: Variable | null;
}

export class MultiHeadAttention extends BaseAttention {
  readonly className: string = "MultiHeadAttention";
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly useBias: boolean;
  readonly outputShape: number | null;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  private projections: { query: Projection; key: Projection; value: Projection; output: Projection } | null = null;

  constructor(args: MultiHeadAttentionArgs) {
    super(args ?? ({} as MultiHeadAttentionArgs), "multi_head_attention");
    const positive = (v: unknown, name: string) => {
      if (!Number.isInteger(v) || (v as number) < 1) {
        throw new RaggedError("INVALID_ARGUMENT", `multiHeadAttention needs \`${name}\`, a positive integer.`, { received: `${name} = ${String(v)}` });
      }
      return v as number;
    };
    this.numHeads = positive(args?.numHeads, "numHeads");
    this.keyDim = positive(args.keyDim, "keyDim");
    this.valueDim = args.valueDim === null || args.valueDim === undefined ? this.keyDim : positive(args.valueDim, "valueDim");
    this.useBias = args.useBias ?? true;
    const out = args.outputShape;
    if (out === null || out === undefined) this.outputShape = null;
    else if (Array.isArray(out) && out.length === 1) this.outputShape = positive(out[0], "outputShape[0]");
    else if (!Array.isArray(out)) this.outputShape = positive(out, "outputShape");
    else {
      throw new RaggedError("UNSUPPORTED", "multiHeadAttention `outputShape` must be one width.", {
        expected: "a number or [width]",
        received: JSON.stringify(out),
      });
    }
    if (args.attentionAxes !== undefined && args.attentionAxes !== null) {
      throw new RaggedError("UNSUPPORTED", "multiHeadAttention attends over the time axis only (`attentionAxes: null`).", { received: JSON.stringify(args.attentionAxes) });
    }
    this.kernelInitializer = parseInitializer(args.kernelInitializer ?? "glorotUniform", "kernelInitializer");
    this.biasInitializer = parseInitializer(args.biasInitializer ?? "zeros", "biasInitializer");
    this.kernelRegularizer = parseRegularizer(args.kernelRegularizer, "kernelRegularizer");
    this.biasRegularizer = parseRegularizer(args.biasRegularizer, "biasRegularizer");
  }

  protected override validateInputShapes(inputShapes: Shape[]): void {
    if (inputShapes.length < 1 || inputShapes.length > 3) {
      throw new RaggedError("BAD_INPUT", `MultiHeadAttention layer "${this.name}" takes [query, value] or [query, value, key] (or one tensor, attended to itself).`, {
        expected: "1, 2 or 3 inputs",
        received: `${inputShapes.length} inputs`,
      });
    }
    const names = ["query", "value", "key"];
    inputShapes.forEach((s, i) => {
      if (s.length !== 3 || s[2] === null) {
        throw new RaggedError("SHAPE_MISMATCH", `The ${names[i]} of MultiHeadAttention layer "${this.name}" must be a sequence of feature vectors.`, {
          expected: "shape [null, null, features]",
          received: `[${s.map((d) => (d === null ? "null" : d)).join(", ")}]`,
        });
      }
    });
  }

  /** Builds for `[query, value(, key)]` shapes (or one shape: self-attention). */
  protected createWeightsMany(inputShapes: Shape[], rng: Random): void {
    const Cq = inputShapes[0][2] as number;
    const Cv = (inputShapes[1] ?? inputShapes[0])[2] as number;
    const Ck = (inputShapes[2] ?? inputShapes[1] ?? inputShapes[0])[2] as number;
    const H = this.numHeads, dk = this.keyDim, dv = this.valueDim;
    const out = this.outputShape ?? Cq;
    const projection = (name: string, kernelShape: number[], biasShape: number[]): Projection => ({
      kernel: this.addWeight(`${name}/kernel`, kernelShape, initialize(this.kernelInitializer, kernelShape, rng), true, this.kernelRegularizer),
      bias: this.useBias ? this.addWeight(`${name}/bias`, biasShape, initialize(this.biasInitializer, biasShape, rng), true, this.biasRegularizer) : null,
    });
    // Keras order: query, key, value, attention_output
    const query = projection("query", [Cq, H, dk], [H, dk]);
    const key = projection("key", [Ck, H, dk], [H, dk]);
    const value = projection("value", [Cv, H, dv], [H, dv]);
    const output = projection("attention_output", [H, dv, out], [out]);
    this.projections = { query, key, value, output };
  }

  protected createScoreWeights(_dim: number, _rng: Random): void {}

  protected override createWeights(inputShape: Shape, rng: Random): void {
    this.createWeightsMany(this.shapesForBuild(inputShape), rng);
  }

  protected scoreOf(_dim: number): AttentionScore {
    return { kind: "dot", scale: 1 / Math.sqrt(this.keyDim) };
  }

  protected addScoreGrads(_g: RunAttentionGrads): void {}

  override computeOutputShapes(inputShapes: Shape[]): Shape[] {
    const query = inputShapes[0];
    return [[query[0], query[1], this.outputShape ?? query[2]]];
  }

  /** The full forward on sorted inputs: projections, attention per head, output projection. */
  protected override attend(inputs: AttentionInputs, ctx: ForwardContext): Attended {
    if (!this.projections) throw new RaggedError("NOT_BUILT", `Layer "${this.name}" has not been built yet.`);
    const P = this.projections;
    const H = this.numHeads, dk = this.keyDim, dv = this.valueDim;
    const { query, value, key } = inputs;
    // one GEMM per projection over all packed rows (self-attention projects its input three times)
    const q = project(P.query, query, H * dk);
    const k = project(P.key, key, H * dk);
    const v = project(P.value, value, H * dv);
    const asSequence = (like: SequenceValue, data: Float32Array, width: number): SequenceValue =>
      ({ kind: "sequence", layout: like.layout, data, width, mask: like.mask ?? null });
    const run = runAttention({
      query: asSequence(query, q.y, H * dk), key: asSequence(key, k.y, H * dk), value: asSequence(value, v.y, H * dv),
      heads: H, Dk: dk, Dv: dv, score: this.scoreOf(dk), causal: this.useCausalMask, dropout: this.dropout,
      training: ctx.training, rng: ctx.rng, layer: this.name,
    });
    const outWidth = P.output.kernel.shape[2];
    const Nq = query.layout.totalSteps;
    const y = new Float32Array(Nq * outWidth);
    kernels().gemm({ out: y, a: run.out, b: P.output.kernel.value, M: Nq, N: outWidth, K: H * dv });
    if (P.output.bias) addBias(y, P.output.bias.value, Nq, outWidth);
    const output = asSequence(query, y, outWidth);
    const backward = (dY: Float32Array, dProbs: Float32Array | null): Float32Array[] => {
      // output projection
      kernels().gemm({ out: P.output.kernel.grad, a: run.out, b: dY, M: H * dv, N: outWidth, K: Nq, transA: true, accumulate: true });
      if (P.output.bias) sumRows(P.output.bias.grad, dY, Nq, outWidth);
      const dO = new Float32Array(Nq * H * dv);
      kernels().gemm({ out: dO, a: dY, b: P.output.kernel.value, M: Nq, N: H * dv, K: outWidth, transB: true });
      const g = run.backward(dO, dProbs);
      const dQuery = q.backward(g.dQuery);
      const dKey = k.backward(g.dKey);
      const dValue = v.backward(g.dValue);
      return gradsByInput(inputs.count, dQuery, dKey, dValue);
    };
    return { output, scores: run.scores, backward };
  }

  override getConfig(): Record<string, unknown> {
    return {
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputShape === null ? null : [this.outputShape],
      attentionAxes: null,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer,
      biasRegularizer: this.biasRegularizer,
      seed: this.seed,
      ...(this.useCausalMask ? { useCausalMask: true } : {}),
      ...(this.returnAttentionScores ? { returnAttentionScores: true } : {}),
    };
  }
}

/** y = x·kernel (+ bias) over packed rows, with its backward (weight grads +=, returns dx). */
function project(p: Projection, x: SequenceValue, width: number): { y: Float32Array; backward: (dy: Float32Array) => Float32Array } {
  const N = x.layout.totalSteps;
  const C = x.width;
  const y = new Float32Array(N * width);
  kernels().gemm({ out: y, a: x.data, b: p.kernel.value, M: N, N: width, K: C });
  if (p.bias) addBias(y, p.bias.value, N, width);
  return {
    y,
    backward: (dy) => {
      kernels().gemm({ out: p.kernel.grad, a: x.data, b: dy, M: C, N: width, K: N, transA: true, accumulate: true });
      if (p.bias) sumRows(p.bias.grad, dy, N, width);
      const dx = new Float32Array(N * C);
      kernels().gemm({ out: dx, a: dy, b: p.kernel.value, M: N, N: C, K: width, transB: true });
      return dx;
    },
  };
}

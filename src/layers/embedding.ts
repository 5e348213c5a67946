/**
 * Embedding: token ids → dense vectors, a lookup in `embeddings` [inputDim, outputDim] (Keras 3:
 * initialised "uniform" in ±0.05). With `maskZero`, id 0 is padding: the model packs the real
 * tokens at its edge, so the layers after it see only real steps (the layer must then be first).
 * Input sequences are lists of ids: `xs[i] = [12, 7, 431, …]`. On an input of shape `[T]`
 * (`input({ shape: [T] })`, `inputShape: [T]`) every sample is T ids and the output has T steps,
 * as Keras' (batch, T, outputDim) (NOTE [ token ids of a fixed count ] in models/functional.ts).
 *
 * @example
 * layers.embedding({ inputDim: 10000, outputDim: 64, maskZero: true });
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { gatherRows } from "../core/gather_rows.js";
import type { ChainEmbedding } from "../core/kernels/wasm/inference_chain.js";
import { type InitializerSpec, initialize, parseInitializer } from "./initializers.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, type Variable } from "./layer.js";
import type { InputMaskRule } from "./masking.js";
import { type RegularizerSpec, parseRegularizer } from "./regularizers.js";
import type { LayerValue } from "./values.js";

export interface EmbeddingArgs extends BaseLayerArgs {
  /** Vocabulary size: ids are integers in [0, inputDim). */
  inputDim: number;
  /** Width of each vector. */
  outputDim: number;
  /** Default { name: "randomUniform", minval: -0.05, maxval: 0.05 } (Keras "uniform"). */
  embeddingsInitializer?: InitializerSpec;
  embeddingsRegularizer?: RegularizerSpec;
  /** Treat id 0 as padding (default false). */
  maskZero?: boolean;
}

export class Embedding extends Layer {
  readonly className = "Embedding";
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly embeddingsInitializer: InitializerSpec;
  readonly embeddingsRegularizer;
  private embeddings!: Variable;

  constructor(args: EmbeddingArgs) {
    super({ ...args, batchInputShape: args?.batchInputShape ?? (args?.inputShape ? undefined : [null, null]) }, "embedding");
    for (const key of ["inputDim", "outputDim"] as const) {
      const v = args?.[key];
      if (!Number.isInteger(v) || (v as number) < 1) {
        throw new RaggedError("INVALID_ARGUMENT", `embedding needs \`${key}\`, a positive integer.`, { received: `${key} = ${String(v)}` });
      }
    }
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = args.maskZero ?? false;
    this.embeddingsInitializer = parseInitializer(args.embeddingsInitializer ?? { name: "randomUniform", minval: -0.05, maxval: 0.05 }, "embeddingsInitializer");
    this.embeddingsRegularizer = parseRegularizer(args.embeddingsRegularizer, "embeddingsRegularizer");
  }

  get inputMaskRule(): InputMaskRule | null {
    return this.maskZero ? { kind: "zeroId" } : null;
  }

  protected validateInputShape(inputShape: Shape): void {
    const ok = inputShape.length === 2 || (inputShape.length === 3 && inputShape[2] === 1);
    if (!ok) {
      throw new RaggedError("SHAPE_MISMATCH", `embedding "${this.name}" takes sequences of token ids.`, {
        expected: "input shape (batch, timesteps), e.g. inputShape: [null]",
        received: `(${inputShape.map((d) => (d === null ? "None" : d)).join(", ")})`,
      });
    }
  }

  protected createWeights(_inputShape: Shape, rng: Random): void {
    const shape = [this.inputDim, this.outputDim];
    this.embeddings = this.addWeight("embeddings", shape, initialize(this.embeddingsInitializer, shape, rng), true, this.embeddingsRegularizer);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], inputShape[1], this.outputDim];
  }

  /**
   * The token id of each row of `data` ([rows, width], the id in column 0), checked: an integer
   * in [0, inputDim).
   * @throws RaggedError `BAD_INPUT` for any other value.
   */
  tokenIds(data: Float32Array, width: number): Int32Array {
    const rows = data.length / width;
    const ids = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const v = data[r * width];
      if (!Number.isInteger(v) || v < 0 || v >= this.inputDim) {
        throw new RaggedError("BAD_INPUT", `embedding "${this.name}" got an invalid token id.`, {
          expected: `integers in [0, ${this.inputDim})`,
          received: String(v),
          help: v >= this.inputDim ? "raise inputDim to the vocabulary size (largest id + 1)" : "token ids must be whole numbers ≥ 0",
        });
      }
      ids[r] = v;
    }
    return ids;
  }

  /** This layer as the first link of a wasm inference chain (NOTE [ inference chains ]): a row lookup. */
  chainLink(): ChainEmbedding {
    return { kind: "embedding", H: this.outputDim, table: this.embeddings.value, tokenIds: (values) => this.tokenIds(values, 1) };
  }

  // ids: [N, 1] → out: [N, outputDim]
  forward(input: LayerValue, _ctx: ForwardContext): ForwardResult {
    if (input.kind === "vector") {
      // models read an input of shape [T] feeding an embedding as T ids per step (NOTE [ token ids of a fixed count ] in models/functional.ts)
      throw new RaggedError("UNSUPPORTED", `embedding "${this.name}" got one vector per sample instead of token ids per step.`, {
        expected: "a sequence of token ids (one per step)",
        received: `vectors of ${input.width} numbers`,
        help: "apply the embedding straight to a model input: input({ shape: [timesteps] }) or input({ shape: [null] })",
      });
    }
    const rows = input.data.length / input.width;
    const D = this.outputDim;
    const ids = this.tokenIds(input.data, input.width);
    const out = gatherRows(this.embeddings.value, ids, D);
    const output = { ...input, data: out, width: D } as LayerValue;
    const backward = (dOutput: LayerValue): LayerValue | null => {
      const grad = this.embeddings.grad;
      const d = dOutput.data;
      const mask = input.kind === "sequence" ? input.mask : null;
      for (let r = 0; r < rows; r++) {
        if (mask && !mask[r]) continue;
        const o = ids[r] * D;
        for (let k = 0; k < D; k++) grad[o + k] += d[r * D + k];
      }
      return null; // ids have no gradient
    };
    return { output, backward };
  }

  getConfig(): Record<string, unknown> {
    return { inputDim: this.inputDim, outputDim: this.outputDim, embeddingsInitializer: this.embeddingsInitializer, embeddingsRegularizer: this.embeddingsRegularizer, maskZero: this.maskZero };
  }
}

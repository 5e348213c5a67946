/**
 * RepeatVector: one vector per sequence → a sequence of that vector repeated. `n` a number repeats
 * it n times (Keras); `n: "inputLength"` repeats it as many times as the model's input sequence
 * had steps — the ragged encoder–decoder: encode a sequence, decode one of the same length. In a
 * functional model with several inputs, `inputName` says whose lengths: `{ n: "inputLength",
 * inputName: "phonemes" }` repeats each sample's vector as many times as its "phonemes" input has
 * steps (the vector may come from another input: NOTE [ lengths in a graph ] in symbolic.ts).
 *
 * @example
 * // sequence → vector → sequence of the same length
 * sequential([layers.lstm({ units: 16, inputShape: [null, 4] }), layers.repeatVector({ n: "inputLength" }),
 *             layers.lstm({ units: 16, returnSequences: true }), layers.timeDistributed({ layer: layers.dense({ units: 4 }) })]);
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { packLayout } from "../data/packed.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, lastDim } from "./layer.js";
import type { LengthSource, SymbolicTensor } from "./symbolic.js";
import type { LayerValue } from "./values.js";

export interface RepeatVectorArgs extends BaseLayerArgs {
  /** Repetitions, or "inputLength" for each sequence's own input length. */
  n: number | "inputLength";
  /**
   * With `n: "inputLength"` in a functional model: the name of the model input whose lengths to
   * use. Default: the input the vector itself comes from (the only one in a Sequential model).
   */
  inputName?: string;
}

export class RepeatVector extends Layer {
  readonly className = "RepeatVector";
  readonly n: number | "inputLength";
  readonly inputName: string | null;

  constructor(args: RepeatVectorArgs) {
    super(args, "repeat_vector");
    const n = args?.n;
    if (n !== "inputLength" && (!Number.isInteger(n) || (n as number) < 0)) {
      throw new RaggedError("INVALID_ARGUMENT", 'repeatVector `n` must be a whole number ≥ 0 or "inputLength".', { received: `n = ${String(n)}` });
    }
    this.n = n;
    if (args.inputName !== undefined && (n !== "inputLength" || typeof args.inputName !== "string")) {
      throw new RaggedError("INVALID_ARGUMENT", "repeatVector `inputName` names a model input and goes with n: \"inputLength\".", {
        received: `n = ${String(n)}, inputName = ${String(args.inputName)}`,
      });
    }
    this.inputName = args.inputName ?? null;
  }

  protected validateInputShape(inputShape: Shape): void {
    if (inputShape.length !== 2) {
      throw new RaggedError("SHAPE_MISMATCH", `repeatVector "${this.name}" takes one vector per sequence.`, {
        expected: "input shape (batch, features)",
        received: `a ${inputShape.length}-D shape`,
        help: "put it after a recurrent layer with returnSequences: false",
      });
    }
    lastDim(inputShape, this.name);
  }

  protected createWeights(_inputShape: Shape, _rng: Random): void {}

  computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], this.n === "inputLength" ? null : this.n, inputShape[1]];
  }

  /** The output lengths for given input lengths (the model lines per-step targets up with them). */
  override outputLengths(inputLengths: Int32Array): Int32Array {
    return this.n === "inputLength" ? inputLengths : new Int32Array(inputLengths.length).fill(this.n);
  }

  /** Steps of a fixed count, of the named input, or of the vector's own input (NOTE [ lengths in a graph ]). */
  protected override symbolicLengths(inputs: SymbolicTensor[], outShapes: Shape[]): LengthSource[] {
    if (this.n !== "inputLength") return outShapes.map(() => ({ kind: "fixed", n: this.n as number }));
    const source: LengthSource = this.inputName === null ? inputs[0].lengths : { kind: "input", input: this.inputName, through: [] };
    return outShapes.map(() => source);
  }

  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    if (input.kind !== "vector") {
      throw new RaggedError("SHAPE_MISMATCH", `repeatVector "${this.name}" takes one vector per sequence, but received a sequence.`);
    }
    const C = input.width;
    const inLayout = input.layout;
    const layout = this.n !== "inputLength" ? packLayout(new Int32Array(inLayout.batch).fill(this.n)) : this.inputName === null ? inLayout : this.namedLayout(ctx, inLayout.batch);
    // the vector row (input sorted order) that feeds output sequence j (output sorted order)
    const source = new Int32Array(layout.batch);
    for (let j = 0; j < layout.batch; j++) source[j] = layout === inLayout ? j : inLayout.unsortedIndices[layout.sortedIndices[j]];
    const out = new Float32Array(layout.totalSteps * C);
    for (let t = 0; t < layout.maxLength; t++) {
      for (let j = 0; j < layout.batchSizes[t]; j++) out.set(input.data.subarray(source[j] * C, (source[j] + 1) * C), (layout.offsets[t] + j) * C);
    }
    const output: LayerValue = { kind: "sequence", layout, data: out, width: C, mask: null };
    const backward = (d: LayerValue): LayerValue => {
      const dx = new Float32Array(input.data.length);
      for (let t = 0; t < layout.maxLength; t++) {
        for (let j = 0; j < layout.batchSizes[t]; j++) {
          const from = (layout.offsets[t] + j) * C;
          const to = source[j] * C;
          for (let k = 0; k < C; k++) dx[to + k] += d.data[from + k];
        }
      }
      return { ...input, data: dx };
    };
    return { output, backward };
  }

  private namedLayout(ctx: ForwardContext, batch: number) {
    const layout = ctx.inputLayouts?.get(this.inputName as string);
    if (!layout) {
      throw new RaggedError("INVALID_ARGUMENT", `repeatVector "${this.name}" repeats to the lengths of input "${this.inputName}", which the model does not have.`, {
        received: ctx.inputLayouts ? `inputs ${[...ctx.inputLayouts.keys()].map((k) => `"${k}"`).join(", ")}` : "no model inputs",
      });
    }
    if (layout.batch !== batch) throw new RaggedError("BATCH_MISMATCH", `repeatVector "${this.name}": input "${this.inputName}" has another batch size than the vector.`);
    return layout;
  }

  getConfig(): Record<string, unknown> {
    return this.inputName === null ? { n: this.n } : { n: this.n, inputName: this.inputName };
  }
}

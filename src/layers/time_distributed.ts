/**
 * TimeDistributed: applies a layer to every timestep of a sequence independently.
 *
 * On a sequence (`[null, null, d]`) the layer must work row by row (Dense, Dropout, Activation…):
 * on packed rows that is simply the inner layer applied to all N rows at once (one GEMM for a
 * Dense), so padding never reaches it. The layout (mask) passes through.
 *
 * On a nested tensor (`[null, null, null]` ids from `input({ shape: [null, null] })`, or
 * `[null, null, null, d]`: every step is itself a ragged sequence — a sentence of words, each a
 * list of characters) the layer may be any sequence layer or model: it runs once on all the words
 * of the batch, packed as one batch of sequences (NOTE [ nested values ] in values.ts), never on a
 * padded 4-D tensor as in Keras. A layer that keeps steps (embedding, conv1d, dense) gives a
 * nested tensor again; one that gives a vector per sequence (globalMaxPooling1D, an RNN's last
 * state, a model with a vector output) gives one vector per word, at the sentence's steps:
 * `[null, null, f]`, with the sentence input's lengths, ready to meet the word features.
 *
 * @example
 * layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) });
 *
 * const words = input({ shape: [null], name: "words" });
 * const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
 * const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: 60, outputDim: 16 }) }).apply(chars);
 * const c = layers.timeDistributed({ layer: layers.conv1d({ filters: 32, kernelSize: 3, padding: "same" }) }).apply(e);
 * const perWord = layers.timeDistributed({ layer: layers.globalMaxPooling1D() }).apply(c); // [null, null, 32]
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type ManyForwardResult, type Shape, type Variable, formatShape } from "./layer.js";
import { type FixedSteps, kindOfShape, resolveLengths } from "./symbolic.js";
import { type LayerValue, type NestedValue, type SequenceValue, type VectorValue, nestedValue } from "./values.js";

export interface TimeDistributedArgs extends BaseLayerArgs {
  /**
   * The layer applied at every step: row-wise (dense, dropout…) for a sequence; any sequence layer
   * or model (embedding, conv1d, globalMaxPooling1D, lstm, a sequential model…) for a nested tensor.
   */
  layer: Layer;
}

export class TimeDistributed extends Layer {
  readonly className = "TimeDistributed";
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    super(args, "time_distributed");
    if (!(args?.layer instanceof Layer)) {
      throw new RaggedError("INVALID_ARGUMENT", "timeDistributed needs a `layer`.", {
        expected: "a layer (such as dense) or, over nested input, a sequence layer or model",
        received: `layer = ${String(args?.layer)}`,
      });
    }
    this.layer = args.layer;
  }

  private get rowWise(): boolean {
    return (this.layer as Layer & { rowWise?: boolean }).rowWise === true;
  }

  protected validateInputShape(inputShape: Shape): void {
    const kind = kindOfShape(inputShape);
    if (kind === "nested") return;
    if (inputShape.length !== 3) {
      throw new RaggedError("SHAPE_MISMATCH", `timeDistributed "${this.name}" needs sequences as input.`, {
        expected: "input shape (batch, timesteps, features), or nested (batch, timesteps, steps[, features])",
        received: `a ${inputShape.length}-D shape`,
        help: "set returnSequences: true on the recurrent layer before it",
      });
    }
    if (!this.rowWise) {
      throw new RaggedError("INVALID_ARGUMENT", `timeDistributed "${this.name}" over a sequence needs a row-wise \`layer\` (such as dense).`, {
        expected: "a row-wise layer, or nested input (input({ shape: [null, null] })) for a sequence layer",
        received: `layer = ${this.layer.className} on ${formatShape(inputShape)}`,
        help: "a sequence layer (conv1d, lstm, a model) runs per step only when every step is itself a sequence",
      });
    }
  }

  /** The shape the inner layer sees: the steps dimension dropped. */
  private innerShape(inputShape: Shape): Shape {
    return [inputShape[0], ...inputShape.slice(2)];
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    this.layer.buildMany([this.innerShape(inputShape)], rng);
  }

  override get weights(): Variable[] {
    return this.layer.weights;
  }

  override get trainableWeights(): Variable[] {
    return this.trainable ? this.layer.trainableWeights : [];
  }

  override countParams(): number {
    return this.layer.countParams();
  }

  computeOutputShape(inputShape: Shape): Shape {
    const inner = this.layer.computeOutputShapes([this.innerShape(inputShape)]);
    if (inner.length !== 1) {
      throw new RaggedError("INVALID_ARGUMENT", `timeDistributed "${this.name}" needs a layer with one output.`, {
        received: `${this.layer.className} "${this.layer.name}" with ${inner.length} outputs`,
        help: "leave out returnState on the wrapped recurrent layer",
      });
    }
    return [inputShape[0], inputShape[1], ...inner[0].slice(1)];
  }

  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    if (input.kind === "nested") return this.forwardNested(input, ctx);
    return this.layer.forward(input, ctx);
  }

  /**
   * The inner layer on all words at once. A per-word vector (rows in the sorted order of the inner
   * output's layout) moves to its word's row of the sentence layout: word r is inner sequence r.
   */
  private forwardNested(input: NestedValue, ctx: ForwardContext): ForwardResult {
    this.checkFixedWordLengths(input);
    const inner: ManyForwardResult = this.layer.forwardMany([input.inner], ctx);
    const out = inner.outputs[0];
    const backInner = (d: LayerValue): LayerValue | null => {
      const [dIn] = inner.backward([d]);
      return dIn ? nestedValue(input.layout, dIn as SequenceValue) : null;
    };
    if (out.kind === "sequence") {
      return { output: nestedValue(input.layout, out), backward: (d) => backInner((d as NestedValue).inner) };
    }
    if (out.kind !== "vector") throw new Error(`ragged: timeDistributed "${this.name}" got a nested value from its layer`);
    const W = out.width;
    const words = out.layout;
    const perWord = new Float32Array(words.batch * W);
    for (let r = 0; r < words.batch; r++) {
      const from = words.unsortedIndices[r] * W;
      perWord.set(out.data.subarray(from, from + W), r * W);
    }
    const output: SequenceValue = { kind: "sequence", layout: input.layout, data: perWord, width: W, mask: null };
    const backward = (d: LayerValue): LayerValue | null => {
      const dv = new Float32Array(words.batch * W);
      for (let q = 0; q < words.batch; q++) {
        const from = words.sortedIndices[q] * W;
        dv.set(d.data.subarray(from, from + W), q * W);
      }
      const dVector: VectorValue = { kind: "vector", layout: words, data: dv, width: W };
      return backInner(dVector);
    };
    return { output, backward };
  }

  /**
   * A model built on a fixed step count (`inputShape: [4]`, `input({ shape: [4, d] })`) and applied
   * to every word must get words of that many steps, as Keras refuses a (batch, steps, 3, d) tensor
   * for an inner model on (None, 4, d). The data check at the model's edge (NOTE [ fixed step
   * counts ] in models/functional.ts) sees only the outer steps, so the words are checked here,
   * through the inner model's length-changing layers.
   * @throws RaggedError `SHAPE_MISMATCH` naming the word's length, the model and its shape.
   */
  private checkFixedWordLengths(input: NestedValue): void {
    const fixed = (this.layer as Layer & { fixedSteps?: () => readonly FixedSteps[] }).fixedSteps?.() ?? [];
    const outer = input.layout;
    for (const f of fixed) {
      const words = input.inner.layout;
      const lengths = resolveLengths({ kind: "input", ...f.lengths }, () => words.lengths, words.batch);
      const r = lengths.findIndex((n) => n !== f.steps);
      if (r < 0) continue;
      let t = 0;
      while (outer.offsets[t + 1] <= r) t++;
      const unit = f.ids ? "ids" : "steps";
      const declared = f.ids ? `[${f.steps}]` : `[${f.steps}, ${f.features}]`;
      const anyLength = f.ids ? "[null]" : `[null, ${f.features}]`;
      const raw = words.lengths[r];
      const through = f.lengths.through.length ? `, which ${f.lengths.through.map((l) => `"${l.name}"`).join(" → ")} turn into ${lengths[r]},` : "";
      throw new RaggedError("SHAPE_MISMATCH", `A word (step ${t} of a sequence) has ${raw} ${unit}${through} but model "${f.model}", applied to every word by timeDistributed "${this.name}", fixes ${f.steps} (${f.sequential ? `its inputShape ${declared}` : `its input "${f.input}" of shape ${declared}`}).`, {
        expected: `${f.steps} ${unit} in every word reaching model "${f.model}"`,
        received: `a word of ${raw} ${unit}`,
        help: `build model "${f.model}" on ${anyLength} to take words of any length, or pad or truncate every word to ${f.steps} ${unit}`,
      });
    }
  }

  override getWeights() {
    return this.layer.getWeights();
  }

  override setWeights(weights: Parameters<Layer["setWeights"]>[0]): void {
    this.layer.setWeights(weights);
  }

  getConfig(): Record<string, unknown> {
    return { layer: { className: this.layer.className, config: { name: this.layer.name, trainable: this.layer.trainable, ...this.layer.getConfig() } } };
  }
}

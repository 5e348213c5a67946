/**
 * Element-wise merge layers, Keras 3 semantics: `add`, `subtract`, `multiply`, `average`,
 * `maximum`, `minimum` take a list of tensors of one shape and combine them value by value.
 *
 * On ragged data (NOTE [ lengths in a graph ] in symbolic.ts): per-step inputs must follow the
 * same lengths (else `LENGTH_MISMATCH`) and then share one packed layout, so the merge is one pass
 * over the rows. A per-sequence vector among per-step inputs is broadcast over each sequence's
 * steps (Keras expands it at axis 1); the graph has already moved it into the per-step inputs'
 * layout (NOTE [ vectors across layouts ] in values.ts).
 *
 * Masks (Keras 3 `Merge.compute_mask`: the OR of the inputs' masks): per-step inputs of one length
 * source come from one input and carry the same row mask (NOTE [ masks with holes ]), so the
 * output keeps it.
 *
 * @example
 * const y = layers.add().apply([x, layers.lstm({ units: 8, returnSequences: true }).apply(x)]); // residual
 */
import { RaggedError } from "../../core/errors.js";
import type { Random } from "../../core/random.js";
import { rowSequences } from "../../data/rows.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type ManyForwardResult, type Shape, formatShape } from "../layer.js";
import type { LayerValue, SequenceValue } from "../values.js";

/** Shared by every merge layer: several inputs, no weights. */
export abstract class MergeBase extends Layer {
  protected abstract readonly minInputs: number;
  protected readonly maxInputs: number | undefined = undefined;

  constructor(args: BaseLayerArgs, base: string) {
    super(args ?? {}, base);
  }

  protected validateInputShape(_inputShape: Shape): void {}
  protected createWeights(_inputShape: Shape, _rng: Random): void {}

  protected override validateInputShapes(inputShapes: Shape[]): void {
    this.expectInputCount(inputShapes.length, { min: this.minInputs, max: this.maxInputs });
    this.checkShapes(inputShapes);
  }

  /** Throws SHAPE_MISMATCH unless the shapes can be merged. */
  protected abstract checkShapes(inputShapes: Shape[]): void;

  override buildMany(inputShapes: Shape[], _rng: Random): void {
    if (this.built) return;
    this.validateInputShapes(inputShapes);
    this.markBuilt(inputShapes);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return this.computeOutputShapes([inputShape])[0];
  }

  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    const { outputs, backward } = this.forwardMany([input], ctx);
    return { output: outputs[0], backward: (d) => backward([d])[0] };
  }

  /** The mask of the first per-step input that has one (see the file comment). */
  protected static rowMask(inputs: LayerValue[]): Uint8Array | null {
    for (const v of inputs) if (v.kind === "sequence" && v.mask) return v.mask;
    return null;
  }

  protected shapeError(inputShapes: Shape[], why: string, help?: string): RaggedError {
    return new RaggedError("SHAPE_MISMATCH", `${this.className} "${this.name}": ${why}`, {
      received: inputShapes.map(formatShape).join(", "),
      help,
    });
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}

export type ElementwiseOp = "add" | "subtract" | "multiply" | "average" | "maximum" | "minimum";

/** add, subtract, multiply, average, maximum, minimum. */
export class ElementwiseMerge extends MergeBase {
  readonly className: string;
  readonly op: ElementwiseOp;
  protected readonly minInputs: number;
  protected override readonly maxInputs: number | undefined;

  constructor(op: ElementwiseOp, className: string, args: BaseLayerArgs = {}) {
    super(args, op);
    this.op = op;
    this.className = className;
    this.minInputs = op === "subtract" ? 2 : 1;
    this.maxInputs = op === "subtract" ? 2 : undefined;
  }

  /** Same last dimension (or 1, broadcast); per-step and per-sequence inputs may meet. */
  protected checkShapes(inputShapes: Shape[]): void {
    const ranks = new Set(inputShapes.map((s) => s.length));
    const widths = inputShapes.map((s) => s[s.length - 1]);
    if ([...ranks].some((r) => r !== 2 && r !== 3) || (ranks.size > 1 && inputShapes.some((s) => s.length === 2 && s[1] === null))) {
      throw this.shapeError(inputShapes, "inputs must be per-step [batch, steps, d] or per-sequence [batch, d].");
    }
    const known = widths.filter((w) => w !== null && w !== 1);
    if (known.some((w) => w !== known[0])) {
      throw this.shapeError(inputShapes, "inputs must have the same last dimension.", "project them to one size with dense first, or use concatenate");
    }
  }

  override computeOutputShapes(inputShapes: Shape[]): Shape[] {
    const seq = inputShapes.find((s) => s.length === 3) ?? inputShapes[0];
    const widths = inputShapes.map((s) => s[s.length - 1]);
    const width = widths.find((w) => w !== null && w !== 1) ?? widths.find((w) => w !== null) ?? null;
    return [[...seq.slice(0, seq.length - 1), width]];
  }

  override forwardMany(inputs: LayerValue[], _ctx: ForwardContext): ManyForwardResult {
    this.expectInputCount(inputs.length, { min: this.minInputs, max: this.maxInputs });
    const seq = inputs.find((v): v is SequenceValue => v.kind === "sequence") ?? null;
    const ref = seq ?? inputs[0];
    const rows = ref.kind === "sequence" ? ref.layout.totalSteps : ref.layout.batch;
    const W = Math.max(...inputs.map((v) => v.width));
    // row r of input k reads row index(k, r): its own row, or its sequence's vector row
    const seqOfRow = seq ? rowSequences(seq.layout) : null;
    const perSeq = inputs.map((v) => seq !== null && v.kind === "vector");
    const at = (k: number, r: number, c: number) => {
      const v = inputs[k];
      const row = perSeq[k] ? (seqOfRow as Int32Array)[r] : r;
      return v.data[row * v.width + (v.width === 1 ? 0 : c)];
    };
    const out = new Float32Array(rows * W);
    const n = inputs.length;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < W; c++) {
        let acc = at(0, r, c);
        for (let k = 1; k < n; k++) {
          const x = at(k, r, c);
          switch (this.op) {
            case "add":
            case "average":
              acc += x;
              break;
            case "subtract":
              acc -= x;
              break;
            case "multiply":
              acc *= x;
              break;
            case "maximum":
              acc = Math.max(acc, x);
              break;
            case "minimum":
              acc = Math.min(acc, x);
              break;
          }
        }
        out[r * W + c] = this.op === "average" ? acc / n : acc;
      }
    }
    const mask = MergeBase.rowMask(inputs);
    const output: LayerValue = ref.kind === "sequence" ? { kind: "sequence", layout: ref.layout, data: out, width: W, mask } : { kind: "vector", layout: ref.layout, data: out, width: W };
    const backward = (dOutputs: (LayerValue | null)[]): (LayerValue | null)[] => {
      const d = dOutputs[0];
      if (!d) return inputs.map(() => null);
      const grads = inputs.map((v) => new Float32Array(v.data.length));
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < W; c++) {
          const g = d.data[r * W + c];
          if (g === 0) continue;
          // which input won, for maximum / minimum (the first on ties, as argmax)
          let winner = 0;
          if (this.op === "maximum" || this.op === "minimum") {
            for (let k = 1; k < n; k++) {
              const x = at(k, r, c);
              const best = at(winner, r, c);
              if (this.op === "maximum" ? x > best : x < best) winner = k;
            }
          }
          for (let k = 0; k < n; k++) {
            let dk: number;
            switch (this.op) {
              case "add":
                dk = g;
                break;
              case "average":
                dk = g / n;
                break;
              case "subtract":
                dk = k === 0 ? g : -g;
                break;
              case "multiply": {
                let p = 1;
                for (let m = 0; m < n; m++) if (m !== k) p *= at(m, r, c);
                dk = g * p;
                break;
              }
              default:
                dk = k === winner ? g : 0;
            }
            const v = inputs[k];
            const row = perSeq[k] ? (seqOfRow as Int32Array)[r] : r;
            grads[k][row * v.width + (v.width === 1 ? 0 : c)] += dk;
          }
        }
      }
      return inputs.map((v, k) => ({ ...v, data: grads[k] }) as LayerValue);
    };
    return { outputs: [output], backward };
  }
}

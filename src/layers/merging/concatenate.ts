/**
 * Concatenate, Keras 3 semantics, along the feature axis (`axis: -1`, the default; 2 for
 * per-step, 1 for per-sequence inputs). Inputs must have the same rank: per-step with per-step
 * (same lengths, NOTE [ lengths in a graph ]) or per-sequence with per-sequence (any inputs: the
 * graph aligns their rows, NOTE [ vectors across layouts ]). A vector joins per-step features
 * through `repeatVector({ n: "inputLength" })` first, as in Keras. Masks: see merge.ts.
 *
 * Porting note: concatenating along time (`axis: 1` on sequences) is not supported: it would
 * join two sequences into one of the summed length; build that from the data instead.
 *
 * @example
 * const both = layers.concatenate().apply([wordsVector, charsVector]);
 */
import { RaggedError } from "../../core/errors.js";
import type { BaseLayerArgs, ForwardContext, ManyForwardResult, Shape } from "../layer.js";
import type { LayerValue } from "../values.js";
import { MergeBase } from "./merge.js";

export interface ConcatenateArgs extends BaseLayerArgs {
  /** Default -1 (features). */
  axis?: number;
}

export class Concatenate extends MergeBase {
  readonly className = "Concatenate";
  readonly axis: number;
  protected readonly minInputs = 1;

  constructor(args: ConcatenateArgs = {}) {
    super(args, "concatenate");
    const axis = args?.axis ?? -1;
    if (!Number.isInteger(axis)) throw new RaggedError("INVALID_ARGUMENT", "concatenate `axis` must be an integer.", { received: String(axis) });
    this.axis = axis;
  }

  protected checkShapes(inputShapes: Shape[]): void {
    const rank = inputShapes[0].length;
    if (inputShapes.some((s) => s.length !== rank)) {
      throw this.shapeError(inputShapes, "inputs must have the same rank.", 'a per-sequence vector joins per-step features through repeatVector({ n: "inputLength" }) first');
    }
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    if (axis !== rank - 1) {
      throw new RaggedError("UNSUPPORTED", `Concatenate "${this.name}" joins along the feature axis only.`, {
        expected: `axis -1 (or ${rank - 1})`,
        received: `axis ${this.axis}`,
        help: "concatenating along time would join sequences into longer ones; do that in the data",
      });
    }
    if (inputShapes.some((s) => s[rank - 1] === null)) throw this.shapeError(inputShapes, "every input needs a known last dimension.");
  }

  override computeOutputShapes(inputShapes: Shape[]): Shape[] {
    const first = inputShapes[0];
    const width = inputShapes.reduce((n, s) => n + (s[s.length - 1] as number), 0);
    return [[...first.slice(0, first.length - 1), width]];
  }

  override forwardMany(inputs: LayerValue[], _ctx: ForwardContext): ManyForwardResult {
    const ref = inputs[0];
    const rows = ref.data.length / ref.width;
    const W = inputs.reduce((n, v) => n + v.width, 0);
    const out = new Float32Array(rows * W);
    let offset = 0;
    const offsets = inputs.map((v) => {
      const o = offset;
      offset += v.width;
      return o;
    });
    inputs.forEach((v, k) => {
      const w = v.width;
      for (let r = 0; r < rows; r++) out.set(v.data.subarray(r * w, (r + 1) * w), r * W + offsets[k]);
    });
    const output: LayerValue = ref.kind === "sequence" ? { kind: "sequence", layout: ref.layout, data: out, width: W, mask: MergeBase.rowMask(inputs) } : { kind: "vector", layout: ref.layout, data: out, width: W };
    return {
      outputs: [output],
      backward: ([d]) =>
        inputs.map((v, k) => {
          if (!d) return null;
          const w = v.width;
          const g = new Float32Array(rows * w);
          for (let r = 0; r < rows; r++) g.set(d.data.subarray(r * W + offsets[k], r * W + offsets[k] + w), r * w);
          return { ...v, data: g } as LayerValue;
        }),
    };
  }

  override getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}

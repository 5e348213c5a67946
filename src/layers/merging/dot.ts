/**
 * Dot, Keras 3 semantics: the dot product of two inputs' samples along the feature axis,
 * optionally of their L2-normalised rows (`normalize: true`, cosine similarity).
 * - two per-sequence vectors [B, d] (axes -1 or 1) → [B, 1];
 * - a per-step input [B, T, d] and a vector [B, d] (axes -1, or [2, 1] / [1, 2]) → [B, T]: one
 *   score per real step (the vector is broadcast over its sequence's steps).
 * Porting note: two per-step inputs ([B, T, d]·[B, T', d] → [B, T, T']) are not supported — a
 * T × T' block per sample is what the attention layers compute, without padding.
 * Normalisation as Keras: x / sqrt(max(Σx², 1e-12)).
 *
 * @example
 * const similarity = layers.dot({ axes: -1, normalize: true }).apply([a, b]); // [null, 1]
 */
import { RaggedError, describe } from "../../core/errors.js";
import { rowSequences } from "../../data/rows.js";
import type { BaseLayerArgs, ForwardContext, ManyForwardResult, Shape } from "../layer.js";
import type { LayerValue, SequenceValue } from "../values.js";
import { MergeBase } from "./merge.js";

export interface DotArgs extends BaseLayerArgs {
  /** The axis (or one per input) to take the product along; default -1 (features). */
  axes?: number | [number, number];
  /** Default false. */
  normalize?: boolean;
}

export class Dot extends MergeBase {
  readonly className = "Dot";
  readonly axes: number | [number, number];
  readonly normalize: boolean;
  protected readonly minInputs = 2;
  protected override readonly maxInputs = 2;

  constructor(args: DotArgs = {}) {
    super(args, "dot");
    const axes = args?.axes ?? -1;
    const ok = Number.isInteger(axes) || (Array.isArray(axes) && axes.length === 2 && axes.every((a) => Number.isInteger(a)));
    if (!ok) throw new RaggedError("INVALID_ARGUMENT", "dot `axes` must be an integer or two integers.", { received: describe(axes) });
    this.axes = Array.isArray(axes) ? [axes[0], axes[1]] : axes;
    this.normalize = args?.normalize ?? false;
  }

  protected checkShapes(inputShapes: Shape[]): void {
    const [a, b] = inputShapes;
    const [ia, ib] = this.axesFor(inputShapes);
    if (a.length === 3 && b.length === 3) {
      throw new RaggedError("UNSUPPORTED", `Dot "${this.name}" takes at most one per-step input.`, {
        received: inputShapes.map((s) => `(${s.map((d) => (d === null ? "None" : d)).join(", ")})`).join(", "),
        help: "a product between the steps of two sequences is attention: use layers.attention",
      });
    }
    if (ia !== a.length - 1 || ib !== b.length - 1) throw this.shapeError(inputShapes, "the product is taken along the feature axis only (axes -1).");
    if (a[ia] === null || a[ia] !== b[ib]) throw this.shapeError(inputShapes, `the feature sizes must match: ${String(a[ia])} vs ${String(b[ib])}.`);
  }

  private axesFor(inputShapes: Shape[]): [number, number] {
    const pair = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    return [0, 1].map((k) => (pair[k] < 0 ? inputShapes[k].length + pair[k] : pair[k])) as [number, number];
  }

  override computeOutputShapes(inputShapes: Shape[]): Shape[] {
    const seq = inputShapes.find((s) => s.length === 3);
    return [seq ? [seq[0], seq[1]] : [inputShapes[0][0], 1]];
  }

  override forwardMany(inputs: LayerValue[], _ctx: ForwardContext): ManyForwardResult {
    this.expectInputCount(inputs.length, 2);
    const seq = inputs.find((v): v is SequenceValue => v.kind === "sequence") ?? null;
    const ref = seq ?? inputs[0];
    const rows = ref.data.length / ref.width;
    const D = inputs[0].width;
    const seqOfRow = seq ? rowSequences(seq.layout) : null;
    const rowOf = (k: number, r: number) => (seq !== null && inputs[k].kind === "vector" ? (seqOfRow as Int32Array)[r] : r);
    // the rows the product reads, normalised when asked (norms kept for the way back)
    const norms = inputs.map((v) => (this.normalize ? rowNorms(v.data, D) : null));
    const read = (k: number, row: number, c: number) => inputs[k].data[row * D + c] / (norms[k] ? (norms[k] as Float32Array)[row] : 1);
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const ra = rowOf(0, r);
      const rb = rowOf(1, r);
      let s = 0;
      for (let c = 0; c < D; c++) s += read(0, ra, c) * read(1, rb, c);
      out[r] = s;
    }
    const output: LayerValue = seq ? { kind: "sequence", layout: seq.layout, data: out, width: 1, mask: seq.mask ?? null } : { kind: "vector", layout: ref.layout, data: out, width: 1 };
    const backward = ([d]: (LayerValue | null)[]): (LayerValue | null)[] => {
      if (!d) return [null, null];
      // gradient with respect to the (normalised) rows
      const gu = inputs.map((v) => new Float32Array(v.data.length));
      for (let r = 0; r < rows; r++) {
        const g = d.data[r];
        const ra = rowOf(0, r);
        const rb = rowOf(1, r);
        for (let c = 0; c < D; c++) {
          gu[0][ra * D + c] += g * read(1, rb, c);
          gu[1][rb * D + c] += g * read(0, ra, c);
        }
      }
      return inputs.map((v, k) => {
        const n = norms[k];
        if (!n) return { ...v, data: gu[k] } as LayerValue;
        // u = x/‖x‖: dx = (du − u (u·du)) / ‖x‖
        const dx = new Float32Array(v.data.length);
        for (let row = 0; row < n.length; row++) {
          let dot = 0;
          for (let c = 0; c < D; c++) dot += (v.data[row * D + c] / n[row]) * gu[k][row * D + c];
          for (let c = 0; c < D; c++) dx[row * D + c] = (gu[k][row * D + c] - (v.data[row * D + c] / n[row]) * dot) / n[row];
        }
        return { ...v, data: dx } as LayerValue;
      });
    };
    return { outputs: [output], backward };
  }

  override getConfig(): Record<string, unknown> {
    return { axes: this.axes, normalize: this.normalize };
  }
}

/** ‖row‖ of every row, floored at sqrt(1e-12) as Keras' l2_normalize. */
function rowNorms(data: Float32Array, D: number): Float32Array {
  const rows = data.length / D;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < D; c++) s += data[r * D + c] * data[r * D + c];
    out[r] = Math.sqrt(Math.max(s, 1e-12));
  }
  return out;
}

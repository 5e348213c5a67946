/**
 * Attention: dot-product attention, a.k.a. Luong-style attention (Keras 3 `Attention`).
 * Inputs `[query, value]` or `[query, value, key]` (key defaults to value), or one tensor attended
 * to itself: for each query step, scores against the sample's own key steps, a softmax over them,
 * and the probability-weighted sum of the value steps. Ragged: a query attends only to its own
 * sample's real key steps; no padded key exists to be masked.
 *
 *   scoreMode "dot":    score = q·kᵀ (× `scale` with useScale)
 *   scoreMode "concat": score = concat_score_weight · Σ tanh(q + k) (inside: × `scale` with useScale)
 *
 * Weights (Keras order): `scale` [] when useScale, `concat_score_weight` [] for "concat"; both
 * start at 1.
 *
 * @example
 * const dec = layers.lstm({ units: 64, returnSequences: true }).apply(decoderIn);
 * const context = layers.attention({}).apply([dec, encoderOutputs]);
 */
import { RaggedError } from "../../core/errors.js";
import type { AttentionScore } from "../../core/kernels/attention.js";
import type { Random } from "../../core/random.js";
import type { Variable } from "../layer.js";
import { BaseAttention, type BaseAttentionArgs } from "./base_attention.js";
import type { RunAttentionGrads } from "./run_attention.js";

export interface AttentionArgs extends BaseAttentionArgs {
  /** Learn a scalar that scales the scores. Default false. */
  useScale?: boolean;
  /** `"dot"` (default) or `"concat"`. */
  scoreMode?: "dot" | "concat";
}

export class Attention extends BaseAttention {
  readonly className: string = "Attention";
  readonly useScale: boolean;
  readonly scoreMode: "dot" | "concat";
  private scale: Variable | null = null;
  private concatScoreWeight: Variable | null = null;

  constructor(args: AttentionArgs = {}) {
    super(args, "attention");
    this.useScale = args.useScale ?? false;
    const mode = args.scoreMode ?? "dot";
    if (mode !== "dot" && mode !== "concat") {
      throw new RaggedError("INVALID_ARGUMENT", "attention `scoreMode` must be \"dot\" or \"concat\".", { received: `scoreMode = ${JSON.stringify(mode)}` });
    }
    this.scoreMode = mode;
  }

  protected createScoreWeights(_dim: number, _rng: Random): void {
    if (this.useScale) this.scale = this.addWeight("scale", [], Float32Array.of(1));
    if (this.scoreMode === "concat") this.concatScoreWeight = this.addWeight("concat_score_weight", [], Float32Array.of(1));
  }

  protected scoreOf(dim: number): AttentionScore {
    const scale = this.scale ? this.scale.value[0] : 1;
    if (this.scoreMode === "dot") return { kind: "dot", scale };
    return { kind: "tanh", weights: new Float32Array(dim).fill(this.concatScoreWeight!.value[0]), inner: scale };
  }

  protected addScoreGrads(g: RunAttentionGrads): void {
    if (this.scale) this.scale.grad[0] += g.dScale;
    if (this.concatScoreWeight) {
      let s = 0;
      for (let d = 0; d < g.dWeights.length; d++) s += g.dWeights[d];
      this.concatScoreWeight.grad[0] += s;
    }
  }

  override getConfig(): Record<string, unknown> {
    return { useScale: this.useScale, scoreMode: this.scoreMode, ...super.getConfig() };
  }
}

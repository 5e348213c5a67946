/**
 * AdditiveAttention: additive attention, a.k.a. Bahdanau-style attention (Keras 3
 * `AdditiveAttention`). The same inputs and ragged semantics as `Attention`; the score of query
 * step i and key step j is Σ_d scale_d · tanh(q_id + k_jd) (without useScale, scale_d = 1).
 *
 * Weights: `scale` [dim] (glorotUniform) when useScale (the default).
 *
 * @example
 * const context = layers.additiveAttention({}).apply([decoderOutputs, encoderOutputs]);
 */
import type { AttentionScore } from "../../core/kernels/attention.js";
import type { Random } from "../../core/random.js";
import { initialize } from "../initializers.js";
import type { Variable } from "../layer.js";
import { BaseAttention, type BaseAttentionArgs } from "./base_attention.js";
import type { RunAttentionGrads } from "./run_attention.js";

export interface AdditiveAttentionArgs extends BaseAttentionArgs {
  /** Learn a per-feature scale of the tanh terms. Default true (Keras 3). */
  useScale?: boolean;
}

export class AdditiveAttention extends BaseAttention {
  readonly className: string = "AdditiveAttention";
  readonly useScale: boolean;
  private scale: Variable | null = null;
  private ones: Float32Array | null = null;

  constructor(args: AdditiveAttentionArgs = {}) {
    super(args, "additive_attention");
    this.useScale = args.useScale ?? true;
  }

  protected createScoreWeights(dim: number, rng: Random): void {
    if (this.useScale) this.scale = this.addWeight("scale", [dim], initialize("glorotUniform", [dim], rng));
  }

  protected scoreOf(dim: number): AttentionScore {
    if (this.scale) return { kind: "tanh", weights: this.scale.value, inner: 1 };
    if (!this.ones || this.ones.length !== dim) this.ones = new Float32Array(dim).fill(1);
    return { kind: "tanh", weights: this.ones, inner: 1 };
  }

  protected addScoreGrads(g: RunAttentionGrads): void {
    if (!this.scale) return;
    for (let d = 0; d < g.dWeights.length; d++) this.scale.grad[d] += g.dWeights[d];
  }

  override getConfig(): Record<string, unknown> {
    return { useScale: this.useScale, ...super.getConfig() };
  }
}

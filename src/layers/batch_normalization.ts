/**
 * BatchNormalization (Keras 3): each feature normalized with the batch's mean and variance in
 * training, with the moving statistics in inference:
 *   training:  out = (x − mean_B)/√(var_B + ε)·gamma + beta,
 *              moving = moving·momentum + batch·(1 − momentum)  (mean and biased variance)
 *   inference: out = (x − movingMean)/√(movingVariance + ε)·gamma + beta
 * Statistics use real steps only: packed rows hold no padding, and rows masked out by a mask with
 * holes are left out of the moments (Keras 3 passes the mask to BatchNormalization); every row is
 * normalized. Weights as Keras: gamma, beta (trainable), movingMean, movingVariance (not).
 * `trainable: false` runs it in inference mode even in training (Keras 3).
 *
 * Training-mode statistics span the batch, so in training a sequence's output depends on its
 * batch-mates' values (never on their padding); in inference it depends on itself alone.
 * Porting notes: Keras 3 divides the masked moments by Σmask + 1e-7; ragged divides by the count
 * (the same to float32 precision). A batch is not split across threads when the model has a
 * BatchNormalization (the statistics are the whole batch's; NOTE [ data-parallel training ]).
 *
 * @example
 * sequential([layers.conv1d({ filters: 16, kernelSize: 3, padding: "same", inputShape: [null, 12] }),
 *             layers.batchNormalization(), layers.lstm({ units: 32 })]);
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { kernels } from "../core/kernels/registry.js";
import { type InitializerSpec, initialize, parseInitializer } from "./initializers.js";
import { type Regularizer, type RegularizerSpec, parseRegularizer } from "./regularizers.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, type Variable, lastDim } from "./layer.js";
import { type LayerValue, rowCount, withData } from "./values.js";
import { checkFeatureAxis } from "./_internal/feature_axis.js";
import { checkEpsilon } from "./layer_normalization.js";

export interface BatchNormalizationArgs extends BaseLayerArgs {
  /** The features axis: -1 (default; the only one supported). */
  axis?: number | number[];
  /** Default 0.99. */
  momentum?: number;
  /** Default 1e-3. */
  epsilon?: number;
  /** Add beta (default true). */
  center?: boolean;
  /** Multiply by gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerSpec;
  gammaInitializer?: InitializerSpec;
  movingMeanInitializer?: InitializerSpec;
  movingVarianceInitializer?: InitializerSpec;
  betaRegularizer?: RegularizerSpec;
  gammaRegularizer?: RegularizerSpec;
}

export class BatchNormalization extends Layer {
  readonly className = "BatchNormalization";
  readonly axis: number | number[];
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: InitializerSpec;
  readonly gammaInitializer: InitializerSpec;
  readonly movingMeanInitializer: InitializerSpec;
  readonly movingVarianceInitializer: InitializerSpec;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  private gamma: Variable | null = null;
  private beta: Variable | null = null;
  private movingMean!: Variable;
  private movingVariance!: Variable;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, "batch_normalization");
    const where = `batchNormalization "${this.name}"`;
    this.axis = args.axis ?? -1;
    checkFeatureAxis(where, this.axis, null);
    const momentum = args.momentum ?? 0.99;
    if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
      throw new RaggedError("INVALID_ARGUMENT", `${where}: \`momentum\` must be a number in [0, 1].`, { received: `momentum = ${String(momentum)}` });
    }
    this.momentum = momentum;
    this.epsilon = checkEpsilon(where, args.epsilon ?? 1e-3);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.betaInitializer = parseInitializer(args.betaInitializer ?? "zeros", "betaInitializer");
    this.gammaInitializer = parseInitializer(args.gammaInitializer ?? "ones", "gammaInitializer");
    this.movingMeanInitializer = parseInitializer(args.movingMeanInitializer ?? "zeros", "movingMeanInitializer");
    this.movingVarianceInitializer = parseInitializer(args.movingVarianceInitializer ?? "ones", "movingVarianceInitializer");
    this.betaRegularizer = parseRegularizer(args.betaRegularizer, "betaRegularizer");
    this.gammaRegularizer = parseRegularizer(args.gammaRegularizer, "gammaRegularizer");
  }

  protected validateInputShape(inputShape: Shape): void {
    lastDim(inputShape, this.name);
    checkFeatureAxis(`batchNormalization "${this.name}"`, this.axis, inputShape.length);
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    const C = lastDim(inputShape, this.name);
    if (this.scale) this.gamma = this.addWeight("gamma", [C], initialize(this.gammaInitializer, [C], rng), true, this.gammaRegularizer);
    if (this.center) this.beta = this.addWeight("beta", [C], initialize(this.betaInitializer, [C], rng), true, this.betaRegularizer);
    this.movingMean = this.addWeight("moving_mean", [C], initialize(this.movingMeanInitializer, [C], rng), false);
    this.movingVariance = this.addWeight("moving_variance", [C], initialize(this.movingVarianceInitializer, [C], rng), false);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  // x: [M, C] rows (M = N steps or B sequences) → out: [M, C]
  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    const C = input.width;
    const M = rowCount(input);
    const rowMask = input.kind === "sequence" ? (input.mask ?? null) : null;
    const useBatch = ctx.training && this.trainable;
    let mean = this.movingMean.value;
    let variance = this.movingVariance.value;
    let count = M;
    if (useBatch) {
      mean = new Float32Array(C);
      variance = new Float32Array(C);
      count = kernels().batchNormStatistics({ mean, variance, x: input.data, rowMask, M, C });
      if (count > 0) {
        const keep = this.momentum;
        for (let c = 0; c < C; c++) {
          this.movingMean.value[c] = this.movingMean.value[c] * keep + mean[c] * (1 - keep);
          this.movingVariance.value[c] = this.movingVariance.value[c] * keep + variance[c] * (1 - keep);
        }
      } else {
        // no real row: nothing to learn from; normalize with the moving statistics
        mean = this.movingMean.value;
        variance = this.movingVariance.value;
      }
    } else {
      // the moving statistics may change before backward runs: keep this forward's
      mean = Float32Array.from(mean);
      variance = Float32Array.from(variance);
    }
    const out = new Float32Array(M * C);
    const gamma = this.gamma?.value ?? null;
    kernels().batchNormForward({ out, x: input.data, mean, variance, gamma, beta: this.beta?.value ?? null, M, C, epsilon: this.epsilon });
    const batchStatistics = useBatch && count > 0;
    return {
      output: withData(input, out, C),
      backward: (d) => {
        const dx = ctx.inputNeedsGrad ? new Float32Array(M * C) : null;
        kernels().batchNormBackward({
          dx, dGamma: this.gamma?.grad ?? null, dBeta: this.beta?.grad ?? null, dOut: d.data, x: input.data,
          mean, variance, gamma, rowMask, count, batchStatistics, M, C, epsilon: this.epsilon,
        });
        return dx ? withData(input, dx, C) : null;
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return {
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.betaInitializer,
      gammaInitializer: this.gammaInitializer,
      movingMeanInitializer: this.movingMeanInitializer,
      movingVarianceInitializer: this.movingVarianceInitializer,
      betaRegularizer: this.betaRegularizer,
      gammaRegularizer: this.gammaRegularizer,
    };
  }
}

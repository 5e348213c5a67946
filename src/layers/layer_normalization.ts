/**
 * LayerNormalization: each step (each row) normalized over its features,
 * `(x − mean)/√(var + ε)·gamma + beta` (Keras 3: `epsilon` 1e-3, weights gamma then beta, both
 * [C]). Row-wise, so a step's output depends on that step alone — never on other steps or
 * sequences — and the layout (and any mask) passes through.
 *
 * @example
 * sequential([layers.lstm({ units: 16, returnSequences: true, inputShape: [null, 4] }), layers.layerNormalization()]);
 */
import type { Random } from "../core/random.js";
import { kernels } from "../core/kernels/registry.js";
import { type InitializerSpec, initialize, parseInitializer } from "./initializers.js";
import { type Regularizer, type RegularizerSpec, parseRegularizer } from "./regularizers.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, type Variable, lastDim } from "./layer.js";
import { type LayerValue, rowCount, withData } from "./values.js";
import { checkFeatureAxis } from "./_internal/feature_axis.js";
import { RaggedError } from "../core/errors.js";

export interface LayerNormalizationArgs extends BaseLayerArgs {
  /** The features axis: -1 (default; the only one supported). */
  axis?: number | number[];
  /** Default 1e-3. */
  epsilon?: number;
  /** Add beta (default true). */
  center?: boolean;
  /** Multiply by gamma (default true). */
  scale?: boolean;
  /** Default "zeros". */
  betaInitializer?: InitializerSpec;
  /** Default "ones". */
  gammaInitializer?: InitializerSpec;
  betaRegularizer?: RegularizerSpec;
  gammaRegularizer?: RegularizerSpec;
}

/** Checks ε > 0 (shared by both normalization layers). */
export function checkEpsilon(layer: string, epsilon: unknown): number {
  if (typeof epsilon !== "number" || !(epsilon > 0) || !Number.isFinite(epsilon)) {
    throw new RaggedError("INVALID_ARGUMENT", `${layer}: \`epsilon\` must be a small positive number.`, { received: `epsilon = ${String(epsilon)}` });
  }
  return epsilon;
}

export class LayerNormalization extends Layer {
  readonly className = "LayerNormalization";
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: InitializerSpec;
  readonly gammaInitializer: InitializerSpec;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  /** Row-wise: TimeDistributed may apply it to packed rows directly. */
  readonly rowWise = true;
  private gamma: Variable | null = null;
  private beta: Variable | null = null;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args, "layer_normalization");
    this.axis = args.axis ?? -1;
    checkFeatureAxis(`layerNormalization "${this.name}"`, this.axis, null);
    this.epsilon = checkEpsilon(`layerNormalization "${this.name}"`, args.epsilon ?? 1e-3);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.betaInitializer = parseInitializer(args.betaInitializer ?? "zeros", "betaInitializer");
    this.gammaInitializer = parseInitializer(args.gammaInitializer ?? "ones", "gammaInitializer");
    this.betaRegularizer = parseRegularizer(args.betaRegularizer, "betaRegularizer");
    this.gammaRegularizer = parseRegularizer(args.gammaRegularizer, "gammaRegularizer");
  }

  protected validateInputShape(inputShape: Shape): void {
    lastDim(inputShape, this.name);
    checkFeatureAxis(`layerNormalization "${this.name}"`, this.axis, inputShape.length);
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    const C = lastDim(inputShape, this.name);
    if (this.scale) this.gamma = this.addWeight("gamma", [C], initialize(this.gammaInitializer, [C], rng), true, this.gammaRegularizer);
    if (this.center) this.beta = this.addWeight("beta", [C], initialize(this.betaInitializer, [C], rng), true, this.betaRegularizer);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  // x: [M, C] rows (M = N steps or B sequences) → out: [M, C]
  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    const C = input.width;
    const M = rowCount(input);
    const out = new Float32Array(M * C);
    const mean = new Float32Array(M);
    const rstd = new Float32Array(M);
    const gamma = this.gamma?.value ?? null;
    kernels().layerNormForward({ out, mean, rstd, x: input.data, gamma, beta: this.beta?.value ?? null, M, C, epsilon: this.epsilon });
    return {
      output: withData(input, out, C),
      backward: (d) => {
        const dx = ctx.inputNeedsGrad ? new Float32Array(M * C) : null;
        kernels().layerNormBackward({ dx, dGamma: this.gamma?.grad ?? null, dBeta: this.beta?.grad ?? null, dOut: d.data, x: input.data, mean, rstd, gamma, M, C });
        return dx ? withData(input, dx, C) : null;
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return {
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.betaInitializer,
      gammaInitializer: this.gammaInitializer,
      betaRegularizer: this.betaRegularizer,
      gammaRegularizer: this.gammaRegularizer,
    };
  }
}

/**
 * The layer class registry: how a Keras `class_name` in model.json becomes a ragged layer, and
 * which Keras fields each class writes that ragged does not implement.
 *
 * Registering a layer is a few lines:
 * ```ts
 * registerLayer("GRU", (c) => new GRU(c as unknown as GRUArgs), {
 *   fixed: { dropout: 0, recurrentDropout: 0, returnState: false, kernelRegularizer: null },
 *   ignored: { unroll: false },
 * });
 * ```
 * `fromConfig` receives the camelCase config with `name`, `trainable` and `batchInputShape` (first
 * layer) and every field its `getConfig()` writes; a wrapper's inner `layer` arrives as
 * `{ className, config }`, to be built with `helpers.deserialize`.
 *
 * On save, a layer's config is `{ name, trainable, [batchInputShape, dtype], ...getConfig(),
 * ...fixed, ...ignored }`. On load, each `fixed` field must hold exactly its value (or be absent),
 * else UNSUPPORTED names the field — a model that asks for dropout or regularizers is refused,
 * never silently run without them; `ignored` fields may hold anything (they do not change what
 * the layer computes); any other field the layer's `getConfig()` does not know is UNSUPPORTED.
 */
import { RaggedError } from "../core/errors.js";
import { Dense, type DenseArgs } from "../layers/dense.js";
import type { Layer } from "../layers/layer.js";
import { LSTM, type LSTMArgs } from "../layers/rnn/lstm.js";
import { TimeDistributed } from "../layers/time_distributed.js";
import type { LayerConfigJSON } from "./keras_format/layer_config.js";

export type LayerConfig = Record<string, unknown>;

export interface DeserializeHelpers {
  /** Builds a nested `{ className, config }` (a wrapper's inner layer). */
  deserialize(json: LayerConfigJSON): Layer;
}

export interface RegisterOptions {
  /** Keras fields ragged does not implement, each with the only value it accepts (camelCase). */
  fixed?: Record<string, unknown>;
  /** Keras fields written with this value on save and accepted with any value on load. */
  ignored?: Record<string, unknown>;
}

export interface LayerEntry {
  readonly className: string;
  readonly fromConfig: (config: LayerConfig, helpers: DeserializeHelpers) => Layer;
  readonly fixed: Readonly<Record<string, unknown>>;
  readonly ignored: Readonly<Record<string, unknown>>;
}

const registry = new Map<string, LayerEntry>();

/**
 * Registers (or replaces) how `className` is loaded and which extra Keras fields it writes.
 * @param className - the Keras class name, e.g. `"LSTM"`.
 * @param fromConfig - builds the layer from its camelCase config.
 * @param options - `fixed` and `ignored` Keras fields (see the module doc).
 * @example
 * registerLayer("Dense", (c) => new Dense(c as unknown as DenseArgs), { fixed: { kernelRegularizer: null } });
 */
export function registerLayer(className: string, fromConfig: LayerEntry["fromConfig"], options: RegisterOptions = {}): void {
  registry.set(className, { className, fromConfig, fixed: { ...options.fixed }, ignored: { ...options.ignored } });
}

/** The registered class names. */
export function registeredLayers(): string[] {
  return [...registry.keys()];
}

/**
 * The entry for `className`.
 * @throws RaggedError UNKNOWN_NAME naming the class and `source` (the file).
 */
export function layerEntry(className: string, source: string): LayerEntry {
  const entry = registry.get(className);
  if (!entry) {
    throw new RaggedError("UNKNOWN_NAME", `${source}: unknown layer class "${className}".`, {
      expected: `one of ${registeredLayers().join(", ")}`,
      received: JSON.stringify(className),
      help: "register it with registerLayer(className, fromConfig) before loading",
    });
  }
  return entry;
}

// Keras fields for weights ragged does not regularize or constrain.
const NO_REGULARIZERS = { kernelRegularizer: null, biasRegularizer: null, activityRegularizer: null, kernelConstraint: null, biasConstraint: null };

registerLayer("Dense", (c) => new Dense(c as unknown as DenseArgs), { fixed: NO_REGULARIZERS });

registerLayer(
  "LSTM",
  // TF.js writes `unit_forget_bias: null` when unset, which TF.js treats as false.
  (c) => new LSTM({ ...c, unitForgetBias: c.unitForgetBias === null ? false : c.unitForgetBias } as unknown as LSTMArgs),
  {
    fixed: {
      ...NO_REGULARIZERS,
      recurrentRegularizer: null,
      recurrentConstraint: null,
      dropout: 0,
      recurrentDropout: 0,
      returnState: false,
      goBackwards: false,
      stateful: false,
    },
    // `implementation` and `unroll` choose how the same function is computed; Keras 3 adds
    // `seed` (dropout only), `zero_output_for_mask` (ragged's padded outputs are zeros anyway) and `use_cudnn`.
    ignored: { unroll: false, implementation: 2 },
  },
);

registerLayer("TimeDistributed", (c, { deserialize }) => {
  const inner = c.layer as LayerConfigJSON;
  return new TimeDistributed({ ...c, layer: deserialize(inner) } as unknown as ConstructorParameters<typeof TimeDistributed>[0]);
});

/**
 * The layer class registry: how a Keras `class_name` in model.json becomes a ragged layer, and
 * which Keras fields each class writes that ragged does not implement.
 *
 * Registering a layer is a few lines:
 * ```ts
 * registerLayer("Dropout", (c) => new Dropout(c as unknown as DropoutArgs), {
 *   fixed: { noiseShape: null },
 *   ignored: { seed: null },
 * });
 * ```
 * `fromConfig` receives the camelCase config with `name`, `trainable` and `batchInputShape` (first
 * layer, stateful layers) and every field its `getConfig()` writes; a wrapper's inner `layer` (and
 * Bidirectional's `backwardLayer`) arrives as `{ className, config }`, to be built with
 * `helpers.deserialize`.
 *
 * On save, a layer's config is `{ name, trainable, [batchInputShape, dtype], ...getConfig(),
 * ...fixed, ...ignored }`. On load, each `fixed` field must hold exactly its value (or be absent),
 * else UNSUPPORTED names the field — a model that asks for constraints or noise shapes is refused,
 * never silently run without them; `ignored` fields may hold anything (they do not change what
 * the layer computes); any other field the layer's `getConfig()` does not know is UNSUPPORTED.
 * `saveConfig`, when given, rewrites the camelCase config just before it is written (Bidirectional
 * leaves out a `backwardLayer` that is the default one, as TF.js writes it).
 *
 * Porting notes (what the registered classes write and read):
 * - GRU: `reset_after` is written. TF.js has only `reset_after: false` (bias [3H]); a ragged GRU
 *   with `resetAfter: true` (Keras 3's default, bias [2, 3H]) saves and reloads in ragged and Keras
 *   3, but `tf.loadLayersModel` refuses it ("GRUCell does not support reset_after parameter set
 *   to true"). Models meant for TF.js use `resetAfter: false`.
 * - Bidirectional: `layer` (the forward layer's config under the wrapped layer's name) and
 *   `merge_mode`, as TF.js writes them; Keras 3's `backward_layer` only when the backward layer is
 *   not the default copy (TF.js ignores that field and always builds the default copy). Weights
 *   are named `<bidirectional>/forward_<layer>/kernel`, `<bidirectional>/backward_<layer>/kernel`, … as
 *   TF.js names them.
 * - RepeatVector: `n: "inputLength"` has no Keras form. It is written as `n: null` and the layer
 *   is listed in `userDefinedMetadata.ragged.repeatVectorInputLength`, so ragged reads it back
 *   exactly; TF.js ignores the note and cannot run `n: null` (NOTE [ values with no Keras form ]
 *   in topology.ts).
 * - LSTM / GRU / SimpleRNN: `dropout` and `recurrent_dropout` are written and read as real fields
 *   (training only, so they never change what a loaded model predicts). ragged's recurrent dropout
 *   shares one mask among the gates, where Keras ≥ 3.8 draws one per gate (see `RNNArgs`).
 * - Stateful recurrent layers write `batch_input_shape` (they need its fixed batch size) and
 *   `stateful: true`; the carried states are not saved (as in Keras and TF.js). A TF.js file whose
 *   stateful layer is not the first (the batch size only on the first layer) is refused: ragged
 *   needs the batch size on the stateful layer itself.
 * - GlobalAveragePooling1D / GlobalMaxPooling1D write Keras 3's `data_format: "channels_last"`
 *   and `keepdims: false`; TF.js reads past both.
 * - Attention / AdditiveAttention / MultiHeadAttention: TF.js has none of them, so these files
 *   are for ragged and Keras 3 only. Keras' call arguments `use_causal_mask` and
 *   `return_attention_scores` are layer options in ragged, written only when true (a Keras loader
 *   does not know them). MultiHeadAttention writes Keras 3's `use_gate: false`,
 *   `sliding_window: null`, no constraints or activity regularizer, `attention_axes: null`.
 * - Conv1D writes `kernel_size`, `strides`, `dilation_rate` as one-element lists (as Keras and
 *   TF.js), `data_format: "channels_last"` and Keras 3's `groups: 1`; `padding: "causal"` loads in
 *   TF.js but TF.js 4.22 cannot run it. MaxPooling1D / AveragePooling1D write `pool_size` and
 *   `strides` as lists and `data_format`.
 * - LayerNormalization / BatchNormalization write `axis: -1` (TF.js' form; Keras 3 writes the
 *   last index as a list, which ragged reads too) and no constraints; Keras 3's `rms_scaling` and
 *   `synchronized` are accepted when false. BatchNormalization's moving statistics are saved as
 *   its third and fourth weights (`moving_mean`, `moving_variance`), as Keras and TF.js.
 * - Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) write
 *   what TF.js and Keras write: no fields but `axis` (Concatenate) and `axes`, `normalize` (Dot).
 *   Concatenate along time (`axis: 1` on sequences) and Dot of two per-step inputs load but are
 *   refused when the graph is built (UNSUPPORTED, as when they are made in code).
 */
import { RaggedError } from "../core/errors.js";
import { installEngine } from "../models/engine.js";
import { Activation, type ActivationArgs } from "../layers/activation.js";
import { AdditiveAttention, type AdditiveAttentionArgs } from "../layers/attention/additive_attention.js";
import { Attention, type AttentionArgs } from "../layers/attention/attention.js";
import { MultiHeadAttention, type MultiHeadAttentionArgs } from "../layers/attention/multi_head_attention.js";
import { BatchNormalization, type BatchNormalizationArgs } from "../layers/batch_normalization.js";
import { Conv1D, type Conv1DArgs } from "../layers/conv1d.js";
import { LayerNormalization, type LayerNormalizationArgs } from "../layers/layer_normalization.js";
import { Dense, type DenseArgs } from "../layers/dense.js";
import { Dropout, type DropoutArgs } from "../layers/dropout.js";
import { SpatialDropout1D, type SpatialDropout1DArgs } from "../layers/spatial_dropout1d.js";
import { Embedding, type EmbeddingArgs } from "../layers/embedding.js";
import type { BaseLayerArgs, Layer } from "../layers/layer.js";
import { Masking, type MaskingArgs } from "../layers/masking.js";
import { Concatenate, type ConcatenateArgs } from "../layers/merging/concatenate.js";
import { Dot, type DotArgs } from "../layers/merging/dot.js";
import { ElementwiseMerge, type ElementwiseOp } from "../layers/merging/merge.js";
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from "../layers/pooling.js";
import { AveragePooling1D, MaxPooling1D, type Pooling1DArgs } from "../layers/pooling1d.js";
import { RepeatVector, type RepeatVectorArgs } from "../layers/repeat_vector.js";
import { Bidirectional, type BidirectionalArgs } from "../layers/rnn/bidirectional.js";
import { GRU, type GRUArgs } from "../layers/rnn/gru.js";
import { LSTM, type LSTMArgs } from "../layers/rnn/lstm.js";
import type { RNN } from "../layers/rnn/rnn.js";
import { SimpleRNN, type SimpleRNNArgs } from "../layers/rnn/simple_rnn.js";
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
  /** Rewrites the full camelCase config just before it is written (see the module doc). */
  saveConfig?: (config: LayerConfig) => LayerConfig;
}

export interface LayerEntry {
  readonly className: string;
  readonly fromConfig: (config: LayerConfig, helpers: DeserializeHelpers) => Layer;
  readonly fixed: Readonly<Record<string, unknown>>;
  readonly ignored: Readonly<Record<string, unknown>>;
  readonly saveConfig: ((config: LayerConfig) => LayerConfig) | null;
}

const registry = new Map<string, LayerEntry>();

/**
 * Registers (or replaces) how `className` is loaded and which extra Keras fields it writes.
 * @param className - the Keras class name, e.g. `"LSTM"`.
 * @param fromConfig - builds the layer from its camelCase config.
 * @param options - `fixed` and `ignored` Keras fields, `saveConfig` (see the module doc).
 * @example
 * registerLayer("Dense", (c) => new Dense(c as unknown as DenseArgs), { fixed: { kernelRegularizer: null } });
 */
export function registerLayer(className: string, fromConfig: LayerEntry["fromConfig"], options: RegisterOptions = {}): void {
  registry.set(className, { className, fromConfig, fixed: { ...options.fixed }, ignored: { ...options.ignored }, saveConfig: options.saveConfig ?? null });
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
// The recurrent layers regularize their three weights (their getConfig writes those fields);
// activity regularizers and constraints they do not have.
const RNN_FIXED = { activityRegularizer: null, kernelConstraint: null, recurrentConstraint: null, biasConstraint: null };
// `implementation` and `unroll` choose how the same function is computed. Keras 3 adds `seed`
// (dropout only), `zero_output_for_mask` (ragged's padded outputs are zeros anyway) and
// `use_cudnn`, accepted on load by topology.ts. TF.js writes `implementation: null`.
const GATED_IGNORED = { unroll: false, implementation: 2 };

registerLayer("Dense", (c) => new Dense(c as unknown as DenseArgs), { fixed: NO_REGULARIZERS });

registerLayer(
  "LSTM",
  // TF.js writes `unit_forget_bias: null` when unset, which TF.js treats as false.
  (c) => new LSTM({ ...c, unitForgetBias: c.unitForgetBias === null ? false : c.unitForgetBias } as unknown as LSTMArgs),
  { fixed: RNN_FIXED, ignored: GATED_IGNORED },
);

registerLayer("GRU", (c) => new GRU(c as unknown as GRUArgs), { fixed: RNN_FIXED, ignored: GATED_IGNORED });

registerLayer("SimpleRNN", (c) => new SimpleRNN(c as unknown as SimpleRNNArgs), { fixed: RNN_FIXED, ignored: { unroll: false } });

registerLayer("TimeDistributed", (c, { deserialize }) => {
  const inner = c.layer as LayerConfigJSON;
  return new TimeDistributed({ ...c, layer: deserialize(inner) } as unknown as ConstructorParameters<typeof TimeDistributed>[0]);
});

registerLayer(
  "Bidirectional",
  (c, { deserialize }) => {
    const layer = deserialize(c.layer as LayerConfigJSON) as RNN;
    const backwardLayer = c.backwardLayer ? (deserialize(c.backwardLayer as LayerConfigJSON) as RNN) : undefined;
    const args = { ...c, layer, ...(backwardLayer ? { backwardLayer } : {}) };
    return new Bidirectional(args as unknown as BidirectionalArgs);
  },
  { saveConfig: withoutDefaultBackwardLayer },
);

/** Leaves out `backwardLayer` when it is the copy Bidirectional makes by itself (as TF.js writes). */
function withoutDefaultBackwardLayer(config: LayerConfig): LayerConfig {
  const layer = config.layer as LayerConfigJSON | undefined;
  const back = config.backwardLayer as LayerConfigJSON | undefined;
  if (!layer || !back) return config;
  const copy = { className: layer.className, config: { ...layer.config, name: `backward_${String(layer.config.name)}`, goBackwards: !layer.config.goBackwards } };
  if (canonical(copy) !== canonical(back)) return config;
  const { backwardLayer: _default, ...rest } = config;
  return rest;
}

/** JSON with object keys sorted, to compare configs whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

registerLayer("Masking", (c) => new Masking(c as unknown as MaskingArgs));

registerLayer(
  "Embedding",
  // initializers.ts reads `RandomUniform(-0.05, 0.05)` as `{ name: "randomUniform" }` (its options
  // are the initializer's defaults); Embedding's own default spells them out, so getConfig round-trips.
  (c) => {
    const init = c.embeddingsInitializer as { name?: string; minval?: number; maxval?: number } | undefined;
    const spelled = init?.name === "randomUniform" ? { ...init, minval: init.minval ?? -0.05, maxval: init.maxval ?? 0.05 } : init;
    return new Embedding({ ...c, ...(spelled ? { embeddingsInitializer: spelled } : {}) } as unknown as EmbeddingArgs);
  },
  {
    fixed: { activityRegularizer: null, embeddingsConstraint: null },
    // `input_length` only fixes the padded length; ragged takes any length (as with `input_length: null`).
    ignored: { inputLength: null },
  },
);

registerLayer("Dropout", (c) => new Dropout(c as unknown as DropoutArgs), {
  // `noise_shape` shares one mask along axes; ragged draws every value.
  fixed: { noiseShape: null },
  ignored: { seed: null },
});

// Keras 3 writes `seed` and `noise_shape` (None: its own (batch, 1, channels)); TF.js `rate` alone.
registerLayer("SpatialDropout1D", (c) => new SpatialDropout1D(c as unknown as SpatialDropout1DArgs), {
  fixed: { noiseShape: null },
  ignored: { seed: null },
});

// Keras and TF.js write only `activation` (by name, as Dense does).
registerLayer("Activation", (c) => new Activation(c as unknown as ActivationArgs));

registerLayer("RepeatVector", (c) => new RepeatVector(c as unknown as RepeatVectorArgs));

// Keras 3 writes `data_format` and `keepdims`; TF.js writes neither and reads past them.
const POOLING_FIXED = { dataFormat: "channels_last", keepdims: false };
registerLayer("GlobalAveragePooling1D", (c) => new GlobalAveragePooling1D(c), { fixed: POOLING_FIXED });
registerLayer("GlobalMaxPooling1D", (c) => new GlobalMaxPooling1D(c), { fixed: POOLING_FIXED });

registerLayer("Attention", (c) => new Attention(c as unknown as AttentionArgs));
registerLayer("AdditiveAttention", (c) => new AdditiveAttention(c as unknown as AdditiveAttentionArgs));
registerLayer("MultiHeadAttention", (c) => new MultiHeadAttention(c as unknown as MultiHeadAttentionArgs), {
  fixed: { activityRegularizer: null, kernelConstraint: null, biasConstraint: null, useGate: false, slidingWindow: null },
});
// Keras 3 writes `groups` and `data_format`; ragged convolves channels_last with one group.
registerLayer("Conv1D", (c) => new Conv1D(c as unknown as Conv1DArgs), {
  fixed: { activityRegularizer: null, kernelConstraint: null, biasConstraint: null, dataFormat: "channels_last", groups: 1 },
});
registerLayer("MaxPooling1D", (c) => new MaxPooling1D(c as unknown as Pooling1DArgs), { fixed: { dataFormat: "channels_last" } });
registerLayer("AveragePooling1D", (c) => new AveragePooling1D(c as unknown as Pooling1DArgs), { fixed: { dataFormat: "channels_last" } });
registerLayer("LayerNormalization", (c) => new LayerNormalization(c as unknown as LayerNormalizationArgs), {
  fixed: { betaConstraint: null, gammaConstraint: null },
});
registerLayer("BatchNormalization", (c) => new BatchNormalization(c as unknown as BatchNormalizationArgs), {
  fixed: { betaConstraint: null, gammaConstraint: null },
});

const ELEMENTWISE: [ElementwiseOp, string][] = [
  ["add", "Add"],
  ["subtract", "Subtract"],
  ["multiply", "Multiply"],
  ["average", "Average"],
  ["maximum", "Maximum"],
  ["minimum", "Minimum"],
];
for (const [op, className] of ELEMENTWISE) registerLayer(className, (c) => new ElementwiseMerge(op, className, c as BaseLayerArgs));
registerLayer("Concatenate", (c) => new Concatenate(c as unknown as ConcatenateArgs));
registerLayer("Dot", (c) => new Dot(c as unknown as DotArgs));

/** The classes registered above: every training thread knows these, and only these. */
const BUILT_IN = new Set(registry.keys());

/**
 * Whether `className` is one of ragged's own layer classes, not one registered by the caller (a
 * custom layer): a training thread loads only ragged's modules, so a model with a custom layer
 * trains on the calling thread (NOTE [ data-parallel training ] in training/parallel/pool.ts).
 */
export function isBuiltInLayer(className: string): boolean {
  return BUILT_IN.has(className);
}

installEngine({ builtInLayer: isBuiltInLayer });

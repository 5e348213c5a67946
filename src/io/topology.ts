/**
 * Model ↔ Keras topology. `modelToTopology` writes every layer's full config (registry `fixed`
 * and `ignored` fields included); `modelFromTopology` builds a fresh Sequential from one, checking
 * every field (see registry.ts) — it either returns a whole model or throws.
 *
 * NOTE [ values with no Keras form ]
 * Two ragged values have no Keras spelling. Each is written as the nearest Keras value and noted
 * in `userDefinedMetadata.ragged`, which ragged reads back and other readers ignore:
 * - Keras 3's hard sigmoid (`keras3HardSigmoid`, see activations.ts);
 * - `repeatVector({ n: "inputLength" })`: written `n: null`, the layer name listed in
 *   `repeatVectorInputLength`. TF.js loads such a file but its `predict` fails ("Pass at least
 *   one tensor to tf.stack": it has no per-sequence length); Keras 3 wants an integer `n`.
 *   Without the note ragged refuses `n: null` too (INVALID_ARGUMENT naming the layer).
 */
import { RaggedError } from "../core/errors.js";
import type { Layer } from "../layers/layer.js";
import { RNN } from "../layers/rnn/rnn.js";
import { Sequential } from "../models/sequential.js";
import { type KerasLayerJSON, type LayerConfigJSON, layerFromKeras, layerToKeras } from "./keras_format/layer_config.js";
import { type SequentialTopology, sequentialFromKeras, sequentialToKeras } from "./keras_format/sequential.js";
import { layerEntry } from "./registry.js";

/** ragged's own notes in `userDefinedMetadata.ragged`. */
export interface RaggedMetadata {
  /** Fields that hold Keras 3's hard sigmoid (NOTE [ hard_sigmoid in saved files ]). */
  keras3HardSigmoid?: string[];
  /** RepeatVector layers with `n: "inputLength"`, written `n: null` (NOTE [ values with no Keras form ]). */
  repeatVectorInputLength?: string[];
}

/** Fields accepted on load from other writers though ragged never writes them. */
const LOAD_IGNORED = new Set(["seed", "zeroOutputForMask", "useCudnn", "inputDtype"]);
/** Fields ragged never writes that must hold this value when present (Keras 2's `time_major`; Keras 3's normalization options). */
const LOAD_FIXED: Record<string, unknown> = { timeMajor: false, rmsScaling: false, synchronized: false, renorm: false };

/** A layer's full camelCase config, as it is written. */
function fullConfig(layer: Layer, first: boolean): LayerConfigJSON {
  const entry = layerEntry(layer.className, `layer "${layer.name}"`);
  const config: Record<string, unknown> = { name: layer.name, trainable: layer.trainable };
  // A stateful recurrent layer needs its fixed batch size wherever it is in the model.
  if ((first || (layer instanceof RNN && layer.stateful)) && layer.batchInputShape) {
    config.batchInputShape = [...layer.batchInputShape];
    config.dtype = "float32";
  }
  const own = layer.getConfig();
  for (const [k, v] of Object.entries(own)) {
    // A wrapper's inner layers get their registry fields too.
    config[k] = (k === "layer" || k === "backwardLayer") && isInnerLayer(v) ? innerConfig(v) : v;
  }
  for (const [k, v] of Object.entries({ ...entry.fixed, ...entry.ignored })) if (!(k in config)) config[k] = v;
  return { className: layer.className, config: entry.saveConfig ? entry.saveConfig(config) : config };
}

function isInnerLayer(v: unknown): v is LayerConfigJSON {
  return typeof v === "object" && v !== null && typeof (v as LayerConfigJSON).className === "string";
}

function innerConfig(inner: LayerConfigJSON): LayerConfigJSON {
  const entry = layerEntry(inner.className, `layer "${String(inner.config.name)}"`);
  const config = { ...inner.config };
  for (const [k, v] of Object.entries({ ...entry.fixed, ...entry.ignored })) if (!(k in config)) config[k] = v;
  return { className: inner.className, config };
}

/** The Keras topology of `model`, and ragged's metadata notes (empty when there are none). */
export function modelToTopology(model: Sequential): { topology: SequentialTopology; metadata: RaggedMetadata } {
  const keras3HardSigmoid: string[] = [];
  const repeatVectorInputLength: string[] = [];
  const layers: KerasLayerJSON[] = model.layers.map((layer, i) => {
    const { className, config } = fullConfig(layer, i === 0);
    if (className === "RepeatVector" && config.n === "inputLength") {
      config.n = null;
      repeatVectorInputLength.push(layer.name);
    }
    return layerToKeras(className, config, keras3HardSigmoid);
  });
  const metadata: RaggedMetadata = {};
  if (keras3HardSigmoid.length) metadata.keras3HardSigmoid = keras3HardSigmoid;
  if (repeatVectorInputLength.length) metadata.repeatVectorInputLength = repeatVectorInputLength;
  return { topology: sequentialToKeras(model.name, layers), metadata };
}

/**
 * A new Sequential built from a Keras topology (weights freshly initialised; set them next).
 * @param source - the file, for error messages.
 * @throws RaggedError BAD_FILE, UNKNOWN_NAME (layer class, activation, initializer), UNSUPPORTED (a field ragged does not implement).
 */
export function modelFromTopology(topology: unknown, source: string, metadata: RaggedMetadata = {}): Sequential {
  const { name, layers } = sequentialFromKeras(topology, source);
  const keras3 = new Set(metadata.keras3HardSigmoid ?? []);
  const inputLength = new Set(metadata.repeatVectorInputLength ?? []);
  const built = layers.map((json) => {
    const layer = layerFromKeras(json, source, keras3);
    if (layer.className === "RepeatVector" && layer.config.n === null && inputLength.has(String(layer.config.name))) layer.config.n = "inputLength";
    return buildLayer(layer, source);
  });
  if (!built[0].batchInputShape) {
    throw new RaggedError("BAD_FILE", `${source}: the first layer has no batch_input_shape.`, { help: "the model needs its input shape, e.g. [null, null, 5]" });
  }
  return new Sequential(built, name === undefined ? {} : { name });
}

function buildLayer(json: LayerConfigJSON, source: string): Layer {
  const entry = layerEntry(json.className, source);
  const where = `${source}: layer "${String(json.config.name)}" (${json.className})`;
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json.config)) {
    if (key in entry.ignored || LOAD_IGNORED.has(key)) continue;
    if (key === "dtype") {
      const dtype = typeof value === "object" && value !== null ? (value as { config?: { name?: unknown } }).config?.name : value;
      if (dtype !== "float32" && dtype !== null && dtype !== undefined) {
        throw new RaggedError("UNSUPPORTED", `${where}: ragged computes in float32.`, { received: `dtype ${JSON.stringify(value)}` });
      }
      continue;
    }
    args[key] = value;
  }
  let layer: Layer;
  try {
    layer = entry.fromConfig(args, { deserialize: (inner) => buildLayer(inner, source) });
  } catch (e) {
    if (e instanceof RaggedError) throw new RaggedError(e.code, `${where}: ${e.message}`);
    throw e;
  }
  // Fields the layer's own config has were used; any other must be a `fixed` field at its one
  // accepted value (checked after construction, so a layer that learns a field takes it over).
  const known = new Set(["name", "trainable", "batchInputShape", "inputShape", ...Object.keys(layer.getConfig())]);
  for (const [key, value] of Object.entries(args)) {
    if (known.has(key)) continue;
    const fixed = { ...LOAD_FIXED, ...entry.fixed };
    if (!(key in fixed)) {
      throw new RaggedError("UNSUPPORTED", `${where}: field ${key} is not supported by ragged.`, {
        received: JSON.stringify(value),
        help: "ragged refuses fields it would silently ignore",
      });
    }
    if (value !== undefined && !sameValue(value, fixed[key])) {
      throw new RaggedError("UNSUPPORTED", `${where}: field ${key} is not supported by ragged yet.`, {
        expected: JSON.stringify(fixed[key]),
        received: JSON.stringify(value),
      });
    }
  }
  return layer;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

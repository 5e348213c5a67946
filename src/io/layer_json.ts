/**
 * One layer ↔ its Keras JSON entry (`{ class_name, config }`, snake_case). `layerToJSON` writes
 * the layer's full config (registry `fixed` and `ignored` fields included); `layerFromJSON`
 * builds a fresh layer from an entry, checking every field (see registry.ts): either a whole
 * layer or a coded error naming the file and the layer. Used for the layers of Sequential models
 * (topology.ts) and of graphs (graph_topology.ts).
 *
 * @example
 * const notes = newNotes();
 * const json = layerToJSON(layers.dense({ units: 2, name: "head" }), notes, false);
 * const again = layerFromJSON(json, "model.json", {});   // a Dense "head", not built
 */
import { RaggedError } from "../core/errors.js";
import type { Layer } from "../layers/layer.js";
import { RNN } from "../layers/rnn/rnn.js";
import { type KerasLayerJSON, type LayerConfigJSON, layerFromKeras, layerToKeras } from "./keras_format/layer_config.js";
import { layerEntry } from "./registry.js";

/** ragged's own notes in `userDefinedMetadata.ragged` (NOTE [ values with no Keras form ] in topology.ts). */
export interface RaggedMetadata {
  /** Fields that hold Keras 3's hard sigmoid (NOTE [ hard_sigmoid in saved files ]). */
  keras3HardSigmoid?: string[];
  /** RepeatVector layers with `n: "inputLength"`, written `n: null` (NOTE [ values with no Keras form ]). */
  repeatVectorInputLength?: string[];
  /** A compiled model's loss weights, when some is not 1 (written with the optimizer; see optimizer_state.ts). */
  lossWeights?: number[];
}

/** The notes collected while a model is written. */
export interface WriteNotes {
  keras3HardSigmoid: string[];
  repeatVectorInputLength: string[];
}

export function newNotes(): WriteNotes {
  return { keras3HardSigmoid: [], repeatVectorInputLength: [] };
}

/** The notes as `userDefinedMetadata.ragged` holds them (empty when there are none). */
export function metadataOf(notes: WriteNotes): RaggedMetadata {
  const metadata: RaggedMetadata = {};
  if (notes.keras3HardSigmoid.length) metadata.keras3HardSigmoid = [...notes.keras3HardSigmoid];
  if (notes.repeatVectorInputLength.length) metadata.repeatVectorInputLength = [...notes.repeatVectorInputLength];
  return metadata;
}

/** Fields accepted on load from other writers though ragged never writes them. */
const LOAD_IGNORED = new Set(["seed", "zeroOutputForMask", "useCudnn", "inputDtype"]);
/** Fields ragged never writes that must hold this value when present (Keras 2's `time_major`; Keras 3's normalization options). */
const LOAD_FIXED: Record<string, unknown> = { timeMajor: false, rmsScaling: false, synchronized: false, renorm: false };

/**
 * The Keras JSON entry of `layer`.
 * @param withInputShape - write `batch_input_shape` (the first layer of a Sequential model).
 */
export function layerToJSON(layer: Layer, notes: WriteNotes, withInputShape: boolean): KerasLayerJSON {
  const { className, config } = fullConfig(layer, withInputShape);
  if (className === "RepeatVector" && config.n === "inputLength") {
    config.n = null;
    notes.repeatVectorInputLength.push(layer.name);
  }
  return layerToKeras(className, config, notes.keras3HardSigmoid);
}

/** A new layer (not built) from its Keras JSON entry. */
export function layerFromJSON(json: unknown, source: string, metadata: RaggedMetadata): Layer {
  const keras3 = new Set(metadata.keras3HardSigmoid ?? []);
  const inputLength = new Set(metadata.repeatVectorInputLength ?? []);
  const layer = layerFromKeras(json, source, keras3);
  if (layer.className === "RepeatVector" && layer.config.n === null && inputLength.has(String(layer.config.name))) layer.config.n = "inputLength";
  return buildLayer(layer, source);
}

/** A layer's full camelCase config, as it is written. */
function fullConfig(layer: Layer, withInputShape: boolean): LayerConfigJSON {
  const entry = layerEntry(layer.className, `layer "${layer.name}"`);
  const config: Record<string, unknown> = { name: layer.name, trainable: layer.trainable };
  // A stateful recurrent layer needs its fixed batch size wherever it is in the model.
  if ((withInputShape || (layer instanceof RNN && layer.stateful)) && layer.batchInputShape) {
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

/**
 * Model ↔ Keras topology: a Sequential model as `{ class_name: "Sequential", config: { name,
 * layers } }`, a functional model as TF.js' `{ class_name: "Model", config: { name, layers (with
 * inbound_nodes), input_layers, output_layers } }` (keras_format/functional.ts; Keras 3's
 * `Functional` is read too), nested models as layer entries of either form. Every layer's full
 * config is written (layer_json.ts); loading builds a fresh model, checking every field (see
 * registry.ts) — it either returns a whole model or throws.
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
import { InputLayer } from "../layers/input_layer.js";
import type { Layer } from "../layers/layer.js";
import { LayersModel } from "../models/functional.js";
import { Sequential } from "../models/sequential.js";
import { FUNCTIONAL_CLASS_NAMES, type FunctionalTopology, functionalConfigToKeras, functionalFromKeras, functionalToKeras } from "./keras_format/functional.js";
import type { KerasLayerJSON } from "./keras_format/layer_config.js";
import { type SequentialTopology, sequentialFromKeras, sequentialToKeras } from "./keras_format/sequential.js";
import { INITIAL_STATE_CLASSES, graphFromSpec, graphToSpec, inputLayerToJSON } from "./graph_topology.js";
import { type RaggedMetadata, type WriteNotes, layerFromJSON, layerToJSON, metadataOf, newNotes } from "./layer_json.js";

export type { RaggedMetadata } from "./layer_json.js";

/** The Keras topology of `model`, and ragged's metadata notes (empty when there are none). */
export function modelToTopology(model: LayersModel): { topology: SequentialTopology | FunctionalTopology; metadata: RaggedMetadata } {
  const notes = newNotes();
  const topology = model instanceof Sequential ? sequentialTopology(model, notes) : functionalToKeras(graphToSpec(model, (l) => entryOf(l, notes)));
  return { topology, metadata: metadataOf(notes) };
}

function sequentialTopology(model: Sequential, notes: WriteNotes): SequentialTopology {
  return sequentialToKeras(
    model.name,
    model.layers.map((layer, i) => entryOf(layer, notes, i === 0)),
  );
}

/** A layer's entry; a nested model's config is its whole topology's config. */
function entryOf(layer: Layer, notes: WriteNotes, first = false): KerasLayerJSON {
  if (layer instanceof InputLayer) return inputLayerToJSON(layer);
  // A frozen nested model says so (Keras writes `trainable` for every layer; TF.js ignores it here).
  const frozen = layer.trainable ? {} : { trainable: false };
  if (layer instanceof Sequential) return { class_name: "Sequential", config: { ...sequentialTopology(layer, notes).config, ...frozen } };
  if (layer instanceof LayersModel) return { class_name: "Model", config: { ...functionalConfigToKeras(graphToSpec(layer, (l) => entryOf(l, notes))), ...frozen } };
  return layerToJSON(layer, notes, first);
}

/**
 * A new model built from a Keras topology (weights freshly initialised; set them next): a
 * Sequential for `Sequential`, a functional model for `Model` / `Functional`.
 * @param source - the file, for error messages.
 * @throws RaggedError BAD_FILE, UNKNOWN_NAME (layer class, activation, initializer), UNSUPPORTED (a field ragged does not implement).
 */
export function modelFromTopology(topology: unknown, source: string, metadata: RaggedMetadata = {}): LayersModel {
  let t = topology as { class_name?: unknown; config?: unknown; model_config?: unknown } | null;
  if (t && typeof t === "object" && t.model_config) t = t.model_config as typeof t;
  if (t && typeof t === "object" && typeof t.class_name === "string" && FUNCTIONAL_CLASS_NAMES.has(t.class_name)) {
    return functionalFromTopology(t.config, source, metadata);
  }
  return sequentialFromTopology(t, source, metadata);
}

function sequentialFromTopology(topology: unknown, source: string, metadata: RaggedMetadata): Sequential {
  const { name, layers } = sequentialFromKeras(topology, source);
  const built = layers.map((json) => layerOrModelFromJSON(json as KerasLayerJSON, source, metadata));
  if (!built[0].batchInputShape) {
    throw new RaggedError("BAD_FILE", `${source}: the first layer has no batch_input_shape.`, { help: "the model needs its input shape, e.g. [null, null, 5]" });
  }
  return new Sequential(built, name === undefined ? {} : { name });
}

function functionalFromTopology(config: unknown, source: string, metadata: RaggedMetadata): LayersModel {
  const spec = functionalFromKeras(config, source, (className) => INITIAL_STATE_CLASSES.has(className));
  return graphFromSpec(spec, source, (json) => layerOrModelFromJSON(json, source, metadata));
}

/** A layer from its entry, or a nested model from its topology. */
function layerOrModelFromJSON(json: KerasLayerJSON, source: string, metadata: RaggedMetadata): Layer {
  const isModel = json?.class_name === "Sequential" || (typeof json?.class_name === "string" && FUNCTIONAL_CLASS_NAMES.has(json.class_name));
  if (!isModel) return layerFromJSON(json, source, metadata);
  const model = json.class_name === "Sequential" ? sequentialFromTopology(json, source, metadata) : functionalFromTopology(json.config, source, metadata);
  if ((json.config as { trainable?: unknown } | null)?.trainable === false) model.trainable = false;
  return model;
}

/**
 * The model topology of a Sequential model, as TF.js writes it:
 * `{ class_name: "Sequential", config: { name, layers: [...] }, keras_version, backend }`.
 *
 * Read leniently in the ways TF.js reads: a topology wrapped as `{ model_config }` (Keras'
 * converter output), `config` as a bare list of layers (old Keras), and a leading `InputLayer`
 * (Keras ≥ 2.4, whose `batch_input_shape`, or Keras 3's `batch_shape`, moves to the next layer).
 */
import { RaggedError } from "../../core/errors.js";
import type { KerasLayerJSON } from "./layer_config.js";

/** The Keras version TF.js 4.22 writes; it names the format level ragged follows. */
export const KERAS_VERSION = "tfjs-layers 4.22.0";
/** TF.js' `backend` value (its "TensorFlow.js" converted to Python spelling). */
export const BACKEND = "tensor_flow.js";

export interface SequentialTopology {
  class_name: "Sequential";
  config: { name: string; layers: KerasLayerJSON[] };
  keras_version: string;
  backend: string;
}

export function sequentialToKeras(name: string, layers: KerasLayerJSON[]): SequentialTopology {
  return { class_name: "Sequential", config: { name, layers }, keras_version: KERAS_VERSION, backend: BACKEND };
}

/** The model name and its layer entries (still Keras JSON). */
export function sequentialFromKeras(topology: unknown, source: string): { name: string | undefined; layers: unknown[] } {
  let t = topology as Record<string, unknown> | null;
  if (t && typeof t === "object" && t.model_config) t = t.model_config as Record<string, unknown>;
  if (!t || typeof t !== "object" || typeof t.class_name !== "string") {
    throw new RaggedError("BAD_FILE", `${source}: modelTopology is not a Keras model config.`, {
      expected: '{ class_name: "Sequential", config: { name, layers } }',
      received: JSON.stringify(topology)?.slice(0, 200),
    });
  }
  if (t.class_name !== "Sequential") {
    throw new RaggedError("UNSUPPORTED", `${source}: a model of class "${t.class_name}" cannot be loaded.`, { expected: 'class_name "Sequential", "Model" or "Functional"', received: `class_name "${t.class_name}"` });
  }
  const config = t.config as { name?: unknown; layers?: unknown } | unknown[] | undefined;
  const layers = Array.isArray(config) ? config : config?.layers;
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new RaggedError("BAD_FILE", `${source}: the Sequential model has no layers list.`, { received: JSON.stringify(config)?.slice(0, 200) });
  }
  const name = !Array.isArray(config) && typeof config?.name === "string" ? config.name : undefined;
  const first = layers[0] as Partial<KerasLayerJSON>;
  if (first?.class_name === "InputLayer" && layers.length > 1) {
    const shape = first.config?.batch_input_shape ?? first.config?.batch_shape;
    const next = layers[1] as KerasLayerJSON;
    const rest = layers.slice(2);
    return { name, layers: [{ ...next, config: { ...next.config, batch_input_shape: shape, dtype: next.config?.dtype ?? "float32" } }, ...rest] };
  }
  return { name, layers };
}

/**
 * One layer's config between ragged (camelCase, `{ className, config }`) and Keras JSON
 * (snake_case, `{ class_name, config }`). Values are translated by key: `activation` and
 * `recurrentActivation` by name (see NOTE [ hard_sigmoid in saved files ] in activations.ts),
 * every `…Initializer` and `…Regularizer` as a Keras object (or null), `layer` and `backwardLayer`
 * (a wrapper's inner layers) recursively; the rest
 * (numbers, booleans, shapes, null) as they are.
 *
 * @example
 * layerToKeras("Dense", { name: "dense", trainable: true, units: 2, activation: "linear" }, []);
 * // { class_name: "Dense", config: { name: "dense", trainable: true, units: 2, activation: "linear" } }
 */
import { RaggedError } from "../../core/errors.js";
import { activationFromKeras, activationToKeras } from "./activations.js";
import { camelKey, snakeKey } from "./case.js";
import { initializerFromKeras, initializerToKeras } from "./initializers.js";
import { regularizerFromKeras, regularizerToKeras } from "./regularizers.js";

/** A layer as Keras JSON writes it. */
export interface KerasLayerJSON {
  class_name: string;
  config: Record<string, unknown>;
}

/** A layer config in ragged's spelling (what `registerLayer`'s `fromConfig` receives). */
export interface LayerConfigJSON {
  className: string;
  config: Record<string, unknown>;
}

const ACTIVATION_KEYS = new Set(["activation", "recurrentActivation"]);
/** Keys that hold a wrapper's inner layer. */
const LAYER_KEYS = new Set(["layer", "backwardLayer"]);

function isNestedLayer(value: unknown): value is LayerConfigJSON {
  return typeof value === "object" && value !== null && typeof (value as LayerConfigJSON).className === "string" && typeof (value as LayerConfigJSON).config === "object";
}

/**
 * @param className - e.g. `"LSTM"`.
 * @param config - camelCase, with `name`, `trainable` and every field to write, in order.
 * @param keras3HardSigmoid - collects the `layer/field` paths that hold Keras 3's hard sigmoid.
 * @param prefix - the path of an enclosing wrapper (`"time_distributed/"`), for those paths.
 */
export function layerToKeras(className: string, config: Record<string, unknown>, keras3HardSigmoid: string[], prefix = ""): KerasLayerJSON {
  const path = `${prefix}${String(config.name)}`;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const snake = snakeKey(key);
    if (ACTIVATION_KEYS.has(key)) out[snake] = activationToKeras(value, `${path}/${snake}`, keras3HardSigmoid);
    else if (key.endsWith("Initializer")) out[snake] = initializerToKeras(value, `${path}/${snake}`);
    else if (key.endsWith("Regularizer")) out[snake] = regularizerToKeras(value, `${path}/${snake}`);
    else if (LAYER_KEYS.has(key) && isNestedLayer(value)) out[snake] = layerToKeras(value.className, value.config, keras3HardSigmoid, `${path}/`);
    else out[snake] = value;
  }
  return { class_name: className, config: out };
}

/**
 * The inverse of `layerToKeras`. `source` names the file in error messages.
 * @throws RaggedError BAD_FILE when the entry is not `{ class_name, config }`; UNKNOWN_NAME for an
 *   activation or initializer ragged does not have.
 */
export function layerFromKeras(json: unknown, source: string, keras3HardSigmoid: ReadonlySet<string>, prefix = ""): LayerConfigJSON {
  const j = json as Partial<KerasLayerJSON> | null;
  if (!j || typeof j.class_name !== "string" || typeof j.config !== "object" || j.config === null || Array.isArray(j.config)) {
    throw new RaggedError("BAD_FILE", `${source}: a layer in the model topology is not { class_name, config }.`, {
      received: JSON.stringify(json)?.slice(0, 200),
    });
  }
  const path = `${prefix}${String(j.config.name)}`;
  const config: Record<string, unknown> = {};
  for (const [snake, value] of Object.entries(j.config)) {
    const key = camelKey(snake);
    if (ACTIVATION_KEYS.has(key)) config[key] = activationFromKeras(value, `${path}/${snake}`, source, keras3HardSigmoid);
    else if (key.endsWith("Initializer")) config[key] = initializerFromKeras(value, `${path}/${snake}`, source);
    else if (key.endsWith("Regularizer")) config[key] = regularizerFromKeras(value, `${path}/${snake}`, source);
    else if (LAYER_KEYS.has(key) && typeof value === "object" && value !== null && "class_name" in value) config[key] = layerFromKeras(value, source, keras3HardSigmoid, `${path}/`);
    else config[key] = value;
  }
  return { className: j.class_name, config };
}

/**
 * The model topology of a functional model (a graph of layers), in Keras JSON, and its reading.
 *
 * Written as TF.js 4.22 writes it (probed with `tf.model(...).toJSON()`):
 * ```json
 * { "class_name": "Model", "config": { "name": "seq2seq",
 *     "layers": [ { "name": "dec", "class_name": "LSTM", "config": { ... },
 *                   "inbound_nodes": [[["dec_in", 0, 0, {}], ["enc", 0, 1, {}], ["enc", 0, 2, {}]]] }, ... ],
 *     "input_layers": [["enc_in", 0, 0], ["dec_in", 0, 0]], "output_layers": [["dec", 0, 0]] },
 *   "keras_version": "tfjs-layers 4.22.0", "backend": "tensor_flow.js" }
 * ```
 * An inbound node lists the tensors a call read, each `[layer, nodeIndex, tensorIndex, kwargs]`.
 *
 * NOTE [ initial states in saved graphs ]
 * TF.js writes a recurrent layer's `initialState` as extra tensors of its node, after the input
 * (`[x, h, c]`, kwargs `{}`): TF.js' `RNN.apply` folds the states into the inputs and drops the
 * kwargs it cannot serialise, and on load splits `[x, ...states]` again. ragged writes the same,
 * so TF.js opens ragged's graphs, and reads it back for a layer that takes initial states
 * (`acceptsInitialState`). Keras 3 writes them as call kwargs instead
 * (`{"args": [x], "kwargs": {"initial_state": [h, c]}}`); ragged reads that too.
 *
 * Read: class `Model` (TF.js, tf.keras) or `Functional` (Keras 3); nodes in the list form above
 * (kwargs optional, as Keras 2 writes them) or Keras 3's `{ args, kwargs }` form with
 * `__keras_tensor__` references; `input_layers` / `output_layers` as lists of references or one
 * reference; a nested model appears as a layer whose class is `Model`/`Functional`/`Sequential`
 * (a nested graph's own node 0 links its inputs to its outputs, so its calls in the outer model
 * are nodes 1, 2, …, in both writers).
 */
import { RaggedError, describe } from "../../core/errors.js";
import type { KerasLayerJSON } from "./layer_config.js";
import { BACKEND, KERAS_VERSION } from "./sequential.js";

/** A tensor of the graph: output `tensor` of call `node` of layer `layer`. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

/** One call of a layer: the tensors it read; the last `initialStateCount` are initial states. */
export interface NodeSpec {
  inputs: TensorRef[];
  initialStateCount: number;
}

/** One layer of a saved graph: its Keras JSON (snake_case, as written) and its calls. */
export interface GraphLayerSpec {
  name: string;
  /** `{ class_name, config }`; for a nested model, config is the nested topology's config. */
  json: KerasLayerJSON;
  inboundNodes: NodeSpec[];
}

/** A functional model between its Keras JSON and ragged's graph. */
export interface GraphSpec {
  name: string;
  layers: GraphLayerSpec[];
  inputs: TensorRef[];
  outputs: TensorRef[];
}

/** The Keras JSON of a functional model. */
export interface FunctionalTopology {
  class_name: "Model";
  config: FunctionalConfig;
  keras_version: string;
  backend: string;
}

export interface FunctionalConfig {
  name: string;
  layers: { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: [string, number, number, Record<string, never>][][] }[];
  input_layers: [string, number, number][];
  output_layers: [string, number, number][];
}

/** Class names under which a functional model is written. */
export const FUNCTIONAL_CLASS_NAMES: ReadonlySet<string> = new Set(["Model", "Functional"]);

/** The config of a graph (for a nested model's layer entry, or the top level). */
export function functionalConfigToKeras(spec: GraphSpec): FunctionalConfig {
  const ref = (r: TensorRef): [string, number, number] => [r.layer, r.node, r.tensor];
  return {
    name: spec.name,
    layers: spec.layers.map((l) => ({
      name: l.name,
      class_name: l.json.class_name,
      config: l.json.config,
      inbound_nodes: l.inboundNodes.map((n) => n.inputs.map((r) => [r.layer, r.node, r.tensor, {}] as [string, number, number, Record<string, never>])),
    })),
    input_layers: spec.inputs.map(ref),
    output_layers: spec.outputs.map(ref),
  };
}

/** The model topology TF.js writes for a functional model. */
export function functionalToKeras(spec: GraphSpec): FunctionalTopology {
  return { class_name: "Model", config: functionalConfigToKeras(spec), keras_version: KERAS_VERSION, backend: BACKEND };
}

/**
 * Reads a functional model's config (the `config` of a `Model`/`Functional` topology or of a
 * nested model's layer entry).
 * @param takesInitialState - whether a layer of this class reads extra node inputs as initial
 *   states (NOTE [ initial states in saved graphs ]).
 * @throws RaggedError BAD_FILE for a malformed graph (naming the layer and what is wrong);
 *   UNSUPPORTED for call kwargs ragged does not implement.
 */
export function functionalFromKeras(config: unknown, source: string, takesInitialState: (className: string) => boolean): GraphSpec {
  const c = config as Partial<Record<"name" | "layers" | "input_layers" | "output_layers", unknown>> | null;
  if (!c || typeof c !== "object" || !Array.isArray(c.layers) || c.layers.length === 0) {
    throw new RaggedError("BAD_FILE", `${source}: the functional model has no layers list.`, {
      expected: "config: { name, layers: [...], input_layers, output_layers }",
      received: JSON.stringify(config)?.slice(0, 200),
    });
  }
  const names = new Set<string>();
  const layers: GraphLayerSpec[] = c.layers.map((entry, k) => {
    const e = entry as Partial<{ name: unknown; class_name: unknown; config: unknown; inbound_nodes: unknown }> | null;
    if (!e || typeof e.class_name !== "string" || !e.config || typeof e.config !== "object" || Array.isArray(e.config)) {
      throw new RaggedError("BAD_FILE", `${source}: layer ${k} of the functional model is not { name, class_name, config, inbound_nodes }.`, { received: JSON.stringify(entry)?.slice(0, 200) });
    }
    const cfg = e.config as Record<string, unknown>;
    const name = typeof e.name === "string" ? e.name : typeof cfg.name === "string" ? cfg.name : null;
    if (name === null) throw new RaggedError("BAD_FILE", `${source}: layer ${k} (${e.class_name}) has no name.`);
    if (names.has(name)) throw new RaggedError("BAD_FILE", `${source}: two layers are named "${name}".`, { help: "layer names must be unique within a model" });
    names.add(name);
    if (!Array.isArray(e.inbound_nodes)) {
      throw new RaggedError("BAD_FILE", `${source}: layer "${name}" has no inbound_nodes list.`, { received: JSON.stringify(e.inbound_nodes)?.slice(0, 120) });
    }
    const where = `${source}: layer "${name}"`;
    const inboundNodes = e.inbound_nodes.map((n) => readNode(n, where, takesInitialState(e.class_name as string)));
    return { name, json: { class_name: e.class_name, config: { ...cfg, name } }, inboundNodes };
  });
  const readRefs = (value: unknown, key: string): TensorRef[] => {
    const list = Array.isArray(value) && typeof value[0] === "string" ? [value] : value;
    if (!Array.isArray(list) || list.length === 0) throw new RaggedError("BAD_FILE", `${source}: the functional model has no ${key}.`, { received: JSON.stringify(value)?.slice(0, 120) });
    return list.map((r) => readRef(r, `${source}: ${key}`));
  };
  const spec: GraphSpec = {
    name: typeof c.name === "string" ? c.name : "model",
    layers,
    inputs: readRefs(c.input_layers, "input_layers"),
    outputs: readRefs(c.output_layers, "output_layers"),
  };
  const refs = [...spec.inputs, ...spec.outputs, ...layers.flatMap((l) => l.inboundNodes.flatMap((n) => n.inputs))];
  for (const r of refs) {
    if (!names.has(r.layer)) {
      throw new RaggedError("BAD_FILE", `${source}: the graph refers to layer "${r.layer}", which is not in its layers list.`, {
        expected: [...names].map((n) => `"${n}"`).join(", "),
        received: `"${r.layer}"`,
      });
    }
  }
  return spec;
}

/** `[layer, node, tensor]` or `[layer, node, tensor, kwargs]` or a Keras 3 `__keras_tensor__`. */
function readRef(value: unknown, where: string): TensorRef {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const v = value as { class_name?: unknown; config?: { keras_history?: unknown } };
    if (v.class_name === "__keras_tensor__" && Array.isArray(v.config?.keras_history)) return readRef(v.config.keras_history, where);
  }
  const r = value as unknown[];
  if (!Array.isArray(r) || r.length < 3 || typeof r[0] !== "string" || !Number.isInteger(r[1]) || (r[1] as number) < 0 || !Number.isInteger(r[2]) || (r[2] as number) < 0) {
    throw new RaggedError("BAD_FILE", `${where}: a tensor reference is malformed.`, {
      expected: '[layerName, nodeIndex, tensorIndex] (e.g. ["lstm", 0, 0])',
      received: JSON.stringify(value)?.slice(0, 120),
    });
  }
  return { layer: r[0] as string, node: r[1] as number, tensor: r[2] as number };
}

/** Call kwargs that do not change what a loaded model computes. */
const HARMLESS_KWARGS = new Set(["training", "mask"]);

function readNode(node: unknown, where: string, takesInitialState: boolean): NodeSpec {
  if (Array.isArray(node)) {
    // TF.js / Keras 2: a list of [layer, node, tensor, kwargs?]; the kwargs repeat on every entry.
    if (node.length === 0) throw new RaggedError("BAD_FILE", `${where}: an inbound node lists no tensors.`);
    const inputs = node.map((r) => readRef(r, where));
    const kwargs = node.map((r) => (Array.isArray(r) && r.length > 3 ? r[3] : {}))[0];
    const states = readKwargs(kwargs, where);
    if (states.length && inputs.length > 1) {
      throw new RaggedError("BAD_FILE", `${where}: a node gives initial states both as inputs and as initial_state.`, { received: JSON.stringify(node).slice(0, 200) });
    }
    const all = [...inputs, ...states];
    return { inputs: all, initialStateCount: takesInitialState ? all.length - 1 : 0 };
  }
  const n = node as { args?: unknown; kwargs?: unknown } | null;
  if (!n || typeof n !== "object" || !Array.isArray(n.args)) {
    throw new RaggedError("BAD_FILE", `${where}: an inbound node is neither a list of tensors nor { args, kwargs }.`, { received: JSON.stringify(node)?.slice(0, 200) });
  }
  // Keras 3: args[0] is one tensor or a list of tensors (merge layers).
  if (n.args.length !== 1) {
    throw new RaggedError("UNSUPPORTED", `${where}: a call with ${n.args.length} positional arguments.`, { expected: "one argument: a tensor or a list of tensors" });
  }
  const first = n.args[0];
  const inputs = Array.isArray(first) && first.length > 0 && (Array.isArray(first[0]) || typeof first[0] === "object") ? first.map((r) => readRef(r, where)) : [readRef(first, where)];
  const states = readKwargs(n.kwargs ?? {}, where);
  if (states.length && !takesInitialState) throw new RaggedError("BAD_FILE", `${where}: initial_state given to a layer that takes none.`);
  return { inputs: [...inputs, ...states], initialStateCount: states.length };
}

/** The initial states among call kwargs; refuses kwargs that would change the computation. */
function readKwargs(kwargs: unknown, where: string): TensorRef[] {
  if (kwargs === null || kwargs === undefined) return [];
  if (typeof kwargs !== "object" || Array.isArray(kwargs)) throw new RaggedError("BAD_FILE", `${where}: call kwargs are not an object.`, { received: describe(kwargs) });
  let states: TensorRef[] = [];
  for (const [key, value] of Object.entries(kwargs as Record<string, unknown>)) {
    if (key === "initial_state") {
      const list = Array.isArray(value) && typeof value[0] !== "string" ? value : [value];
      states = list.map((r) => readRef(r, `${where} initial_state`));
    } else if (HARMLESS_KWARGS.has(key) && (key !== "mask" || value === null)) {
      continue;
    } else {
      throw new RaggedError("UNSUPPORTED", `${where}: call argument ${key} is not supported by ragged.`, {
        received: JSON.stringify(value)?.slice(0, 120),
        help: "ragged reads initial_state (and ignores training and mask: null) in saved calls",
      });
    }
  }
  return states;
}

/**
 * A functional model ↔ its saved graph (`GraphSpec`, keras_format/functional.ts): which layers,
 * which calls of each, which tensors each call read, which are the model's inputs and outputs.
 * Layer entries themselves are written and built by the caller (topology.ts), which also handles
 * nested models.
 *
 * NOTE [ node indices in saved graphs ]
 * A reference `[layer, node, tensor]` names the node-th call of `layer` *within this model*: a layer
 * also called in other models (an inference encoder sharing the trained layers) has calls that are
 * not saved, and the saved ones are renumbered 0, 1, … in call order — except a nested model's,
 * which start at 1 (in Keras and TF.js a model's node 0 links its own inputs to its outputs). Both
 * writers do this (TF.js `Container.buildNodeConversionMap`, Keras `get_network_config`), and so
 * does ragged.
 *
 * Reading makes each layer's calls in file order, a call once every tensor it reads exists, and
 * stops with BAD_FILE when some never can (a cycle, or a reference to a call or tensor that does
 * not exist). Porting note: TF.js re-queues a call that is not ready behind the later calls of the
 * same layer, which can swap a shared layer's node indices; ragged keeps each layer's calls in order
 * (as Keras does).
 *
 * @example
 * const spec = graphToSpec(model, (layer) => layerToJSON(layer, notes, false));
 * const again = graphFromSpec(spec, "model.json", (json) => layerFromJSON(json, "model.json", {}));
 */
import { RaggedError } from "../core/errors.js";
import { InputLayer } from "../layers/input_layer.js";
import type { Layer } from "../layers/layer.js";
import type { Node, SymbolicTensor } from "../layers/symbolic.js";
import { LayersModel } from "../models/functional.js";
import type { GraphLayerSpec, GraphSpec, TensorRef } from "./keras_format/functional.js";
import type { KerasLayerJSON } from "./keras_format/layer_config.js";

/** Class names of layers that read extra call inputs as initial states (NOTE [ initial states in saved graphs ]). */
export const INITIAL_STATE_CLASSES: ReadonlySet<string> = new Set(["LSTM", "GRU", "SimpleRNN", "Bidirectional"]);

/** The graph of `model`; `layerJSON` writes each layer's entry (input layers too). */
export function graphToSpec(model: LayersModel, layerJSON: (layer: Layer) => KerasLayerJSON): GraphSpec {
  const inGraph = new Set<Node>([...model.inputs.map((t) => t.node), ...model.graphNodes()]);
  const index = new Map<Node, number>();
  for (const layer of model.layers) {
    let kept = layer instanceof LayersModel ? 1 : 0;
    for (const node of layer.inboundNodes) if (inGraph.has(node)) index.set(node, kept++);
  }
  const ref = (t: SymbolicTensor): TensorRef => ({ layer: t.sourceLayer.name, node: index.get(t.node) as number, tensor: t.outputIndex });
  const layers: GraphLayerSpec[] = model.layers.map((layer) => ({
    name: layer.name,
    json: layerJSON(layer),
    inboundNodes: layer.inboundNodes
      .filter((n) => inGraph.has(n) && n.inputs.length > 0)
      .map((n) => ({ inputs: n.inputs.map(ref), initialStateCount: n.args.initialStateCount ?? 0 })),
  }));
  return { name: model.name, layers, inputs: model.inputs.map(ref), outputs: model.outputs.map(ref) };
}

/** The entry of a model input, as TF.js writes it. */
export function inputLayerToJSON(layer: InputLayer): KerasLayerJSON {
  const config: Record<string, unknown> = { batch_input_shape: [...(layer.batchInputShape ?? [])], dtype: layer.dtype, sparse: false, name: layer.name };
  if (layer.sameLengthsAs !== null) config.same_lengths_as = layer.sameLengthsAs; // ragged's own key (NOTE [ inputs with the same steps ])
  return { class_name: "InputLayer", config };
}

/**
 * A new functional model from a saved graph (weights freshly initialised; set them next).
 * @param buildLayer - makes a layer (not an input layer) from its entry; nested models included.
 * @throws RaggedError BAD_FILE for a graph that cannot be built (cycle, missing call or tensor,
 *   output not reachable from the inputs, wrong number of tensors for a layer); the layers' own
 *   codes (SHAPE_MISMATCH, LENGTH_MISMATCH, UNKNOWN_NAME, UNSUPPORTED), each naming the file.
 */
export function graphFromSpec(spec: GraphSpec, source: string, buildLayer: (json: KerasLayerJSON) => Layer): LayersModel {
  const made = new Map<string, Layer>();
  /** Per layer, the outputs of each call made so far, in file numbering. */
  const calls = new Map<string, SymbolicTensor[][]>();
  // inputs with `same_lengths_as` after the inputs they name, whatever the file's order
  const isInput = (json: KerasLayerJSON) => json.class_name === "InputLayer";
  const dependsOnInput = (json: KerasLayerJSON) => isInput(json) && json.config.same_lengths_as !== undefined;
  const entries = [...spec.layers.filter((e) => isInput(e.json) && !dependsOnInput(e.json)), ...spec.layers.filter((e) => dependsOnInput(e.json)), ...spec.layers.filter((e) => !isInput(e.json))];
  for (const entry of entries) {
    const layer = isInput(entry.json) ? inputLayerFromJSON(entry.json, source, (name) => made.get(name)) : buildLayer(entry.json);
    made.set(entry.name, layer);
    calls.set(entry.name, layer instanceof InputLayer ? [[layer.output]] : []);
  }
  const offset = (name: string) => (made.get(name) instanceof LayersModel ? 1 : 0);
  const tensorOf = (r: TensorRef): SymbolicTensor | null => {
    const outputs = (calls.get(r.layer) as SymbolicTensor[][])[r.node - offset(r.layer)];
    if (!outputs) return null;
    if (r.tensor >= outputs.length) {
      throw new RaggedError("BAD_FILE", `${source}: the graph refers to tensor ${r.tensor} of call ${r.node} of layer "${r.layer}", which gives ${outputs.length}.`, {
        expected: `a tensor index below ${outputs.length}`,
        received: JSON.stringify([r.layer, r.node, r.tensor]),
      });
    }
    return outputs[r.tensor];
  };
  const next = new Map(spec.layers.map((l) => [l.name, 0]));
  let pending = spec.layers.reduce((n, l) => n + (made.get(l.name) instanceof InputLayer ? 0 : l.inboundNodes.length), 0);
  while (pending > 0) {
    let progress = false;
    for (const entry of spec.layers) {
      const layer = made.get(entry.name) as Layer;
      if (layer instanceof InputLayer) continue;
      for (let k = next.get(entry.name) as number; k < entry.inboundNodes.length; k++) {
        const node = entry.inboundNodes[k];
        const tensors = node.inputs.map(tensorOf);
        if (tensors.some((t) => t === null)) break;
        calls.get(entry.name)?.push(applyLayer(layer, tensors as SymbolicTensor[], node.initialStateCount, source));
        next.set(entry.name, k + 1);
        pending--;
        progress = true;
      }
    }
    if (!progress) throw stuck(spec, next, source);
  }
  const resolve = (r: TensorRef, what: string): SymbolicTensor => {
    const t = tensorOf(r);
    if (t === null) throw new RaggedError("BAD_FILE", `${source}: ${what} [${JSON.stringify(r.layer)}, ${r.node}, ${r.tensor}] names a call the graph does not make.`);
    return t;
  };
  const inputs = spec.inputs.map((r) => resolve(r, "input_layers"));
  const outputs = spec.outputs.map((r) => resolve(r, "output_layers"));
  try {
    return new LayersModel({ inputs, outputs, name: spec.name });
  } catch (e) {
    throw asFileError(e, `${source}: `);
  }
}

/** Calls `layer` on `tensors` (the last `states` of them initial states); its output tensors. */
function applyLayer(layer: Layer, tensors: SymbolicTensor[], states: number, source: string): SymbolicTensor[] {
  const main = tensors.slice(0, tensors.length - states);
  try {
    const out = layer.apply(main.length === 1 ? main[0] : main, states > 0 ? { initialState: tensors.slice(main.length) } : {});
    return Array.isArray(out) ? out : [out];
  } catch (e) {
    throw asFileError(e, `${source}: layer "${layer.name}": `);
  }
}

/** A graph error while reading a file: the file's fault (BAD_FILE), except shape and length codes. */
function asFileError(e: unknown, prefix: string): unknown {
  if (!(e instanceof RaggedError)) return e;
  const code = e.code === "SHAPE_MISMATCH" || e.code === "LENGTH_MISMATCH" || e.code === "UNSUPPORTED" ? e.code : "BAD_FILE";
  return new RaggedError(code, `${prefix}${e.message.split("\n")[0]}`, { expected: e.expected, received: e.received, help: e.help });
}

/** Why no further call can be made: a reference to a call that never comes, or a cycle. */
function stuck(spec: GraphSpec, next: ReadonlyMap<string, number>, source: string): RaggedError {
  const blocked = spec.layers.filter((l) => (next.get(l.name) as number) < l.inboundNodes.length);
  // the call indices each layer has: [first, end)
  const range = new Map(
    spec.layers.map((l) => {
      const first = isModelClass(l.json.class_name) ? 1 : 0;
      return [l.name, [first, l.json.class_name === "InputLayer" ? 1 : first + l.inboundNodes.length]] as const;
    }),
  );
  for (const l of blocked) {
    const node = l.inboundNodes[next.get(l.name) as number];
    const missing = node.inputs.find((r) => {
      const [first, end] = range.get(r.layer) as readonly [number, number];
      return r.node < first || r.node >= end;
    });
    if (missing) {
      const [first, end] = range.get(missing.layer) as readonly [number, number];
      return new RaggedError("BAD_FILE", `${source}: layer "${l.name}" reads call ${missing.node} of layer "${missing.layer}", which the graph never makes.`, {
        expected: first < end ? `a call index from ${first} to ${end - 1} for "${missing.layer}"` : `no reference to "${missing.layer}", which is never called`,
        received: JSON.stringify([missing.layer, missing.node, missing.tensor]),
        help: "the model.json is corrupt or was edited; save the model again",
      });
    }
  }
  return new RaggedError("BAD_FILE", `${source}: the graph has a cycle: layers ${blocked.map((l) => `"${l.name}"`).join(", ")} wait on each other's outputs.`, {
    help: "a layer's output cannot feed its own input; the model.json is corrupt or was edited",
  });
}

function isModelClass(className: string): boolean {
  return className === "Model" || className === "Functional" || className === "Sequential";
}

/** An input layer from its entry: TF.js' `batch_input_shape` or Keras 3's `batch_shape`. */
function inputLayerFromJSON(json: KerasLayerJSON, source: string, madeLayer: (name: string) => Layer | undefined): InputLayer {
  const c = json.config;
  const where = `${source}: input layer "${String(c.name)}"`;
  const shape = c.batch_input_shape ?? c.batch_shape;
  if (!Array.isArray(shape)) throw new RaggedError("BAD_FILE", `${where} has no batch_input_shape.`, { received: JSON.stringify(c).slice(0, 200) });
  if (c.sparse === true || c.ragged === true) throw new RaggedError("UNSUPPORTED", `${where} is ${c.sparse === true ? "sparse" : "a tf.RaggedTensor input"}.`, { help: "ragged takes dense inputs (its own ragged lists)" });
  const dtypeName = typeof c.dtype === "object" && c.dtype !== null ? (c.dtype as { config?: { name?: unknown } }).config?.name : c.dtype;
  const dtype = dtypeName === "int32" ? "int32" : dtypeName === "float32" || dtypeName === undefined || dtypeName === null ? "float32" : null;
  if (dtype === null) throw new RaggedError("UNSUPPORTED", `${where} has dtype ${JSON.stringify(c.dtype)}.`, { expected: "float32 or int32" });
  try {
    const other = c.same_lengths_as === undefined ? undefined : madeLayer(String(c.same_lengths_as));
    if (c.same_lengths_as !== undefined && !(other instanceof InputLayer)) {
      throw new RaggedError("BAD_FILE", `${where} has the lengths of input ${JSON.stringify(c.same_lengths_as)}, which the file does not have.`);
    }
    return new InputLayer({ batchShape: shape as (number | null)[], name: String(c.name), dtype, sameLengthsAs: (other as InputLayer | undefined)?.output });
  } catch (e) {
    throw asFileError(e, `${where}: `);
  }
}

/**
 * The graph behind a functional model: which nodes to run, in which order, from the model's
 * inputs to its outputs — and the checks that make a bad graph a clear error before any data
 * flows: outputs not reachable from the inputs (`GRAPH_DISCONNECTED`), a tensor that depends on
 * itself (`GRAPH_CYCLE`), duplicate inputs or layer names (`INVALID_ARGUMENT`).
 *
 * Running it (`runGraph`) is one forward pass over the nodes in order and one backward pass in
 * reverse, summing the gradients of a tensor used by several nodes; vectors are moved between
 * layouts on the way in and their gradients on the way back (NOTE [ vectors across layouts ]).
 */
import { RaggedError, describe } from "../core/errors.js";
import type { PackedLayout } from "../data/packed.js";
import type { ForwardContext, Layer, ManyForwardResult } from "../layers/layer.js";
import { Node, SymbolicTensor } from "../layers/symbolic.js";
import { type LayerValue, type VectorValue, vectorFromLayout, vectorInLayout, withData } from "../layers/values.js";

export interface Graph {
  inputs: readonly SymbolicTensor[];
  outputs: readonly SymbolicTensor[];
  /** The nodes that lead from the inputs to the outputs, each after the nodes it reads from. */
  nodes: readonly Node[];
  /** Every layer once, in the order first met (input layers first): Keras' `model.layers`. */
  layers: readonly Layer[];
}

/**
 * Orders the nodes between `inputs` and `outputs` (depth-first from the outputs, so each node
 * comes after the nodes it reads from).
 * @throws RaggedError `INVALID_ARGUMENT` (not symbolic tensors, duplicates, an input that is not
 *   from `input()`), `GRAPH_DISCONNECTED`, `GRAPH_CYCLE`.
 */
export function buildGraph(inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[], modelName: string): Graph {
  for (const [what, list] of [["inputs", inputs], ["outputs", outputs]] as const) {
    if (!Array.isArray(list) || list.length === 0 || !list.every((t) => t instanceof SymbolicTensor)) {
      throw new RaggedError("INVALID_ARGUMENT", `model "${modelName}": \`${what}\` must be symbolic tensors.`, {
        expected: what === "inputs" ? "tensors from input({ shape, name })" : "tensors from layer.apply(…)",
        received: describe(list),
      });
    }
  }
  inputs.forEach((t, k) => {
    if (t.node.inputs.length !== 0 || t.sourceLayer.className !== "InputLayer") {
      throw new RaggedError("INVALID_ARGUMENT", `model "${modelName}": inputs[${k}] ("${t.name}") is not a model input.`, {
        expected: "a tensor made by input({ shape, name })",
        received: `the output of layer "${t.sourceLayer.name}" (${t.sourceLayer.className})`,
        help: "a model starts from input() tensors; to reuse part of a graph, make a model of it and apply that",
      });
    }
    if (inputs.indexOf(t) !== k) throw new RaggedError("INVALID_ARGUMENT", `model "${modelName}": input "${t.name}" is listed twice.`);
  });
  for (const t of inputs) {
    const own = t.lengths.kind === "input" ? t.lengths.input : t.sourceLayer.name;
    if (own !== t.sourceLayer.name && !inputs.some((u) => u.sourceLayer.name === own)) {
      throw new RaggedError("GRAPH_DISCONNECTED", `model "${modelName}": input "${t.name}" has the lengths of input "${own}" (sameLengthsAs), which is not among the model's inputs.`, {
        expected: `"${own}" in model({ inputs: [...] })`,
        received: `inputs ${inputs.map((u) => `"${u.name}"`).join(", ")}`,
        help: "add that input to the model, or leave out sameLengthsAs",
      });
    }
  }
  const inputSet = new Set(inputs);
  const order: Node[] = [];
  const state = new Map<Node, "visiting" | "done">();
  const visit = (tensor: SymbolicTensor, path: string[]): void => {
    if (inputSet.has(tensor)) return;
    const node = tensor.node;
    if (node.inputs.length === 0) {
      throw new RaggedError("GRAPH_DISCONNECTED", `model "${modelName}": an output needs input "${tensor.name}", which is not among the model's inputs.`, {
        expected: `inputs ${inputs.map((t) => `"${t.name}"`).join(", ")}`,
        received: `the path ${[tensor.name, ...path].join(" → ")}`,
        help: "add that input to model({ inputs: [...] })",
      });
    }
    const s = state.get(node);
    if (s === "done") return;
    if (s === "visiting") {
      throw new RaggedError("GRAPH_CYCLE", `model "${modelName}": the graph has a cycle through layer "${node.layer.name}".`, {
        received: `the path ${[tensor.name, ...path].join(" → ")}`,
        help: "a layer's output cannot feed its own input; build graphs with apply(), which only adds new tensors",
      });
    }
    state.set(node, "visiting");
    for (const t of node.inputs) visit(t, [node.layer.name, ...path]);
    state.set(node, "done");
    order.push(node);
  };
  for (const t of outputs) visit(t, []);
  // a length source naming an input the model does not have (repeatVector({ n: "inputLength", inputName }))
  const inputNames = new Set(inputs.map((t) => t.sourceLayer.name));
  for (const node of order) {
    for (const t of node.outputs) {
      if (t.lengths.kind !== "input" || inputNames.has(t.lengths.input)) continue;
      throw new RaggedError("GRAPH_DISCONNECTED", `model "${modelName}": layer "${node.layer.name}" gives steps with the lengths of input "${t.lengths.input}", which is not among the model's inputs.`, {
        expected: `one of ${[...inputNames].map((n) => `"${n}"`).join(", ")}`,
        received: `"${t.lengths.input}"`,
        help: 'name a model input in repeatVector({ n: "inputLength", inputName }), or add that input to model({ inputs: [...] })',
      });
    }
  }
  const layers: Layer[] = [];
  const names = new Map<string, Layer>();
  const addLayer = (layer: Layer) => {
    if (layers.includes(layer)) return;
    const other = names.get(layer.name);
    if (other && other !== layer) {
      throw new RaggedError("INVALID_ARGUMENT", `model "${modelName}": two different layers are named "${layer.name}".`, { help: "layer names must be unique within a model" });
    }
    names.set(layer.name, layer);
    layers.push(layer);
  };
  inputs.forEach((t) => addLayer(t.sourceLayer));
  order.forEach((n) => addLayer(n.layer));
  return { inputs, outputs, nodes: order, layers };
}

export interface GraphPass {
  outputs: LayerValue[];
  /** One gradient per output (null: none) → one per input (null when nothing reached it). */
  backward: (dOutputs: (LayerValue | null)[]) => (LayerValue | null)[];
}

/** The layout a node's vector inputs are moved into: its first per-step input's, else its first input's. */
function referenceLayout(values: LayerValue[]): PackedLayout {
  return (values.find((v) => v.kind === "sequence") ?? values[0]).layout;
}

function addGrad(a: LayerValue | undefined, b: LayerValue): LayerValue {
  if (!a) return b;
  const sum = Float32Array.from(a.data);
  for (let i = 0; i < sum.length; i++) sum[i] += b.data[i];
  return withData(a, sum, a.width);
}

const nestedSlots = new WeakMap<object, Map<Node, object>>();

/**
 * The kernel-cache owner of one call (ForwardContext.slot): the node itself, or — inside a nested
 * model, whose nodes run once per call of the model — one object per (outer call, inner node).
 */
function slotFor(outer: object | undefined, node: Node): object {
  if (!outer) return node;
  let slots = nestedSlots.get(outer);
  if (!slots) {
    slots = new Map();
    nestedSlots.set(outer, slots);
  }
  let slot = slots.get(node);
  if (!slot) {
    slot = {};
    slots.set(node, slot);
  }
  return slot;
}

/**
 * Whether the graph is one line of layers: one input, one output, and every node reads exactly
 * the tensor the node before it made (the first reads the input) — a Sequential model's shape.
 */
export function isLinearGraph(graph: Graph): boolean {
  const { inputs, outputs, nodes } = graph;
  if (inputs.length !== 1 || outputs.length !== 1 || nodes.length === 0) return false;
  let previous = inputs[0];
  for (const node of nodes) {
    if (node.inputs.length !== 1 || node.outputs.length !== 1 || node.inputs[0] !== previous) return false;
    previous = node.outputs[0];
  }
  return previous === outputs[0];
}

/**
 * Runs the graph on one packed value per input.
 * @param inputNeedsGrad - whether `backward` must return the inputs' gradients (a nested model
 *   inside a trained graph), else nodes fed only by inputs are told they need none.
 */
export function runGraph(graph: Graph, inputs: LayerValue[], ctx: ForwardContext): GraphPass {
  const values = new Map<SymbolicTensor, LayerValue>();
  graph.inputs.forEach((t, k) => values.set(t, inputs[k]));
  const inputLayouts = new Map<string, PackedLayout>(graph.inputs.map((t, k) => [t.sourceLayer.name, inputs[k].layout]));
  const inputSet = new Set(graph.inputs);
  const steps: { node: Node; given: LayerValue[]; result: ManyForwardResult }[] = [];
  for (const node of graph.nodes) {
    const given = node.inputs.map((t) => values.get(t) as LayerValue);
    const ref = referenceLayout(given);
    const aligned = given.map((v) => (v.kind === "vector" ? vectorInLayout(v, ref) : v));
    const needs = ctx.inputNeedsGrad || node.inputs.some((t) => !inputSet.has(t));
    const result = node.layer.forwardMany(aligned, { ...ctx, inputNeedsGrad: needs, inputLayouts, initialState: null, slot: slotFor(ctx.slot, node) });
    if (result.outputs.length !== node.outputs.length) {
      throw new Error(`ragged: layer "${node.layer.name}" gave ${result.outputs.length} outputs for ${node.outputs.length} tensors`);
    }
    node.outputs.forEach((t, k) => values.set(t, result.outputs[k]));
    steps.push({ node, given, result });
  }
  return {
    outputs: graph.outputs.map((t) => values.get(t) as LayerValue),
    backward: (dOutputs) => {
      const grads = new Map<SymbolicTensor, LayerValue>();
      graph.outputs.forEach((t, k) => {
        const d = dOutputs[k];
        if (d) grads.set(t, addGrad(grads.get(t), d));
      });
      for (let s = steps.length - 1; s >= 0; s--) {
        const { node, given, result } = steps[s];
        const dOut = node.outputs.map((t) => grads.get(t) ?? null);
        if (dOut.every((d) => d === null)) continue;
        const dIn = result.backward(dOut);
        node.inputs.forEach((t, k) => {
          const d = dIn[k];
          if (!d) return;
          const original = given[k];
          const back = original.kind === "vector" && d.layout !== original.layout ? vectorFromLayout(d as VectorValue, original.layout) : d;
          grads.set(t, addGrad(grads.get(t), back));
        });
      }
      return graph.inputs.map((t) => grads.get(t) ?? null);
    },
  };
}

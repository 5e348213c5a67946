/**
 * Inference through a model whose first layers are stacked LSTM / GRU / SimpleRNN layers, or
 * Bidirectional ones over them, perhaps after an Embedding and before a Dense layer (masking and
 * dropout layers among them stepped over): those layers run as one wasm chain (NOTE [ inference
 * chains ] in core/kernels/wasm/inference_chain.ts) — activations stay in wasm memory from one
 * layer to the next, one copy in, one copy out — and the other layers as the model's graph runs them
 * (`runGraph`: the same context, the same slots). `Sequential.run` takes this road for every
 * inference pass it can (predict, evaluate, validation, decoding), and so does a functional model
 * whose graph is one line of layers (`isLinearGraph` in graph.ts: `input → lstm → … → dense`, the
 * Keras way of writing a Sequential model; one sequence of the seed model 0.16–0.20 → 0.13 ms);
 * the lean predict path (training/lean_predict.ts) too, writing the caller's rows straight into wasm.
 * Bit-identical to running the layers one by one (tests: training/lean_predict.test.ts).
 */
import { runInferenceChain, type ChainDense, type ChainLayer } from "../core/kernels/wasm/inference_chain.js";
import type { PackedLayout } from "../core/packed_layout.js";
import type { Random } from "../core/random.js";
import { reverseRows } from "../data/rows.js";
import { Dense } from "../layers/dense.js";
import { Embedding } from "../layers/embedding.js";
import type { ForwardContext, Layer } from "../layers/layer.js";
import { TimeDistributed } from "../layers/time_distributed.js";
import { Bidirectional } from "../layers/rnn/bidirectional.js";
import { RNN } from "../layers/rnn/rnn.js";
import type { Node } from "../layers/symbolic.js";
import type { LayerValue } from "../layers/values.js";

/** A model's leading chain: the links of its first recurrent layers, whether the last gives only final states, the nodes after it. */
export interface LeadingChain {
  links: ChainLayer[];
  lastOnly: boolean;
  /** The nodes the graph runs after the chain. */
  rest: readonly Node[];
}

/** What `chainedInference` needs of a model (a Sequential: one input, a chain of nodes). */
export interface ChainableModel {
  graphNodes(): readonly Node[];
  readonly inputNames: string[];
  readonly rng: Random;
}

/**
 * The model's first recurrent layers that run as one chain right now (kernels, weights), stepping
 * over the layers that pass their input on at inference (masking, dropout); null for none.
 */
export function leadingChain(model: ChainableModel): LeadingChain | null {
  const nodes = model.graphNodes();
  const links: ChainLayer[] = [];
  let k = 0;
  for (; k < nodes.length; k++) {
    const { layer } = nodes[k];
    if (layer.passesThroughAtInference) continue;
    if (layer instanceof Embedding && links.length === 0) {
      links.push(layer.chainLink()); // a lookup first: worth a chain only with recurrent layers after it
      continue;
    }
    if (!(layer instanceof RNN) && !(layer instanceof Bidirectional)) break;
    const link = layer.chainLink();
    if (link === null) break;
    links.push(link);
    if (!layer.returnSequences) return { links, lastOnly: true, rest: nodes.slice(k + 1) };
  }
  if (!links.some((l) => l.kind !== "embedding")) return null;
  // a dense layer on the last recurrent layer's rows ends the chain
  const dense = k < nodes.length ? denseLink(nodes[k].layer) : null;
  return dense ? { links: [...links, dense], lastOnly: false, rest: nodes.slice(k + 1) } : { links, lastOnly: false, rest: nodes.slice(k) };
}

/** A Dense layer, or TimeDistributed over one, as a chain link; null for anything else. */
function denseLink(layer: Layer): ChainDense | null {
  const inner = layer instanceof TimeDistributed ? layer.layer : layer;
  return inner instanceof Dense ? inner.chainLink() : null;
}

/**
 * The model's output on one packed batch of sequences without a mask: `writeInput` puts its [N, C]
 * rows at float index `at` of wasm memory (false: the input is refused, nothing ran). Returns the
 * output, "refused", or null when wasm refuses the memory (run the layers one by one).
 */
export function chainedInference(
  model: ChainableModel, chain: LeadingChain, layout: PackedLayout, C: number, rng: Random | undefined,
  writeInput: (mem: Float32Array, at: number) => boolean,
): LayerValue | "refused" | null {
  const { links, lastOnly, rest } = chain;
  const h = runInferenceChain({ layout, C, layers: links, lastOnly, writeInput, reversal: () => reverseRows(layout) });
  if (h === null || h === "refused") return h;
  const width = links[links.length - 1].H;
  let value: LayerValue = lastOnly ? { kind: "vector", layout, data: h, width } : { kind: "sequence", layout, data: h, width, mask: null };
  // the context runGraph (graph.ts) gives a node that is not the first
  const ctx: ForwardContext = { training: false, rng: rng ?? model.rng, needsGrad: false, inputNeedsGrad: true, initialState: null, inputLayouts: new Map([[model.inputNames[0], layout]]) };
  for (const node of rest) value = node.layer.forwardMany([value], { ...ctx, slot: node }).outputs[0];
  return value;
}

/**
 * The `--layers` mini-language of `ragged train`: a comma-separated list of layers, each
 * `kind[:arg[:arg]]`, first to last.
 *
 *   lstm:64,dropout:0.2,dense:9:softmax
 *   embedding:10000:32,bigru:32,dense:2
 *   masking:-1,lstm:32,lstm:16,pool:avg,dense:1
 *   conv1d:64:5,batchnorm,activation:relu,bilstm:64          (an LSTM-FCN-like stack)
 *
 * The model's shape follows the data: the first layer gets the input shape, and a recurrent layer
 * returns sequences when a layer that takes sequences follows it (recurrent, conv1d, maxpool,
 * avgpool, pool) or when the targets are per step; otherwise it returns its last step. When the
 * list does not end in `dense`, the output layer is added: `dense:CLASSES:softmax` for
 * classification, `dense:1` for regression.
 *
 * @example
 * const specs = parseLayerSpec("lstm:64,dropout:0.2,dense:9:softmax");
 * const layerList = buildLayers(specs, { features: 12, perStep: false, task: { kind: "classification", classes: 9 } });
 */
import { RaggedError } from "../core/errors.js";
import type { ActivationName } from "../core/kernels/activations.js";
import * as layers from "../layers/index.js";
import type { Layer } from "../layers/layer.js";
import type { RNN } from "../layers/rnn/rnn.js";
import type { WindowPadding } from "../layers/_internal/windows.js";

/** One parsed item of the list. */
export type LayerSpec =
  | { kind: "lstm" | "gru" | "simple_rnn" | "bilstm" | "bigru"; units: number; text: string }
  | { kind: "embedding"; vocab: number; dim: number; text: string }
  | { kind: "dropout" | "spatial_dropout"; rate: number; text: string }
  | { kind: "dense"; units: number; activation: ActivationName | null; text: string }
  | { kind: "masking"; value: number; text: string }
  | { kind: "pool"; mode: "avg" | "max"; text: string }
  | { kind: "conv1d"; filters: number; kernel: number; padding: WindowPadding; activation: ActivationName | null; text: string }
  | { kind: "maxpool" | "avgpool"; size: number; text: string }
  | { kind: "batchnorm" | "layernorm"; text: string }
  | { kind: "activation"; activation: ActivationName; text: string };

/** What the model is trained to do, as read from the targets. */
export type Task = { kind: "classification"; classes: number } | { kind: "regression" };

export interface BuildContext {
  /** C: features per input step (1 for token ids). */
  features: number;
  /** Whether targets are per step (the model returns sequences). */
  perStep: boolean;
  task: Task;
}

/** The syntax of every kind, for help text and error messages. */
export const LAYER_SYNTAX: Readonly<Record<LayerSpec["kind"], string>> = {
  lstm: "lstm:UNITS",
  gru: "gru:UNITS",
  simple_rnn: "simple_rnn:UNITS",
  bilstm: "bilstm:UNITS (bidirectional LSTM, output 2×UNITS)",
  bigru: "bigru:UNITS (bidirectional GRU, output 2×UNITS)",
  embedding: "embedding:VOCAB:DIM (token ids in [0, VOCAB), id 0 is padding; first layer only)",
  dropout: "dropout:RATE (RATE in [0, 1))",
  spatial_dropout: "spatial_dropout:RATE (drops whole channels of a sequence at all its steps in training; RATE in [0, 1))",
  dense: "dense:UNITS[:ACTIVATION] (linear, relu, tanh, sigmoid, softmax, hardSigmoid)",
  masking: "masking[:VALUE] (steps whose features all equal VALUE, default 0, are padding; first layer only)",
  pool: "pool:avg|max (average or max over each sequence's steps)",
  conv1d:
    "conv1d:FILTERS:KERNEL[:PADDING][:ACTIVATION] (1-D convolution over each sequence's own steps; PADDING same (default, lengths kept), causal or valid; ACTIVATION as for dense, default linear)",
  maxpool: "maxpool:SIZE (max over windows of SIZE steps, every SIZE steps; a sequence's last partial window is kept)",
  avgpool: "avgpool:SIZE (average over windows of SIZE steps, every SIZE steps; a sequence's last partial window is kept)",
  batchnorm: "batchnorm (batch normalization over the real steps; the model then trains on one thread)",
  layernorm: "layernorm (layer normalization of each step)",
  activation: "activation:ACTIVATION (applied at every step; linear, relu, tanh, sigmoid, softmax, hardSigmoid)",
};

const ACTIVATIONS: readonly ActivationName[] = ["linear", "relu", "tanh", "sigmoid", "softmax", "hardSigmoid"];
const PADDINGS: readonly WindowPadding[] = ["same", "causal", "valid"];
const RECURRENT = new Set(["lstm", "gru", "simple_rnn", "bilstm", "bigru"]);
/** Kinds whose input must be a sequence (one row per step), not one vector per sequence. */
const TAKES_SEQUENCES = new Set([...RECURRENT, "conv1d", "maxpool", "avgpool", "pool", "spatial_dropout"]);

/**
 * Parses a `--layers` value.
 * @param text - e.g. `"lstm:64,dropout:0.2,dense:9:softmax"`.
 * @returns one spec per item, in order.
 * @throws RaggedError `UNKNOWN_NAME` for an unknown kind (with the closest known one), `INVALID_ARGUMENT`
 *   for a missing or malformed argument; both name the item and its position.
 */
export function parseLayerSpec(text: string): LayerSpec[] {
  const items = text.split(",").map((s) => s.trim());
  if (text.trim() === "" || items.some((s) => s === "")) {
    throw new RaggedError("INVALID_ARGUMENT", `--layers: empty item in ${JSON.stringify(text)}.`, {
      expected: 'a comma-separated list of layers, e.g. "lstm:64,dropout:0.2,dense:9:softmax"',
      help: syntaxHelp(),
    });
  }
  return items.map((item, i) => parseItem(item, i + 1));
}

function parseItem(text: string, position: number): LayerSpec {
  const [rawKind, ...args] = text.split(":").map((s) => s.trim());
  const kind = rawKind.toLowerCase().replace(/-/g, "_");
  const where = `--layers item ${position} ${JSON.stringify(text)}`;
  const bad = (what: string, expected: string): RaggedError =>
    new RaggedError("INVALID_ARGUMENT", `${where}: ${what}.`, { expected, received: JSON.stringify(text) });
  const arity = (min: number, max: number, syntax: string): void => {
    if (args.length < min || args.length > max) throw bad(args.length < min ? "missing argument" : "too many arguments", syntax);
  };
  const int = (value: string, name: string, syntax: string): number => {
    const n = Number(value);
    if (value === "" || !Number.isInteger(n) || n < 1) throw bad(`${name} must be a positive integer, not ${JSON.stringify(value)}`, syntax);
    return n;
  };
  const activationOf = (value: string): ActivationName => {
    const activation = findActivation(value);
    if (!activation) throw bad(`unknown activation ${JSON.stringify(value)}`, `one of ${ACTIVATIONS.join(", ")}`);
    return activation;
  };
  switch (kind) {
    case "lstm":
    case "gru":
    case "simple_rnn":
    case "bilstm":
    case "bigru": {
      const syntax = LAYER_SYNTAX[kind];
      arity(1, 1, syntax);
      return { kind, units: int(args[0], "UNITS", syntax), text };
    }
    case "embedding": {
      const syntax = LAYER_SYNTAX.embedding;
      arity(2, 2, syntax);
      return { kind, vocab: int(args[0], "VOCAB", syntax), dim: int(args[1], "DIM", syntax), text };
    }
    case "dropout":
    case "spatial_dropout": {
      const syntax = LAYER_SYNTAX[kind];
      arity(1, 1, syntax);
      const rate = Number(args[0]);
      if (args[0] === "" || !(rate >= 0 && rate < 1)) throw bad(`RATE must be a fraction in [0, 1), not ${JSON.stringify(args[0])}`, syntax);
      return { kind, rate, text };
    }
    case "dense": {
      const syntax = LAYER_SYNTAX.dense;
      arity(1, 2, syntax);
      const units = int(args[0], "UNITS", syntax);
      if (args.length < 2) return { kind, units, activation: null, text };
      return { kind, units, activation: activationOf(args[1]), text };
    }
    case "masking": {
      const syntax = LAYER_SYNTAX.masking;
      arity(0, 1, syntax);
      const value = args.length ? Number(args[0]) : 0;
      if (args.length && (args[0] === "" || !Number.isFinite(value))) throw bad(`VALUE must be a number, not ${JSON.stringify(args[0])}`, syntax);
      return { kind, value, text };
    }
    case "pool": {
      const syntax = LAYER_SYNTAX.pool;
      arity(1, 1, syntax);
      const mode = args[0].toLowerCase();
      if (mode !== "avg" && mode !== "max") throw bad(`unknown pooling ${JSON.stringify(args[0])}`, syntax);
      return { kind, mode, text };
    }
    case "conv1d": {
      const syntax = LAYER_SYNTAX.conv1d;
      arity(2, 4, syntax);
      const filters = int(args[0], "FILTERS", syntax);
      const kernel = int(args[1], "KERNEL", syntax);
      let padding: WindowPadding | null = null;
      let activation: ActivationName | null = null;
      for (const option of args.slice(2)) {
        const asPadding = PADDINGS.find((p) => p === option.toLowerCase());
        const asActivation = findActivation(option);
        if (!asPadding && !asActivation) {
          throw bad(`unknown padding or activation ${JSON.stringify(option)}`, `PADDING ${PADDINGS.join(", ")}; ACTIVATION ${ACTIVATIONS.join(", ")}`);
        }
        if ((asPadding && padding) || (asActivation && activation)) throw bad(`${asPadding ? "PADDING" : "ACTIVATION"} given twice`, syntax);
        if (asPadding) padding = asPadding;
        if (asActivation) activation = asActivation;
      }
      return { kind, filters, kernel, padding: padding ?? "same", activation, text };
    }
    case "maxpool":
    case "avgpool": {
      const syntax = LAYER_SYNTAX[kind];
      arity(1, 1, syntax);
      return { kind, size: int(args[0], "SIZE", syntax), text };
    }
    case "batchnorm":
    case "layernorm":
      arity(0, 0, LAYER_SYNTAX[kind]);
      return { kind, text };
    case "activation":
      arity(1, 1, LAYER_SYNTAX.activation);
      return { kind, activation: activationOf(args[0]), text };
    default: {
      const guess = closest(kind, Object.keys(LAYER_SYNTAX));
      throw new RaggedError("UNKNOWN_NAME", `${where}: unknown layer ${JSON.stringify(rawKind)}.`, {
        expected: `one of ${Object.keys(LAYER_SYNTAX).join(", ")}`,
        received: JSON.stringify(rawKind),
        help: (guess ? `did you mean "${guess}"? ` : "") + syntaxHelp(),
      });
    }
  }
}

/** The activation `value` names (any case, `hard_sigmoid` too), or undefined. */
function findActivation(value: string): ActivationName | undefined {
  return ACTIVATIONS.find((a) => a.toLowerCase() === value.toLowerCase().replace(/_/g, ""));
}

function syntaxHelp(): string {
  return `layers are written ${Object.values(LAYER_SYNTAX).join("; ")}.`;
}

/** The known name within edit distance 2 of `name`, if any. */
function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}

/**
 * Builds the layers of `specs` for data of `context`'s shape (see the file comment for the rules).
 * @returns the layers, the output layer included, ready for `sequential()`.
 * @throws RaggedError `INVALID_ARGUMENT` when the list cannot fit the data: no recurrent, conv1d or
 *   pooling layer, embedding/masking not first, embedding on multi-feature input, pooling with
 *   per-step targets, a sequence layer after `pool`, a layer that changes the sequence lengths
 *   (maxpool, avgpool, a valid conv1d) with per-step targets, per-step outputs for per-sequence
 *   targets, an output layer whose width does not match the classes, a classifier without softmax.
 */
export function buildLayers(specs: readonly LayerSpec[], context: BuildContext): Layer[] {
  const list = [...specs];
  const last = list[list.length - 1];
  const { task } = context;
  if (last?.kind !== "dense") {
    list.push(
      task.kind === "classification"
        ? { kind: "dense", units: task.classes, activation: "softmax", text: `dense:${task.classes}:softmax` }
        : { kind: "dense", units: 1, activation: null, text: "dense:1" },
    );
  }
  checkShape(list, context);
  const inputShape = list[0].kind === "embedding" ? [null] : [null, context.features];
  return list.map((spec, i) => {
    const first = i === 0 ? { inputShape } : {};
    switch (spec.kind) {
      case "lstm":
      case "gru":
      case "simple_rnn":
      case "bilstm":
      case "bigru": {
        const returnSequences = context.perStep || list.slice(i + 1).some((s) => TAKES_SEQUENCES.has(s.kind));
        const make = (extra: object): RNN => {
          const args = { units: spec.units, returnSequences, ...extra };
          if (spec.kind === "lstm" || spec.kind === "bilstm") return layers.lstm(args);
          if (spec.kind === "gru" || spec.kind === "bigru") return layers.gru(args);
          return layers.simpleRNN(args);
        };
        return spec.kind.startsWith("bi") ? layers.bidirectional({ layer: make({}), ...first }) : make(first);
      }
      case "embedding":
        return layers.embedding({ inputDim: spec.vocab, outputDim: spec.dim, maskZero: true, ...first });
      case "dropout":
        return layers.dropout({ rate: spec.rate, ...first });
      case "spatial_dropout":
        return layers.spatialDropout1D({ rate: spec.rate, ...first });
      case "masking":
        return layers.masking({ maskValue: spec.value, ...first });
      case "pool":
        return spec.mode === "avg" ? layers.globalAveragePooling1D(first) : layers.globalMaxPooling1D(first);
      case "conv1d":
        return layers.conv1d({ filters: spec.filters, kernelSize: spec.kernel, padding: spec.padding, activation: spec.activation ?? "linear", ...first });
      case "maxpool":
      case "avgpool": {
        const args = { poolSize: spec.size, padding: "same" as const, ...first };
        return spec.kind === "maxpool" ? layers.maxPooling1D(args) : layers.averagePooling1D(args);
      }
      case "batchnorm":
        return layers.batchNormalization(first);
      case "layernorm":
        return layers.layerNormalization(first);
      case "activation":
        return layers.activation({ activation: spec.activation, ...first });
      case "dense": {
        const isOutput = i === list.length - 1;
        const activation = spec.activation ?? (isOutput && task.kind === "classification" ? "softmax" : "linear");
        return layers.dense({ units: spec.units, activation, ...first });
      }
    }
  });
}

function checkShape(list: readonly LayerSpec[], context: BuildContext): void {
  const fail = (summary: string, help: string): never => {
    throw new RaggedError("INVALID_ARGUMENT", `--layers: ${summary}`, { received: JSON.stringify(list.map((s) => s.text).join(",")), help });
  };
  if (!list.some((s) => TAKES_SEQUENCES.has(s.kind))) {
    fail("no recurrent, conv1d or pooling layer.", "add one, e.g. lstm:32 — dense layers alone see each step on its own.");
  }
  list.forEach((s, i) => {
    if ((s.kind === "embedding" || s.kind === "masking") && i > 0) fail(`${s.text} must be the first layer.`, "move it to the front of the list.");
  });
  if (list[0].kind === "embedding" && context.features !== 1) {
    fail(
      `${list[0].text} takes one token id per step, but the data has ${context.features} features per step.`,
      'write each step of "x" as a single integer id, or drop the embedding.',
    );
  }
  const pool = list.findIndex((s) => s.kind === "pool");
  if (pool >= 0 && context.perStep) fail(`${list[pool].text} leaves one output per sequence, but the targets are per step.`, "drop the pool layer.");
  const afterPool = pool >= 0 ? list.slice(pool + 1).find((s) => TAKES_SEQUENCES.has(s.kind)) : undefined;
  if (afterPool) fail(`${afterPool.text} after ${list[pool].text} gets no sequence.`, "put pool after the last recurrent, conv1d, maxpool or avgpool layer.");
  const resizing = list.find((s) => s.kind === "maxpool" || s.kind === "avgpool" || (s.kind === "conv1d" && s.padding === "valid" && s.kernel > 1));
  if (resizing && context.perStep) {
    fail(
      `${resizing.text} changes the sequence lengths, but the targets are per step (one per input step).`,
      "drop maxpool/avgpool, and give conv1d padding same or causal.",
    );
  }
  const lastSequenceLayer = [...list].reverse().find((s) => TAKES_SEQUENCES.has(s.kind));
  if (pool < 0 && !context.perStep && lastSequenceLayer && !RECURRENT.has(lastSequenceLayer.kind)) {
    fail(
      `${lastSequenceLayer.text} leaves one output per step, but the targets are one per sequence.`,
      "add pool:avg or pool:max after it, or a recurrent layer (which returns its last step).",
    );
  }
  const out = list[list.length - 1] as Extract<LayerSpec, { kind: "dense" }>;
  const { task } = context;
  if (task.kind === "classification") {
    if (out.units !== task.classes) {
      fail(
        `the output layer ${out.text} has ${out.units} units, but the targets have ${task.classes} classes.`,
        `end with dense:${task.classes}:softmax, or leave the output layer out and it is added for you.`,
      );
    }
    if (out.activation !== null && out.activation !== "softmax" && out.activation !== "sigmoid") {
      fail(`a classifier's output layer ${out.text} needs softmax (or sigmoid) outputs for sparse categorical crossentropy.`, `write dense:${task.classes}:softmax.`);
    }
  }
}

/**
 * A `DecodeStep` from a one-step decoder model, the classic inference half of an encoder–decoder
 * (README, "Functional models"): the model takes `[token, ...states]` and gives
 * `[probabilities, ...newStates]`, where `token` is one step of ids (input shape `[null]`, before
 * an embedding) or of one-hot vectors (`[null, V]`), and every state is a `[units]` vector input.
 *
 * Shapes (R = rows still running, V = vocabulary, H_k = width of state k):
 *   tokens [R] → model input 0: R sequences of one step (id, or one-hot of width V)
 *   states [R, H_k] each → model inputs 1..K: R vectors of H_k
 *   contexts (optional) → model inputs K+1..: for each row, its sequence's entry (`sequences[r]`)
 *   model output 0: R sequences of one step of V → [R, V];  outputs 1..K → [R, H_k] each
 *
 * K, the number of states, is the number of outputs after the probabilities. A context is what a
 * sequence brings to every step but does not change — an attention decoder's encoder outputs
 * (a ragged sequence per word, of its own length). With beam search, a sequence's hypotheses all
 * get its context.
 *
 * @example
 * const step = stepFromModel({ model: decoder });
 * const { sequences } = await greedyDecode({ step, initialStates: encoder.predict(letters), startToken: 1, endToken: 1, maxLength: 30 });
 * @example
 * // attention: decoder inputs [token, h, c, encoderOutputs], outputs [probs, h, c]
 * const [E, h, c] = encoder.predict(letters);
 * const step = stepFromModel({ model: decoder, contexts: [E] });
 * await greedyDecode({ step, initialStates: [h, c], startToken: 1, endToken: 1, maxLength: 30 });
 */
import { RaggedError, describe } from "../core/errors.js";
import type { LayersModel } from "../models/functional.js";
import { graphSamplesFrom, makeModelBatch, type ModelSamples, readInputSamples, usesSinglePath } from "../training/graph_samples.js";
import { lengthOrderedBatches } from "../training/predict.js";
import { predictOutputs } from "../training/train_step.js";
import type { Samples } from "../training/samples.js";
import type { DecodeStep } from "./decode_step.js";

/** Options of `stepFromModel`. */
export interface StepFromModelArgs {
  /** The one-step decoder: inputs `[token, ...states]`, outputs `[probabilities, ...states]`. */
  model: LayersModel;
  /** Rows per predict call (default 1024). */
  batchSize?: number;
  /**
   * Per-sequence inputs that stay the same at every step, one list per context input of the model
   * (its inputs after the states): `contexts[j][i]` is context j of sequence i (caller order) —
   * a sequence of vectors for a `[null, F]` input, a vector for an `[F]` input. Default none.
   */
  contexts?: ReadonlyArray<ReadonlyArray<unknown>>;
}

/**
 * Wraps a one-step decoder model as the `step` of `greedyDecode` / `beamSearch`.
 * @throws RaggedError INVALID_ARGUMENT when the model's inputs and outputs do not have that form.
 */
export function stepFromModel(args: StepFromModelArgs): DecodeStep {
  const m = args?.model;
  if (!m || typeof m !== "object" || !Array.isArray((m as { inputs?: unknown }).inputs)) {
    throw new RaggedError("INVALID_ARGUMENT", "stepFromModel needs `model`, a one-step decoder model.", {
      received: describe(m),
      help: "build it with model({ inputs: [token, h, c], outputs: [probs, hOut, cOut] }) from the trained decoder layers",
    });
  }
  const inputs = m.inputs;
  const outputs = m.outputs;
  const contexts = args.contexts ?? [];
  if (!Array.isArray(contexts) || contexts.some((c) => !Array.isArray(c))) {
    throw new RaggedError("INVALID_ARGUMENT", "stepFromModel: `contexts` must be a list of per-sequence lists (contexts[j][i]: context j of sequence i).", {
      received: describe(contexts),
    });
  }
  const K = outputs.length - 1;
  const tokenShape = inputs[0].shape;
  const oneHotWidth = tokenShape.length === 3 ? tokenShape[2] : null;
  const wellFormed =
    inputs[0].kind === "sequence" &&
    (tokenShape.length === 2 || typeof oneHotWidth === "number") &&
    K >= 0 &&
    inputs.length === 1 + K + contexts.length &&
    inputs.slice(1, 1 + K).every((t) => t.kind === "vector") &&
    outputs[0].kind === "sequence";
  if (!wellFormed) {
    throw new RaggedError("INVALID_ARGUMENT", `stepFromModel: model "${m.name}" is not a one-step decoder${contexts.length ? ` with ${contexts.length} context input(s)` : ""}.`, {
      expected: "inputs [token ([null] ids or [null, V] one-hot), ...states ([units] each), ...one input per context], outputs [per-step probabilities, ...one state per state input]",
      received: `inputs ${inputs.map((t) => `[${t.shape.slice(1).join(", ")}]`).join(", ")}; ${outputs.length} output(s); ${contexts.length} context(s)`,
      ...(contexts.length ? {} : { help: "a model with more inputs than states takes the extra ones from `contexts`" }),
    });
  }
  const batchSize = args.batchSize ?? 1024;
  if (usesSinglePath(m)) {
    // a Sequential on the token alone (no states, no contexts): through predict
    return ({ tokens, rows }) => ({ output: lastSteps(m.predict(tokenRows(tokens, oneHotWidth), { batchSize }) as number[][][], rows), states: [] });
  }
  // NOTE [ decoding without re-reading ]: each context is validated and copied once (the first
  // step), not at every step; the states, the model's own outputs, go in as views of the step's
  // arrays. Only the tokens are read as data each step. The rows of a step are sequences of the
  // contexts (`sequences[r]`), picked by reference.
  const specs = m.inputSpecs();
  let contextSamples: Samples[] | null = null;
  return ({ tokens, states, rows, sequences }) => {
    contextSamples ??= contexts.map((c, j) => readInputSamples(specs[1 + K + j], c, `contexts[${j}]`));
    const picked = contextSamples.map((c, j) => pickSamples(c, sequences, j));
    const stateSamples = states.map((st, k) => vectorViews(st, rows, specs[1 + k].features, `state ${k}`));
    const tokenSamples = readInputSamples(specs[0], tokenRows(tokens, oneHotWidth), "tokens");
    const [output, ...next] = lastRowsOfOutputs(m, graphSamplesFrom(m, [tokenSamples, ...stateSamples, ...picked], "decoder inputs"), batchSize);
    return { output, states: next };
  };
}

/**
 * Runs the model on the step's rows and returns, per output, one row per step row in caller order
 * ([rows, width] flat): a per-step output's last step, a per-sequence output's row. Straight from
 * the packed outputs into the step's arrays (no nested lists in between: this runs every step).
 */
function lastRowsOfOutputs(m: LayersModel, samples: ModelSamples, batchSize: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (const indices of lengthOrderedBatches(samples, batchSize)) {
    predictOutputs(m, makeModelBatch(samples, indices)).forEach((y, o) => {
      const { layout, data, width } = y;
      out[o] ??= new Float32Array(samples.count * width);
      for (let k = 0; k < indices.length; k++) {
        const j = layout.unsortedIndices[k];
        const row = y.kind === "sequence" ? layout.offsets[layout.lengths[k] - 1] + j : j;
        out[o].set(data.subarray(row * width, (row + 1) * width), indices[k] * width);
      }
    });
  }
  return out;
}

/** One step per row: `[id]`, or `[oneHot]` for a decoder reading one-hot tokens. */
function tokenRows(tokens: ArrayLike<number>, oneHotWidth: number | null): number[][] | number[][][] {
  return Array.from(tokens, (t) => (oneHotWidth === null ? [t] : [oneHot(t, oneHotWidth)])) as number[][] | number[][][];
}

/** The last step of each row's output: [R, V]. */
function lastSteps(probs: number[][][], rows: number): Float32Array {
  const V = probs[0]?.[0]?.length ?? 0;
  const output = new Float32Array(rows * V);
  probs.forEach((seq, r) => output.set(seq[seq.length - 1], r * V));
  return output;
}

/** Context j's samples for this step's rows: row r is sequence `sequences[r]` (arrays shared, not copied). */
function pickSamples(c: Samples, sequences: ArrayLike<number>, j: number): Samples {
  const rows = sequences.length;
  const xs: Float32Array[] = new Array(rows);
  const lengths = new Int32Array(rows);
  const masks: Uint8Array[] | null = c.masks ? new Array(rows) : null;
  for (let r = 0; r < rows; r++) {
    const i = sequences[r];
    if (i >= c.count) {
      throw new RaggedError("SHAPE_MISMATCH", `stepFromModel: context ${j} has no entry for sequence ${i}.`, {
        expected: "one entry per decoded sequence (contexts[j][i] for every sequence i)",
        received: `${c.count} entries`,
      });
    }
    xs[r] = c.xs[i];
    lengths[r] = c.lengths[i];
    if (masks && c.masks) masks[r] = c.masks[i];
  }
  return { ...c, count: rows, xs, lengths, masks };
}

/**
 * A state input's samples from the step's state array [R, H]: one vector (a one-step sequence) per
 * row, each a view. The model wrote them, so only finiteness is checked (a diverged model's NaN is
 * refused as predict refuses it).
 */
function vectorViews(state: Float32Array, rows: number, H: number, name: string): Samples {
  if (state.length !== rows * H) {
    throw new RaggedError("SHAPE_MISMATCH", `stepFromModel: ${name} has ${state.length} values for ${rows} rows, but the model's state input takes ${H} per row.`, {
      expected: `${rows * H} values`,
      received: `${state.length}`,
    });
  }
  for (let k = 0; k < state.length; k++) {
    if (!Number.isFinite(state[k])) {
      throw new RaggedError("NON_FINITE", `stepFromModel: ${name} of row ${Math.floor(k / H)} is ${state[k]}.`, {
        expected: "finite states",
        help: "the decoder overflows float32 on this input: check its weights (e.g. a diverged training run)",
      });
    }
  }
  const xs = Array.from({ length: rows }, (_, r) => state.subarray(r * H, (r + 1) * H));
  return { count: rows, features: H, xs, lengths: new Int32Array(rows).fill(1), ys: null, yWidth: 0, perStep: false, weights: null, masks: null, outputLengths: null };
}

function oneHot(k: number, width: number): number[] {
  const v = new Array<number>(width).fill(0);
  v[k] = 1;
  return v;
}

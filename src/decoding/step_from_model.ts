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
import { rowToArray } from "../data/packed.js";
import type { LayersModel } from "../models/functional.js";
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
  return ({ tokens, states, rows, sequences }) => {
    const token = Array.from(tokens, (t) => (oneHotWidth === null ? [t] : [oneHot(t, oneHotWidth)]));
    const stateRows = states.map((s) => {
      const H = s.length / rows;
      return Array.from({ length: rows }, (_, r) => rowToArray(s, r * H, H));
    });
    const contextRows = contexts.map((c, j) =>
      Array.from(sequences, (i) => {
        if (i >= c.length) {
          throw new RaggedError("SHAPE_MISMATCH", `stepFromModel: context ${j} has no entry for sequence ${i}.`, {
            expected: "one entry per decoded sequence (contexts[j][i] for every sequence i)",
            received: `${c.length} entries`,
          });
        }
        return c[i];
      }));
    const out = m.predict([token, ...stateRows, ...contextRows], { batchSize }) as unknown as [number[][][], ...number[][][]];
    const probs = out[0];
    const V = probs[0]?.[0]?.length ?? 0;
    const output = new Float32Array(rows * V);
    probs.forEach((seq, r) => output.set(seq[seq.length - 1], r * V));
    const next = out.slice(1).map((s) => {
      const H = (s as number[][])[0]?.length ?? 0;
      const flat = new Float32Array(rows * H);
      (s as number[][]).forEach((v, r) => flat.set(v, r * H));
      return flat;
    });
    return { output, states: next };
  };
}

function oneHot(k: number, width: number): number[] {
  const v = new Array<number>(width).fill(0);
  v[k] = 1;
  return v;
}

/**
 * A `DecodeStep` from a one-step decoder model, the classic inference half of an encoder–decoder
 * (README, "Functional models"): the model takes `[token, ...states]` and gives
 * `[probabilities, ...newStates]`, where `token` is one step of ids (input shape `[null]`, before
 * an embedding) or of one-hot vectors (`[null, V]`), and every state is a `[units]` vector input.
 *
 * Shapes (R = rows still running, V = vocabulary, H_k = width of state k):
 *   tokens [R] → model input 0: R sequences of one step (id, or one-hot of width V)
 *   states [R, H_k] each → model inputs 1..K: R vectors of H_k
 *   model output 0: R sequences of one step of V → [R, V];  outputs 1..K → [R, H_k] each
 *
 * @example
 * const step = stepFromModel({ model: decoder });
 * const { sequences } = await greedyDecode({ step, initialStates: encoder.predict(letters), startToken: 1, endToken: 1, maxLength: 30 });
 */
import { RaggedError, describe } from "../core/errors.js";
import type { LayersModel } from "../models/functional.js";
import type { DecodeStep } from "./decode_step.js";

/** Options of `stepFromModel`. */
export interface StepFromModelArgs {
  /** The one-step decoder: inputs `[token, ...states]`, outputs `[probabilities, ...states]`. */
  model: LayersModel;
  /** Rows per predict call (default 1024). */
  batchSize?: number;
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
  const K = inputs.length - 1;
  const tokenShape = inputs[0].shape;
  const oneHotWidth = tokenShape.length === 3 ? tokenShape[2] : null;
  const wellFormed =
    inputs[0].kind === "sequence" &&
    (tokenShape.length === 2 || typeof oneHotWidth === "number") &&
    inputs.slice(1).every((t) => t.kind === "vector") &&
    outputs.length === K + 1 &&
    outputs[0].kind === "sequence";
  if (!wellFormed) {
    throw new RaggedError("INVALID_ARGUMENT", `stepFromModel: model "${m.name}" is not a one-step decoder.`, {
      expected: "inputs [token ([null] ids or [null, V] one-hot), ...states ([units] each)], outputs [per-step probabilities, ...one state per state input]",
      received: `inputs ${inputs.map((t) => `[${t.shape.slice(1).join(", ")}]`).join(", ")}; ${outputs.length} output(s)`,
    });
  }
  const batchSize = args.batchSize ?? 1024;
  return ({ tokens, states, rows }) => {
    const token = Array.from(tokens, (t) => (oneHotWidth === null ? [t] : [oneHot(t, oneHotWidth)]));
    const stateRows = states.map((s) => {
      const H = s.length / rows;
      return Array.from({ length: rows }, (_, r) => Array.from(s.subarray(r * H, (r + 1) * H)));
    });
    const out = m.predict([token, ...stateRows], { batchSize }) as unknown as [number[][][], ...number[][][]];
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

/**
 * One `DecodeStep` from several decoders of the same vocabulary (an ensemble): every step runs each
 * member on the same rows, each with its own states, and returns the members' next-token
 * distributions combined. `greedyDecode` and `beamSearch` take it as any step, so an ensemble
 * decodes, and fuses a language model, like a single decoder.
 *
 * Shapes (R = rows still running, V = vocabulary, M = members, K_m = member m's state count):
 *   states in [R, H_k] each: member 0's K_0 states, then member 1's K_1, …  (the order of `initialStates`)
 *   member m: its own K_m states → output [R, V] probabilities (or logits with `fromLogits`), K_m states
 *   output [R, V]: the combination (probabilities), states: the members' new states in the same order
 *
 * Combinations, with weights w_m (normalized to sum to 1):
 *   "mean"      p(v) = Σ_m w_m p_m(v)                          (fairseq's ensemble: a mixture)
 *   "geometric" p(v) ∝ exp(Σ_m w_m log p_m(v)), renormalized over v  (a product of experts)
 * Each row is combined from that row alone, so a sequence's result still never depends on its
 * batch-mates.
 *
 * @example
 * // two attention models trained from different seeds, each an encoder and a one-step decoder
 * const [EA, hA, cA] = encoderA.predict(letters), [EB, hB, cB] = encoderB.predict(letters);
 * const step = ensembleStep({ members: [
 *   { step: stepFromModel({ model: decoderA, contexts: [EA] }), states: 2 },
 *   { step: stepFromModel({ model: decoderB, contexts: [EB] }), states: 2 },
 * ] });
 * await beamSearch({ step, initialStates: [hA, cA, hB, cB], startToken: P, endToken: P, maxLength: 30, beamWidth: 5 });
 */
import { RaggedError, describe } from "../core/errors.js";
import { type DecodeStep, type DecodeStepOutput, logProbabilities } from "./decode_step.js";

/** One decoder of an ensemble. */
export interface EnsembleMember {
  /** Its one step (e.g. from `stepFromModel`). */
  step: DecodeStep;
  /** How many of the decode's states are its own (2 for an LSTM decoder's h and c; 0 for none). */
  states: number;
  /** Its weight in the combination (default 1; the weights are normalized). */
  weight?: number;
}

/** Options of `ensembleStep`. */
export interface EnsembleStepArgs {
  /** The decoders, at least one; their states are taken from the decode's states in this order. */
  members: readonly EnsembleMember[];
  /** How the members' distributions are combined (default "mean"). */
  combine?: "mean" | "geometric";
  /** The members return logits (softmax is applied to each before combining). Default false. */
  fromLogits?: boolean;
}

const who = "ensembleStep";

/**
 * Combines several decoders into one step.
 * @throws RaggedError INVALID_ARGUMENT for a malformed member list, weights or combination;
 *   SHAPE_MISMATCH (when stepping) when the states do not add up or the members' vocabularies differ.
 */
export function ensembleStep(args: EnsembleStepArgs): DecodeStep {
  if (!args || typeof args !== "object" || !Array.isArray(args.members) || args.members.length === 0) {
    throw new RaggedError("INVALID_ARGUMENT", `${who} needs \`members\`: a non-empty list of { step, states }.`, {
      received: describe(args?.members),
      help: "members: [{ step: stepFromModel({ model: decoderA }), states: 2 }, { step: …, states: 2 }]",
    });
  }
  const combine = args.combine ?? "mean";
  if (combine !== "mean" && combine !== "geometric") {
    throw new RaggedError("INVALID_ARGUMENT", `${who}: \`combine\` must be "mean" or "geometric".`, { received: describe(args.combine) });
  }
  const fromLogits = args.fromLogits ?? false;
  const members = args.members.map((m, i) => {
    if (!m || typeof m.step !== "function") {
      throw new RaggedError("INVALID_ARGUMENT", `${who}: member ${i} has no \`step\` function.`, { received: describe(m?.step), expected: "{ step, states }" });
    }
    if (!Number.isInteger(m.states) || m.states < 0) {
      throw new RaggedError("INVALID_ARGUMENT", `${who}: member ${i} needs \`states\`, how many of the decode's states are its own (an integer ≥ 0).`, {
        received: `states = ${describe(m.states)}`,
        help: "2 for an LSTM decoder (h and c), 1 for a GRU",
      });
    }
    const weight = m.weight ?? 1;
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new RaggedError("INVALID_ARGUMENT", `${who}: member ${i}'s \`weight\` must be a finite number > 0.`, { received: `weight = ${describe(m.weight)}` });
    }
    return { step: m.step, states: m.states, weight };
  });
  const total = members.reduce((s, m) => s + m.weight, 0);
  const weights = members.map((m) => m.weight / total);
  const stateCount = members.reduce((s, m) => s + m.states, 0);

  return async ({ tokens, states, rows, sequences }): Promise<DecodeStepOutput> => {
    if (states.length !== stateCount) {
      throw new RaggedError("SHAPE_MISMATCH", `${who}: the decode has ${states.length} states, but the members own ${stateCount}.`, {
        expected: `initialStates: member 0's ${members[0].states} states, then member 1's … (${members.map((m) => m.states).join(" + ")})`,
        received: `${states.length} states`,
      });
    }
    let V = -1;
    const combined: Float64Array[] = [];
    const next: Float32Array[] = [];
    let first = 0;
    for (let i = 0; i < members.length; i++) {
      const own = states.slice(first, first + members[i].states);
      first += members[i].states;
      const out = await members[i].step({ tokens, states: own, rows, sequences });
      if (!out || !(out.output instanceof Float32Array) || !Array.isArray(out.states)) {
        throw new RaggedError("INVALID_ARGUMENT", `${who}: member ${i}'s step must return { output: Float32Array [rows, vocab], states: Float32Array[] }.`, { received: describe(out) });
      }
      const width = out.output.length / rows;
      if (V === -1) V = width;
      if (width !== V || !Number.isInteger(V)) {
        throw new RaggedError("SHAPE_MISMATCH", `${who}: member ${i}'s output is not [rows, vocabulary] of member 0's vocabulary.`, {
          expected: `${rows} × ${V} values`,
          received: `${out.output.length} values`,
          help: "every member must predict over the same tokens",
        });
      }
      if (out.states.length !== own.length) {
        throw new RaggedError("SHAPE_MISMATCH", `${who}: member ${i} was given ${own.length} states and returned ${out.states.length}.`, {
          expected: `${own.length} states`, received: `${out.states.length}`, help: "check the member's `states` count",
        });
      }
      next.push(...out.states);
      combined.push(memberRows(out.output, rows, V, fromLogits, combine));
    }
    return { output: combineRows(combined, weights, rows, V, combine), states: next };
  };
}

/** A member's rows as probabilities ("mean") or log-probabilities ("geometric"), float64. */
function memberRows(out: Float32Array, rows: number, V: number, fromLogits: boolean, combine: "mean" | "geometric"): Float64Array {
  const r = new Float64Array(rows * V);
  for (let row = 0; row < rows; row++) {
    const into = r.subarray(row * V, (row + 1) * V);
    if (combine === "mean" && !fromLogits) {
      for (let v = 0; v < V; v++) into[v] = out[row * V + v];
      continue;
    }
    logProbabilities(out, row, V, fromLogits, into);
    if (combine === "mean") for (let v = 0; v < V; v++) into[v] = Math.exp(into[v]);
  }
  return r;
}

/** [R, V] probabilities: the weighted mixture, or the renormalized weighted product. */
function combineRows(members: readonly Float64Array[], weights: readonly number[], rows: number, V: number, combine: "mean" | "geometric"): Float32Array {
  const out = new Float32Array(rows * V);
  const acc = new Float64Array(V);
  for (let row = 0; row < rows; row++) {
    const o = row * V;
    acc.fill(0);
    members.forEach((m, i) => {
      for (let v = 0; v < V; v++) acc[v] += weights[i] * m[o + v];
    });
    if (combine === "mean") {
      for (let v = 0; v < V; v++) out[o + v] = acc[v];
      continue;
    }
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, acc[v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(acc[v] - max);
    for (let v = 0; v < V; v++) out[o + v] = Math.exp(acc[v] - max) / sum;
  }
  return out;
}

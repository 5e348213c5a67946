/**
 * The one-step contract shared by `greedyDecode` and `beamSearch`, and the row bookkeeping both
 * use.
 *
 * NOTE [ finished sequences leave the batch ]
 * A decoder is called once per output step on the rows still running: R rows, each with its
 * previous token and its states. When a row emits the end token (or, in beam search, when a
 * sequence has all the hypotheses it needs) its rows are dropped before the next call, exactly as
 * a packed batch's `batchSizes[t]` shrinks when short sequences end (NOTE [ the packed layout ]).
 * So decoding N sequences costs Σ (steps each really takes) rows, never N × the longest: the
 * `rowsStepped` of a result is that sum, and decoding.test.ts checks it.
 *
 * @example
 * // a step that always predicts token 2 (the end token) with probability 1
 * const step: DecodeStep = ({ rows, states }) => ({ output: new Float32Array(rows * 3).map((_, i) => (i % 3 === 2 ? 1 : 0)), states });
 */
import { RaggedError, describe } from "../core/errors.js";

/** What a step receives: R running rows. */
export interface DecodeStepInput {
  /** [R] the token each row emitted last (the start token at the first step). */
  readonly tokens: Int32Array;
  /** One array per decoder state, each [R, H_k] row-major. */
  readonly states: readonly Float32Array[];
  /** R. */
  readonly rows: number;
  /**
   * [R] the sequence (caller index, 0 … count − 1) each row decodes: with beam search several rows
   * decode one sequence. A step that needs per-sequence data besides its states (an attention
   * decoder's encoder outputs) looks it up here; see `stepFromModel`'s `contexts`.
   */
  readonly sequences: Int32Array;
}

/** What a step returns for the same R rows. */
export interface DecodeStepOutput {
  /** [R, V]: next-token probabilities (or logits with `fromLogits`). */
  output: Float32Array;
  /** The states after this step, same count and widths as the input states, each [R, H_k]. */
  states: Float32Array[];
}

/** One decoder step on the rows still running. See NOTE [ finished sequences leave the batch ]. */
export type DecodeStep = (input: DecodeStepInput) => DecodeStepOutput | Promise<DecodeStepOutput>;

/** Options shared by both decoders. */
export interface DecodeArgs {
  /** The decoder's one step. */
  step: DecodeStep;
  /**
   * The decoder's initial states, `initialStates[k][i]` = state k of sequence i (as `RNN.apply`
   * returns `states`; an encoder's final h and c for an LSTM decoder). May be empty (then give `count`).
   */
  initialStates: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>;
  /** Number of sequences to decode; needed only when there are no initial states. */
  count?: number;
  /** The token fed at the first step. */
  startToken: number;
  /** The token that ends a sequence (not included in the returned tokens). */
  endToken: number;
  /** At most this many tokens are emitted per sequence (the end token included). */
  maxLength: number;
  /** The step's output is logits (log-softmax is applied) instead of probabilities. Default false. */
  fromLogits?: boolean;
}

/** What both decoders return, caller order. */
export interface DecodeResult {
  /** Emitted tokens of each sequence, without the start and the end token. */
  sequences: number[][];
  /** Log-probability of each returned sequence (its end token included when it has one). */
  scores: number[];
  /** False where a sequence stopped at `maxLength` without emitting the end token. */
  finished: boolean[];
  /** Calls of the step function (the longest sequence's steps). */
  steps: number;
  /** Σ over calls of the rows passed: the decoding cost. See NOTE [ finished sequences leave the batch ]. */
  rowsStepped: number;
}

/** Flat initial states ([N, H_k] each), their widths, and N. Validates the shared options. */
export function prepareDecode(args: DecodeArgs, who: string): { states: Float32Array[]; widths: number[]; count: number } {
  if (!args || typeof args !== "object") throw new RaggedError("INVALID_ARGUMENT", `${who} takes an options object.`, { received: describe(args) });
  if (typeof args.step !== "function") {
    throw new RaggedError("INVALID_ARGUMENT", `${who} needs \`step\`, a function of ({ tokens, states, rows }).`, { received: describe(args.step), help: "see stepFromModel to make one from a one-step decoder model" });
  }
  for (const key of ["startToken", "endToken"] as const) {
    if (!Number.isInteger(args[key]) || args[key] < 0) throw new RaggedError("INVALID_ARGUMENT", `${who} needs \`${key}\`, a token id (an integer ≥ 0).`, { received: `${key} = ${describe(args[key])}` });
  }
  if (!Number.isInteger(args.maxLength) || args.maxLength < 1) {
    throw new RaggedError("INVALID_ARGUMENT", `${who} needs \`maxLength\`, a positive integer.`, { received: `maxLength = ${describe(args.maxLength)}` });
  }
  if (!Array.isArray(args.initialStates)) {
    throw new RaggedError("INVALID_ARGUMENT", `${who} needs \`initialStates\`: one list of rows per decoder state.`, { expected: "initialStates[k][i] = state k of sequence i", received: describe(args.initialStates) });
  }
  const count = args.initialStates.length ? args.initialStates[0].length : args.count;
  if (!Number.isInteger(count) || (count as number) < 0) {
    throw new RaggedError("INVALID_ARGUMENT", `${who} needs \`count\` (the number of sequences) when there are no initial states.`, { received: `count = ${describe(args.count)}` });
  }
  if (args.count !== undefined && args.count !== count) {
    throw new RaggedError("INVALID_ARGUMENT", `${who}: \`count\` disagrees with the initial states.`, { expected: `${count} (rows in initialStates[0])`, received: `count = ${args.count}` });
  }
  const widths: number[] = [];
  const states = args.initialStates.map((rows, k) => {
    if (!rows || rows.length !== count) {
      throw new RaggedError("SHAPE_MISMATCH", `${who}: initial state ${k} has a different number of sequences than state 0.`, { expected: `${count} rows`, received: describe(rows) });
    }
    const H = count ? rows[0]?.length : 0;
    if (count && (!Number.isInteger(H) || H < 1)) throw new RaggedError("SHAPE_MISMATCH", `${who}: initial state ${k} of sequence 0 is not a list of numbers.`, { received: describe(rows[0]) });
    const flat = new Float32Array(count * H);
    for (let i = 0; i < count; i++) {
      const row = rows[i];
      if (!row || row.length !== H) {
        throw new RaggedError("SHAPE_MISMATCH", `${who}: initial state ${k} of sequence ${i} has the wrong width.`, { expected: `${H} values (as sequence 0)`, received: describe(row) });
      }
      for (let j = 0; j < H; j++) {
        const v = row[j];
        if (!Number.isFinite(v)) throw new RaggedError("NON_FINITE", `${who}: initial state ${k} of sequence ${i} holds ${describe(v)} at ${j}.`, { expected: "finite numbers" });
        flat[i * H + j] = v;
      }
    }
    widths.push(H);
    return flat;
  });
  return { states, widths, count: count as number };
}

/** Calls `step` and checks what it returns: [R, V] output and states of the input widths. */
export async function runStep(
  step: DecodeStep, tokens: Int32Array, states: Float32Array[], widths: readonly number[], who: string, vocab: number | null, sequences: Int32Array,
): Promise<{ output: Float32Array; states: Float32Array[]; V: number }> {
  const rows = tokens.length;
  const out = await step({ tokens, states, rows, sequences });
  if (!out || !(out.output instanceof Float32Array) || !Array.isArray(out.states)) {
    throw new RaggedError("INVALID_ARGUMENT", `${who}: the step function must return { output: Float32Array [rows, vocab], states: Float32Array[] }.`, { received: describe(out) });
  }
  const V = out.output.length / rows;
  if (!Number.isInteger(V) || V < 1 || (vocab !== null && V !== vocab)) {
    throw new RaggedError("SHAPE_MISMATCH", `${who}: the step output is not [rows, vocabulary].`, {
      expected: vocab === null ? `a multiple of ${rows} values (rows)` : `${rows} × ${vocab} values`,
      received: `${out.output.length} values`,
    });
  }
  for (let i = 0; i < out.output.length; i++) {
    if (!Number.isFinite(out.output[i])) {
      throw new RaggedError("NON_FINITE", `${who}: the step output holds ${describe(out.output[i])} (row ${Math.floor(i / V)}, token ${i % V}).`, { expected: "finite probabilities or logits", help: "check the decoder's weights and states" });
    }
  }
  if (out.states.length !== widths.length || out.states.some((s, k) => !(s instanceof Float32Array) || s.length !== rows * widths[k])) {
    throw new RaggedError("SHAPE_MISMATCH", `${who}: the step returned states of other shapes than it was given.`, {
      expected: widths.map((H) => `[${rows}, ${H}]`).join(", "),
      received: out.states.map((s) => `${describe(s)}`).join(", ") || "no states",
    });
  }
  return { output: out.output, states: out.states, V };
}

/** Row `from[r]` of each state for every new row r: states follow their rows when rows move. */
export function gatherStateRows(states: readonly Float32Array[], widths: readonly number[], from: Int32Array): Float32Array[] {
  return states.map((s, k) => {
    const H = widths[k];
    const out = new Float32Array(from.length * H);
    for (let r = 0; r < from.length; r++) out.set(s.subarray(from[r] * H, (from[r] + 1) * H), r * H);
    return out;
  });
}

/** Log-probabilities of one row: log p (probabilities, floored at 1e-30) or log-softmax (logits). */
export function logProbabilities(out: Float32Array, row: number, V: number, fromLogits: boolean, into: Float64Array): void {
  const o = row * V;
  if (!fromLogits) {
    for (let v = 0; v < V; v++) into[v] = Math.log(Math.max(out[o + v], 1e-30));
    return;
  }
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, out[o + v]);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(out[o + v] - max);
  const log = max + Math.log(sum);
  for (let v = 0; v < V; v++) into[v] = out[o + v] - log;
}

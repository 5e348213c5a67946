/**
 * Greedy decoding of many sequences at once: at every step each running row takes its most
 * probable token; rows that emit the end token leave the batch before the next step (NOTE
 * [ finished sequences leave the batch ] in decode_step.ts).
 *
 * @example
 * const { sequences } = await greedyDecode({ step, initialStates: [h, c], startToken: 1, endToken: 2, maxLength: 30 });
 */
import { type DecodeArgs, type DecodeResult, gatherStateRows, prepareDecode, runStep } from "./decode_step.js";

/**
 * Decodes every sequence greedily (argmax at each step; ties go to the lower token id).
 * @param args - the step, initial states (`initialStates[k][i]`), start and end tokens, maxLength.
 * @returns tokens, log-probabilities and `finished` per sequence (caller order), and the cost.
 * @throws RaggedError INVALID_ARGUMENT / SHAPE_MISMATCH / NON_FINITE for bad options or step results.
 * @example
 * const r = await greedyDecode({ step, initialStates: [], count: 3, startToken: 0, endToken: 1, maxLength: 10 });
 * r.sequences.length; // 3
 */
export async function greedyDecode(args: DecodeArgs): Promise<DecodeResult> {
  const who = "greedyDecode";
  const prepared = prepareDecode(args, who);
  const { widths, count } = prepared;
  const fromLogits = args.fromLogits ?? false;
  const sequences: number[][] = Array.from({ length: count }, () => []);
  const scores = new Array<number>(count).fill(0);
  const finished = new Array<boolean>(count).fill(false);
  // The running rows: which sequence each is, its last token, its states.
  let owner = Int32Array.from({ length: count }, (_, i) => i);
  let tokens = new Int32Array(count).fill(args.startToken);
  let states = prepared.states;
  let steps = 0;
  let rowsStepped = 0;
  let vocab: number | null = null;
  while (owner.length > 0 && steps < args.maxLength) {
    const R = owner.length;
    const out = await runStep(args.step, tokens, states, widths, who, vocab, owner);
    vocab = out.V;
    steps++;
    rowsStepped += R;
    const keep: number[] = [];
    const next: number[] = [];
    for (let r = 0; r < R; r++) {
      const o = r * out.V;
      let best = 0;
      for (let v = 1; v < out.V; v++) if (out.output[o + v] > out.output[o + best]) best = v;
      const i = owner[r];
      scores[i] += logProbability(out.output, o, out.V, best, fromLogits);
      if (best === args.endToken) {
        finished[i] = true;
        continue;
      }
      sequences[i].push(best);
      keep.push(r);
      next.push(best);
    }
    const from = Int32Array.from(keep);
    owner = Int32Array.from(keep, (r) => owner[r]);
    tokens = Int32Array.from(next);
    states = keep.length === R ? out.states : gatherStateRows(out.states, widths, from);
  }
  return { sequences, scores, finished, steps, rowsStepped };
}

/** log p(token) for one row of probabilities or logits. */
function logProbability(out: Float32Array, o: number, V: number, token: number, fromLogits: boolean): number {
  if (!fromLogits) return Math.log(Math.max(out[o + token], 1e-30));
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, out[o + v]);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(out[o + v] - max);
  return out[o + token] - max - Math.log(sum);
}

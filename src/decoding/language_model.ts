/**
 * Shallow fusion's shared checks: a language model (a model of output sequences alone, e.g. an
 * n-gram model of the training targets) whose log-probabilities are added, weighted, to a decoder's
 * own while it searches. `ctcDecode`'s beam search and the seq2seq `beamSearch` both take one, as
 * `languageModel` with `languageModelWeight` α and `insertionBonus` β (Gulcehre et al. 2015, "On
 * Using Monolingual Corpora in Neural Machine Translation" §4.1; Hannun et al. 2014 eq. 2):
 *
 *   rank(y) = log p(y | x) + α·log P_LM(y) + β·|y|
 *
 * The model is asked for one row per prefix: `logProbabilities(prefix)` → W numbers ≤ 0, W being
 * the caller's vocabulary width. Plain TypeScript with no Node imports: it runs in browsers.
 *
 * @example
 * const fusion = fusionOf({ languageModel: lm, languageModelWeight: 0.3, insertionBonus: 0.5 }, "beamSearch");
 * const row = checkedLanguageModelRow(fusion!.model, [3, 1], 40, "beamSearch"); // 40 log-probabilities
 */
import { RaggedError, describe } from "../core/errors.js";

/** What fusion needs of a language model: next-token log-probabilities after a prefix. */
export interface NextTokenModel {
  logProbabilities(prefix: readonly number[]): ArrayLike<number>;
}

/** The options a decoder with shallow fusion takes. */
export interface FusionOptions<M extends NextTokenModel> {
  languageModel?: M;
  /** α, the weight of the language model's log-probabilities (default 1). */
  languageModelWeight?: number;
  /** β, added to a hypothesis' score per emitted token (default 0): offsets the preference for short outputs. */
  insertionBonus?: number;
}

/** A checked language model with its weights. */
export interface Fusion<M extends NextTokenModel> {
  model: M;
  weight: number;
  bonus: number;
}

/**
 * Checks the fusion options: the model, α ≥ 0 finite, β finite; α or β without a model is an error.
 * @returns the model with α and β (defaults 1 and 0), or undefined when no model is given.
 * @throws RaggedError INVALID_ARGUMENT naming the option.
 */
export function fusionOf<M extends NextTokenModel>(options: FusionOptions<M>, who: string): Fusion<M> | undefined {
  const { languageModel: model, languageModelWeight: weight = 1, insertionBonus: bonus = 0 } = options;
  if (model === undefined) {
    check(options.languageModelWeight === undefined && options.insertionBonus === undefined, who, "languageModel", "given when languageModelWeight or insertionBonus is", model);
    return undefined;
  }
  check(model !== null && typeof model === "object" && typeof model.logProbabilities === "function", who, "languageModel", "an object with logProbabilities(prefix)", model);
  check(typeof weight === "number" && Number.isFinite(weight) && weight >= 0, who, "languageModelWeight", "a finite number ≥ 0", weight);
  check(typeof bonus === "number" && Number.isFinite(bonus), who, "insertionBonus", "a finite number", bonus);
  return { model, weight, bonus };
}

/**
 * The model's row after `prefix`, checked: `width` numbers, each a log-probability (≤ 0, −Infinity allowed).
 * @throws RaggedError INVALID_ARGUMENT for a row of another length or a value that is not a log-probability.
 */
export function checkedLanguageModelRow(model: NextTokenModel, prefix: readonly number[], width: number, who: string): ArrayLike<number> {
  const row = model.logProbabilities(prefix);
  if (row === null || typeof row !== "object" || row.length !== width) {
    throw new RaggedError("INVALID_ARGUMENT", `The languageModel of ${who} must give one log-probability per output class.`, {
      expected: `logProbabilities(prefix) → ${width} numbers`,
      received: `logProbabilities([${prefix.join(", ")}]) = ${describe(row)}`,
    });
  }
  for (let k = 0; k < width; k++) checkedLogProbability(row[k], `logProbabilities(…)[${k}]`, prefix, who);
  return row;
}

/** `v` if it is a log-probability (a number ≤ 0, −Infinity allowed). */
export function checkedLogProbability(v: unknown, what: string, prefix: readonly number[], who: string): number {
  if (typeof v !== "number" || Number.isNaN(v) || v > 1e-9) {
    throw new RaggedError("INVALID_ARGUMENT", `The languageModel of ${who} returned a value that is not a log-probability.`, {
      expected: "numbers ≤ 0 (−Infinity for impossible)",
      received: `${what} = ${describe(v)} after [${prefix.join(", ")}]`,
    });
  }
  return v;
}

function check(ok: boolean, who: string, name: string, expected: string, value: unknown): void {
  if (!ok) throw new RaggedError("INVALID_ARGUMENT", `${who} option \`${name}\` is out of range.`, { expected: `${name}: ${expected}`, received: `${name} = ${describe(value)}` });
}

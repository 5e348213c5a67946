/**
 * `model.compile`: losses, loss weights and metrics per output, and the optimizer (Keras 3
 * `compile`). Each may be given once for every output, as a list in `outputs` order, or as an
 * object keyed by output name.
 */
import { RaggedError, describe } from "../core/errors.js";
import type { CompileArgs, LayersModel } from "../models/functional.js";
import { type LossSpec, getLoss } from "./losses.js";
import { getOptimizer } from "./optimizers/get_optimizer.js";

function isLossSpec(v: unknown): v is LossSpec {
  if (typeof v === "string") return true;
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.compute === "function" || typeof o.name === "string";
}

/** One entry per output from a value for all, a list, or an object keyed by output name. */
export function perOutput<T>(value: unknown, names: string[], what: string, isSingle: (v: unknown) => v is T): T[] {
  if (isSingle(value)) return names.map(() => value);
  if (Array.isArray(value)) {
    if (value.length !== names.length) {
      throw new RaggedError("TARGET_MISMATCH", `compile: \`${what}\` has ${value.length} entries for ${names.length} outputs.`, {
        expected: `one per output: ${names.map((n) => `"${n}"`).join(", ")}`,
        received: `${value.length}`,
      });
    }
    return value.map((v, k) => {
      if (!isSingle(v)) throw new RaggedError("INVALID_ARGUMENT", `compile: \`${what}\`[${k}] is not valid.`, { received: describe(v) });
      return v;
    });
  }
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const unknownKeys = Object.keys(record).filter((k) => !names.includes(k));
    if (unknownKeys.length) {
      throw new RaggedError("TARGET_MISMATCH", `compile: \`${what}\` names outputs the model does not have.`, {
        expected: `output names ${names.map((n) => `"${n}"`).join(", ")}`,
        received: unknownKeys.map((k) => `"${k}"`).join(", "),
      });
    }
    return names.map((n) => {
      const v = record[n];
      if (!isSingle(v)) {
        throw new RaggedError("TARGET_MISMATCH", `compile: \`${what}\` has no valid entry for output "${n}".`, { received: describe(v), help: `give every output an entry: { ${names.map((x) => `${x}: …`).join(", ")} }` });
      }
      return v;
    });
  }
  throw new RaggedError("INVALID_ARGUMENT", `compile: \`${what}\` is not valid.`, { received: describe(value) });
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isNameList = (v: unknown): v is string[] => Array.isArray(v) && v.every((m) => typeof m === "string" || (typeof m === "object" && m !== null && !Array.isArray(m)));

/**
 * Resolves and sets the model's losses, loss weights, metrics and optimizer.
 * @throws RaggedError `INVALID_ARGUMENT`, `UNKNOWN_NAME`, `TARGET_MISMATCH` (entries for outputs that do not exist, or missing ones).
 */
export function compileModel(model: LayersModel, args: CompileArgs): void {
  if (!args || typeof args !== "object") {
    throw new RaggedError("INVALID_ARGUMENT", "compile() takes { loss, optimizer }.", { received: String(args) });
  }
  const names = model.outputNames;
  const losses = perOutput(args.loss, names, "loss", isLossSpec).map((spec) => getLoss(spec));
  const lossWeights = args.lossWeights === undefined ? names.map(() => 1) : perOutput(args.lossWeights, names, "lossWeights", isNumber);
  let metrics: string[][];
  const m = args.metrics;
  if (m === undefined) metrics = names.map(() => []);
  else if (Array.isArray(m) && m.every((x) => !Array.isArray(x))) metrics = names.map(() => [...(m as string[])]);
  else if (Array.isArray(m)) metrics = perOutput(m, names, "metrics", isNameList).map((l) => [...l]);
  else {
    const record = Object.fromEntries(Object.entries(m as Record<string, string | string[]>).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    for (const n of names) if (!(n in record)) record[n] = [];
    metrics = perOutput(record, names, "metrics", isNameList).map((l) => [...l]);
  }
  const optimizer = getOptimizer(args.optimizer);
  model.losses = losses;
  model.lossWeights = lossWeights;
  model.outputMetrics = metrics;
  model.optimizer = optimizer;
}

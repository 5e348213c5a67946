/**
 * Keras' fit options on the command line (`ragged train`): class weights from `--class-weight`,
 * the loss checked against the targets, and `history.json` beside the saved model.
 *
 * @example
 * classWeightFrom("balanced", targets, ys, "train.jsonl");   // { 0: 0.75, 1: 1.5 } for 2:1 classes
 * await appendHistory("model", { epoch: [0], history: { loss: [0.69] } }, 0);
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { RaggedError } from "../core/errors.js";
import { getLoss } from "../training/losses.js";
import type { Targets } from "./labels.js";

/** `history.json`: Keras' `History` as data — epoch indices (0-based) and one list per log key. */
export interface HistoryFile {
  epoch: number[];
  history: Record<string, number[]>;
}

export const HISTORY_FILE = "history.json";

/**
 * Class weights for `fit` from `--class-weight`: `"balanced"` gives class c the weight
 * n / (K · n_c) over the training targets (scikit-learn's `compute_class_weight`; per-step targets
 * count steps), JSON maps labels (or class ids) to weights.
 * @throws RaggedError `INVALID_ARGUMENT` for a regressor, malformed JSON, an unknown label or a
 *   negative weight.
 */
export function classWeightFrom(spec: string, targets: Targets, ys: readonly (number | number[])[], source: string): Record<number, number> {
  const labels = targets.labels;
  if (labels === null) {
    throw new RaggedError("INVALID_ARGUMENT", `--class-weight weights classes, but the targets of ${source} are numbers (regression).`, {
      help: "drop --class-weight, or pass --task classification if the numbers are class ids",
    });
  }
  if (spec === "balanced") {
    const counts = new Array<number>(labels.length).fill(0);
    let n = 0;
    for (const y of ys) {
      for (const id of Array.isArray(y) ? y : [y]) {
        counts[id] += 1;
        n += 1;
      }
    }
    const out: Record<number, number> = {};
    counts.forEach((c, id) => {
      if (c > 0) out[id] = n / (labels.length * c);
    });
    return out;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(spec);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new RaggedError("INVALID_ARGUMENT", `--class-weight: expected "balanced" or a JSON object of label → weight.`, {
      received: spec.slice(0, 80),
      help: `e.g. --class-weight '{${labels.slice(0, 2).map((l) => `${JSON.stringify(String(l))}: 1`).join(", ")}}'`,
    });
  }
  const out: Record<number, number> = {};
  for (const [key, weight] of Object.entries(parsed)) {
    const id = labels.findIndex((l) => String(l) === key);
    if (id < 0) {
      throw new RaggedError("INVALID_ARGUMENT", `--class-weight: ${JSON.stringify(key)} is not one of the classes of ${source}.`, {
        expected: labels.map((l) => JSON.stringify(String(l))).join(", ").slice(0, 300),
        received: JSON.stringify(key),
      });
    }
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
      throw new RaggedError("INVALID_ARGUMENT", `--class-weight: the weight of ${JSON.stringify(key)} must be a number ≥ 0.`, { received: JSON.stringify(weight) });
    }
    out[id] = weight;
  }
  return out;
}

/**
 * Class labels need a sparse loss: categorical crossentropy takes one-hot rows, which a data file's
 * labels are not. Keras fails deep inside with a shape error; this says what to do.
 * @throws RaggedError `TARGET_MISMATCH` naming the file.
 */
export function checkLossFitsTargets(loss: string, targets: Targets, source: string): void {
  if (targets.labels === null) return;
  let width: number;
  try {
    width = getLoss(loss).targetWidth(targets.labels.length);
  } catch {
    return; // an unknown name: compile reports it with the list of names
  }
  if (width !== 1) {
    const example = targets.labels.slice(0, 2).map((l) => JSON.stringify(l)).join(", ");
    throw new RaggedError("TARGET_MISMATCH", `${source}: --loss ${loss} needs one-hot target rows (${width} numbers per target), but "y" holds class labels (${example}, …).`, {
      help: "drop --loss: class labels train with sparse_categorical_crossentropy (the default), which is categorical crossentropy on class ids; or write y as one-hot lists",
    });
  }
}

/** The history saved in `dir`, or null when there is none (or it is unreadable). */
export async function readHistory(dir: string): Promise<HistoryFile | null> {
  try {
    const json = JSON.parse(await fsp.readFile(join(dir, HISTORY_FILE), "utf8")) as Partial<HistoryFile>;
    if (!Array.isArray(json.epoch) || typeof json.history !== "object" || json.history === null) return null;
    return { epoch: json.epoch, history: json.history };
  } catch {
    return null;
  }
}

/**
 * Writes `dir/history.json` atomically (temporary file, then rename): the `previous` run's epochs
 * before `firstEpoch` (a resumed run continues them), then `current`.
 */
export async function writeHistory(dir: string, previous: HistoryFile | null, firstEpoch: number, current: HistoryFile): Promise<void> {
  const kept = previous === null ? 0 : previous.epoch.filter((e) => e < firstEpoch).length;
  const merged: HistoryFile = { epoch: [...(previous?.epoch.slice(0, kept) ?? []), ...current.epoch], history: {} };
  const keys = new Set([...Object.keys(previous?.history ?? {}), ...Object.keys(current.history)]);
  for (const key of keys) {
    const before = (previous?.history[key] ?? []).slice(0, kept);
    while (before.length < kept) before.push(Number.NaN); // a key the earlier run did not log
    merged.history[key] = [...before, ...(current.history[key] ?? current.epoch.map(() => Number.NaN))];
  }
  const path = join(dir, HISTORY_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  // NaN is not JSON: a missing value is written as null.
  await fsp.writeFile(tmp, JSON.stringify(merged, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1) + "\n");
  await fsp.rename(tmp, path);
}

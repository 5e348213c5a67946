/**
 * Targets of the command line's data files, and the class labels saved with a model.
 *
 * A file's `y` values decide the task: strings or whole numbers are class labels (classification,
 * sparse categorical crossentropy), any other number makes it regression (mean squared error);
 * `--task` overrides. A list per record means per-step targets. Class labels become class ids
 * 0…K−1 in the order of `labels` — the `@classLabel` order of a `.ts` file, else sorted — and that
 * list is saved in model.json as `userDefinedMetadata.ragged.labels`, so `predict` answers with the
 * label itself, e.g. `{"label": "3", "probabilities": […]}`.
 */
import { FileError, RaggedError } from "../core/errors.js";
import type { LayersModel } from "../models/functional.js";
import { returnsSequences } from "./model_shape.js";
import type { Task } from "./layer_spec.js";

/** A class label as written in the data: `"cat"` or `3`. */
export type Label = string | number;
/** A record's `y`: one label or number, or one per step. */
export type Target = Label | Label[];

/** What the targets of a training file are. */
export interface Targets {
  task: Task;
  /** One target per step (true) or per sequence. */
  perStep: boolean;
  /** Class labels in class-id order; null for regression. */
  labels: Label[] | null;
}

/** The part of `userDefinedMetadata.ragged` the command line writes. */
export interface CliMetadata {
  /** Class labels in class-id order (classifiers only). */
  labels?: Label[];
  /** Epochs completed, so `--resume` continues the count. */
  epochsTrained?: number;
  /** `--validation` / `--validation-split` of the run, so `--resume` validates the same way. */
  validation?: string;
  validationSplit?: number;
  /** The batch size trained with, so `--resume` continues the same run (issue 15). */
  batchSize?: number;
}

interface Located {
  y?: Target;
  line: number;
}

/**
 * Reads the targets of a training file.
 * @param records - every record of the file, with its line.
 * @param source - the file, for messages.
 * @param options - `task` to override the inference; `classLabels` from a `.ts` header (their order
 *   is kept); `labels` from `--labels` (the same).
 * @throws FileError `BAD_FILE` naming the line of a record without `y`, or whose `y` has another form
 *   than the first record's (per step vs per sequence, label type).
 */
export function inferTargets(
  records: readonly Located[],
  source: string,
  options: { task?: Task["kind"]; classLabels?: readonly Label[] } = {},
): Targets {
  if (records.length === 0) throw new RaggedError("BAD_FILE", `${source}: no records.`);
  const first = records[0];
  const perStep = Array.isArray(first.y);
  let strings = false;
  let fractional = false;
  for (const r of records) {
    if (r.y === undefined) {
      throw new FileError("BAD_FILE", { source, line: r.line, field: '"y"' }, "missing: training needs a target on every line", {
        expected: 'a "y" key: a class label, a number, or a list with one per step',
        received: 'no "y" key',
      });
    }
    if (Array.isArray(r.y) !== perStep) {
      throw new FileError("BAD_FILE", { source, line: r.line, field: '"y"' }, perStep ? "one target, but earlier lines have one per step" : "a list per step, but earlier lines have one target", {
        expected: perStep ? `a list with one target per step (as line ${first.line})` : `one label or number (as line ${first.line})`,
        received: JSON.stringify(r.y).slice(0, 60),
      });
    }
    for (const v of Array.isArray(r.y) ? r.y : [r.y]) {
      if (typeof v === "string") strings = true;
      else if (!Number.isInteger(v)) fractional = true;
      if (strings && fractional) {
        throw new FileError("BAD_FILE", { source, line: r.line, field: '"y"' }, "mixes string labels and fractional numbers", {
          expected: "class labels (strings or whole numbers) or numbers to regress on, not both",
          received: JSON.stringify(v),
        });
      }
    }
  }
  const kind = options.task ?? (strings || !fractional ? "classification" : "regression");
  if (kind === "regression") {
    if (strings) throw new RaggedError("INVALID_ARGUMENT", `--task regression: ${source} has string labels.`, { help: "regression needs numeric targets; drop --task to classify" });
    return { task: { kind }, perStep, labels: null };
  }
  let labels: Label[];
  if (options.classLabels) {
    labels = [...options.classLabels];
  } else {
    const seen = new Map<string, Label>();
    for (const r of records) for (const v of Array.isArray(r.y) ? r.y : [r.y as Label]) seen.set(key(v), v);
    labels = [...seen.values()].sort(compareLabels);
  }
  const targets: Targets = { task: { kind, classes: labels.length }, perStep, labels };
  for (const r of records) encodeTarget(r.y, r.line, source, targets); // every label known
  if (labels.length < 2) {
    throw new RaggedError("BAD_FILE", `${source}: classification needs at least 2 classes, found ${labels.length} (${labels.map((l) => JSON.stringify(l)).join(", ")}).`, {
      help: "check the file, or pass --task regression for numeric targets",
    });
  }
  return targets;
}

/** Numbers before strings; numbers ascending, strings by code unit (the same everywhere). */
function compareLabels(a: Label, b: Label): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Labels are matched by value and type: `3` and `"3"` are different labels, except from a `.ts` header. */
function key(v: Label): string {
  return typeof v === "number" ? `n:${v}` : `s:${v}`;
}

/**
 * A record's target as the model takes it: a class id (or one per step) for classification, the
 * number(s) for regression.
 * @throws FileError naming `source` and `line`: `BAD_FILE` for a missing `y` or the wrong form,
 *   `UNKNOWN_LABEL` for a label the model was not trained on.
 */
export function encodeTarget(y: Target | undefined, line: number, source: string, targets: Targets): number | number[] {
  const at = { source, line, field: '"y"' };
  if (y === undefined) {
    throw new FileError("BAD_FILE", at, "missing", { expected: 'a "y" key with the target', received: 'no "y" key', help: "evaluation and validation need a target on every line" });
  }
  if (Array.isArray(y) !== targets.perStep) {
    throw new FileError("BAD_FILE", at, targets.perStep ? "one target, but the model predicts one per step" : "a list per step, but the model predicts one per sequence", {
      expected: targets.perStep ? "a list with one target per step" : "one label or number",
      received: JSON.stringify(y).slice(0, 60),
    });
  }
  const one = (v: Label, field: string): number => {
    if (targets.labels === null) {
      if (typeof v !== "number") {
        throw new FileError("BAD_FILE", { ...at, field }, "not a number", { expected: "a number (the model is a regressor)", received: JSON.stringify(v) });
      }
      return v;
    }
    const id = labelIndex(targets.labels, v);
    if (id < 0) {
      throw new FileError("UNKNOWN_LABEL", { ...at, field }, `unknown label ${JSON.stringify(v)}`, {
        expected: `one of the model's ${targets.labels.length} labels: ${targets.labels.map((l) => JSON.stringify(l)).join(", ")}`.slice(0, 400),
        received: JSON.stringify(v),
      });
    }
    return id;
  };
  return Array.isArray(y) ? y.map((v, t) => one(v, `"y"[${t}]`)) : one(y, '"y"');
}

/** A label's class id, or −1. A string header label matches the same number (`"3"` ~ `3`). */
function labelIndex(labels: readonly Label[], v: Label): number {
  const exact = labels.findIndex((l) => l === v);
  if (exact >= 0) return exact;
  return labels.findIndex((l) => typeof l === "string" && typeof v === "number" && l === String(v));
}

/** The command line's entries of a model's `userDefinedMetadata.ragged`. */
export function readCliMetadata(model: LayersModel): CliMetadata {
  const ragged = model.getUserDefinedMetadata()?.ragged as Record<string, unknown> | undefined;
  const out: CliMetadata = {};
  if (Array.isArray(ragged?.labels)) out.labels = ragged.labels.filter((l): l is Label => typeof l === "string" || typeof l === "number");
  if (typeof ragged?.epochsTrained === "number") out.epochsTrained = ragged.epochsTrained;
  if (typeof ragged?.validation === "string") out.validation = ragged.validation;
  if (typeof ragged?.validationSplit === "number") out.validationSplit = ragged.validationSplit;
  if (typeof ragged?.batchSize === "number" && Number.isInteger(ragged.batchSize) && ragged.batchSize > 0) out.batchSize = ragged.batchSize;
  return out;
}

/** Sets the command line's entries of `userDefinedMetadata.ragged`, keeping everything else. */
export function writeCliMetadata(model: LayersModel, entries: CliMetadata): void {
  const all = model.getUserDefinedMetadata() ?? {};
  const ragged = { ...((all.ragged as object | undefined) ?? {}), ...entries };
  model.setUserDefinedMetadata({ ...all, ragged });
}

/** The targets a saved model was trained on, as far as the model tells. */
export function modelTargets(model: LayersModel): Targets {
  const { labels } = readCliMetadata(model);
  const perStep = returnsSequences(model);
  if (labels) return { task: { kind: "classification", classes: labels.length }, perStep, labels };
  return { task: { kind: "regression" }, perStep, labels: null };
}

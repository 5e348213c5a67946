/**
 * Every option of the `ragged` commands, as data (vitest's `cli-config.ts`): the key is the option's
 * camelCase name (`batchSize` is `--batch-size`), the value says what it takes and how to read it.
 * `addOptions` turns a table into commander options; `OptionValues<T>` is the parsed result's type.
 *
 * @example
 * const table = { epochs: { description: "epochs", argument: "<n>", parse: intAtLeast(1), default: 10 } } satisfies OptionTable;
 * addOptions(command, table);
 */
import { type Command, InvalidArgumentError, Option } from "commander";

/** One option. Without `argument` it is a boolean flag. */
export interface OptionSpec<V = unknown> {
  description: string;
  /** E.g. `"<path>"`. */
  argument?: string;
  /** Reads the text; throw InvalidArgumentError with what was expected. */
  parse?: (value: string) => V;
  default?: V;
  required?: boolean;
  /** Names of options that may not be given together with this one. */
  conflicts?: string[];
}

export type OptionTable = Record<string, OptionSpec>;

type ValueOf<S> = S extends { parse: (value: string) => infer V } ? V : S extends { argument: string } ? string : boolean;
/** The parsed options of a table: required or defaulted options are always present. */
export type OptionValues<T extends OptionTable> = {
  [K in keyof T]: T[K] extends { required: true } | { default: unknown } ? ValueOf<T[K]> : ValueOf<T[K]> | undefined;
};

/** `batchSize` → `batch-size`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Registers every option of `table` on `command`. */
export function addOptions(command: Command, table: OptionTable): Command {
  for (const [key, spec] of Object.entries(table)) {
    const option = new Option(`--${flagName(key)}${spec.argument ? ` ${spec.argument}` : ""}`, spec.description);
    if (spec.parse) option.argParser(spec.parse);
    if (spec.default !== undefined) option.default(spec.default);
    if (spec.required) option.makeOptionMandatory();
    if (spec.conflicts) option.conflicts(spec.conflicts);
    command.addOption(option);
  }
  return command;
}

/** An integer parser for option values. */
export function intAtLeast(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}, received "${value}"`);
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, received "${value}"`);
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a fraction between 0 and 1 (exclusive), received "${value}"`);
  return n;
}

function verbosity(value: string): 0 | 1 | 2 {
  if (value !== "0" && value !== "1" && value !== "2") throw new InvalidArgumentError(`expected 0, 1 or 2, received "${value}"`);
  return Number(value) as 0 | 1 | 2;
}

function list(value: string): string[] {
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list, received "${value}"`);
  return items;
}

function oneOf<T extends string>(...choices: T[]) {
  return (value: string): T => {
    if (!(choices as string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(", ")}, received "${value}"`);
    return value as T;
  };
}

const json = { description: "machine-readable output: JSON on stdout, human text on stderr" } satisfies OptionSpec;
const modelDir = { description: "the saved model: its directory or its model.json", argument: "<dir>", required: true } satisfies OptionSpec;
const dataFile = { description: "sequences: a .jsonl file (one {\"x\": …, \"y\": …} a line) or a sktime/UEA .ts file", argument: "<file>", required: true } satisfies OptionSpec;

export const trainOptions = {
  data: { ...dataFile, description: "training data: a .jsonl file (one {\"x\": …, \"y\": …} a line) or a sktime/UEA .ts file" },
  validation: { description: "validation data (same format), evaluated after every epoch", argument: "<file>" },
  layers: {
    description: 'the model as a list of layers, e.g. "lstm:64,dropout:0.2,dense:9:softmax" (see below)',
    argument: "<spec>",
    conflicts: ["model", "resume"],
  },
  model: { description: "start from this model: a saved model (directory or model.json), or a model.json topology", argument: "<file>", conflicts: ["resume"] },
  resume: { description: "continue training the model checkpointed in this directory (weights, optimizer state, epoch count)", argument: "<dir>" },
  out: { description: "directory to save the model in (checkpointed after every epoch); default: the --resume directory", argument: "<dir>" },
  loss: { description: "loss; default sparseCategoricalCrossentropy for class labels, meanSquaredError for numbers", argument: "<name>" },
  optimizer: { description: "optimizer: adam (default), sgd, rmsprop, adamw, adagrad", argument: "<name>" },
  learningRate: { description: "the optimizer's learning rate (default: the optimizer's own)", argument: "<lr>", parse: positiveNumber },
  metrics: { description: "metrics, comma-separated; default accuracy for class labels", argument: "<list>", parse: list },
  epochs: { description: "train until this many epochs in total (with --resume, counting the epochs already done)", argument: "<n>", parse: intAtLeast(1), default: 10 },
  batchSize: { description: "sequences per batch (default 32; with --resume, the checkpoint's, so the run continues as it would have)", argument: "<n>", parse: intAtLeast(1) },
  seed: {
    description: "random seed for initialisation, shuffling and dropout (same seed, same run; --resume continues the checkpoint's random streams)",
    argument: "<n>",
    parse: intAtLeast(0),
    default: 1,
    conflicts: ["resume"],
  },
  task: { description: "classification or regression (default: class labels for strings and whole numbers, else regression)", argument: "<task>", parse: oneOf("classification", "regression") },
  labels: { description: "class labels in class-id order, comma-separated (default: a .ts file's @classLabel, else sorted)", argument: "<list>", parse: list },
  json: { description: "one JSON object per epoch on stdout; summary and progress on stderr" },
  validationSplit: {
    description: "hold out this fraction of the training data (the last sequences, as Keras) for validation",
    argument: "<fraction>",
    parse: fraction,
    conflicts: ["validation"],
  },
  earlyStopping: {
    description: "stop when the validation loss (the loss without validation data) has not improved for this many epochs, and keep the best epoch's weights",
    argument: "<patience>",
    parse: intAtLeast(0),
  },
  classWeight: {
    description: 'weight classes in the loss: "balanced" (n / (classes × count), as scikit-learn) or JSON such as \'{"cat": 1, "dog": 3}\'',
    argument: "<balanced|json>",
  },
  threads: { description: "threads to split each batch across (default: one per core)", argument: "<n>", parse: intAtLeast(1) },
  verbose: { description: "0 silent, 1 progress bar, 2 one line per epoch (also on a terminal)", argument: "<0|1|2>", parse: verbosity, default: 1 },
  csv: { description: "also log every epoch's numbers to this CSV file (Keras CSVLogger; appended to with --resume)", argument: "<file>" },
  tensorboard: { description: "also write TensorBoard event files: a run folder with train/ and validation/ under this folder", argument: "<dir>" },
  report: { description: "write an HTML report (curves, confusion matrix, accuracy by length; opens offline) to this file", argument: "<file>" },
} satisfies OptionTable;

export const predictOptions = {
  model: modelDir,
  data: { ...dataFile, description: "sequences to predict: .jsonl or .ts (any \"y\" is ignored)" },
  out: { description: "write predictions here (JSON Lines) instead of stdout", argument: "<file>" },
  batchSize: { description: "sequences read, predicted and written at a time (memory stays bounded by this)", argument: "<n>", parse: intAtLeast(1), default: 256 },
} satisfies OptionTable;

export const evaluateOptions = {
  model: modelDir,
  data: { ...dataFile, description: "labelled sequences: .jsonl or .ts" },
  batchSize: { description: "sequences per batch (the file is streamed)", argument: "<n>", parse: intAtLeast(1), default: 256 },
  json,
  report: { description: "write an HTML report (confusion matrix, metric by sequence length; opens offline) to this file", argument: "<file>" },
} satisfies OptionTable;

export const summaryOptions = {
  model: modelDir,
  json: { description: "the layers, shapes and parameter counts as one JSON object" },
} satisfies OptionTable;

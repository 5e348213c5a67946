#!/usr/bin/env node
/**
 * The `ragged` command. Exit codes: 0 success, 1 user error (a clear message, no stack trace),
 * 2 internal error.
 */
import { Command, InvalidArgumentError } from "commander";
import { RaggedError } from "../node.js";
import { runDemo } from "./commands/demo.js";
import { evaluateExamples, runEvaluate } from "./commands/evaluate.js";
import { predictExamples, runPredict } from "./commands/predict.js";
import { runSummary, summaryExamples } from "./commands/summary.js";
import { runTrain, trainHelp } from "./commands/train.js";
import { type CliIO, processIO } from "./io.js";
import { packageVersion } from "./version.js";
import { type OptionTable, type OptionValues, addOptions, evaluateOptions, predictOptions, summaryOptions, trainOptions } from "./options.js";

function intOption(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}, received "${value}"`);
    return n;
  };
}

function kernelsOption(value: string): "auto" | "js" {
  if (value !== "auto" && value !== "js") throw new InvalidArgumentError(`expected "auto" or "js", received "${value}"`);
  return value;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("ragged")
    .description("Train recurrent neural networks on sequences of different lengths. (Also installed as `ragged-rnn`: `npx ragged-rnn demo`.)")
    .version(packageVersion(), "-V, --version", "print the version of ragged-rnn")
    .showHelpAfterError();
  program
    .command("demo")
    .description("Train the seed's model: LSTM(32) → LSTM(8) → TimeDistributed(Dense(2)) on generated variable-length batches")
    .option("--epochs <n>", "epochs", intOption(1), 10)
    .option("--steps <n>", "batches per epoch", intOption(1), 30)
    .option("--batch-size <n>", "sequences per batch", intOption(1), 1000)
    .option("--seed <n>", "random seed (same seed, same run)", intOption(0), 1)
    .option("--length <n>", "make every batch exactly n steps long (for timing)", intOption(0))
    .option("--json", "one JSON object per epoch on stdout (the summary goes to stderr)", false)
    .option("--threads <n>", "threads to split each batch across (default: one per core)", intOption(1))
    .option("--kernels <name>", '"auto": WebAssembly SIMD where supported; "js": the reference kernels', kernelsOption, "auto")
    .addHelpText("after", "\nExamples:\n  ragged demo\n  ragged demo --epochs 2 --steps 5 --json\n  ragged demo --length 55 --steps 10 --epochs 1\n  ragged demo --threads 1 --kernels js")
    .action(async (opts) => {
      await runDemo(
        { epochs: opts.epochs, steps: opts.steps, batchSize: opts.batchSize, seed: opts.seed, length: opts.length ?? null, json: opts.json, threads: opts.threads ?? null, kernels: opts.kernels },
        { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s) },
      );
    });
  addCommand(program, "train", "Train a model on a data file (.jsonl or UEA .ts) and save it, checkpointing every epoch", trainOptions, trainHelp, runTrain);
  addCommand(program, "predict", "Predict with a saved model, streaming: one JSON line per input sequence", predictOptions, examples(predictExamples), runPredict);
  addCommand(program, "evaluate", "Print a saved model's loss and metrics on a labelled data file", evaluateOptions, examples(evaluateExamples), runEvaluate);
  addCommand(program, "summary", "Print a saved model's Keras-style summary", summaryOptions, examples(summaryExamples), runSummary);
  return program;
}

function examples(list: string[]): string {
  return `\nExamples:\n${list.map((e) => `  ${e}`).join("\n")}`;
}

/** A command whose options come from a table in options.ts. */
function addCommand<T extends OptionTable>(
  program: Command,
  name: string,
  description: string,
  table: T,
  help: string,
  run: (opts: OptionValues<T>, io: CliIO) => Promise<void>,
): void {
  const command = program.command(name).description(description).showHelpAfterError(`(ragged ${name} --help for usage and examples)`);
  addOptions(command, table).addHelpText("after", help);
  command.action(async (opts: OptionValues<T>) => run(opts, processIO()));
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  // `ragged predict … | head`: the reader left; stop quietly, as Unix tools do.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0 ? 0 : 1;
    }
    if (err instanceof RaggedError) {
      process.stderr.write(`ragged: error [${err.code}]: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`ragged: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 2;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});

/**
 * `ragged evaluate`: the loss and compiled metrics of a saved model on a labelled data file,
 * streamed `--batch-size` sequences at a time. Prints `loss: 0.4123 - accuracy: 0.8811`, or with
 * `--json` one object `{"loss": 0.4123, "accuracy": 0.8811}`.
 */
import { RaggedError } from "../../core/errors.js";
import type { Logs } from "../../training/callbacks.js";
import { chunked, openData } from "../data.js";
import { type CliIO, loadModelFrom } from "../io.js";
import { inputFeaturesOf } from "../model_shape.js";
import { encodeTarget, modelTargets } from "../labels.js";
import type { OptionValues, evaluateOptions } from "../options.js";
import { checkReportPath } from "../../node/report.js";
import { EvaluationCollector } from "../report.js";
import { roundLogs } from "./train.js";

export type EvaluateOptions = OptionValues<typeof evaluateOptions>;

export const evaluateExamples = ["ragged evaluate --model vowels --data JapaneseVowels_TEST.ts", "ragged evaluate --model model --data test.jsonl --json"];

export async function runEvaluate(opts: EvaluateOptions, io: CliIO): Promise<void> {
  if (opts.report) await checkReportPath(opts.report);
  const model = await loadModelFrom(opts.model);
  if (!model.loss) {
    throw new RaggedError("NOT_COMPILED", `${opts.model}: the model was saved without a training config, so it has no loss to evaluate.`, {
      help: "save it with includeOptimizer (ragged train always does)",
    });
  }
  const targets = modelTargets(model);
  const data = await openData(opts.data, { features: inputFeaturesOf(model) });
  let sequences = 0;
  const collector = opts.report ? new EvaluationCollector() : null;
  async function* batches() {
    for await (const chunk of chunked(data.records, opts.batchSize)) {
      sequences += chunk.length;
      const batch = { xs: chunk.map((r) => r.x), ys: chunk.map((r) => encodeTarget(r.y, r.line, opts.data, targets)) };
      collector?.add(model, batch.xs, batch.ys);
      yield batch;
    }
  }
  const logs = roundLogs((await model.evaluateDataset(batches(), { returnDict: true })) as Logs);
  if (opts.json) {
    await io.stdout.write(JSON.stringify(logs) + "\n");
  } else {
    const text = Object.entries(logs)
      .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
      .join(" - ");
    await io.stdout.write(`${sequences} sequences - ${text}\n`);
  }
  if (collector && opts.report) {
    const summary: string[] = [];
    model.summary({ lineLength: 90, print: (l) => summary.push(l) });
    await collector.write(opts.report, { title: `ragged evaluate --model ${opts.model} --data ${opts.data}`, summary: summary.join("\n"), logs, targets, source: opts.data });
    await (opts.json ? io.stderr : io.stdout).write(`Wrote the report to ${opts.report}\n`);
  }
}

/**
 * `ragged predict`: streams a data file through a saved model, `--batch-size` sequences at a time
 * (read, predict, write), so files larger than memory work. One JSON line per input sequence, in
 * input order:
 *
 *   {"label": "3", "probabilities": [0.01, …], "classes": ["1", …]}   a classifier, one output per sequence
 *   {"label": ["a", "b", …], "probabilities": [[…], …], "classes": […]} a classifier, per step
 *   {"y": 0.42}  /  {"y": [0.1, 0.3, …]}                              a regressor, per sequence / per step
 *
 * `classes` names the probabilities in order. A record with an `"id"` gets it back first in its
 * line (`{"id": "utt-7", "label": …}`). The `y` form is the input format's, so predictions can be
 * read back as targets.
 */
import { FileError } from "../../core/errors.js";
import { chunked, openData } from "../data.js";
import { type CliIO, type TextOut, loadModelFrom, openOutputFile } from "../io.js";
import { inputFeaturesOf } from "../model_shape.js";
import { type Label, type Targets, modelTargets } from "../labels.js";
import type { OptionValues, predictOptions } from "../options.js";

export type PredictOptions = OptionValues<typeof predictOptions>;

export const predictExamples = [
  "ragged predict --model vowels --data JapaneseVowels_TEST.ts --out predictions.jsonl",
  "ragged predict --model model --data huge.jsonl | head",
];

export async function runPredict(opts: PredictOptions, io: CliIO): Promise<void> {
  const model = await loadModelFrom(opts.model);
  const targets = modelTargets(model);
  const data = await openData(opts.data, { features: inputFeaturesOf(model) });
  const file = opts.out === undefined ? null : await openOutputFile(opts.out);
  const out: TextOut = file ?? io.stdout;
  try {
    for await (const chunk of chunked(data.records, opts.batchSize)) {
      const outputs = model.predict(
        chunk.map((r) => r.x),
        { batchSize: 32 },
      ) as (number[] | number[][])[];
      outputs.forEach((o, k) => requireFinite(o, chunk[k].line, opts.data));
      const lines = outputs.map((o, i) => {
        const id = chunk[i].id;
        return JSON.stringify(id === undefined ? formatPrediction(o, targets) : { id, ...formatPrediction(o, targets) });
      });
      await out.write(lines.join("\n") + "\n");
    }
    await file?.commit();
  } catch (e) {
    await file?.abort();
    throw e;
  }
}

/**
 * JSON has no NaN or Infinity (JSON.stringify writes null): an output that is not finite is an error
 * naming its input line, never a `null` in the predictions.
 */
function requireFinite(output: number[] | number[][], line: number, source: string): void {
  const values = (output as (number | number[])[]).flat();
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) {
    throw new FileError("NON_FINITE", { source, line }, `the model's output is ${String(bad)}`, {
      expected: "finite outputs",
      received: `${String(bad)} in the prediction for this line`,
      help: "the model overflows float32 on this input: check its weights (e.g. a diverged training run) and the input's scale",
    });
  }
}

/** One output (a row, or one row per step) as its JSON line object. */
export function formatPrediction(output: number[] | number[][], targets: Targets): Record<string, unknown> {
  const { labels } = targets;
  if (targets.perStep) {
    const rows = output as number[][];
    if (labels) return { label: rows.map((r) => labelOf(r, labels)), probabilities: rows.map(round), classes: labels };
    return { y: rows.map((r) => (r.length === 1 ? round(r)[0] : round(r))) };
  }
  const row = output as number[];
  if (labels) return { label: labelOf(row, labels), probabilities: round(row), classes: labels };
  return { y: row.length === 1 ? round(row)[0] : round(row) };
}

function labelOf(row: number[], labels: readonly Label[]): Label {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return labels[best] ?? best;
}

/** Float32 values carry about 7 significant digits; more is noise in the file. */
function round(row: number[]): number[] {
  return row.map((v) => Number(v.toPrecision(7)));
}

/**
 * `ragged summary`: the Keras-style table of a saved model (layers, output shapes, parameters),
 * then its class labels when it is a classifier; `--json` gives the same as one object.
 */
import { type CliIO, loadModelFrom } from "../io.js";
import { readCliMetadata } from "../labels.js";
import type { OptionValues, summaryOptions } from "../options.js";

export type SummaryOptions = OptionValues<typeof summaryOptions>;

export const summaryExamples = ["ragged summary --model vowels", "ragged summary --model vowels/model.json --json"];

export async function runSummary(opts: SummaryOptions, io: CliIO): Promise<void> {
  const model = await loadModelFrom(opts.model);
  const { labels, epochsTrained } = readCliMetadata(model);
  if (opts.json) {
    const shapes = model.layerOutputShapes();
    const summary = {
      name: model.name,
      inputShape: [...model.inputs[0].shape],
      layers: model.layers.map((l, i) => ({ name: l.name, className: l.className, outputShape: shapes[i], params: l.countParams() })),
      totalParams: model.countParams(),
      ...(labels ? { labels } : {}),
      ...(epochsTrained !== undefined ? { epochsTrained } : {}),
    };
    await io.stdout.write(JSON.stringify(summary) + "\n");
    return;
  }
  const lines: string[] = [];
  model.summary({ lineLength: 90, print: (l) => lines.push(l) });
  if (labels) lines.push(`Classes (${labels.length}): ${labels.map(String).join(" ")}`);
  if (epochsTrained !== undefined) lines.push(`Epochs trained: ${epochsTrained}`);
  await io.stdout.write(lines.join("\n") + "\n");
}

/**
 * The Keras summary table, in the classic layout the seed shows (Keras 2 / TF.js):
 *
 *   Model: "sequential"
 *   ______________________________________________________________________
 *   Layer (type)                  Output Shape              Param #
 *   ======================================================================
 *   lstm (LSTM)                   (None, None, 32)          4864
 *   …
 *   Total params: 6,194
 */
import { formatShape, type Layer, type Shape } from "../layers/layer.js";

export interface SummaryOptions {
  /** Total width (Keras `line_length`), default 90 as in the seed. */
  lineLength?: number;
  /** Where each line goes; default console.log. Pass `() => {}` to only get the text back. */
  print?: (line: string) => void;
}

interface SummarizableModel {
  name: string;
  layers: Layer[];
  layerOutputShapes(): Shape[];
}

export function summary(model: SummarizableModel, options: SummaryOptions = {}): string {
  const width = options.lineLength ?? 90;
  const positions = [Math.floor(width * 0.45), Math.floor(width * 0.85), width];
  const lines: string[] = [];
  const row = (cells: string[]) => {
    let line = "";
    cells.forEach((cell, i) => {
      line += cell;
      line = line.slice(0, positions[i]);
      line += " ".repeat(Math.max(0, positions[i] - line.length));
    });
    lines.push(line.trimEnd());
  };
  lines.push(`Model: "${model.name}"`);
  lines.push("_".repeat(width));
  row(["Layer (type)", "Output Shape", "Param #"]);
  lines.push("=".repeat(width));
  const shapes = model.layerOutputShapes();
  let total = 0;
  let trainable = 0;
  model.layers.forEach((layer, i) => {
    const params = layer.countParams();
    total += params;
    trainable += layer.trainableWeights.reduce((n, v) => n + v.size, 0);
    row([`${layer.name} (${layer.className})`, formatShape(shapes[i]), String(params)]);
    lines.push(i === model.layers.length - 1 ? "=".repeat(width) : "_".repeat(width));
  });
  if (model.layers.length === 0) lines.push("=".repeat(width));
  lines.push(`Total params: ${total.toLocaleString("en-US")}`);
  lines.push(`Trainable params: ${trainable.toLocaleString("en-US")}`);
  lines.push(`Non-trainable params: ${(total - trainable).toLocaleString("en-US")}`);
  lines.push("_".repeat(width));
  const text = lines.join("\n");
  const print = options.print ?? ((l: string) => console.log(l));
  for (const l of lines) print(l);
  return text;
}

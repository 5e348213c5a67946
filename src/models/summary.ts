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
import type { Node } from "../layers/symbolic.js";

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

interface GraphSummaryModel {
  name: string;
  /** Every layer once, input layers first. */
  layers: Layer[];
  /** The nodes of the model's graph (the calls that count, for shared layers). */
  graphNodes(): readonly Node[];
  countParams(): number;
  trainableWeights: { size: number }[];
}

/**
 * Keras' functional summary: one row per layer with its output shape, parameters and the tensors
 * it is connected to (`layer[node][tensor]`, one per line), as Keras 2 and TF.js print it.
 *
 *   Model: "seq2seq"
 *   Layer (type)              Output Shape          Param #   Connected to
 *   encoder_in (InputLayer)   [(None, None, 3)]     0
 *   encoder (LSTM)            [(None, 4), (None,    128       encoder_in[0][0]
 *   …
 */
export function functionalSummary(model: GraphSummaryModel, options: SummaryOptions = {}): string {
  const width = options.lineLength ?? 98;
  const positions = [Math.floor(width * 0.33), Math.floor(width * 0.55), Math.floor(width * 0.67), width];
  const lines: string[] = [];
  const row = (cells: string[]) => {
    let line = "";
    cells.forEach((cell, i) => {
      line += cell;
      // keep one space between columns (Keras 2 cuts a long cell flush against the next)
      line = line.slice(0, i === positions.length - 1 ? positions[i] : positions[i] - 1);
      line += " ".repeat(Math.max(0, positions[i] - line.length));
    });
    lines.push(line.trimEnd());
  };
  lines.push(`Model: "${model.name}"`);
  lines.push("_".repeat(width));
  row(["Layer (type)", "Output Shape", "Param #", "Connected to"]);
  lines.push("=".repeat(width));
  const nodes = model.graphNodes();
  model.layers.forEach((layer, i) => {
    const own = nodes.filter((n) => n.layer === layer);
    const calls = own.length ? own : layer.inboundNodes.slice(0, 1);
    const shapes = calls.map((n) => n.outputs.map((t) => formatShape(t.shape)));
    const same = shapes.every((s) => s.join() === shapes[0].join());
    const isInput = layer.className === "InputLayer";
    const shapeText = !same ? "multiple" : isInput || shapes[0].length > 1 ? `[${shapes[0].join(", ")}]` : shapes[0][0];
    const connections = calls.flatMap((n) => n.inputs.map((t) => `${t.node.layer.name}[${t.node.index}][${t.outputIndex}]`));
    row([`${layer.name} (${layer.className})`, shapeText, String(layer.countParams()), connections[0] ?? ""]);
    for (const c of connections.slice(1)) row(["", "", "", c]);
    lines.push(i === model.layers.length - 1 ? "=".repeat(width) : "_".repeat(width));
  });
  const total = model.countParams();
  const trainable = model.trainableWeights.reduce((n, v) => n + v.size, 0);
  lines.push(`Total params: ${total.toLocaleString("en-US")}`);
  lines.push(`Trainable params: ${trainable.toLocaleString("en-US")}`);
  lines.push(`Non-trainable params: ${(total - trainable).toLocaleString("en-US")}`);
  lines.push("_".repeat(width));
  const text = lines.join("\n");
  const print = options.print ?? ((l: string) => console.log(l));
  for (const l of lines) print(l);
  return text;
}

/**
 * The data check for declared step counts (NOTE [ fixed step counts ] in models/functional.ts):
 * every sample must have the steps a model input declares (`input({ shape: [20, 3] })`,
 * `inputShape: [20, 3]`, `[20]` token ids), and the steps reaching a nested model's input must be
 * the steps that input declares. Run once per read of the data (`readSamples`), before any batch,
 * so fit, evaluate, predict, trainOnBatch and the dataset forms refuse the same data the same way.
 *
 * The Sequential and the functional model are said alike: "xs[1] has 4 steps, but the model's
 * inputShape fixes 5." / "xs[1] has 4 steps, but the model's input "seq" fixes 5.", with the
 * shape to declare for any length.
 */
import { RaggedError } from "../core/errors.js";
import type { FixedSteps } from "../models/functional.js";

/**
 * Checks every declared step count against the lengths of the data as read.
 * @param lengthsOf - the per-sample lengths of the model input named so (as given, padding included).
 * @param nameOf - how messages name the data of that input (`xs`, `xs.words`).
 * @throws RaggedError `SHAPE_MISMATCH` for the first sample whose length differs.
 */
export function checkFixedSteps(fixed: readonly FixedSteps[], lengthsOf: (input: string) => Int32Array, nameOf: (input: string) => string): void {
  for (const f of fixed) {
    const raw = lengthsOf(f.lengths.input);
    let lengths = raw;
    for (const layer of f.lengths.through) if (layer.outputLengths) lengths = layer.outputLengths(lengths);
    for (let i = 0; i < lengths.length; i++) {
      if (lengths[i] !== f.steps) throw refusal(f, `${nameOf(f.lengths.input)}[${i}]`, raw[i], lengths[i]);
    }
  }
}

function refusal(f: FixedSteps, where: string, raw: number, length: number): RaggedError {
  const T = f.steps;
  const unit = f.ids ? "token ids" : "steps";
  const declared = f.ids ? `[${T}]` : `[${T}, ${f.features}]`;
  const anyLength = f.ids ? "[null]" : `[null, ${f.features}]`;
  const anyLengthSaid = f.ids ? "any number of token ids" : "sequences of any length";
  const pad = `pad or truncate them to ${T} (padSequences({ maxlen: ${T} }))`;
  if (!f.nested) {
    const by = f.sequential ? "the model's inputShape" : `the model's input "${f.input}"`;
    return new RaggedError("SHAPE_MISMATCH", `${where} has ${raw} ${unit}, but ${by} fixes ${T}${f.ids ? " per sample" : ""}.`, {
      expected: `${T} ${unit} at ${where} (${f.sequential ? "inputShape" : `input "${f.input}" of shape`} ${declared})`,
      received: `${raw} ${unit}`,
      help: f.sequential
        ? `build the model with inputShape: ${anyLength} to take ${anyLengthSaid}, or ${pad}`
        : `declare the input as input({ shape: ${anyLength}, name: "${f.input}" }) to take ${anyLengthSaid}, or ${pad}`,
    });
  }
  const through = f.lengths.through.length ? `, which ${f.lengths.through.map((l) => `"${l.name}"`).join(" → ")} turn${f.lengths.through.length === 1 ? "s" : ""} into ${length},` : "";
  const by = f.sequential ? `its inputShape ${declared}` : `its input "${f.input}" of shape ${declared}`;
  return new RaggedError("SHAPE_MISMATCH", `${where} has ${raw} ${unit}${through} but model "${f.model}", applied to them, fixes ${T}${f.ids ? " per sample" : ""} (${by}).`, {
    expected: `${T} ${unit} reaching model "${f.model}" from ${where} (${by})`,
    received: `${length} ${unit}`,
    help: `build model "${f.model}" on ${anyLength} (${f.sequential ? `inputShape: ${anyLength}` : `input({ shape: ${anyLength} })`}) to take ${anyLengthSaid}, or ${f.lengths.through.length ? `give it data whose ${unit} come to ${T} there` : pad}`,
  });
}

/**
 * Activation names between ragged and Keras JSON.
 *
 * NOTE [ hard_sigmoid in saved files ]
 * Porting note: Keras JSON has one name, `hard_sigmoid`, for two functions. TF.js (and Keras 2)
 * mean `clip(0.2x + 0.5, 0, 1)`; Keras 3 means `relu6(x + 3) / 6` (slope 1/6). ragged has both:
 * `hardSigmoidTfjs` and `hardSigmoid` (Keras 3).
 * - Loading: `hard_sigmoid` is read as TF.js' form (`hardSigmoidTfjs`), so a model from TF.js
 *   predicts what TF.js predicts — unless the file's `userDefinedMetadata.ragged.keras3HardSigmoid`
 *   lists that field (see below).
 * - Saving `hardSigmoidTfjs`: written as `hard_sigmoid`; TF.js computes the same function.
 * - Saving `hardSigmoid` (Keras 3): TF.js has no 1/6 form, so no TF.js config can express it. We
 *   write `hard_sigmoid` (what Keras 3 reads correctly) and list the field, e.g.
 *   `"lstm/recurrent_activation"`, in `userDefinedMetadata.ragged.keras3HardSigmoid`, so ragged
 *   and Keras 3 reload the exact function. TF.js ignores that note and would compute slope 0.2:
 *   models meant for TF.js should use `"hardSigmoidTfjs"` (or `"sigmoid"`, the Keras 3 default).
 */
import { RaggedError } from "../../core/errors.js";
import type { ActivationName } from "../../core/kernels/activations.js";

const TO_KERAS: Record<ActivationName, string> = {
  linear: "linear",
  sigmoid: "sigmoid",
  tanh: "tanh",
  relu: "relu",
  softmax: "softmax",
  hardSigmoid: "hard_sigmoid",
  hardSigmoidTfjs: "hard_sigmoid",
};

const FROM_KERAS: Record<string, ActivationName> = {
  linear: "linear",
  sigmoid: "sigmoid",
  tanh: "tanh",
  relu: "relu",
  softmax: "softmax",
  hard_sigmoid: "hardSigmoidTfjs",
  hardSigmoid: "hardSigmoidTfjs",
};

/** The Keras name of `name`; records Keras 3 hard sigmoids at `path` (see NOTE above). */
export function activationToKeras(name: unknown, path: string, keras3HardSigmoid: string[]): string {
  const keras = typeof name === "string" ? TO_KERAS[name as ActivationName] : undefined;
  if (keras === undefined) {
    throw new RaggedError("UNKNOWN_NAME", `Cannot save activation ${JSON.stringify(name)} of ${path}.`, { expected: `one of ${Object.keys(TO_KERAS).join(", ")}` });
  }
  if (name === "hardSigmoid") keras3HardSigmoid.push(path);
  return keras;
}

/** ragged's activation for a Keras name found at `path` in `source`. */
export function activationFromKeras(value: unknown, path: string, source: string, keras3HardSigmoid: ReadonlySet<string>): ActivationName {
  if (value === null) return "linear";
  const name = typeof value === "string" ? FROM_KERAS[value] : undefined;
  if (name === undefined) {
    throw new RaggedError("UNKNOWN_NAME", `${source}: unsupported activation at ${path}.`, {
      expected: `one of ${Object.keys(FROM_KERAS).filter((k) => k !== "hardSigmoid").join(", ")}`,
      received: JSON.stringify(value),
    });
  }
  return name === "hardSigmoidTfjs" && keras3HardSigmoid.has(path) ? "hardSigmoid" : name;
}

/** Optimizers by name (TF.js camelCase or Keras snake_case), or an instance passed through. */
import { RaggedError } from "../../core/errors.js";
import { Adam } from "./adam.js";
import { Optimizer } from "./optimizer.js";
import { SGD } from "./sgd.js";

const FACTORIES: Record<string, () => Optimizer> = {
  adam: () => new Adam(),
  sgd: () => new SGD(),
};

export function getOptimizer(spec: string | Optimizer): Optimizer {
  if (spec instanceof Optimizer) return spec;
  const make = typeof spec === "string" ? FACTORIES[spec.toLowerCase()] : undefined;
  if (!make) {
    throw new RaggedError("UNKNOWN_NAME", "Unknown optimizer.", {
      expected: `one of ${Object.keys(FACTORIES).map((n) => JSON.stringify(n)).join(", ")}, or an optimizer instance`,
      received: JSON.stringify(spec),
    });
  }
  return make();
}

/**
 * Optimizers by name (TF.js camelCase, Keras snake_case or class name, any case), by name with
 * options (`{ name: "adam", learningRate: 0.01 }`), or an instance passed through. A config's
 * `learningRate` may be a number, a schedule, or a schedule serialized as `{ className, config }`
 * (so `getOptimizer({ name: o.className, ...o.getConfig() })` rebuilds `o`).
 */
import { RaggedError, describe } from "../../core/errors.js";
import { Adagrad } from "./adagrad.js";
import { Adam } from "./adam.js";
import { AdamW } from "./adamw.js";
import { Optimizer } from "./optimizer.js";
import { RMSprop } from "./rmsprop.js";
import { getSchedule, isSerializedSchedule } from "./schedules.js";
import { SGD } from "./sgd.js";

/**
 * An optimizer named with its options, e.g. `{ name: "rmsprop", learningRate: 0.01, rho: 0.95 }`:
 * the options of `OptimizerArgs` and of the named optimizer's own (`AdamArgs`, `SGDArgs`,
 * `RMSpropArgs`, `AdagradArgs`); any other option is `INVALID_ARGUMENT`.
 */
export interface OptimizerConfig {
  /** "adam", "adamw", "sgd", "rmsprop" or "adagrad", in any case. */
  name: string;
  [option: string]: unknown;
}

/** What `getOptimizer` (and so `compile`) accepts. */
export type OptimizerSpec = string | OptimizerConfig | Optimizer;

const SHARED = ["learningRate", "clipnorm", "clipvalue", "globalClipnorm", "weightDecay"];
const ADAM = ["beta1", "beta2", "epsilon", "amsgrad"];

interface Entry {
  make: (args: Record<string, unknown>) => Optimizer;
  options: string[];
}

const FACTORIES: Record<string, Entry> = {
  adam: { make: (a) => new Adam(a), options: ADAM },
  adamw: { make: (a) => new AdamW(a), options: ADAM },
  sgd: { make: (a) => new SGD(a), options: ["momentum", "nesterov"] },
  rmsprop: { make: (a) => new RMSprop(a), options: ["rho", "momentum", "epsilon", "centered"] },
  adagrad: { make: (a) => new Adagrad(a), options: ["initialAccumulatorValue", "epsilon"] },
};

/**
 * An optimizer from a name, a `{ name, ...options }` config, or an instance (returned as is).
 * Names: "adam", "adamw", "sgd", "rmsprop", "adagrad", in any case ("RMSprop", "AdamW").
 * @param spec - the optimizer.
 * @returns a fresh optimizer (or the instance given).
 * @throws RaggedError `UNKNOWN_NAME` for an unknown name; `INVALID_ARGUMENT` for an option the
 *   optimizer does not take, or a bad option value.
 * @example
 * getOptimizer("rmsprop").getConfig().rho; // 0.9
 * getOptimizer({ name: "adam", learningRate: 0.01 }).learningRate; // 0.01
 */
export function getOptimizer(spec: OptimizerSpec): Optimizer {
  if (spec instanceof Optimizer) return spec;
  const isConfig = typeof spec === "object" && spec !== null && typeof (spec as OptimizerConfig).name === "string";
  const name = typeof spec === "string" ? spec : isConfig ? (spec as OptimizerConfig).name : undefined;
  const entry = name === undefined ? undefined : FACTORIES[name.toLowerCase()];
  if (!entry) {
    throw new RaggedError("UNKNOWN_NAME", "Unknown optimizer.", {
      expected: `one of ${Object.keys(FACTORIES).map((n) => JSON.stringify(n)).join(", ")}, a { name, ...options } config, or an optimizer instance`,
      received: typeof spec === "string" ? JSON.stringify(spec) : describe(spec),
    });
  }
  const args: Record<string, unknown> = {};
  if (isConfig) {
    const allowed = [...SHARED, ...entry.options];
    for (const [key, value] of Object.entries(spec as OptimizerConfig)) {
      if (key === "name" || value === undefined) continue;
      if (!allowed.includes(key)) {
        throw new RaggedError("INVALID_ARGUMENT", `Optimizer "${name}" does not take the option \`${key}\`.`, {
          expected: `options among ${allowed.map((o) => `\`${o}\``).join(", ")}`,
          received: `${key} = ${describe(value)}`,
        });
      }
      // A schedule as getConfig() writes it, { className, config }, is rebuilt.
      args[key] = key === "learningRate" && isSerializedSchedule(value) ? getSchedule(value) : value;
    }
  }
  return entry.make(args);
}

/** Names accepted by `getOptimizer`. */
export function optimizerNames(): string[] {
  return Object.keys(FACTORIES);
}

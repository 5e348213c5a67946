/**
 * Optimizer state in a saved model (`includeOptimizer: true`), laid out as TF.js lays it out so
 * that `tf.loadLayersModel` restores it too: manifest entries in the `"optimizer"` group —
 * `iter` (int32 scalar, the step count), then slot 0 of every trainable weight, then slot 1, …
 * named `<weight>/<slot>` (see `slotNames`): Adam and AdamW `lstm/kernel/m`, `lstm/kernel/v` (and
 * ragged's `…/vhat` with amsgrad), SGD with momentum `lstm/kernel/momentum`, RMSprop
 * `lstm/kernel/rms` (+ `…/momentum`, `…/mg`), Adagrad `lstm/kernel/accumulator`.
 * `trainingConfig` records the loss, the metrics and the optimizer's class and config. A model
 * with several outputs writes a list of losses (one per output, as TF.js and Keras read it), and
 * its metrics as one list when every output has the same, else an object keyed by output name
 * (one name per output as TF.js reads it, or a list per output, Keras' form, which TF.js cannot
 * read). Loss weights other than 1 go to `userDefinedMetadata.ragged.lossWeights`, not to Keras'
 * `loss_weights`: TF.js refuses a file with that field ("Loading loss_weights is not supported
 * yet"); ragged reads either.
 *
 * Porting notes:
 * - TF.js' SGD with momentum is its own class, `Momentum` (`useNesterov`); ragged writes that class
 *   name for SGD with momentum > 0 and reads both back as SGD.
 * - TF.js' RMSprop is `RMSProp` with `decay` for ragged's (and Keras') `rho`; ragged reads that
 *   (its optimizer state too: TF.js always keeps a `momentum` slot, ignored when momentum is 0).
 *   ragged writes Keras' `RMSprop`, and `AdamW`, which TF.js does not have: `tf.loadLayersModel`
 *   opens such a file only without its optimizer (save without includeOptimizer for TF.js).
 */
import { RaggedError } from "../core/errors.js";
import type { Variable } from "../layers/layer.js";
import type { LayersModel } from "../models/functional.js";
import { getLoss } from "../training/losses.js";
import { getOptimizer } from "../training/optimizers/get_optimizer.js";
import { Adagrad } from "../training/optimizers/adagrad.js";
import { Adam } from "../training/optimizers/adam.js";
import type { Optimizer } from "../training/optimizers/optimizer.js";
import { RMSprop } from "../training/optimizers/rmsprop.js";
import { SGD } from "../training/optimizers/sgd.js";
import type { TrainingConfig } from "./artifacts.js";
import { camelKey, snakeKey } from "./keras_format/case.js";
import type { NamedWeight } from "./weights.js";

/**
 * The names of the optimizer's slots, in its slot order: TF.js' where TF.js has the optimizer
 * (Adam `m`, `v`; SGD with momentum `momentum`; RMSprop `rms`, `momentum`, `mg` for the centered
 * mean gradient; Adagrad `accumulator`), ragged's own for what TF.js lacks (Adam's `vhat` with
 * amsgrad; AdamW as Adam), `slot<k>` for an optimizer this file does not know.
 */
function slotNames(optimizer: Optimizer): readonly string[] {
  let names: string[] = [];
  if (optimizer instanceof Adam) names = ["m", "v", "vhat"];
  else if (optimizer instanceof SGD) names = ["momentum"];
  else if (optimizer instanceof RMSprop) names = ["rms", ...(optimizer.momentum > 0 ? ["momentum"] : []), ...(optimizer.centered ? ["mg"] : [])];
  else if (optimizer instanceof Adagrad) names = ["accumulator"];
  return Array.from({ length: optimizer.slotsPerVariable }, (_, k) => names[k] ?? `slot${k}`);
}

/** The optimizer's state as manifest weights (`iter` first), TF.js' order. */
export function optimizerWeights(model: LayersModel, names: ReadonlyMap<Variable, string>): NamedWeight[] {
  const optimizer = model.optimizer;
  if (!optimizer) return [];
  const slots = optimizer.getSlots();
  const out: NamedWeight[] = [{ name: "iter", shape: [], dtype: "int32", values: Int32Array.of(optimizer.iterations), group: "optimizer" }];
  slotNames(optimizer).forEach((slot, k) => {
    for (const v of model.trainableWeights) {
      out.push({ name: `${names.get(v)}/${slot}`, shape: v.shape, dtype: "float32", values: slots.get(v)?.[k] ?? new Float32Array(v.size), group: "optimizer" });
    }
  });
  return out;
}

/** Restores `iter` and every slot; checks names and shapes first, changes nothing on error. */
export function restoreOptimizer(model: LayersModel, decoded: ReadonlyMap<string, NamedWeight>, names: ReadonlyMap<Variable, string>, source: string): void {
  const optimizer = model.optimizer;
  const saved = [...decoded.values()].filter((w) => w.group === "optimizer");
  if (!optimizer || saved.length === 0) return;
  const iter = decoded.get("iter");
  const restored = new Map<Variable, Float32Array[]>();
  for (const v of model.trainableWeights) {
    restored.set(
      v,
      slotNames(optimizer).map((slot) => {
        const name = `${names.get(v)}/${slot}`;
        const w = decoded.get(name);
        if (!w || w.group !== "optimizer" || w.values.length !== v.size) {
          throw new RaggedError("SHAPE_MISMATCH", `${source}: optimizer weight "${name}" is missing or has the wrong shape.`, {
            expected: `[${v.shape.join(", ")}]`,
            received: w ? `[${w.shape.join(", ")}]` : "no such weight",
          });
        }
        return Float32Array.from(w.values);
      }),
    );
  }
  optimizer.iterations = iter ? Number(iter.values[0]) : 0;
  // Saved before any step, the slots were never made (Adagrad's would start at its initial value).
  optimizer.setSlots(optimizer.iterations > 0 ? restored : new Map());
}

/** Keras' training config for a compiled model. */
export function trainingConfigOf(model: LayersModel): TrainingConfig | undefined {
  if (!model.loss || !model.optimizer) return undefined;
  const o = model.optimizer;
  let optimizerConfig: TrainingConfig["optimizer_config"];
  if (o instanceof SGD && o.momentum > 0) {
    optimizerConfig = { class_name: "Momentum", config: { learningRate: o.learningRate, momentum: o.momentum, useNesterov: o.nesterov } };
  } else {
    optimizerConfig = { class_name: o.className, config: { ...o.getConfig() } };
  }
  if (model.losses.length <= 1) return { loss: snakeKey(model.loss.name), metrics: model.metrics.map(snakeKey), optimizer_config: optimizerConfig };
  const names = model.outputNames;
  const metrics = model.outputMetrics.map((list) => list.map(snakeKey));
  const sameMetrics = metrics.every((list) => JSON.stringify(list) === JSON.stringify(metrics[0]));
  const onePerOutput = metrics.every((list) => list.length <= 1);
  const byOutput = Object.fromEntries(names.flatMap((n, k) => (metrics[k].length === 0 ? [] : [[n, onePerOutput ? metrics[k][0] : metrics[k]]])));
  return {
    loss: model.losses.map((l) => snakeKey(l.name)),
    metrics: sameMetrics ? metrics[0] : (byOutput as Record<string, string>),
    optimizer_config: optimizerConfig,
  };
}

/** Compiles `model` as its training config says. */
export function compileFromTrainingConfig(model: LayersModel, config: TrainingConfig, source: string, savedLossWeights?: unknown): void {
  const opt = config.optimizer_config as { class_name?: string; config?: Record<string, unknown> };
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opt?.config ?? {})) if (v !== null && v !== undefined) options[camelKey(k)] = v;
  let optimizer: Optimizer;
  try {
    if (opt?.class_name === "Momentum") {
      // TF.js' SGD with momentum (see the porting note above).
      optimizer = new SGD({ learningRate: options.learningRate as number, momentum: options.momentum as number, nesterov: options.useNesterov === true });
    } else if (opt?.class_name === "RMSProp") {
      // TF.js' RMSprop (see the porting note above).
      const { decay, ...rest } = options;
      optimizer = getOptimizer({ name: "rmsprop", ...rest, ...(decay === undefined ? {} : { rho: decay }) });
    } else if (typeof opt?.class_name === "string") {
      optimizer = getOptimizer({ name: opt.class_name, ...options } as unknown as Parameters<typeof getOptimizer>[0]);
    } else {
      throw new RaggedError("BAD_FILE", "trainingConfig.optimizer_config has no class_name.");
    }
  } catch (e) {
    if (e instanceof RaggedError) throw new RaggedError(e.code === "BAD_FILE" ? "BAD_FILE" : "UNSUPPORTED", `${source}: cannot restore the optimizer: ${e.message}`);
    throw e;
  }
  const isName = (v: unknown) => typeof v === "string";
  const loss = config.loss as unknown;
  const lossOk = isName(loss) || (Array.isArray(loss) && loss.every(isName)) || (loss !== null && typeof loss === "object" && Object.values(loss).every(isName));
  if (!lossOk) {
    throw new RaggedError("UNSUPPORTED", `${source}: trainingConfig.loss must be a loss name, a list of them or an object of them by output name.`, { received: JSON.stringify(config.loss) });
  }
  const metrics = config.metrics === undefined || config.metrics === null ? [] : config.metrics;
  // checked by compile (a malformed entry is BAD_FILE below)
  const lossWeights = (savedLossWeights ?? config.loss_weights ?? undefined) as number[] | Record<string, number> | undefined;
  try {
    model.compile({
      loss: typeof loss === "string" ? getLoss(loss) : (loss as string[] | Record<string, string>),
      optimizer,
      metrics: metrics as string[] | Record<string, string>,
      ...(lossWeights === undefined ? {} : { lossWeights }),
    });
  } catch (e) {
    if (e instanceof RaggedError) throw new RaggedError(e.code === "UNKNOWN_NAME" ? "UNKNOWN_NAME" : "BAD_FILE", `${source}: cannot compile the model from its trainingConfig: ${e.message.split("\n")[0]}`, { received: e.received, expected: e.expected });
    throw e;
  }
}

/**
 * What the standard callbacks share: the model hand-over check, the "min"/"max" inference from a
 * monitored name, the default message sink and argument checks.
 */
import { RaggedError, describe } from "../../../core/errors.js";
import type { CallbackModel } from "../../callbacks.js";

/** Where a callback's messages go: missing-metric warnings and, with `verbose: 1`, what it did. */
export type LogFunction = (message: string) => void;

/** The default message sink: `console.warn` (stderr in Node, the console in browsers). */
export const defaultLog: LogFunction = (message) => console.warn(message);

export type MonitorMode = "auto" | "min" | "max";

/**
 * The model a callback was given by `setModel`, or a RaggedError saying how to give it one.
 * @throws RaggedError `INVALID_ARGUMENT` when `setModel` was never called.
 */
export function requireModel(model: CallbackModel | null, who: string): CallbackModel {
  if (model === null) {
    throw new RaggedError("INVALID_ARGUMENT", `${who} has no model to act on.`, {
      expected: "setModel(model) before training starts",
      received: "a callback that was never given a model",
      help: "pass the callback in fit's `callbacks` (fit calls setModel), or call callback.setModel(model) yourself",
    });
  }
  return model;
}

/** The optimizer's holder of `learningRate`, or a RaggedError when the model is not compiled. */
export function requireOptimizer(model: CallbackModel, who: string): { learningRate: number } {
  if (model.optimizer === null) {
    throw new RaggedError("NOT_COMPILED", `${who} needs the model's optimizer, but the model is not compiled.`, {
      help: 'call model.compile({ loss: "mse", optimizer: "sgd" }) before fit',
    });
  }
  return model.optimizer;
}

/**
 * NOTE [ auto mode ]: in `"auto"` mode a monitored quantity is maximised when its name contains
 * `acc` (so also `accuracy`) or `auc`, and minimised otherwise (`loss`, `val_loss`, `mae`, …).
 *
 * Porting note: Keras 3 asks the compiled metrics for their direction and raises for names it cannot
 * resolve; ragged has no metric objects on the model yet, so it decides from the name, as Keras 2 did.
 */
export function resolveMode(mode: MonitorMode, monitor: string): "min" | "max" {
  if (mode !== "auto") return mode;
  return monitor.includes("acc") || monitor.includes("auc") ? "max" : "min";
}

/** Rejects anything but "auto", "min" or "max". Porting note: Keras warns and falls back to "auto". */
export function checkMode(mode: unknown, who: string): MonitorMode {
  if (mode !== "auto" && mode !== "min" && mode !== "max") {
    throw new RaggedError("INVALID_ARGUMENT", `${who}: unknown \`mode\`.`, {
      expected: '"auto", "min" or "max"',
      received: `mode = ${describe(mode)}`,
    });
  }
  return mode;
}

export function checkNonNegativeInt(value: unknown, name: string, who: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new RaggedError("INVALID_ARGUMENT", `${who}: \`${name}\` must be a non-negative integer.`, {
      received: `${name} = ${describe(value)}`,
    });
  }
  return value;
}

export function checkFinite(value: unknown, name: string, who: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RaggedError("INVALID_ARGUMENT", `${who}: \`${name}\` must be a finite number.`, {
      received: `${name} = ${describe(value)}`,
    });
  }
  return value;
}

export function checkString(value: unknown, name: string, who: string): string {
  if (typeof value !== "string" || value === "") {
    throw new RaggedError("INVALID_ARGUMENT", `${who}: \`${name}\` must be a logged name such as "val_loss".`, {
      received: `${name} = ${describe(value)}`,
    });
  }
  return value;
}

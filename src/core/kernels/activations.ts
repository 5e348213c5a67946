/**
 * Element-wise activations, each with its derivative written in terms of its *output* y, so that
 * backward needs only what forward stored: σ' = y(1−y), tanh' = 1−y², relu' = [y>0], ….
 *
 * Porting note: `hardSigmoid` is Keras 3's `relu6(x + 3) / 6` (slope 1/6). TF.js uses
 * `clip(0.2x + 0.5, 0, 1)` (slope 0.2); a model loaded from TF.js with hardSigmoid says which it
 * means (see io/), and the kernel takes `hardSigmoidTfjs` for the TF.js form.
 */
import { RaggedError } from "../errors.js";

export type ActivationName = "linear" | "sigmoid" | "tanh" | "relu" | "softmax" | "hardSigmoid" | "hardSigmoidTfjs";

/** Element-wise activations (all but softmax) by id, for tight loops. */
export const enum Act {
  Linear = 0,
  Sigmoid = 1,
  Tanh = 2,
  Relu = 3,
  HardSigmoid = 4,
  HardSigmoidTfjs = 5,
}

const ELEMENTWISE_IDS: Partial<Record<ActivationName, Act>> = {
  linear: Act.Linear,
  sigmoid: Act.Sigmoid,
  tanh: Act.Tanh,
  relu: Act.Relu,
  hardSigmoid: Act.HardSigmoid,
  hardSigmoidTfjs: Act.HardSigmoidTfjs,
};

/** Activations usable inside a recurrent cell (their derivative follows from the output). */
export const CELL_ACTIVATIONS: readonly ActivationName[] = ["linear", "sigmoid", "tanh", "relu", "hardSigmoid", "hardSigmoidTfjs"];

/** The supported activation names; `dense` accepts all of them, cells the element-wise subset. */
export const SUPPORTED_ACTIVATIONS: readonly ActivationName[] = ["linear", "sigmoid", "tanh", "relu", "softmax", "hardSigmoid", "hardSigmoidTfjs"];

/** Accepts Keras' snake_case spellings too (`hard_sigmoid`). */
export function parseActivation(name: unknown, where: string, allowed: readonly ActivationName[] = SUPPORTED_ACTIVATIONS): ActivationName {
  const normalised = typeof name === "string" ? name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) : name;
  if (normalised === null || normalised === undefined) return "linear";
  if (typeof normalised === "string" && (allowed as readonly string[]).includes(normalised)) return normalised as ActivationName;
  throw new RaggedError("UNKNOWN_NAME", `Unknown activation for ${where}.`, {
    expected: `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`,
    received: JSON.stringify(name),
  });
}

export function activationId(name: ActivationName): Act {
  const id = ELEMENTWISE_IDS[name];
  if (id === undefined) throw new RaggedError("UNSUPPORTED", `Activation "${name}" cannot be used element-wise here.`);
  return id;
}

export function applyScalar(act: Act, x: number): number {
  switch (act) {
    case Act.Linear: return x;
    case Act.Sigmoid: return 1 / (1 + Math.exp(-x));
    case Act.Tanh: return Math.tanh(x);
    case Act.Relu: return x > 0 ? x : 0;
    case Act.HardSigmoid: return x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + 0.5;
    case Act.HardSigmoidTfjs: return x <= -2.5 ? 0 : x >= 2.5 ? 1 : 0.2 * x + 0.5;
  }
}

/** dy/dx expressed through y = act(x). */
export function derivativeFromOutput(act: Act, y: number): number {
  switch (act) {
    case Act.Linear: return 1;
    case Act.Sigmoid: return y * (1 - y);
    case Act.Tanh: return 1 - y * y;
    case Act.Relu: return y > 0 ? 1 : 0;
    case Act.HardSigmoid: return y > 0 && y < 1 ? 1 / 6 : 0;
    case Act.HardSigmoidTfjs: return y > 0 && y < 1 ? 0.2 : 0;
  }
}

/** x[0:n] ← act(x[0:n]) (or softmax over rows of width `width`). */
export function activateInPlace(name: ActivationName, x: Float32Array, rows: number, width: number): void {
  if (name === "linear") return;
  if (name === "softmax") {
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      let max = -Infinity;
      for (let j = 0; j < width; j++) if (x[o + j] > max) max = x[o + j];
      let sum = 0;
      for (let j = 0; j < width; j++) {
        const e = Math.exp(x[o + j] - max);
        x[o + j] = e;
        sum += e;
      }
      for (let j = 0; j < width; j++) x[o + j] /= sum;
    }
    return;
  }
  const act = activationId(name);
  const n = rows * width;
  // One loop per activation (the switch hoisted out of the element loop: 3–5× faster than calling
  // applyScalar per element); each computes exactly applyScalar's formula.
  switch (act) {
    case Act.Sigmoid:
      for (let i = 0; i < n; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
      return;
    case Act.Tanh:
      for (let i = 0; i < n; i++) x[i] = Math.tanh(x[i]);
      return;
    case Act.Relu:
      for (let i = 0; i < n; i++) if (!(x[i] > 0)) x[i] = 0;
      return;
    default:
      for (let i = 0; i < n; i++) x[i] = applyScalar(act, x[i]);
  }
}

/**
 * The gradient before the activation for `dy` after it: `dy` itself for linear (the caller only
 * reads it), else a new array from `activationBackward`.
 */
export function preActivationGrad(name: ActivationName, dy: Float32Array, y: Float32Array, rows: number, width: number): Float32Array {
  if (name === "linear") return dy;
  const dz = new Float32Array(rows * width);
  activationBackward(name, dz, dy, y, rows, width);
  return dz;
}

/** dx ← dy ⊙ act'(x), from the stored output y (softmax: the row-wise Jacobian). dx may alias dy. */
export function activationBackward(name: ActivationName, dx: Float32Array, dy: Float32Array, y: Float32Array, rows: number, width: number): void {
  if (name === "softmax") {
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      let dot = 0;
      for (let j = 0; j < width; j++) dot += dy[o + j] * y[o + j];
      for (let j = 0; j < width; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
    }
    return;
  }
  const act = activationId(name);
  const n = rows * width;
  if (act === Act.Linear) {
    if (dx !== dy) dx.set(dy.subarray(0, n));
    return;
  }
  switch (act) {
    case Act.Sigmoid:
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (y[i] * (1 - y[i]));
      return;
    case Act.Tanh:
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      return;
    case Act.Relu:
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (y[i] > 0 ? 1 : 0);
      return;
    default:
      for (let i = 0; i < n; i++) dx[i] = dy[i] * derivativeFromOutput(act, y[i]);
  }
}

/**
 * Weight regularizers, Keras 3: `l1` adds l1·Σ|w|, `l2` adds l2·Σw², `l1l2` both (Keras' default
 * factor 0.01 for each when only the name is given). The penalty is added to the training loss
 * and its gradient to the weight's gradient (training/train_step.ts).
 *
 * @example
 * layers.dense({ units: 4, kernelRegularizer: { l2: 1e-4 } });
 * layers.lstm({ units: 8, recurrentRegularizer: "l1" });
 */
import { RaggedError, describe } from "../core/errors.js";

export type RegularizerSpec = "l1" | "l2" | "l1l2" | { l1?: number; l2?: number };

export interface Regularizer {
  readonly l1: number;
  readonly l2: number;
}

/** null for none; throws UNKNOWN_NAME / INVALID_ARGUMENT otherwise. */
export function parseRegularizer(spec: unknown, where: string): Regularizer | null {
  if (spec === undefined || spec === null) return null;
  if (spec === "l1") return { l1: 0.01, l2: 0 };
  if (spec === "l2") return { l1: 0, l2: 0.01 };
  if (spec === "l1l2" || spec === "l1_l2") return { l1: 0.01, l2: 0.01 };
  if (typeof spec === "object") {
    const { l1 = 0, l2 = 0 } = spec as { l1?: unknown; l2?: unknown };
    for (const [k, v] of [["l1", l1], ["l2", l2]] as const) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        throw new RaggedError("INVALID_ARGUMENT", `${where}: regularizer factor ${k} must be a finite number ≥ 0.`, { received: describe(v) });
      }
    }
    return { l1: l1 as number, l2: l2 as number };
  }
  throw new RaggedError("UNKNOWN_NAME", `Unknown regularizer for ${where}.`, {
    expected: '"l1", "l2", "l1l2" or { l1, l2 }',
    received: JSON.stringify(spec),
  });
}

/** The penalty of `w`; adds its gradient into `grad` when given. */
export function regularize(reg: Regularizer, w: Float32Array, grad: Float32Array | null): number {
  let penalty = 0;
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    penalty += reg.l1 * Math.abs(v) + reg.l2 * v * v;
    if (grad) grad[i] += reg.l1 * Math.sign(v) + 2 * reg.l2 * v;
  }
  return penalty;
}

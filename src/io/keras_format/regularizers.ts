/**
 * Weight regularizers between ragged (`null`, or `{ l1, l2 }`) and Keras JSON (`null`, or
 * `{ class_name: "L1L2", config: { l1, l2 } }` — TF.js' one regularizer class; Keras 3's `L1` and
 * `L2` are read too).
 */
import { RaggedError } from "../../core/errors.js";
import type { KerasObject } from "./initializers.js";

export function regularizerToKeras(value: unknown, path: string): KerasObject | null {
  if (value === null || value === undefined) return null;
  const v = value as { l1?: unknown; l2?: unknown };
  if (typeof v === "object" && (typeof v.l1 === "number" || typeof v.l2 === "number")) {
    return { class_name: "L1L2", config: { l1: typeof v.l1 === "number" ? v.l1 : 0, l2: typeof v.l2 === "number" ? v.l2 : 0 } };
  }
  if (value === "l1") return { class_name: "L1L2", config: { l1: 0.01, l2: 0 } };
  if (value === "l2") return { class_name: "L1L2", config: { l1: 0, l2: 0.01 } };
  if (value === "l1l2") return { class_name: "L1L2", config: { l1: 0.01, l2: 0.01 } };
  throw new RaggedError("UNKNOWN_NAME", `Cannot save the regularizer of ${path}.`, { received: JSON.stringify(value) });
}

export function regularizerFromKeras(value: unknown, path: string, source: string): { l1: number; l2: number } | null {
  if (value === null || value === undefined) return null;
  const obj = value as Partial<KerasObject>;
  const c = (obj?.config ?? {}) as { l1?: unknown; l2?: unknown };
  const num = (x: unknown) => (typeof x === "number" ? x : 0);
  switch (obj?.class_name) {
    case "L1L2": return { l1: num(c.l1), l2: num(c.l2) };
    case "L1": return { l1: num(c.l1), l2: 0 };
    case "L2": return { l1: 0, l2: num(c.l2) };
    default:
      throw new RaggedError("UNKNOWN_NAME", `${source}: unsupported regularizer at ${path}.`, { expected: "L1L2, L1 or L2", received: JSON.stringify(value) });
  }
}

/**
 * The normalization layers normalize along the features (the last axis) only. Keras writes `axis`
 * as -1, as the last index (`2` for sequences), or as a one-element list of either; this reads
 * them all and refuses any other axis.
 */
import { RaggedError } from "../../core/errors.js";

/** Whether `axis` names the last axis of a rank-`rank` shape (rank unknown: only −1 forms). */
export function isFeatureAxis(axis: unknown, rank: number | null): boolean {
  const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  return a === -1 || (rank !== null && a === rank - 1);
}

export function checkFeatureAxis(layer: string, axis: unknown, rank: number | null): void {
  const plain = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  const known = Number.isInteger(plain) && (plain === -1 || (plain as number) >= 1);
  if (!known || (rank !== null && !isFeatureAxis(axis, rank))) {
    throw new RaggedError("UNSUPPORTED", `${layer} normalizes along the features (the last axis) only.`, {
      expected: rank === null ? "axis: -1" : `axis: -1 (or ${rank - 1}, the last axis of a ${rank}-D input)`,
      received: `axis = ${JSON.stringify(axis)}`,
    });
  }
}

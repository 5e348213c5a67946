/**
 * What flows between layers inside a model: packed rows, never padded tensors.
 * - `sequence`: one row per real timestep, [N, width], in the rows of `layout`
 *   (see NOTE [ the packed layout ] in data/packed.ts);
 * - `vector`: one row per sequence, [B, width], in the layout's *sorted* order.
 * The model unsorts back to caller order only at its output.
 */
import type { PackedLayout } from "../data/packed.js";

export interface SequenceValue {
  readonly kind: "sequence";
  readonly layout: PackedLayout;
  /** [N, width] */
  readonly data: Float32Array;
  readonly width: number;
}

export interface VectorValue {
  readonly kind: "vector";
  readonly layout: PackedLayout;
  /** [B, width], sorted order */
  readonly data: Float32Array;
  readonly width: number;
}

export type LayerValue = SequenceValue | VectorValue;

/** Rows in a value: N for a sequence, B for a vector. */
export function rowCount(v: LayerValue): number {
  return v.kind === "sequence" ? v.layout.totalSteps : v.layout.batch;
}

/** A value of the same kind and layout with other rows. */
export function withData(like: LayerValue, data: Float32Array, width: number): LayerValue {
  return { kind: like.kind, layout: like.layout, data, width } as LayerValue;
}

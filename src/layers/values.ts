/**
 * What flows between layers inside a model: packed rows, never padded tensors.
 * - `sequence`: one row per real timestep, [N, width], in the rows of `layout`
 *   (see NOTE [ the packed layout ] in data/packed.ts);
 * - `vector`: one row per sequence, [B, width], in the layout's *sorted* order.
 * The model unsorts back to caller order only at its output.
 *
 * NOTE [ masks with holes ]
 * Padded input whose mask is one run of real steps per sequence (pre- or post-padding) is packed at
 * the model's edge, so no mask exists inside. A mask with holes in the middle cannot be packed: the
 * layout then gives every sequence its full padded length and `mask[row]` is 0 on padding rows.
 * Recurrent layers carry their state across such rows and output zeros there (Keras' general
 * masked loop); losses and metrics skip them; row-wise layers compute on them harmlessly.
 */
import type { PackedLayout } from "../data/packed.js";

export interface SequenceValue {
  readonly kind: "sequence";
  readonly layout: PackedLayout;
  /** [N, width] */
  readonly data: Float32Array;
  readonly width: number;
  /** [N] 1 = real step, 0 = padding inside a mask with holes; absent when every row is real. */
  readonly mask?: Uint8Array | null;
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
  if (like.kind === "sequence") return { kind: "sequence", layout: like.layout, data, width, mask: like.mask ?? null };
  return { kind: "vector", layout: like.layout, data, width };
}

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
import type { PackedLayout, PackedLayout as Layout } from "../data/packed.js";
import type { WasmRows } from "../core/kernels/wasm/wasm_rows.js";

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

/**
 * NOTE [ nested values ]
 * A nested value is a sequence whose every step is itself a sequence: sentences whose words are
 * ragged lists of characters (`input({ shape: [null, null] })`). Nothing is padded at either level:
 * - `layout` is the outer (sentence) layout, exactly as a `SequenceValue`'s: one row per word, in
 *   packed row order (row r = `offsets[t] + j`);
 * - `inner` holds the words as one batch of sequences: *word r of the outer rows is sequence r of
 *   `inner.layout`* (its caller order), packed as any other batch (its own sorted order, its own
 *   rows). So the characters of all words of all sentences of a batch are one packed batch.
 * `data` and `width` are `inner`'s (so code that only moves rows around needs no special case).
 * Only `timeDistributed` reads nested values: it applies its layer to `inner` — a row-wise or
 * sequence layer gives a nested value again (embedding, conv1d), one that gives a vector per
 * sequence (global pooling, an RNN's last state, a model) gives one row per word, i.e. a
 * `SequenceValue` in the outer layout (time_distributed.ts).
 */
export interface NestedValue {
  readonly kind: "nested";
  /** The outer layout: one row per inner sequence (word). */
  readonly layout: PackedLayout;
  /** The inner sequences; `inner.layout.batch === layout.totalSteps`. */
  readonly inner: SequenceValue;
  /** `inner.data` */
  readonly data: Float32Array;
  /** `inner.width` */
  readonly width: number;
}

export type LayerValue = SequenceValue | VectorValue | NestedValue;

/** A nested value over `outer` rows holding `inner` (see NOTE [ nested values ]). */
export function nestedValue(outer: PackedLayout, inner: SequenceValue): NestedValue {
  return { kind: "nested", layout: outer, inner, data: inner.data, width: inner.width };
}

/** Rows in a value: N for a sequence, B for a vector, the inner rows of a nested value. */
export function rowCount(v: LayerValue): number {
  if (v.kind === "nested") return v.inner.layout.totalSteps;
  return v.kind === "sequence" ? v.layout.totalSteps : v.layout.batch;
}

/** A value of the same kind and layout with other rows. */
export function withData(like: LayerValue, data: Float32Array, width: number): LayerValue {
  if (like.kind === "sequence") return { kind: "sequence", layout: like.layout, data, width, mask: like.mask ?? null };
  if (like.kind === "nested") return nestedValue(like.layout, { ...like.inner, data, width });
  return { kind: "vector", layout: like.layout, data, width };
}

/**
 * NOTE [ vectors across layouts ]
 * A vector's rows follow the sorted order of the layout it carries — the layout of the input it
 * descends from. In a graph with several inputs, sample i sits at sorted position
 * `unsortedIndices[i]` of each input's layout, so a vector made from one input (the encoder's
 * final states) must be permuted before it meets values of another (the decoder's steps as
 * `initialState`, or another input's vector in a merge). The graph does this, not the layer: every
 * layer receives its vector inputs in the layout of its first per-step input (or of its first
 * input when it has none), through `vectorInLayout`, and the gradients go back through the inverse
 * permutation (`vectorFromLayout`). Within one layout this is the identity and costs nothing.
 */

/** The vector's rows permuted into `layout`'s sorted order (the same value when already there). */
export function vectorInLayout(v: VectorValue, layout: Layout): VectorValue {
  if (v.layout === layout || sameOrder(v.layout, layout)) return v.layout === layout ? v : { ...v, layout };
  const W = v.width;
  const out = new Float32Array(layout.batch * W);
  for (let j = 0; j < layout.batch; j++) {
    const from = v.layout.unsortedIndices[layout.sortedIndices[j]] * W;
    out.set(v.data.subarray(from, from + W), j * W);
  }
  return { kind: "vector", layout, data: out, width: W };
}

/** The inverse of `vectorInLayout`: a gradient in `layout`'s order back into `original`'s. */
export function vectorFromLayout(d: VectorValue, original: Layout): VectorValue {
  return vectorInLayout(d, original);
}

function sameOrder(a: Layout, b: Layout): boolean {
  if (a.batch !== b.batch) return false;
  for (let j = 0; j < a.batch; j++) if (a.sortedIndices[j] !== b.sortedIndices[j]) return false;
  return true;
}

/** The wasm rows behind a value made by `sequenceOfRows` (not behind a copy or spread of it). */
const rowsOfValue = new WeakMap<LayerValue, WasmRows>();

/**
 * A sequence value whose rows are kept in wasm memory for one training step (NOTE [ rows kept in
 * wasm between layers ] in core/kernels/wasm/wasm_rows.ts): reading `data` copies them out once; a
 * wasm recurrent layer reads them in place (`wasmRowsOf`). A spread copy is an ordinary value.
 */
export function sequenceOfRows(layout: Layout, rows: WasmRows, width: number, mask: Uint8Array | null): SequenceValue {
  const value: SequenceValue = {
    kind: "sequence",
    layout,
    get data() {
      return rows.toArray();
    },
    width,
    mask,
  };
  rowsOfValue.set(value, rows);
  return value;
}

/** What a kernel gets as its array argument when the rows come as `WasmRows` (it reads those). */
export const ROWS_PLACEHOLDER = new Float32Array(0);

/** The wasm rows a value made by `sequenceOfRows` reads, while they are alive; else null. */
export function wasmRowsOf(value: LayerValue): WasmRows | null {
  const rows = rowsOfValue.get(value);
  return rows?.alive ? rows : null;
}

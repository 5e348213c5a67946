/**
 * Row bookkeeping on the packed layout (see NOTE [ the packed layout ] in packed.ts): which
 * sequence owns each row, the permutation that reverses every sequence within its own length, and
 * gathers by a row index (rows of floats: `gatherRows` in core/gather_rows.ts). Results are
 * cached per layout (layouts are immutable).
 */
import type { PackedLayout } from "./packed.js";

const sequenceCache = new WeakMap<PackedLayout, Int32Array>();
const reverseCache = new WeakMap<PackedLayout, Int32Array>();

/** [N] the sorted position j of the sequence each row belongs to. */
export function rowSequences(layout: PackedLayout): Int32Array {
  let out = sequenceCache.get(layout);
  if (!out) {
    out = new Int32Array(layout.totalSteps);
    for (let t = 0; t < layout.maxLength; t++) {
      for (let j = 0; j < layout.batchSizes[t]; j++) out[layout.offsets[t] + j] = j;
    }
    sequenceCache.set(layout, out);
  }
  return out;
}

/**
 * [N] for every row (sequence j, step t), the row of step len_j − 1 − t of the same sequence:
 * each sequence reversed within its own length. An involution (applying it twice is identity).
 * @example
 * // lengths [3, 1]: rows a0 x0 | a1 | a2 → reversed rows a2 x0 | a1 | a0
 * reverseRows(packLayout([3, 1])); // Int32Array [3, 1, 2, 0]
 */
export function reverseRows(layout: PackedLayout): Int32Array {
  let out = reverseCache.get(layout);
  if (!out) {
    out = new Int32Array(layout.totalSteps);
    for (let j = 0; j < layout.batch; j++) {
      const len = layout.sortedLengths[j];
      for (let t = 0; t < len; t++) out[layout.offsets[t] + j] = layout.offsets[len - 1 - t] + j;
    }
    reverseCache.set(layout, out);
  }
  return out;
}

/** out[r] = mask[index[r]]. */
export function gatherMask(mask: Uint8Array, index: Int32Array): Uint8Array {
  const out = new Uint8Array(index.length);
  for (let r = 0; r < index.length; r++) out[r] = mask[index[r]];
  return out;
}

/** Rows per sequence [B, width] from caller order into the layout's sorted order. */
export function sortRows(data: Float32Array, width: number, layout: PackedLayout): Float32Array {
  const out = new Float32Array(layout.batch * width);
  for (let j = 0; j < layout.batch; j++) {
    const i = layout.sortedIndices[j];
    out.set(data.subarray(i * width, (i + 1) * width), j * width);
  }
  return out;
}

/** The inverse of `sortRows`: [B, width] sorted order → caller order. */
export function unsortRowsFlat(data: Float32Array, width: number, layout: PackedLayout): Float32Array {
  const out = new Float32Array(layout.batch * width);
  for (let j = 0; j < layout.batch; j++) {
    const i = layout.sortedIndices[j];
    out.set(data.subarray(j * width, (j + 1) * width), i * width);
  }
  return out;
}

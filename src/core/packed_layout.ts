/**
 * The packed layout's type (NOTE [ the packed layout ] in data/packed.ts, where layouts are built).
 * It lives in core/ because the kernels read it, and core imports nothing above itself.
 */
/** Where every sequence of a batch lives among the packed rows. See NOTE [ the packed layout ]. */
export interface PackedLayout {
  /** B: number of sequences, including empty ones. */
  readonly batch: number;
  /** [B] lengths in caller order. */
  readonly lengths: Int32Array;
  /** [B] lengths in sorted order (non-increasing). */
  readonly sortedLengths: Int32Array;
  /** [B] sorted position → caller index. */
  readonly sortedIndices: Int32Array;
  /** [B] caller index → sorted position. */
  readonly unsortedIndices: Int32Array;
  /** [T] sequences still running at step t. */
  readonly batchSizes: Int32Array;
  /** [T+1] first row of step t; offsets[T] = totalSteps. */
  readonly offsets: Int32Array;
  /** T: the longest length. */
  readonly maxLength: number;
  /** N = Σ lengths: the number of rows. */
  readonly totalSteps: number;
}

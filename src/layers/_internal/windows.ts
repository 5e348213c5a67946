/**
 * NOTE [ windows over ragged sequences ]
 * Conv1D and the 1-D pooling layers slide a window over each sequence *within its own length*, as
 * if the sequence were alone in the batch (Keras run on that one sequence):
 *   span = (k − 1)·d + 1 input steps (k taps, dilation d), stride s;
 *   valid:  outLen = L ≥ span ? ⌊(L − span)/s⌋ + 1 : 0,   padLeft = 0
 *   same:   outLen = ⌈L/s⌉, total = max((outLen − 1)·s + span − L, 0), padLeft = ⌊total/2⌋
 *   causal: outLen = L ≥ 1 ? ⌊(L − 1)/s⌋ + 1 : 0,        padLeft = (k − 1)·d
 * Output step u, tap i reads input step u·s + i·d − padLeft when it lies in [0, L); a tap outside
 * is padding at the sequence's own edge: a zero for a convolution, absent for pooling. Never a
 * neighbour's step and never a batch's padding.
 *
 * Holes (NOTE [ masks with holes ] in values.ts): a masked input step is absent too (zero for a
 * convolution, skipped by pooling), and an output step is real when its window holds at least one
 * real input step. Porting note: Keras' Conv1D and pooling layers ignore masks (Keras 3 drops the
 * mask with a warning), so on a padded batch Keras convolves the padding into the edge steps;
 * ragged's answer equals Keras run on each sequence alone.
 *
 * The geometry is computed here once per (layout, window) and handed to the kernels as a table of
 * input rows, `taps` [Nout, k] (−1 for an absent tap), so that the kernels never see a layout.
 */
import { RaggedError } from "../../core/errors.js";
import { type PackedLayout, packLayout } from "../../data/packed.js";
import { SAME_LENGTHS } from "../symbolic.js";

export type WindowPadding = "valid" | "same" | "causal";

export interface Window {
  /** k: taps per window. */
  readonly size: number;
  /** s: steps between windows. */
  readonly stride: number;
  /** d: steps between taps. */
  readonly dilation: number;
  readonly padding: WindowPadding;
}

/** (k − 1)·d + 1: input steps one window covers. */
export function windowSpan(w: Window): number {
  return (w.size - 1) * w.dilation + 1;
}

/** Output length for an input of length L. See NOTE [ windows over ragged sequences ]. */
export function windowOutputLength(L: number, w: Window): number {
  if (L <= 0) return 0;
  const span = windowSpan(w);
  if (w.padding === "valid") return L >= span ? Math.floor((L - span) / w.stride) + 1 : 0;
  if (w.padding === "same") return Math.ceil(L / w.stride);
  return Math.floor((L - 1) / w.stride) + 1;
}

/**
 * The window's length map as a key (`Layer.lengthMapKey`): `same` and `causal` padding and a one-step
 * `valid` window all give ⌈L/s⌉ (NOTE [ windows over ragged sequences ]) — L itself at stride 1,
 * SAME_LENGTHS; a wider `valid` window ⌊(L − span)/s⌋ + 1.
 */
export function windowLengthKey(w: Window): string {
  const span = windowSpan(w);
  if (w.padding === "valid" && span > 1) return `valid span ${span} stride ${w.stride}`;
  return w.stride === 1 ? SAME_LENGTHS : `ceil stride ${w.stride}`;
}

/** Zero steps before step 0 for an input of length L. */
export function windowPadLeft(L: number, w: Window): number {
  if (w.padding === "valid") return 0;
  if (w.padding === "causal") return (w.size - 1) * w.dilation;
  const out = windowOutputLength(L, w);
  const total = Math.max((out - 1) * w.stride + windowSpan(w) - L, 0);
  return Math.floor(total / 2);
}

/** Output lengths (caller order) for input lengths (caller order). */
export function windowOutputLengths(lengths: Int32Array, w: Window): Int32Array {
  return Int32Array.from(lengths, (L) => windowOutputLength(L, w));
}

/** Output length along a known time dimension (for shapes); null stays null. */
export function windowOutputDim(L: number | null, w: Window): number | null {
  return L === null ? null : windowOutputLength(L, w);
}

/** What a windowed layer's forward needs: the new layout, the tap table and the output mask. */
export interface WindowPlan {
  readonly layout: PackedLayout;
  /** [Nout, k] input row of each tap, −1 when absent (edge padding or a masked step). */
  readonly taps: Int32Array;
  /** [Nout] 1 = real output step; null when every output step is real. */
  readonly mask: Uint8Array | null;
}

const planCache = new WeakMap<PackedLayout, Map<string, WindowPlan>>();

/**
 * The output layout and tap table of a window over `layout` (with `mask`, if it has holes).
 * Cached per layout and window when there is no mask (layouts are immutable).
 */
export function windowPlan(layout: PackedLayout, mask: Uint8Array | null | undefined, w: Window): WindowPlan {
  const key = `${w.size}/${w.stride}/${w.dilation}/${w.padding}`;
  if (!mask) {
    const cached = planCache.get(layout)?.get(key);
    if (cached) return cached;
  }
  const outLayout = packLayout(windowOutputLengths(layout.lengths, w));
  const k = w.size;
  const taps = new Int32Array(outLayout.totalSteps * k).fill(-1);
  const outMask = mask ? new Uint8Array(outLayout.totalSteps) : null;
  let allReal = true;
  for (let i = 0; i < layout.batch; i++) {
    const jIn = layout.unsortedIndices[i];
    const jOut = outLayout.unsortedIndices[i];
    const L = layout.lengths[i];
    const pad = windowPadLeft(L, w);
    const outLen = outLayout.lengths[i];
    for (let u = 0; u < outLen; u++) {
      const row = outLayout.offsets[u] + jOut;
      let real = false;
      for (let tap = 0; tap < k; tap++) {
        const t = u * w.stride + tap * w.dilation - pad;
        if (t < 0 || t >= L) continue;
        const inRow = layout.offsets[t] + jIn;
        if (mask && !mask[inRow]) continue;
        taps[row * k + tap] = inRow;
        real = true;
      }
      if (outMask) outMask[row] = real ? 1 : 0;
      if (!real) allReal = false;
    }
  }
  const plan: WindowPlan = { layout: outLayout, taps, mask: outMask && !allReal ? outMask : null };
  if (!mask) {
    let byKey = planCache.get(layout);
    if (!byKey) planCache.set(layout, (byKey = new Map()));
    byKey.set(key, plan);
  }
  return plan;
}

/** Validates a window's numbers at a layer's constructor. */
export function checkWindow(layer: string, w: { size: unknown; stride: unknown; dilation: unknown; padding: unknown }, names: { size: string; stride: string }, paddings: readonly WindowPadding[]): void {
  const positive = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (!positive(w.size)) {
    throw new RaggedError("INVALID_ARGUMENT", `${layer} needs \`${names.size}\`, a positive integer.`, { received: `${names.size} = ${String(w.size)}` });
  }
  if (!positive(w.stride)) {
    throw new RaggedError("INVALID_ARGUMENT", `${layer}: \`${names.stride}\` must be a positive integer.`, { received: `${names.stride} = ${String(w.stride)}` });
  }
  if (!positive(w.dilation)) {
    throw new RaggedError("INVALID_ARGUMENT", `${layer}: \`dilationRate\` must be a positive integer.`, { received: `dilationRate = ${String(w.dilation)}` });
  }
  if (typeof w.padding !== "string" || !(paddings as readonly string[]).includes(w.padding)) {
    throw new RaggedError("INVALID_ARGUMENT", `${layer}: unknown \`padding\`.`, {
      expected: paddings.map((p) => JSON.stringify(p)).join(" | "),
      received: `padding = ${JSON.stringify(w.padding)}`,
    });
  }
}

/** Single numbers or Keras' one-element lists (`[3]`) as a number; anything else as it came. */
export function scalarOf(v: unknown): unknown {
  return Array.isArray(v) && v.length === 1 ? v[0] : v;
}

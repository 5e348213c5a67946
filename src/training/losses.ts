/**
 * Losses, Keras 3 arithmetic. Each loss computes one value per row (per real timestep, or per
 * sequence) and, when asked, the gradient of `Σ_r scale_r · ℓ_r` with respect to the predictions.
 * The reduction over rows (NOTE [ loss reduction ] in training/reduction.ts) supplies `scale`.
 *
 * - categoricalCrossentropy: rows renormalised to sum 1, clipped to [ε, 1−ε], ε = 1e-7, then
 *   −Σ y·log p (what Keras does on non-softmax outputs; the seed's sigmoid model relies on it).
 *   With `fromLogits`, a softmax first.
 * - binaryCrossentropy: p clipped to [ε, 1−ε], −mean(y·log(p+ε) + (1−y)·log(1−p+ε)) (Keras 3's
 *   TensorFlow backend formula).
 * - meanSquaredError: mean((p − y)²) over the last axis.
 */
import { RaggedError } from "../core/errors.js";

export const EPSILON = 1e-7;

export type LossName = "categoricalCrossentropy" | "binaryCrossentropy" | "meanSquaredError";

export interface LossArgs {
  /** [rows, width] predictions */
  pred: Float32Array;
  /** [rows, targetWidth] targets */
  target: Float32Array;
  rows: number;
  width: number;
  /** Where to write d(Σ scale·ℓ)/dpred ([rows, width]); null for the value only. */
  grad: Float32Array | null;
  /** [rows] per-row factor for the gradient. */
  scale: Float32Array | null;
}

export interface Loss {
  readonly name: LossName;
  /** Target values per row for `width` outputs (1 for sparse labels). */
  targetWidth(width: number): number;
  /** Per-row loss values [rows]; fills `grad` when given. */
  compute(args: LossArgs): Float32Array;
}

const categoricalCrossentropy: Loss = {
  name: "categoricalCrossentropy",
  targetWidth: (w) => w,
  compute({ pred, target, rows, width, grad, scale }) {
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      let sum = 0;
      for (let k = 0; k < width; k++) sum += pred[o + k];
      let loss = 0;
      let gq = 0; // Σ_k g_k q_k
      for (let k = 0; k < width; k++) {
        const q = pred[o + k] / sum;
        const p = q < EPSILON ? EPSILON : q > 1 - EPSILON ? 1 - EPSILON : q;
        loss -= target[o + k] * Math.log(p);
        if (grad) {
          const g = q > EPSILON && q < 1 - EPSILON ? -target[o + k] / p : 0;
          grad[o + k] = g; // g_k for now
          gq += g * q;
        }
      }
      out[r] = loss;
      if (grad) {
        const s = (scale ? scale[r] : 1) / sum;
        for (let k = 0; k < width; k++) grad[o + k] = (grad[o + k] - gq) * s;
      }
    }
    return out;
  },
};

const binaryCrossentropy: Loss = {
  name: "binaryCrossentropy",
  targetWidth: (w) => w,
  compute({ pred, target, rows, width, grad, scale }) {
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      const s = (scale ? scale[r] : 1) / width;
      let loss = 0;
      for (let k = 0; k < width; k++) {
        const q = pred[o + k];
        const p = q < EPSILON ? EPSILON : q > 1 - EPSILON ? 1 - EPSILON : q;
        const y = target[o + k];
        loss -= y * Math.log(p + EPSILON) + (1 - y) * Math.log(1 - p + EPSILON);
        if (grad) grad[o + k] = q > EPSILON && q < 1 - EPSILON ? -s * (y / (p + EPSILON) - (1 - y) / (1 - p + EPSILON)) : 0;
      }
      out[r] = loss / width;
    }
    return out;
  },
};

const meanSquaredError: Loss = {
  name: "meanSquaredError",
  targetWidth: (w) => w,
  compute({ pred, target, rows, width, grad, scale }) {
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      const s = (scale ? scale[r] : 1) / width;
      let loss = 0;
      for (let k = 0; k < width; k++) {
        const d = pred[o + k] - target[o + k];
        loss += d * d;
        if (grad) grad[o + k] = 2 * d * s;
      }
      out[r] = loss / width;
    }
    return out;
  },
};

const LOSSES: Record<string, Loss> = {
  categoricalCrossentropy,
  binaryCrossentropy,
  meanSquaredError,
};

const ALIASES: Record<string, string> = {
  categorical_crossentropy: "categoricalCrossentropy",
  binary_crossentropy: "binaryCrossentropy",
  mean_squared_error: "meanSquaredError",
  mse: "meanSquaredError",
};

/** A loss by its TF.js name or Keras snake_case name. */
export function getLoss(spec: string | Loss): Loss {
  if (typeof spec === "object" && spec !== null && typeof spec.compute === "function") return spec;
  const name = typeof spec === "string" ? ALIASES[spec] ?? spec : spec;
  const loss = typeof name === "string" ? LOSSES[name] : undefined;
  if (!loss) {
    throw new RaggedError("UNKNOWN_NAME", "Unknown loss.", {
      expected: `one of ${Object.keys(LOSSES).map((n) => JSON.stringify(n)).join(", ")} (or their Keras names)`,
      received: JSON.stringify(spec),
    });
  }
  return loss;
}

/** Names accepted by `getLoss`. */
export function lossNames(): string[] {
  return Object.keys(LOSSES);
}

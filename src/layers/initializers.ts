/**
 * Weight initialisers by Keras name, drawing from a seeded `Random`. Fans follow Keras: for a
 * kernel [in, out], fanIn = in and fanOut = out (for more dimensions the leading ones are the
 * receptive field).
 *
 * Porting note: TF.js recurrent layers default to `recurrentActivation: "hardSigmoid"`; ragged
 * follows Keras 3 defaults everywhere and writes every initializer into saved configs.
 */
import { RaggedError } from "../core/errors.js";
import type { Random } from "../core/random.js";
import { shapeSize } from "../core/tensor.js";

export type InitializerName =
  | "zeros" | "ones" | "constant" | "glorotUniform" | "glorotNormal" | "heUniform" | "heNormal"
  | "lecunUniform" | "lecunNormal" | "orthogonal" | "randomUniform" | "randomNormal" | "truncatedNormal";

/** An initializer: a name, or `{ name, ...options }` (e.g. `{ name: "constant", value: 0.5 }`). */
export type InitializerSpec = InitializerName | { name: InitializerName; value?: number; minval?: number; maxval?: number; mean?: number; stddev?: number; gain?: number };

const NAMES: readonly InitializerName[] = ["zeros", "ones", "constant", "glorotUniform", "glorotNormal", "heUniform", "heNormal", "lecunUniform", "lecunNormal", "orthogonal", "randomUniform", "randomNormal", "truncatedNormal"];

/** Normalises a spec, accepting Keras snake_case names (`glorot_uniform`). */
export function parseInitializer(spec: unknown, where: string): Exclude<InitializerSpec, InitializerName> {
  const raw = typeof spec === "string" ? { name: spec } : (spec as { name?: unknown } | null);
  const name = typeof raw?.name === "string" ? raw.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) : raw?.name;
  if (typeof name !== "string" || !(NAMES as readonly string[]).includes(name)) {
    throw new RaggedError("UNKNOWN_NAME", `Unknown initializer for ${where}.`, {
      expected: `one of ${NAMES.join(", ")}`,
      received: JSON.stringify(spec),
    });
  }
  return { ...(raw as object), name: name as InitializerName };
}

function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = shapeSize(shape.slice(0, -2));
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

function allocateWeight(shape: readonly number[], n: number): Float32Array {
  const tooLarge = (received: string) =>
    new RaggedError("INVALID_ARGUMENT", `A weight of shape [${shape.join(", ")}] is too large.`, {
      expected: `at most ${MAX_WEIGHT_VALUES} values (1 GiB) per weight`,
      received,
      help: "use fewer units (or a smaller vocabulary / feature count); a recurrent layer of u units holds u × 4u recurrent weights (LSTM)",
    });
  if (!(n <= MAX_WEIGHT_VALUES)) throw tooLarge(`${n} values`);
  try {
    return new Float32Array(n);
  } catch (e) {
    if (e instanceof RangeError) throw tooLarge(`${n} values, which could not be allocated (${e.message})`);
    throw e;
  }
}

/**
 * The most values one weight may hold: 2²⁸ (1 GiB of float32). Past it, a typo like
 * `lstm:99999` (a 4·10¹⁰-value recurrent kernel) is a coded error instead of a RangeError, or an
 * allocation that takes the machine's memory.
 */
export const MAX_WEIGHT_VALUES = 2 ** 28;

/**
 * Fills a new Float32Array of `shape` as the named initializer does.
 * @throws RaggedError `INVALID_ARGUMENT` for a weight over MAX_WEIGHT_VALUES values, or one the
 *   machine cannot allocate.
 */
export function initialize(spec: InitializerSpec, shape: readonly number[], rng: Random): Float32Array {
  const s = parseInitializer(spec, "a weight");
  const n = shapeSize(shape);
  const out = allocateWeight(shape, n);
  const [fanIn, fanOut] = fans(shape);
  const uniform = (limit: number) => { for (let i = 0; i < n; i++) out[i] = rng.uniformRange(-limit, limit); };
  const truncated = (std: number) => { for (let i = 0; i < n; i++) out[i] = std * rng.truncatedNormal(); };
  // Keras' variance-scaling "truncated_normal" divides by the std of a unit normal truncated at ±2.
  const TRUNC = 0.8796256610342398;
  switch (s.name) {
    case "zeros": break;
    case "ones": out.fill(1); break;
    case "constant": out.fill(s.value ?? 0); break;
    case "glorotUniform": uniform(Math.sqrt(6 / (fanIn + fanOut))); break;
    case "glorotNormal": truncated(Math.sqrt(2 / (fanIn + fanOut)) / TRUNC); break;
    case "heUniform": uniform(Math.sqrt(6 / fanIn)); break;
    case "heNormal": truncated(Math.sqrt(2 / fanIn) / TRUNC); break;
    case "lecunUniform": uniform(Math.sqrt(3 / fanIn)); break;
    case "lecunNormal": truncated(Math.sqrt(1 / fanIn) / TRUNC); break;
    case "randomUniform": { const lo = s.minval ?? -0.05, hi = s.maxval ?? 0.05; for (let i = 0; i < n; i++) out[i] = rng.uniformRange(lo, hi); break; }
    case "randomNormal": { const m = s.mean ?? 0, sd = s.stddev ?? 0.05; for (let i = 0; i < n; i++) out[i] = m + sd * rng.normal(); break; }
    case "truncatedNormal": { const m = s.mean ?? 0, sd = s.stddev ?? 0.05; for (let i = 0; i < n; i++) out[i] = m + sd * rng.truncatedNormal(); break; }
    case "orthogonal": orthogonal(out, shape, s.gain ?? 1, rng); break;
  }
  return out;
}

/**
 * Keras' orthogonal initializer: QR of a normal matrix of the flattened shape (rows = all but the
 * last dimension), Q's columns sign-corrected by diag(R), transposed when rows < columns, so the
 * rows (or columns, whichever are fewer) are orthonormal. Modified Gram–Schmidt computes the Q.
 */
function orthogonal(out: Float32Array, shape: readonly number[], gain: number, rng: Random): void {
  const cols = shape[shape.length - 1];
  const rows = out.length / cols;
  const tall = rows >= cols;
  const m = tall ? rows : cols; // the long side
  const k = tall ? cols : rows; // the short side
  // a: [m, k] normal; we orthonormalise its k columns (held as column vectors of length m)
  const q: Float64Array[] = Array.from({ length: k }, () => new Float64Array(m));
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) q[j][i] = rng.normal();
  for (let j = 0; j < k; j++) {
    const v = q[j];
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[p][i] * v[i];
      for (let i = 0; i < m; i++) v[i] -= dot * q[p][i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    // Gram–Schmidt gives R's diagonal positive, which is the sign correction Keras applies.
    for (let i = 0; i < m; i++) v[i] /= norm;
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      const value = gain * q[j][i];
      if (tall) out[i * cols + j] = value; // Q: [rows, cols]
      else out[j * cols + i] = value; // Qᵀ: [k=rows, m=cols]
    }
  }
}

/**
 * Initializers between ragged specs (`{ name: "glorotUniform" }`) and Keras JSON
 * (`{ class_name: "GlorotUniform", config: { seed: null } }`). Every option is written, with its
 * value, never left to the reader's default (STYLE rule 11).
 *
 * Porting notes:
 * - TF.js writes its own defaults as `VarianceScaling` with `scale`, `mode`, `distribution`; the
 *   combinations that are Glorot/He/LeCun are read back as those. TF.js' `"normal"` distribution
 *   is a truncated normal, as Keras' `"truncated_normal"`, and so is ragged's.
 * - `seed` is written as null and ignored on load: a loaded model takes its weights from the file.
 * - The LeCun class names are TF.js' spelling (`LeCunUniform`); Keras 3's `LecunUniform` is read too.
 */
import { RaggedError } from "../../core/errors.js";
import type { InitializerName, InitializerSpec } from "../../layers/initializers.js";

export interface KerasObject {
  class_name: string;
  config: Record<string, unknown>;
}

type Spec = Exclude<InitializerSpec, InitializerName>;

const CLASS_NAMES: Record<InitializerName, string> = {
  zeros: "Zeros",
  ones: "Ones",
  constant: "Constant",
  glorotUniform: "GlorotUniform",
  glorotNormal: "GlorotNormal",
  heUniform: "HeUniform",
  heNormal: "HeNormal",
  lecunUniform: "LeCunUniform",
  lecunNormal: "LeCunNormal",
  orthogonal: "Orthogonal",
  randomUniform: "RandomUniform",
  randomNormal: "RandomNormal",
  truncatedNormal: "TruncatedNormal",
};

export function initializerToKeras(spec: unknown, path: string): KerasObject {
  const s = (typeof spec === "string" ? { name: spec } : spec) as Spec | null;
  const className = s && CLASS_NAMES[s.name];
  if (!s || !className) {
    throw new RaggedError("UNKNOWN_NAME", `Cannot save the initializer of ${path}.`, { received: JSON.stringify(spec) });
  }
  switch (s.name) {
    case "zeros":
    case "ones":
      return { class_name: className, config: {} };
    case "constant":
      return { class_name: className, config: { value: s.value ?? 0 } };
    case "orthogonal":
      return { class_name: className, config: { gain: s.gain ?? 1, seed: null } };
    case "randomUniform":
      return { class_name: className, config: { minval: s.minval ?? -0.05, maxval: s.maxval ?? 0.05, seed: null } };
    case "randomNormal":
    case "truncatedNormal":
      return { class_name: className, config: { mean: s.mean ?? 0, stddev: s.stddev ?? 0.05, seed: null } };
    default:
      return { class_name: className, config: { seed: null } };
  }
}

const BY_CLASS: Record<string, InitializerName> = {
  ...Object.fromEntries(Object.entries(CLASS_NAMES).map(([name, cls]) => [cls, name as InitializerName])),
  LecunUniform: "lecunUniform",
  LecunNormal: "lecunNormal",
};

/** Which named initializer a `VarianceScaling` config is, if any. */
function varianceScalingName(config: Record<string, unknown>): InitializerName | null {
  const mode = typeof config.mode === "string" ? config.mode.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase() : "";
  const dist = config.distribution;
  const uniform = dist === "uniform";
  const truncated = dist === "normal" || dist === "truncated_normal" || dist === "truncatedNormal";
  if (!uniform && !truncated) return null;
  const family: Record<string, [InitializerName, InitializerName]> = {
    "1/fan_avg": ["glorotUniform", "glorotNormal"],
    "2/fan_in": ["heUniform", "heNormal"],
    "1/fan_in": ["lecunUniform", "lecunNormal"],
  };
  const pair = family[`${String(config.scale)}/${mode}`];
  return pair ? pair[uniform ? 0 : 1] : null;
}

export function initializerFromKeras(value: unknown, path: string, source: string): Spec {
  const obj = value as Partial<KerasObject> | null;
  const config = (obj?.config ?? {}) as Record<string, unknown>;
  let name: InitializerName | null = null;
  if (typeof value === "string") name = BY_CLASS[value] ?? null;
  else if (obj && typeof obj.class_name === "string") name = obj.class_name === "VarianceScaling" ? varianceScalingName(config) : (BY_CLASS[obj.class_name] ?? null);
  if (!name) {
    throw new RaggedError("UNKNOWN_NAME", `${source}: unsupported initializer at ${path}.`, {
      expected: `one of ${Object.values(CLASS_NAMES).join(", ")}, or a VarianceScaling that is one of them`,
      received: JSON.stringify(value),
    });
  }
  // Options equal to ragged's defaults are left out of the spec, so a model built with
  // `"orthogonal"` reads back as `{ name: "orthogonal" }` and its getConfig round-trips exactly.
  const spec: Spec = { name };
  const option = (key: "value" | "gain" | "minval" | "maxval" | "mean" | "stddev", fallback: number) => {
    const v = config[key];
    if (typeof v === "number" && v !== fallback) spec[key] = v;
  };
  switch (name) {
    case "constant": option("value", 0); break;
    case "orthogonal": option("gain", 1); break;
    case "randomUniform": option("minval", -0.05); option("maxval", 0.05); break;
    case "randomNormal":
    case "truncatedNormal": option("mean", 0); option("stddev", 0.05); break;
    default: break;
  }
  return spec;
}

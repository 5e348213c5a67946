/**
 * Weight bytes: every weight, in manifest order, as little-endian float32 (int32 for the
 * optimizer's `iter`, as TF.js writes it), concatenated into one buffer.
 *
 * Names follow TF.js: `<layer name>/<weight name>` (`lstm/kernel`, `lstm/recurrent_kernel`,
 * `lstm/bias`); a wrapper's inner weights carry the wrapper's name (`time_distributed/kernel`, as
 * TF.js names TimeDistributed's Dense), and Bidirectional's the name of each direction's layer too
 * (`bidirectional/forward_lstm/kernel`, `bidirectional/backward_lstm/kernel`, as TF.js names them).
 * A nested model's layers are named as they are, without the model's name (TF.js and Keras keep
 * the names their variables were made with). A layer shared by several calls has its weights once.
 * Loading matches by these names, never by position alone.
 *
 * @example
 * const { specs, data } = encodeWeights([{ name: "dense/bias", shape: [2], dtype: "float32", values: new Float32Array([1, 2]) }]);
 * decodeWeights(specs, data, "model.json").get("dense/bias")?.values; // Float32Array [1, 2]
 */
import { RaggedError } from "../core/errors.js";
import { Tensor, shapeSize } from "../core/tensor.js";
import type { Variable } from "../layers/layer.js";
import { Bidirectional } from "../layers/rnn/bidirectional.js";
import { LayersModel } from "../models/functional.js";
import { DTYPE_BYTES, type WeightGroup, type WeightsManifestEntry } from "./artifacts.js";

export interface NamedWeight {
  name: string;
  shape: readonly number[];
  dtype: "float32" | "int32";
  values: Float32Array | Int32Array;
  group?: WeightGroup;
}

/** Specs and bytes for `weights`, in order. */
export function encodeWeights(weights: readonly NamedWeight[]): { specs: WeightsManifestEntry[]; data: ArrayBuffer } {
  const total = weights.reduce((n, w) => n + w.values.length * 4, 0);
  const data = new ArrayBuffer(total);
  const view = new DataView(data);
  let offset = 0;
  const specs: WeightsManifestEntry[] = [];
  for (const w of weights) {
    for (let i = 0; i < w.values.length; i++, offset += 4) {
      if (w.dtype === "int32") view.setInt32(offset, w.values[i], true);
      else view.setFloat32(offset, w.values[i], true);
    }
    const spec: WeightsManifestEntry = { name: w.name, shape: [...w.shape], dtype: w.dtype };
    if (w.group) spec.group = w.group;
    specs.push(spec);
  }
  return { specs, data };
}

/** Bytes the manifest entries take. */
export function manifestBytes(specs: readonly WeightsManifestEntry[]): number {
  return specs.reduce((n, s) => n + shapeSize(s.shape) * (DTYPE_BYTES[s.dtype] ?? 0), 0);
}

/**
 * Reads every weight, checking dtypes and the total byte length against the manifest.
 * @param source - the file (or handler) the bytes came from, named in errors.
 * @throws RaggedError UNSUPPORTED (dtype, quantization), BAD_FILE (truncated or too long, a malformed or repeated entry).
 */
export function decodeWeights(specs: readonly WeightsManifestEntry[], data: ArrayBuffer, source: string): Map<string, NamedWeight> {
  for (const s of specs) {
    if (!s || typeof s.name !== "string" || !Array.isArray(s.shape) || s.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new RaggedError("BAD_FILE", `${source}: a weights manifest entry is malformed.`, { expected: "{ name, shape: [int, …], dtype }", received: JSON.stringify(s) });
    }
    if (s.quantization) {
      throw new RaggedError("UNSUPPORTED", `${source}: weight "${s.name}" is quantized (${s.quantization.dtype}).`, { help: "save the model without quantization" });
    }
    if (s.dtype !== "float32" && !(s.dtype === "int32" && s.group === "optimizer")) {
      throw new RaggedError("UNSUPPORTED", `${source}: weight "${s.name}" has dtype ${String(s.dtype)}.`, { expected: "float32 (int32 only for optimizer state)" });
    }
  }
  const expected = manifestBytes(specs);
  if (data.byteLength !== expected) {
    throw new RaggedError("BAD_FILE", `${source}: the weight data is ${data.byteLength < expected ? "truncated" : "longer than the manifest says"}.`, {
      expected: `${expected} bytes for ${specs.length} weights`,
      received: `${data.byteLength} bytes`,
    });
  }
  const view = new DataView(data);
  const out = new Map<string, NamedWeight>();
  let offset = 0;
  for (const s of specs) {
    const n = shapeSize(s.shape);
    const values = s.dtype === "int32" ? new Int32Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++, offset += 4) values[i] = s.dtype === "int32" ? view.getInt32(offset, true) : view.getFloat32(offset, true);
    const bad = firstNonFinite(values);
    if (bad >= 0) {
      throw new RaggedError("BAD_FILE", `${source}: weight "${s.name}" holds a value that is not finite.`, {
        expected: "finite float32 values",
        received: `${values[bad]} at index ${bad} of ${n}`,
        help: "the file is corrupt, or the model diverged before it was saved: retrain, or load an earlier checkpoint",
      });
    }
    if (out.has(s.name)) throw new RaggedError("BAD_FILE", `${source}: weight "${s.name}" appears twice in the manifest.`);
    const w: NamedWeight = { name: s.name, shape: [...s.shape], dtype: s.dtype as "float32" | "int32", values };
    if (s.group) w.group = s.group;
    out.set(s.name, w);
  }
  return out;
}

/** Every model variable with its saved name, in Keras order (`model.weights`). */
export function namedVariables(model: LayersModel): { name: string; variable: Variable }[] {
  return model.layers.flatMap((layer): { name: string; variable: Variable }[] => {
    if (layer instanceof LayersModel) return namedVariables(layer);
    if (layer instanceof Bidirectional) {
      return [layer.forwardLayer, layer.backwardLayer].flatMap((inner) => inner.weights.map((v) => ({ name: `${layer.name}/${inner.name}/${v.name}`, variable: v })));
    }
    return layer.weights.map((v) => ({ name: `${layer.name}/${v.name}`, variable: v }));
  });
}

/** The index of the first NaN or ±Infinity in `values`, or −1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** The model's weights with their saved names, in Keras order. */
export function modelWeights(model: LayersModel): NamedWeight[] {
  return namedVariables(model).map(({ name, variable: v }) => ({ name, shape: v.shape, dtype: "float32" as const, values: v.value }));
}

/**
 * Sets every model weight from `decoded` by name, after checking that names and shapes match the
 * model built from the topology exactly. Nothing is set unless everything matches.
 * @throws RaggedError SHAPE_MISMATCH naming the weight (missing, extra or of another shape).
 */
export function setModelWeights(model: LayersModel, decoded: ReadonlyMap<string, NamedWeight>, source: string): void {
  const expected = modelWeights(model);
  const saved = [...decoded.values()].filter((w) => w.group !== "optimizer");
  const names = new Set(expected.map((w) => w.name));
  const extra = saved.filter((w) => !names.has(w.name));
  if (extra.length) {
    throw new RaggedError("SHAPE_MISMATCH", `${source}: the weights manifest has weight "${extra[0].name}", which the model topology does not.`, {
      expected: expected.map((w) => w.name).join(", "),
      received: saved.map((w) => w.name).join(", "),
    });
  }
  const tensors = expected.map((w) => {
    const got = decoded.get(w.name);
    if (!got) {
      throw new RaggedError("SHAPE_MISMATCH", `${source}: weight "${w.name}" of the model topology is missing from the weights manifest.`, {
        received: saved.map((s) => s.name).join(", ") || "no weights",
      });
    }
    if (got.shape.length !== w.shape.length || got.shape.some((d, i) => d !== w.shape[i])) {
      throw new RaggedError("SHAPE_MISMATCH", `${source}: weight "${w.name}" has the wrong shape for the model topology.`, {
        expected: `[${w.shape.join(", ")}]`,
        received: `[${got.shape.join(", ")}]`,
      });
    }
    return new Tensor(w.shape, Float32Array.from(got.values));
  });
  model.setWeights(tensors);
}

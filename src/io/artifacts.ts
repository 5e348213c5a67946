/**
 * The TF.js layers-model format, as tfjs-core's `io/types.ts` (4.22) declares it: `model.json`
 * is a `ModelJSON`; in memory a model travels as `ModelArtifacts` (the manifest flattened into
 * `weightSpecs`, the weight files concatenated into `weightData`). Field names are TF.js' own
 * (camelCase at this level; the Keras topology inside `modelTopology` is snake_case).
 *
 * @example
 * const json: ModelJSON = { format: "layers-model", generatedBy: "ragged 0.1.0", convertedBy: null,
 *   modelTopology: {}, weightsManifest: [{ paths: ["weights.bin"], weights: [] }] };
 */

/** What a saved model calls its format; TF.js' `LAYERS_MODEL_FORMAT_NAME`. */
export const LAYERS_MODEL_FORMAT = "layers-model";

/** Bytes per element of each dtype (tfjs-core `DTYPE_VALUE_SIZE_MAP`). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Which part of the model a weight belongs to; TF.js writes `"optimizer"` for optimizer state. */
export type WeightGroup = "model" | "optimizer";

/** One weight in the manifest (tfjs-core `WeightsManifestEntry`). */
export interface WeightsManifestEntry {
  /** E.g. `"lstm/kernel"`, `"time_distributed/bias"`, `"lstm/kernel/m"`, `"iter"`. */
  name: string;
  shape: number[];
  dtype: "float32" | "int32" | "bool" | "string" | "complex64";
  group?: WeightGroup;
  quantization?: { scale?: number; min?: number; dtype: "uint16" | "uint8" | "float16" };
}

/** TF.js calls a manifest entry a weight spec when it travels in `ModelArtifacts`. */
export type WeightSpec = WeightsManifestEntry;

/** A group of weights stored in the files `paths` (concatenated, in order). */
export interface WeightsManifestGroupConfig {
  paths: string[];
  weights: WeightsManifestEntry[];
}

export type WeightsManifestConfig = WeightsManifestGroupConfig[];

/** Keras' training config (snake_case keys, as tfjs-core declares them). */
export interface TrainingConfig {
  optimizer_config: { class_name?: string; config?: Record<string, unknown> } | Record<string, never>;
  loss: string | string[] | { [key: string]: string };
  metrics?: string[] | { [key: string]: string };
  weighted_metrics?: string[];
  sample_weight_mode?: string;
  loss_weights?: number[] | { [key: string]: number };
}

/** The content of `model.json`. */
export interface ModelJSON {
  modelTopology: object;
  trainingConfig?: TrainingConfig;
  weightsManifest: WeightsManifestConfig;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: object;
  userDefinedMetadata?: { [key: string]: object };
  modelInitializer?: object;
  initializerSignature?: object;
}

/** A model in memory, between a model and an IOHandler. */
export interface ModelArtifacts {
  modelTopology?: object | ArrayBuffer;
  trainingConfig?: TrainingConfig;
  weightSpecs?: WeightsManifestEntry[];
  /** All weight bytes, in `weightSpecs` order (TF.js also allows a list of buffers). */
  weightData?: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: object;
  userDefinedMetadata?: { [key: string]: object };
  modelInitializer?: object;
  initializerSignature?: object;
}

export interface ModelArtifactsInfo {
  dateSaved: Date;
  modelTopologyType: "JSON" | "GraphDef";
  modelTopologyBytes?: number;
  weightSpecsBytes?: number;
  weightDataBytes?: number;
}

export interface SaveResult {
  modelArtifactsInfo: ModelArtifactsInfo;
  responses?: Response[];
  errors?: Array<object | string>;
}

/** What `model.save` options TF.js defines (`io.SaveConfig`). */
export interface SaveConfig {
  /** Also save the optimizer's state (`iter`, slots) and the training config, so training resumes. */
  includeOptimizer?: boolean;
}

/** Concatenates `weightData` when it arrives as a list of buffers. */
export function concatWeightData(data: ArrayBuffer | ArrayBuffer[] | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  if (!Array.isArray(data)) return data;
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/** Summary of artifacts for a `SaveResult` (JSON byte counts as TF.js reports them). */
export function artifactsInfo(artifacts: ModelArtifacts): ModelArtifactsInfo {
  const enc = new TextEncoder();
  return {
    dateSaved: new Date(),
    modelTopologyType: "JSON",
    modelTopologyBytes: artifacts.modelTopology ? enc.encode(JSON.stringify(artifacts.modelTopology)).length : 0,
    weightSpecsBytes: artifacts.weightSpecs ? enc.encode(JSON.stringify(artifacts.weightSpecs)).length : 0,
    weightDataBytes: concatWeightData(artifacts.weightData).byteLength,
  };
}

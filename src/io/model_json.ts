/**
 * `model.json` ↔ `ModelArtifacts`, shared by the file and HTTP handlers: the manifest is
 * flattened into `weightSpecs` and the weight files are read in manifest order, each group's bytes
 * checked against its entries, so a truncated file is reported by its own name.
 */
import { RaggedError } from "../core/errors.js";
import { type ModelArtifacts, type ModelJSON, concatWeightData } from "./artifacts.js";
import { manifestBytes } from "./weights.js";

/** The `model.json` for `artifacts`, with all weights in one group stored at `paths`. */
export function modelJSONFromArtifacts(artifacts: ModelArtifacts, paths: string[]): ModelJSON {
  if (!artifacts.modelTopology || artifacts.modelTopology instanceof ArrayBuffer) {
    throw new RaggedError("INVALID_ARGUMENT", "Model artifacts need a JSON modelTopology to be saved.");
  }
  const json: ModelJSON = {
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.format !== undefined) json.format = artifacts.format;
  if (artifacts.generatedBy !== undefined) json.generatedBy = artifacts.generatedBy;
  if (artifacts.convertedBy !== undefined) json.convertedBy = artifacts.convertedBy;
  if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata !== undefined) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.signature !== undefined) json.signature = artifacts.signature;
  return json;
}

/**
 * Checks the manifest's structure before anything reads it: groups of `paths` (strings) and
 * `weights` (entries with a string name, a shape of whole sizes, a string dtype). Fuzzing found
 * entries without `shape` failing as "TypeError: shape is not iterable", and paths that are not
 * strings reaching the file system.
 */
function checkManifest(manifest: unknown, source: string): asserts manifest is ModelJSON["weightsManifest"] {
  const fail = (where: string, received: unknown) =>
    new RaggedError("BAD_FILE", `${source}: weightsManifest is malformed (${where}).`, {
      expected: '[{ "paths": ["weights.bin"], "weights": [{ "name": "…", "shape": [2, 3], "dtype": "float32" }, …] }]',
      received: JSON.stringify(received)?.slice(0, 120) ?? String(received),
      help: "the model.json is corrupt or not written by TF.js / ragged; save the model again",
    });
  if (!Array.isArray(manifest)) throw fail("not a list", manifest);
  manifest.forEach((group: unknown, g) => {
    const grp = group as { paths?: unknown; weights?: unknown } | null;
    if (!grp || typeof grp !== "object") throw fail(`group ${g} is not an object`, group);
    if (!Array.isArray(grp.paths) || grp.paths.some((p) => typeof p !== "string" || p === "")) throw fail(`group ${g}: paths must be file names`, grp.paths);
    if (!Array.isArray(grp.weights)) throw fail(`group ${g}: weights must be a list`, grp.weights);
    grp.weights.forEach((w: unknown, k) => {
      const e = w as { name?: unknown; shape?: unknown; dtype?: unknown } | null;
      if (!e || typeof e !== "object" || typeof e.name !== "string") throw fail(`group ${g}, weight ${k}: no name`, w);
      if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) throw fail(`weight "${e.name}": shape must be a list of whole sizes`, e.shape);
      if (typeof e.dtype !== "string") throw fail(`weight "${e.name}": no dtype`, e.dtype);
    });
  });
}

/**
 * Artifacts from a parsed `model.json`, reading weight files with `readPaths` (paths as the
 * manifest writes them; the caller resolves them relative to model.json).
 * @throws RaggedError BAD_FILE for a malformed model.json or a weight file of the wrong length.
 */
export async function artifactsFromModelJSON(json: unknown, source: string, readPaths: (paths: string[]) => Promise<ArrayBuffer[]>): Promise<ModelArtifacts> {
  const j = json as Partial<ModelJSON> | null;
  if (!j || typeof j !== "object" || Array.isArray(j) || !j.modelTopology || typeof j.modelTopology !== "object") {
    throw new RaggedError("BAD_FILE", `${source}: not a layers-model model.json (no modelTopology).`, {
      expected: '{ "modelTopology": {...}, "weightsManifest": [...] }',
      received: JSON.stringify(json)?.slice(0, 120),
    });
  }
  if (j.format !== undefined && j.format !== "layers-model") {
    throw new RaggedError("UNSUPPORTED", `${source}: format "${j.format}" is not a layers model.`, { expected: '"layers-model"' });
  }
  const manifest = j.weightsManifest ?? [];
  checkManifest(manifest, source);
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    const parts = await readPaths(group.paths);
    const data = concatWeightData(parts);
    const expected = manifestBytes(group.weights);
    if (data.byteLength !== expected) {
      throw new RaggedError("BAD_FILE", `${group.paths.join(", ")}: weight file ${data.byteLength < expected ? "truncated" : "longer than its manifest"} (manifest in ${source}).`, {
        expected: `${expected} bytes`,
        received: `${data.byteLength} bytes`,
      });
    }
    buffers.push(data);
  }
  const artifacts: ModelArtifacts = {
    modelTopology: j.modelTopology,
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightData: concatWeightData(buffers),
  };
  if (j.format !== undefined) artifacts.format = j.format;
  if (j.generatedBy !== undefined) artifacts.generatedBy = j.generatedBy;
  if (j.convertedBy !== undefined) artifacts.convertedBy = j.convertedBy;
  if (j.trainingConfig !== undefined) artifacts.trainingConfig = j.trainingConfig;
  if (j.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = j.userDefinedMetadata;
  if (j.signature !== undefined) artifacts.signature = j.signature;
  return artifacts;
}

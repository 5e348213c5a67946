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
  if (!Array.isArray(manifest) || manifest.some((g) => !g || !Array.isArray(g.paths) || !Array.isArray(g.weights))) {
    throw new RaggedError("BAD_FILE", `${source}: weightsManifest is malformed.`, { expected: "[{ paths: [...], weights: [...] }]" });
  }
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

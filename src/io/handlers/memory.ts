/**
 * An in-memory IOHandler: `save` keeps a copy of the artifacts, `load` returns a copy. Useful for
 * tests, for cloning a model, and for handing artifacts to TF.js (`tf.io.fromMemory`).
 *
 * @example
 * const mem = memory();
 * await model.save(mem);
 * const again = await loadModel(mem);
 */
import { RaggedError } from "../../core/errors.js";
import { type ModelArtifacts, type SaveResult, artifactsInfo, concatWeightData } from "../artifacts.js";
import type { IOHandler } from "./io_handler.js";

export class MemoryHandler implements IOHandler {
  readonly source = "memory";
  /** The last saved (or given) artifacts; weightData as one ArrayBuffer. */
  artifacts: ModelArtifacts | null;

  constructor(artifacts: ModelArtifacts | null = null) {
    this.artifacts = artifacts ? copy(artifacts) : null;
  }

  async save(artifacts: ModelArtifacts): Promise<SaveResult> {
    this.artifacts = copy(artifacts);
    return { modelArtifactsInfo: artifactsInfo(this.artifacts) };
  }

  async load(): Promise<ModelArtifacts> {
    if (!this.artifacts) {
      throw new RaggedError("IO_ERROR", "memory: nothing has been saved to this memory handler.");
    }
    return copy(this.artifacts);
  }
}

/** A memory handler, empty or holding `artifacts` (e.g. `{ modelTopology, weightSpecs, weightData }`). */
export function memory(artifacts?: ModelArtifacts): MemoryHandler {
  return new MemoryHandler(artifacts ?? null);
}

function copy(a: ModelArtifacts): ModelArtifacts {
  const out: ModelArtifacts = structuredClone({ ...a, weightData: undefined });
  delete out.weightData;
  if (a.weightData !== undefined) out.weightData = concatWeightData(a.weightData).slice(0);
  return out;
}

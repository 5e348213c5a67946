/**
 * What TF.js writes when it saves a model: its layers-model artifacts (model.json's content and the
 * weights), captured in memory, for tests that load TF.js' files into ragged.
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelArtifacts } from "../src/index.js";

/** Saves a TF.js model through an in-memory handler and returns the artifacts it wrote. */
export async function savedByTfjs(model: tf.LayersModel, options: { includeOptimizer?: boolean } = {}): Promise<ModelArtifacts> {
  let saved: ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts as unknown as ModelArtifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
    { includeOptimizer: options.includeOptimizer ?? false },
  );
  if (!saved) throw new Error("TF.js did not save");
  return saved;
}

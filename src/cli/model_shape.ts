/**
 * What the command line reads off a model it runs — a Sequential, or a functional model with one
 * per-step input and one output (see `loadModelFrom` in io.ts): its features per step and whether
 * it answers per step. Platform-neutral (the web demo's worker uses it through labels.ts).
 */
import type { LayersModel } from "../models/functional.js";
import { Sequential } from "../models/sequential.js";

/** Features per step of the model's input (1 for token ids). */
export function inputFeaturesOf(model: LayersModel): number {
  return model instanceof Sequential ? model.inputFeatures : model.inputSpecs()[0].features;
}

/** Whether the model gives one output row per step (else one per sequence). */
export function returnsSequences(model: LayersModel): boolean {
  return model instanceof Sequential ? model.returnsSequences : model.outputSpecs()[0].kind === "sequence";
}

/**
 * Saving and loading whole models in the TF.js layers-model format.
 *
 * @example
 * await saveModel(model, "file://./model");             // model.json + weights.bin (Node)
 * const again = await loadModel("file://./model/model.json");
 * const copy = await loadModel(await (async () => { const m = memory(); await saveModel(model, m); return m; })());
 */
import { randomStateOf, restoreRandomState } from "./training_state.js";
import { RaggedError } from "../core/errors.js";
import type { Variable } from "../layers/layer.js";
import type { LayersModel } from "../models/functional.js";
import { installEngine } from "../models/engine.js";
import { LAYERS_MODEL_FORMAT, type ModelArtifacts, type SaveConfig, type SaveResult, concatWeightData } from "./artifacts.js";
import type { IOHandler } from "./handlers/io_handler.js";
import { resolveHandler } from "./handlers/router.js";
import { compileFromTrainingConfig, optimizerWeights, restoreOptimizer, trainingConfigOf } from "./optimizer_state.js";
import { type RaggedMetadata, modelFromTopology, modelToTopology } from "./topology.js";
import { decodeWeights, encodeWeights, firstNonFinite, modelWeights, namedVariables, setModelWeights } from "./weights.js";

/** What saved files say made them (TF.js writes `TensorFlow.js tfjs-layers v4.22.0`). */
export const GENERATED_BY = "ragged 0.1.0";

function weightNames(model: LayersModel): Map<Variable, string> {
  return new Map(namedVariables(model).map(({ name, variable }) => [variable, name]));
}

/**
 * The artifacts TF.js' `model.save` would hand its handler.
 * @param config - `{ includeOptimizer }` adds the training config and the optimizer state.
 */
export function modelToArtifacts(model: LayersModel, config: SaveConfig = {}): ModelArtifacts {
  const { topology, metadata } = modelToTopology(model);
  const weights = modelWeights(model);
  const seen = new Set<string>();
  for (const w of weights) {
    if (seen.has(w.name)) {
      throw new RaggedError("INVALID_ARGUMENT", `Model "${model.name}" has two weights named "${w.name}"; the model is not saved.`, {
        help: "a nested model and the model around it (or two nested models) use layers of the same name, or one layer: give every layer a name of its own",
      });
    }
    seen.add(w.name);
  }
  for (const w of weights) {
    const bad = firstNonFinite(w.values);
    if (bad >= 0) {
      throw new RaggedError("NON_FINITE", `Weight "${w.name}" is not finite (${w.values[bad]} at index ${bad}); the model is not saved.`, {
        expected: "finite weights",
        received: `${w.values[bad]}`,
        help: "training diverged (a too-large learning rate, or unscaled data): keep the last good checkpoint, lower the learning rate, or add TerminateOnNaN",
      });
    }
  }
  const training = config.includeOptimizer ? trainingConfigOf(model) : undefined;
  if (config.includeOptimizer && !training) {
    throw new RaggedError("NOT_COMPILED", "includeOptimizer needs a compiled model.", { help: "compile (and train) the model first, or save without includeOptimizer" });
  }
  if (training) weights.push(...optimizerWeights(model, weightNames(model)));
  const { specs, data } = encodeWeights(weights);
  const artifacts: ModelArtifacts = {
    modelTopology: topology,
    format: LAYERS_MODEL_FORMAT,
    generatedBy: GENERATED_BY,
    convertedBy: null,
  };
  if (training) artifacts.trainingConfig = training;
  const user = model.getUserDefinedMetadata();
  if (user !== undefined || Object.keys(metadata).length || training) {
    // NOTE [ resumable random state ] in training_state.ts: only a checkpoint that can resume carries it
    const { randomState: _stale, lossWeights: _staleWeights, ...previous } = (user?.ragged as Record<string, unknown> | undefined) ?? {};
    const lossWeights = training && model.lossWeights.some((w) => w !== 1) ? { lossWeights: [...model.lossWeights] } : {};
    const ragged = { ...previous, ...metadata, ...lossWeights, ...(training ? { randomState: randomStateOf(model) } : {}) };
    artifacts.userDefinedMetadata = { ...(user as Record<string, object> | undefined), ...(Object.keys(ragged).length ? { ragged } : {}) };
  }
  artifacts.weightSpecs = specs;
  artifacts.weightData = data;
  return artifacts;
}

/**
 * Saves `model` through a handler or a URL (`file://dir` in Node, `http(s)://…`).
 * @returns the handler's SaveResult.
 * @throws RaggedError INVALID_ARGUMENT for an unknown URL scheme; whatever the handler throws.
 */
export async function saveModel(model: LayersModel, urlOrHandler: string | IOHandler, config: SaveConfig = {}): Promise<SaveResult> {
  const handler = resolveHandler(urlOrHandler, "save");
  return (handler.save as NonNullable<IOHandler["save"]>)(modelToArtifacts(model, config));
}

/**
 * A new model from artifacts: topology first, then every weight checked and set, then (when the
 * artifacts carry a training config) compile and optimizer state. Either a whole model or an error.
 * @param source - the file or URL, named in errors.
 */
export function modelFromArtifacts(artifacts: ModelArtifacts, source = "model artifacts"): LayersModel {
  if (!artifacts || typeof artifacts !== "object" || !artifacts.modelTopology) {
    throw new RaggedError("BAD_FILE", `${source}: no modelTopology in the model artifacts.`);
  }
  if (artifacts.format !== undefined && artifacts.format !== LAYERS_MODEL_FORMAT) {
    throw new RaggedError("UNSUPPORTED", `${source}: format "${artifacts.format}" is not a layers model.`, { expected: '"layers-model"' });
  }
  let topology: unknown = artifacts.modelTopology;
  if (topology instanceof ArrayBuffer) {
    throw new RaggedError("UNSUPPORTED", `${source}: a GraphDef (binary) topology is a graph model, not a layers model.`);
  }
  if (typeof topology === "string") topology = JSON.parse(topology);
  const metadata = ((artifacts.userDefinedMetadata as { ragged?: RaggedMetadata } | undefined)?.ragged ?? {}) as RaggedMetadata;
  const model = modelFromTopology(topology, source, metadata);
  const decoded = decodeWeights(artifacts.weightSpecs ?? [], concatWeightData(artifacts.weightData), source);
  setModelWeights(model, decoded, source);
  if (artifacts.userDefinedMetadata) model.setUserDefinedMetadata(artifacts.userDefinedMetadata);
  if (artifacts.trainingConfig) {
    compileFromTrainingConfig(model, artifacts.trainingConfig, source, metadata.lossWeights);
    restoreOptimizer(model, decoded, weightNames(model), source);
    const randomState = (metadata as { randomState?: unknown }).randomState;
    if (randomState !== undefined) restoreRandomState(model, randomState, source);
  }
  return model;
}

/**
 * Loads a model saved by ragged, TF.js or Keras (via the TF.js converter).
 * @param urlOrHandler - `file://path/model.json` (Node, "ragged-rnn/node"), `https://…/model.json`, or an IOHandler.
 * @returns a Sequential for a Sequential topology, else a functional model (TF.js' `Model`, Keras
 *   3's `Functional`); compiled when the file has a training config.
 * @throws RaggedError IO_ERROR (missing file), BAD_FILE (corrupt JSON, truncated weights), SHAPE_MISMATCH
 *   (manifest vs topology), UNKNOWN_NAME (unknown layer class), UNSUPPORTED — each naming the file.
 */
export async function loadModel(urlOrHandler: string | IOHandler): Promise<LayersModel> {
  const handler = resolveHandler(urlOrHandler, "load");
  const artifacts = await (handler.load as NonNullable<IOHandler["load"]>)();
  return modelFromArtifacts(artifacts, handler.source ?? (typeof urlOrHandler === "string" ? urlOrHandler : "model handler"));
}

// NOTE [ the model engine ] (models/engine.ts): model.save / loadWeights / training threads reach io through these.
installEngine({ save: saveModel, load: loadModel, toArtifacts: modelToArtifacts });

/**
 * NOTE [ the model engine ]
 * Dependencies point one way: core ← data ← layers ← models ← training ← io. Yet a model's
 * public methods (`fit`, `predict`, `save`, …) are doors to code that sits above it. Instead of
 * importing upward (a cycle), models/ declares here what it needs, and training/ and io/ install
 * their functions when they are loaded (training/engine.ts, io/model_io.ts) — the package entry
 * points ("ragged-rnn", "ragged-rnn/node") load both. A method called before they are installed (a model
 * module imported on its own) throws a clear error instead of failing deep inside.
 */
import { RaggedError } from "../core/errors.js";

/**
 * Functions installed by training/ (fit, evaluate, …) and io/ (save, load, artifacts). Their
 * precise types are on the model's methods (type-only imports vanish at compile time and make no
 * runtime dependency; NOTE [ import direction ] in the repository's test/import_graph.test.ts).
 */
type EngineFunction = (...args: any[]) => any;
export type EngineName = "compile" | "fit" | "fitDataset" | "evaluate" | "evaluateDataset" | "predict" | "predictDataset" | "trainOnBatch" | "save" | "load" | "toArtifacts" | "builtInLayer";
export type EngineParts = Record<EngineName, EngineFunction>;

const parts: Partial<EngineParts> = {};

/** Installs functions (training/ and io/ call this once, when loaded). */
export function installEngine(installed: Partial<EngineParts>): void {
  Object.assign(parts, installed);
}

/** The installed function `name`. @throws RaggedError `UNSUPPORTED` when nothing installed it. */
export function engine<K extends keyof EngineParts>(name: K): EngineParts[K] {
  const f = parts[name];
  if (!f) {
    throw new RaggedError("UNSUPPORTED", `model.${name === "toArtifacts" || name === "load" ? "save/load" : name} is not available: its module was not loaded.`, {
      help: 'import the model from "ragged-rnn" (or "ragged-rnn/node"), which loads training and io',
    });
  }
  return f;
}

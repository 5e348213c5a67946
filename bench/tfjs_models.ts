/**
 * The TF.js peers: the seed's model built in TF.js layers, doing the same work as ragged's —
 * LSTM(32, returnSequences) → LSTM(8, returnSequences) → TimeDistributed(Dense(2, sigmoid)),
 * categorical crossentropy, Adam, one `model.trainOnBatch` on a dense [B, T, 5] tensor.
 *
 * Porting note: TF.js LSTM defaults to recurrentActivation "hardSigmoid"; Keras 3 and ragged use
 * "sigmoid", so it is set explicitly. TF.js does not mask the loss (Keras 3 does); with the
 * Masking layer the recurrent work is the padded one either way, which is what is timed here.
 *
 * Backends: "cpu" (pure JS) and "wasm" (XNNPACK, SIMD). In Node the wasm backend runs one thread
 * (no WASM_HAS_MULTITHREAD_SUPPORT: the threaded build needs browser workers). Each contender
 * builds its own model and tensors after switching to its backend, and switches back to it
 * (untimed) before each step, so no tensor is moved between backends inside a timed step.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { Contender } from "./stats.js";

export type TfBackend = "cpu" | "wasm";

let wasmPathSet = false;

/** Activates `name` (pointing the wasm backend at its .wasm files on disk first). */
export async function useTfBackend(name: TfBackend): Promise<void> {
  if (name === "wasm" && !wasmPathSet) {
    const entry = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
    setWasmPaths(path.dirname(entry) + path.sep); // node_modules/@tensorflow/tfjs-backend-wasm/dist/
    wasmPathSet = true;
  }
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`TF.js backend ${name} failed to initialise`);
  }
  await tf.ready();
}

/** "wasm (simd, 1 thread)" etc., for the header. */
export async function describeTfBackend(name: TfBackend): Promise<string> {
  await useTfBackend(name);
  if (name === "cpu") return `cpu (pure JS), tfjs ${tf.version.tfjs}`;
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  return `wasm (${simd ? "SIMD" : "no SIMD"}, ${getThreadsCount()} thread(s)), tfjs ${tf.version.tfjs}`;
}

/** The seed's model in TF.js, optionally behind a Masking(0) layer for padded input. */
export function buildTfSeedModel(options: { masking: boolean; features: number }): tf.Sequential {
  const inputShape = [null, options.features];
  const model = tf.sequential();
  if (options.masking) model.add(tf.layers.masking({ maskValue: 0, inputShape }));
  model.add(tf.layers.lstm({ units: 32, returnSequences: true, recurrentActivation: "sigmoid", ...(options.masking ? {} : { inputShape }) }));
  model.add(tf.layers.lstm({ units: 8, returnSequences: true, recurrentActivation: "sigmoid" }));
  model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "sigmoid" }) }));
  model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
  return model;
}

export interface TfStepArgs {
  name: string;
  backend: TfBackend;
  masking: boolean;
  /** Inputs [B, T, features] and targets [B, T, 2], row-major. */
  x: Float32Array;
  y: Float32Array;
  batch: number;
  steps: number;
  features: number;
  rounds: number;
  warmup: number;
}

/** A contender timing one `trainOnBatch` (awaited: the loss is read back, so the step is done). */
export async function tfStepContender(args: TfStepArgs): Promise<Contender & { dispose: () => void }> {
  await useTfBackend(args.backend);
  const quiet = console.warn; // the orthogonal initializer warns about 4096-element matrices
  console.warn = () => {};
  const model = buildTfSeedModel({ masking: args.masking, features: args.features });
  console.warn = quiet;
  const x = tf.tensor3d(args.x, [args.batch, args.steps, args.features]);
  const y = tf.tensor3d(args.y, [args.batch, args.steps, 2]);
  return {
    name: args.name,
    rounds: args.rounds,
    warmup: args.warmup,
    prepare: () => useTfBackend(args.backend),
    run: async () => {
      const loss = await model.trainOnBatch(x, y);
      return Array.isArray(loss) ? loss[0] : loss;
    },
    dispose: () => {
      tf.dispose([x, y]);
      model.optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * The worker side of data-parallel training, and the messages between the threads.
 *
 * A worker holds a replica of the model (topology + weights from `modelToArtifacts`, compiled
 * with the same loss and metrics; no optimizer state). Each step it receives one share of the
 * batch (already packed) and the current weights, runs the packed forward/backward
 * (`shardGradients`) and sends back its loss, Σ m, gradients and metric sums. Everything is
 * copied once per step (the arrays are transferred, not cloned), never per timestep.
 */
import { RaggedError, type ErrorCode } from "../../core/errors.js";
import { setKernels, jsKernels } from "../../core/kernels/registry.js";
import { useFastKernels } from "../../core/kernels/wasm.js";
import { Random } from "../../core/random.js";
import type { LayersModel } from "../../models/functional.js";
import type { LossConfig } from "../losses.js";
import { MetricAccumulator, resolveMetric } from "../metrics.js";
import type { ModelBatch } from "../graph_samples.js";
import "../engine.js"; // compile, in the worker
import { shardGradients } from "../train_step.js";
import type { MessageLike } from "./platform.js";

/** Main → worker: build the replica. */
export interface InitMessage {
  type: "init";
  /** `modelToArtifacts(model)`: topology and weights. */
  artifacts: unknown;
  /** One loss per output, the weights of their sum, and each output's metric names. */
  losses: LossConfig[];
  lossWeights: number[];
  metrics: string[][];
  /** The main thread's `kernels().name`; the worker selects the same. */
  kernels: string;
}

/** Main → worker: one share of a batch. */
export interface StepMessage {
  type: "step";
  id: number;
  batch: ModelBatch;
  /** Every weight of the model (`model.weights` order), concatenated. */
  weights: Float32Array;
  /** Seeds this share's dropout stream. */
  seed: number;
  /** Several outputs: each output's Σ m over the whole batch (the share divides by these). */
  denominators?: number[];
}

export type ToWorker = InitMessage | StepMessage;

/** Sums of one metric over a share's rows (`MetricAccumulator.partial`). */
export interface MetricPartial {
  total: number;
  count: number;
}

/** Worker → main: one share's result. */
export interface ShardReply {
  type: "step";
  id: number;
  /** Σ ℓ·w·m / Σ m over the share, without regularization. */
  loss: number;
  /** Σ m over the share. */
  count: number;
  /** Trainable gradients (`model.trainableWeights` order), concatenated. */
  grads: Float32Array;
  /** Several outputs: each output's loss over the share (with the whole batch's denominators). */
  outputLosses?: number[];
  metrics: MetricPartial[];
}

export type FromWorker = { type: "ready" } | ShardReply | { type: "error"; message: string; code?: ErrorCode; stack?: string };

/** The worker's end of the channel: a Web Worker's `self`, or Node's `parentPort` adapted. */
export interface ReplicaEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageLike) => void) | null;
}

/**
 * Runs the replica side in a worker: answers `init` and `step` messages until terminated.
 * @param endpoint - where messages come from and go to (`self` in a Web Worker).
 * @param buildModel - `modelFromArtifacts` (passed in: io/ sits above training/).
 */
export function serveReplica(endpoint: ReplicaEndpoint, buildModel: (artifacts: unknown) => LayersModel): void {
  let replica: { model: LayersModel; metrics: MetricAccumulator[] } | null = null;
  endpoint.onmessage = (event) => {
    const message = event.data as ToWorker;
    try {
      if (message.type === "init") {
        replica = initReplica(message, buildModel);
        endpoint.postMessage({ type: "ready" } satisfies FromWorker);
      } else if (message.type === "step") {
        if (!replica) throw new Error("replica: step before init");
        const reply = runShard(replica.model, replica.metrics, message);
        endpoint.postMessage(reply, [reply.grads.buffer as ArrayBuffer]);
      }
    } catch (err) {
      const e = err as Error & { code?: ErrorCode };
      endpoint.postMessage({ type: "error", message: e?.message ?? String(err), code: e instanceof RaggedError ? e.code : undefined, stack: e?.stack } satisfies FromWorker);
    }
  };
}

function initReplica(message: InitMessage, buildModel: (artifacts: unknown) => LayersModel): { model: LayersModel; metrics: MetricAccumulator[] } {
  if (message.kernels === "js") setKernels(jsKernels);
  else if (message.kernels === "wasm-simd" && !useFastKernels()) setKernels(jsKernels); // same results, only slower
  const model = buildModel(message.artifacts);
  model.compile({ loss: message.losses, optimizer: "sgd", metrics: message.metrics, lossWeights: message.lossWeights });
  model.requireCompiled("a training thread");
  // the same accumulators, in the same order, as the main thread's Trackers
  const widths = model.outputSpecs().map((s) => s.width);
  const metrics = model.outputMetrics.flatMap((names, k) =>
    names.map((m) => {
      const acc = new MetricAccumulator(resolveMetric(m, { loss: model.losses[k], outputWidth: widths[k] }));
      acc.outputIndex = k;
      return acc;
    }),
  );
  return { model, metrics };
}

function runShard(model: LayersModel, metrics: MetricAccumulator[], message: StepMessage): ShardReply {
  let at = 0;
  for (const v of model.weights) {
    v.value.set(message.weights.subarray(at, at + v.size));
    at += v.size;
  }
  for (const m of metrics) m.reset();
  const result = shardGradients(model, message.batch, metrics, new Random(message.seed), message.denominators);
  const trainable = model.trainableWeights;
  const grads = new Float32Array(trainable.reduce((n, v) => n + v.size, 0));
  at = 0;
  for (const v of trainable) {
    grads.set(v.grad, at);
    at += v.size;
  }
  return { type: "step", id: message.id, loss: result.loss, count: result.count, grads, metrics: metrics.map((m) => m.partial()), ...(result.outputLosses ? { outputLosses: result.outputLosses } : {}) };
}

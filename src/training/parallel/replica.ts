/**
 * The worker side of data-parallel training, and the messages between the threads.
 *
 * A worker holds a replica of the model (topology + weights from `modelToArtifacts`, compiled
 * with the same loss and metrics; no optimizer state). Each step it receives the chunks of the
 * batch posted to it (packed, or as sample indices it packs from the step's shared samples: NOTE
 * [ chunks packed by the thread that runs them ] in shared_samples.ts; the first message also
 * carries the current weights) and, for each chunk it manages to claim (NOTE [ chunks claimed at
 * run time ] in claims.ts), runs the packed
 * forward/backward (`shardGradients`) and sends back its loss, Σ m, gradients and metric sums;
 * for a chunk another thread claimed it answers at once that it did not run it. The arrays cross
 * once per step, never per timestep.
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
import { shardGradients, trainableGrads } from "../train_step.js";
import type { MessageLike } from "./platform.js";
import { claim } from "./claims.js";
import { packShared, type SharedSamples } from "./shared_samples.js";

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

/** Main → worker: one chunk of a step's batch, to run if this worker can claim it. */
export interface ChunkMessage {
  type: "chunk";
  /** The step. */
  id: number;
  /** The chunk's index in the step. */
  chunk: number;
  /** The chunk packed; or, with the step's shared samples, `indices` (NOTE [ chunks packed by the thread that runs them ]). */
  batch?: ModelBatch;
  /** The chunk's sample indices, when the worker packs it from `samples`. */
  indices?: readonly number[];
  /** Every weight of the model (`model.weights` order), concatenated: on a step's first chunk only. */
  weights?: Float32Array;
  /** The step's samples in shared memory, for chunks posted as indices: on a step's first chunk, when they are not the ones sent last. */
  samples?: SharedSamples;
  /** Seeds this chunk's dropout stream. */
  seed: number;
  /** The step's claims, one entry per chunk (shared memory where the engine has it). */
  claims: Int32Array;
  /** This worker's id in `claims`. */
  claimant: number;
  /** Several outputs: each output's Σ m over the whole batch (the chunk divides by these). */
  denominators?: number[];
}

export type ToWorker = InitMessage | ChunkMessage;

/** Sums of one metric over a share's rows (`MetricAccumulator.partial`). */
export interface MetricPartial {
  total: number;
  count: number;
}

/** Worker → main: one chunk's result, or (`ran: false`) that another thread claimed it. */
export type ChunkReply = { type: "chunk"; id: number; chunk: number; ran: false } | ChunkResult;

/** What running one chunk gives. */
export interface ChunkResult {
  type: "chunk";
  id: number;
  chunk: number;
  ran: true;
  /** Σ ℓ·w·m / Σ m over the chunk, without regularization. */
  loss: number;
  /** Σ m over the chunk. */
  count: number;
  /** Trainable gradients (`model.trainableWeights` order), concatenated. */
  grads: Float32Array;
  /** Several outputs: each output's loss over the chunk (with the whole batch's denominators). */
  outputLosses?: number[];
  metrics: MetricPartial[];
}

export type FromWorker = { type: "ready" } | ChunkReply | { type: "error"; message: string; code?: ErrorCode; stack?: string };

/** The worker's end of the channel: a Web Worker's `self`, or Node's `parentPort` adapted. */
export interface ReplicaEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageLike) => void) | null;
}

/**
 * Runs the replica side in a worker: answers `init` and `chunk` messages until terminated.
 * @param endpoint - where messages come from and go to (`self` in a Web Worker).
 * @param buildModel - `modelFromArtifacts` (passed in: io/ sits above training/).
 */
export function serveReplica(endpoint: ReplicaEndpoint, buildModel: (artifacts: unknown) => LayersModel): void {
  let replica: { model: LayersModel; metrics: MetricAccumulator[] } | null = null;
  let samples: SharedSamples | null = null; // the last sent: a fit's steps share them
  endpoint.onmessage = (event) => {
    const message = event.data as ToWorker;
    try {
      if (message.type === "init") {
        replica = initReplica(message, buildModel);
        endpoint.postMessage({ type: "ready" } satisfies FromWorker);
      } else if (message.type === "chunk") {
        if (!replica) throw new Error("replica: step before init");
        if (message.weights) setWeights(replica.model, message.weights);
        if (message.samples) samples = message.samples;
        if (!claim(message.claims, message.chunk, message.claimant)) {
          endpoint.postMessage({ type: "chunk", id: message.id, chunk: message.chunk, ran: false } satisfies FromWorker);
          return;
        }
        const batch = message.batch ?? packIndices(samples, message);
        const reply = runChunk(replica.model, replica.metrics, message, batch);
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

function setWeights(model: LayersModel, weights: Float32Array): void {
  let at = 0;
  for (const v of model.weights) {
    v.value.set(weights.subarray(at, at + v.size));
    at += v.size;
  }
}

/** A chunk posted as indices, packed here from the shared samples sent last (its step's). */
function packIndices(samples: SharedSamples | null, message: ChunkMessage): ModelBatch {
  if (!message.indices || samples === null) throw new Error("replica: a chunk without its batch or its step's samples");
  return packShared(samples, message.indices);
}

function runChunk(model: LayersModel, metrics: MetricAccumulator[], message: ChunkMessage, batch: ModelBatch): ChunkResult {
  for (const m of metrics) m.reset();
  const result = shardGradients(model, batch, metrics, new Random(message.seed), message.denominators);
  return { type: "chunk", id: message.id, chunk: message.chunk, ran: true, loss: result.loss, count: result.count, grads: trainableGrads(model), metrics: metrics.map((m) => m.partial()), ...(result.outputLosses ? { outputLosses: result.outputLosses } : {}) };
}

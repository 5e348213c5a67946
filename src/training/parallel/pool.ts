/**
 * NOTE [ data-parallel training ]
 * With `threads: T` a training step splits its batch by whole sequences into T shares of equal
 * size and Σ length (shards.ts). The calling thread posts shares 1…T−1, each with the current
 * weights, to T−1 workers holding a replica of the model (replica.ts), computes share 0 itself
 * meanwhile, then combines exactly what one thread would have computed:
 *   D = Σ_s D_s (D_s = Σ m over share s, NOTE [ loss reduction ]),
 *   loss = Σ_s (D_s/D)·loss_s,   grad = Σ_s (D_s/D)·grad_s,
 * adds the regularization penalties and their gradients once, merges the metric sums, and the
 * optimizer steps on the calling thread as usual. The results equal one thread's up to float32
 * summation order (~1e-7 relative). The threads meet once per step: messages are async
 * (postMessage), so this also runs on a browser's main thread, and the arrays (packed share,
 * weights, gradients) are transferred once per step, never per timestep.
 *
 * Dropout: share 0 draws from the model's stream, the other shares from streams seeded by a
 * per-model side stream, so with dropout the result depends on the thread count (it is
 * deterministic for a fixed count and seed). Without dropout the model's stream is consumed as on
 * one thread (shuffling is unchanged).
 *
 * Functional models train on threads as Sequential ones: each replica is rebuilt from the model's
 * saved graph (`modelToArtifacts`), whose layers, and so whose weights, come in the same order.
 *
 * One thread is used, without error, when: T = 1; no worker factory is registered (see
 * platform.ts); the model has a stateful recurrent layer (its carried states are per batch row);
 * the model has a batchNormalization layer (its training statistics, and the moving ones it
 * updates, are the whole batch's); a custom layer (a worker knows only ragged's own classes); the loss is a custom Loss object or a metric is not a name
 * (neither can be sent to a worker);
 * or the batch has fewer than 2·T sequences (then fewer threads, MIN_SEQUENCES_PER_SHARD), or too
 * little work to pay for a thread (NOTE [ when a second thread pays ] in shards.ts).
 */
import { RaggedError } from "../../core/errors.js";
import { kernels } from "../../core/kernels/registry.js";
import { Random } from "../../core/random.js";
import { InputLayer } from "../../layers/input_layer.js";
import { Layer } from "../../layers/layer.js";
import { LayersModel } from "../../models/functional.js";
import { engine } from "../../models/engine.js";
import { canonicalLossName, type LossConfig } from "../losses.js";
import type { MetricAccumulator } from "../metrics.js";
import { type ModelBatch, type ModelSamples, batchFigures, isGraphBatch, makeModelBatch, outputCounts } from "../graph_samples.js";
import { regularization, shardGradients, type StepResult, trainStep } from "../train_step.js";
import { type WorkerLike, threadPlatform } from "./platform.js";
import type { FromWorker, ShardReply, StepMessage } from "./replica.js";
import { shardCount, splitShards, stepFlopsEstimate } from "./shards.js";

/** A batch not yet packed: which samples, so it can be packed whole or in shares. */
export interface BatchSource {
  samples: ModelSamples;
  indices: readonly number[];
}

/** A training step's result plus the batch figures fit records (EpochBatchStats). */
export interface ParallelStepResult extends StepResult {
  /** Σ real steps packed. */
  realSteps: number;
  /** The longest sequence of the batch. */
  maxLength: number;
}

/** Why a model cannot be split across threads, or null when it can. */
export function threadBlocker(model: LayersModel): string | null {
  const layers = allLayers(model);
  if (layers.some(isStateful)) return "a stateful recurrent layer";
  if (layers.some((l) => l.className === "BatchNormalization")) return "a batchNormalization layer";
  const custom = layers.map(customLayerIn).find((name) => name !== null);
  if (custom) return `a custom layer (${custom})`;
  if (model.losses.length === 0 || model.losses.some((loss) => loss.options === undefined || canonicalLossName(loss.name) === null)) return "a custom loss";
  if (model.outputMetrics.some((list) => list.some((m) => typeof m !== "string"))) return "a custom metric";
  return null;
}

/** The model's layers, those of nested models included. */
function allLayers(model: LayersModel): Layer[] {
  return model.layers.flatMap((l) => (l instanceof LayersModel ? [l, ...allLayers(l)] : [l]));
}

/** The class name of a layer (or of a layer it wraps) that is not one of ragged's own, or null. */
function customLayerIn(layer: Layer): string | null {
  // input layers and nested models are ragged's own; a nested model's layers are checked one by one
  if (layer instanceof InputLayer || layer instanceof LayersModel) return null;
  if (!engine("builtInLayer")(layer.className)) return layer.className;
  const l = layer as unknown as { forwardLayer?: unknown; backwardLayer?: unknown; layer?: unknown };
  for (const inner of [l.forwardLayer, l.backwardLayer, l.layer]) {
    const found = inner instanceof Layer ? customLayerIn(inner) : null;
    if (found) return found;
  }
  return null;
}

function isStateful(layer: object): boolean {
  const l = layer as { stateful?: unknown; forwardLayer?: object; backwardLayer?: object; layer?: object };
  if (l.stateful === true) return true;
  return [l.forwardLayer, l.backwardLayer, l.layer].some((inner) => inner !== undefined && isStateful(inner));
}

/**
 * One optimizer step on a batch with up to `threads` threads (NOTE [ data-parallel training ]);
 * exactly `trainStep` when it runs on one. `prepare` is applied to each packed share (class weights).
 */
export async function parallelTrainStep(
  model: LayersModel,
  source: BatchSource,
  metrics: readonly MetricAccumulator[],
  threads: number,
  prepare?: (batch: ModelBatch) => ModelBatch,
): Promise<ParallelStepResult> {
  let rows = 0;
  for (const i of source.indices) rows += source.samples.lengths[i];
  const weights = model.trainableWeights.reduce((n, v) => n + v.size, 0);
  const count = shardCount(source.indices.length, threads, stepFlopsEstimate(weights, Math.max(rows, source.indices.length)));
  const pool = count > 1 && threadPlatform() !== null && threadBlocker(model) === null ? await WorkerPool.for(model, count - 1) : null; // never more workers than shares
  if (pool === null) {
    const raw = makeModelBatch(source.samples, source.indices);
    const batch = prepare ? prepare(raw) : raw;
    const figures = batchFigures(batch);
    return { ...trainStep(model, batch, metrics), realSteps: figures.realSteps, maxLength: figures.maxLength };
  }
  const { optimizer } = model.requireCompiled("training");
  const pack = (shard: readonly number[]): ModelBatch => {
    const raw = makeModelBatch(source.samples, shard);
    return prepare ? prepare(raw) : raw;
  };
  const shards = splitShards(source.indices, source.samples.lengths, count);
  // The workers' shares are packed first and posted at once; this thread packs its own while they
  // run (packing is ~6 ms of a 60 ms seed step). Several outputs: every share divides each output's
  // loss by the whole batch's Σ m, so the shares' losses and gradients add up — that needs every
  // share packed before any is posted (one output keeps the weighted combination below).
  const theirs = shards.slice(1).map(pack);
  const several = model.outputSpecs().length > 1;
  const packedFirst = several ? pack(shards[0]) : null;
  const denominators = packedFirst ? sumCounts([packedFirst, ...theirs], model) : undefined;
  let realSteps = theirs.reduce((n, b) => n + batchFigures(b).realSteps, 0);
  let maxLength = theirs.reduce((n, b) => Math.max(n, batchFigures(b).maxLength), 0);
  const replies = pool.run(model, theirs, denominators); // posted (and their arrays transferred) now: the workers start at once
  let first: ReturnType<typeof shardGradients>;
  try {
    const mine = packedFirst ?? pack(shards[0]);
    realSteps += batchFigures(mine).realSteps;
    maxLength = Math.max(maxLength, batchFigures(mine).maxLength);
    first = shardGradients(model, mine, metrics, undefined, denominators);
  } finally {
    await replies.catch(() => undefined); // never leave a reply unawaited
  }
  const others = await replies;
  const gradSize = model.trainableWeights.reduce((n, v) => n + v.size, 0);
  if (others.some((r) => r.grads.length !== gradSize)) throw new Error("ragged: a training thread's replica has other trainable weights than the model");
  if (denominators) return addShares(model, first, others, metrics, optimizer, { size: source.indices.length, realSteps, maxLength });
  const D = others.reduce((n, r) => n + r.count, first.count);
  let at = 0;
  for (const v of model.trainableWeights) {
    const g = v.grad;
    for (let i = 0; i < g.length; i++) {
      let sum = first.count * g[i];
      for (const r of others) sum += r.count * r.grads[at + i];
      g[i] = D > 0 ? sum / D : 0;
    }
    at += v.size;
  }
  let loss = first.count * first.loss;
  for (const r of others) loss += r.count * r.loss;
  loss = D > 0 ? loss / D : 0;
  others.forEach((r) => r.metrics.forEach((p, k) => metrics[k]?.merge(p)));
  loss += regularization(model, true);
  optimizer.apply(model.trainableWeights);
  return { loss, size: source.indices.length, realSteps, maxLength };
}

/** Σ m of every output over all shares (packed graph batches). */
function sumCounts(shares: readonly ModelBatch[], model: LayersModel): number[] {
  const specs = model.outputSpecs();
  const totals = specs.map(() => 0);
  for (const b of shares) if (isGraphBatch(b)) outputCounts(b, specs, model.inputNames).forEach((c, k) => (totals[k] += c));
  return totals;
}

/** Shares computed with the whole batch's denominators: their losses and gradients add up. */
function addShares(
  model: LayersModel,
  first: ReturnType<typeof shardGradients>,
  others: ShardReply[],
  metrics: readonly MetricAccumulator[],
  optimizer: NonNullable<LayersModel["optimizer"]>,
  figures: { size: number; realSteps: number; maxLength: number },
): ParallelStepResult {
  let at = 0;
  for (const v of model.trainableWeights) {
    const g = v.grad;
    for (const r of others) for (let i = 0; i < g.length; i++) g[i] += r.grads[at + i];
    at += v.size;
  }
  let loss = others.reduce((n, r) => n + r.loss, first.loss);
  const outputLosses = first.outputLosses ? first.outputLosses.map((l, k) => others.reduce((n, r) => n + (r.outputLosses?.[k] ?? 0), l)) : undefined;
  others.forEach((r) => r.metrics.forEach((p, k) => metrics[k]?.merge(p)));
  loss += regularization(model, true);
  optimizer.apply(model.trainableWeights);
  return { loss, ...figures, ...(outputLosses ? { outputLosses } : {}) };
}

/** Seeds for the workers' dropout streams, one side stream per model (NOTE [ data-parallel training ]). */
const sideStreams = new WeakMap<LayersModel, Random>();

/** The model's side stream (created from its seed on first use); a checkpoint saves its position. */
export function sideStream(model: LayersModel): Random {
  let rng = sideStreams.get(model);
  if (!rng) {
    rng = new Random((model.seed ^ 0x5bd1e995) >>> 0);
    sideStreams.set(model, rng);
  }
  return rng;
}

const pools = new WeakMap<LayersModel, WorkerPool>();

/**
 * NOTE [ worker lifetime ]
 * A model's workers outlive the call that started them: the next `fit`, `fitDataset` or
 * `trainOnBatch` on the same model (same loss, metrics, kernels and trainable weights) reuses them
 * instead of paying ~300 ms to start and rebuild replicas — `for (…) await model.fit(…, { epochs: 1 })`
 * is a common loop. A pool idle for `workerIdleMs` (default 10 s) stops itself, so models that are
 * done training do not hold threads; in Node idle workers and that timer never keep the process
 * alive. `terminateWorkers(model)` stops them at once.
 */
let workerIdleMs = 10_000;

/** Test hook: how long an idle pool waits before stopping its workers (ms). */
export function setWorkerIdleMs(ms: number): void {
  workerIdleMs = ms;
}

/** Stops the worker threads a model trained with now (NOTE [ worker lifetime ]). */
export async function terminateWorkers<X, Y>(model: LayersModel<X, Y>): Promise<void> {
  const key = model as unknown as LayersModel; // any model's pool: the type parameters only describe its data
  const pool = pools.get(key);
  pools.delete(key);
  await pool?.terminate();
}

interface Pending {
  resolve: (reply: ShardReply) => void;
  reject: (error: Error) => void;
}

/** Workers holding replicas of one model; started lazily, kept while its signature holds. */
class WorkerPool {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;
  private busy = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly workers: WorkerLike[],
    readonly signature: string,
  ) {}

  /** The model's pool with at least `size` workers and the same loss, metrics and kernels; started when needed. */
  static async for(model: LayersModel, size: number): Promise<WorkerPool> {
    const signature = signatureOf(model);
    const existing = pools.get(model);
    if (existing && existing.failure === null && existing.signature === signature && existing.workers.length >= size) return existing;
    pools.delete(model);
    await existing?.terminate();
    const pool = await WorkerPool.start(model, size, signature);
    pools.set(model, pool);
    return pool;
  }

  private static async start(model: LayersModel, size: number, signature: string): Promise<WorkerPool> {
    const platform = threadPlatform();
    if (!platform) throw new RaggedError("UNSUPPORTED", "No worker factory is registered.");
    // io/ sits above training/: its serializer is reached through the engine (NOTE [ the model engine ]).
    const artifacts = engine("toArtifacts")(model);
    const losses = model.losses.map((loss) => ({ name: loss.name, ...loss.options }) satisfies LossConfig);
    const init = { type: "init", artifacts, losses, lossWeights: [...model.lossWeights], metrics: model.outputMetrics.map((m) => [...m]), kernels: kernels().name };
    const workers: WorkerLike[] = [];
    const pool = new WorkerPool(workers, signature);
    try {
      for (let k = 0; k < size; k++) workers.push(platform.createWorker());
      const ready = workers.map((w) => pool.expectReady(w));
      workers.forEach((w) => w.postMessage(init));
      await Promise.all(ready);
    } catch (err) {
      await pool.terminate();
      throw err;
    }
    return pool;
  }

  /** Wires a worker's replies to `pending`; resolves on its `ready`. */
  private expectReady(worker: WorkerLike): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.onmessage = (event) => {
        const reply = event.data as FromWorker;
        if (reply.type === "ready") {
          ready = true;
          worker.unref?.();
          resolve();
        } else if (reply.type === "error") {
          const error = remoteError(reply);
          if (!ready) reject(error);
          this.fail(error, false);
        } else {
          const p = this.pending.get(reply.id);
          this.pending.delete(reply.id);
          p?.resolve(reply);
        }
      };
      worker.onerror = (err) => {
        const error = err instanceof Error ? err : new Error(String(err));
        if (!ready) reject(error);
        this.fail(error, true);
      };
      worker.ref?.();
    });
  }

  /** Runs shares 1… on the workers (one each) with the model's current weights. */
  run(model: LayersModel, batches: ModelBatch[], denominators?: number[]): Promise<ShardReply[]> {
    if (this.failure) return Promise.reject(this.failure);
    const all = model.weights;
    const weights = new Float32Array(all.reduce((n, v) => n + v.size, 0));
    let at = 0;
    for (const v of all) {
      weights.set(v.value, at);
      at += v.size;
    }
    const seeds = sideStream(model);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.busy++ === 0) this.workers.forEach((w) => w.ref?.());
    const replies = batches.map((batch, k) => {
      const id = this.nextId++;
      const message: StepMessage = { type: "step", id, batch, weights: k === batches.length - 1 ? weights : weights.slice(), seed: seeds.nextUint32(), ...(denominators ? { denominators } : {}) };
      const reply = new Promise<ShardReply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      this.workers[k].postMessage(message, transferList(message));
      return reply;
    });
    const all_ = Promise.all(replies);
    const idle = () => {
      if (--this.busy !== 0) return;
      this.workers.forEach((w) => w.unref?.());
      this.idleTimer = setTimeout(() => void this.terminate(), workerIdleMs); // a stopped pool is replaced by WorkerPool.for
      (this.idleTimer as { unref?: () => void }).unref?.();
    };
    all_.then(idle, idle);
    return all_;
  }

  /** Rejects every pending step; a crashed pool is dropped. */
  private fail(error: Error, fatal: boolean): void {
    if (fatal) this.failure = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /** Stops the workers (once: the idle timer, `WorkerPool.for` and `terminateWorkers` may all ask). */
  async terminate(): Promise<void> {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.fail(this.failure ?? new Error("ragged: the training threads were stopped"), true);
    this.stopping ??= Promise.all(this.workers.map((w) => w.terminate())).then(() => undefined);
    await this.stopping;
  }
}

/** What the replicas were built from, apart from the weights sent with every step. */
function signatureOf(model: LayersModel): string {
  const layers = model.layers.map((l) => [l.name, l.weights.map((v) => v.size), l.trainableWeights.length]);
  return JSON.stringify([layers, model.losses.map((l) => [l.name, l.options]), model.lossWeights, model.outputMetrics, kernels().name]);
}

function transferList(message: StepMessage): ArrayBuffer[] {
  const b = message.batch;
  const parts = isGraphBatch(b) ? [...b.inputs.flatMap((x) => [x.x, x.mask]), ...b.targets.flatMap((t) => [t.y, t.weights])] : [b.x, b.y, b.weights, b.mask];
  const arrays = [message.weights, ...parts].filter((a): a is NonNullable<typeof a> => a !== null && a !== undefined);
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

function remoteError(reply: Extract<FromWorker, { type: "error" }>): Error {
  const error = reply.code ? new RaggedError(reply.code, reply.message) : new Error(`ragged training thread: ${reply.message}`);
  if (reply.stack) error.stack = `${error.name}: ${reply.message}\n    (in a training thread)\n${reply.stack.split("\n").slice(1).join("\n")}`;
  return error;
}

/**
 * NOTE [ data-parallel training ]
 * With `threads: T` a training step splits its batch by whole sequences into K chunks of equal
 * size and Σ length (shards.ts: about 4 per thread) and posts them, with the current weights,
 * to T−1 workers holding a replica of the model (replica.ts). The threads then claim chunks while
 * they run — the workers from the front, the calling thread from the back — so a thread that is
 * slowed runs fewer (NOTE [ chunks claimed at run time ] in claims.ts); a chunk the calling thread
 * runs is packed when it gets to it and never posted (NOTE [ chunks posted as needed ] below). The
 * calling thread combines, in chunk order, exactly what one thread would have computed:
 *   D = Σ_c D_c (D_c = Σ m over chunk c, NOTE [ loss reduction ]),
 *   loss = Σ_c (D_c/D)·loss_c,   grad = Σ_c (D_c/D)·grad_c,
 * adds the regularization penalties and their gradients once, merges the metric sums, and the
 * optimizer steps on the calling thread as usual. The results equal one thread's up to float32
 * summation order (~1e-7 relative), and do not depend on which thread ran which chunk. The threads
 * meet once per step: messages are async (postMessage), so this also runs on a browser's main
 * thread, and the arrays (packed chunks, weights, gradients) cross once per step, never per timestep.
 *
 * Dropout: every chunk draws from its own stream, seeded from a per-model side stream, so with
 * dropout the result depends on the thread count (it is deterministic for a fixed count and seed).
 * The model's own stream is not drawn from by a threaded step; without dropout it is consumed as
 * on one thread (shuffling is unchanged).
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
import { MetricAccumulator } from "../metrics.js";
import { type ModelBatch, type ModelSamples, batchFigures, isGraphBatch, makeModelBatch, outputCounts } from "../graph_samples.js";
import type { Batch } from "../samples.js";
import { concatenated, regularization, shardGradients, type StepResult, trainableGrads, trainStep } from "../train_step.js";
import { withStepBuffers } from "../../core/step_buffers.js";
import { canShare, claim, MAIN_CLAIMANT, newClaims, WORKER_CLAIMANT } from "./claims.js";
import { type WorkerLike, threadPlatform } from "./platform.js";
import type { ChunkMessage, ChunkReply, FromWorker, MetricPartial } from "./replica.js";
import { shareSamples, type SharedSamples } from "./shared_samples.js";
import { chunkCount, shardCount, splitShards, stepFlopsEstimate } from "./shards.js";

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

/** How `parallelTrainStep` may split its step. */
export interface ParallelStepArgs {
  /** Most threads to use. */
  threads: number;
  /** Applied to each packed share (class weights). */
  prepare?: (batch: ModelBatch) => ModelBatch;
  /** One step of a training loop: the workers are running (NOTE [ when a second thread pays ]). */
  inLoop?: boolean;
}

/**
 * One optimizer step on a batch with up to `args.threads` threads (NOTE [ data-parallel
 * training ]); exactly `trainStep` when it runs on one.
 */
export async function parallelTrainStep(
  model: LayersModel,
  source: BatchSource,
  metrics: readonly MetricAccumulator[],
  args: ParallelStepArgs,
): Promise<ParallelStepResult> {
  const { threads, prepare, inLoop = false } = args;
  let rows = 0;
  for (const i of source.indices) rows += source.samples.lengths[i];
  const weights = model.trainableWeights.reduce((n, v) => n + v.size, 0);
  const work = stepFlopsEstimate(weights, Math.max(rows, source.indices.length));
  const count = shardCount({ sequences: source.indices.length, threads, work, inLoop });
  const pool = count > 1 && threadPlatform() !== null && threadBlocker(model) === null ? await WorkerPool.for(model, count - 1) : null; // never more workers than shares
  if (pool === null) {
    // packed into recycled arrays (NOTE [ step buffers ]): the batch lives as long as this step
    return withStepBuffers(() => {
      const raw = makeModelBatch(source.samples, source.indices);
      const batch = prepare ? prepare(raw) : raw;
      const figures = batchFigures(batch);
      return { ...trainStep(model, batch, metrics), realSteps: figures.realSteps, maxLength: figures.maxLength };
    });
  }
  const { optimizer } = model.requireCompiled("training");
  const pack = (chunk: readonly number[]): ModelBatch => {
    const raw = makeModelBatch(source.samples, chunk);
    return prepare ? prepare(raw) : raw;
  };
  // NOTE [ chunks posted as needed ]: the workers' expected share (and one chunk per worker to
  // spare) is posted first, each chunk as soon as it is packed — or, for plain samples in shared
  // memory, as its sample indices, which the worker that claims it packs (NOTE [ chunks packed by
  // the thread that runs them ] in shared_samples.ts) — so a worker starts on chunk 0 while this
  // thread posts the next; this thread packs its own chunks (from the back) only when it runs
  // them, unshared and never posted, and between its chunks posts one more from the front
  // whenever fewer than one per worker wait. Packing and posting all 8 chunks of the seed step up
  // front kept this thread from its first chunk for ~2 ms. Several outputs: every chunk divides
  // each output's loss by the whole batch's Σ m, so the chunks' losses and gradients add up — that
  // needs every chunk packed before any is posted (one output: the weighted combination below).
  const K = chunkCount(source.indices.length, count, work);
  const workers = count - 1;
  const parts = splitShards(source.indices, source.samples.lengths, K);
  const side = sideStream(model);
  const seeds = parts.map(() => side.nextUint32());
  const claims = newClaims(K, workers);
  const several = model.outputSpecs().length > 1;
  const chunks: ModelBatch[] = several ? parts.map((p) => sharedBatch(pack(p))) : new Array<ModelBatch>(K);
  const denominators = several ? sumCounts(chunks, model) : undefined;
  // plain samples in shared memory: a worker packs the chunks it claims (NOTE [ chunks packed by the thread that runs them ])
  const samples = !several && !prepare && canShare() ? sharedSamplesOf(source.samples) : null;
  const step = pool.runChunks(model, { claims, denominators, workers, samples });
  let frontier = 0; // chunks 0 .. frontier − 1 are posted, or were claimed here before they could be
  const postNext = (): void => {
    while (frontier < K) {
      const c = frontier++;
      if (claims[c] === MAIN_CLAIMANT) continue; // run here: the workers never need it
      if (samples) step.post(c, { indices: parts[c] }, seeds[c]);
      else step.post(c, { batch: (chunks[c] ??= sharedBatch(pack(parts[c]))) }, seeds[c]);
      return;
    }
  };
  // free posted chunks: while fewer than one per worker wait, the workers may run dry
  const waiting = (): number => {
    let free = 0;
    for (let c = 0; c < frontier; c++) if (claims[c] === 0) free++;
    return free;
  };
  const results: (ChunkOutcome | undefined)[] = new Array(K);
  try {
    // the workers' expected share and one per worker to spare
    const upfront = Math.min(K, Math.ceil((K * workers) / count) + workers);
    while (frontier < upfront) postNext();
    // from the back, while the workers take chunks from the front (NOTE [ chunks claimed at run time ]);
    // every chunk still free when this thread gets to it is its own
    for (let c = K - 1; c >= 0; c--) {
      while (frontier < K && waiting() < workers) postNext();
      if (!claim(claims, c, MAIN_CLAIMANT)) continue;
      const sums = metrics.map(emptyLike);
      // not posted: stays unshared, packed (unless packed to post) into recycled arrays that only this chunk reads (NOTE [ step buffers ]; afterwards only its layout is read)
      const r = withStepBuffers(() => shardGradients(model, (chunks[c] ??= pack(parts[c])), sums, new Random(seeds[c]), denominators));
      results[c] = { loss: r.loss, count: r.count, grads: trainableGrads(model), metrics: sums.map((m) => m.partial()), ...(r.outputLosses ? { outputLosses: r.outputLosses } : {}) };
    }
  } catch (err) {
    step.abandon(err as Error); // the answers of the chunks already posted are ignored
    throw err;
  } finally {
    step.seal(); // no more chunks: the step's replies settle once the posted ones are answered
    await step.replies.catch(() => undefined); // never leave a reply unawaited
  }
  for (const r of await step.replies) if (r.ran) results[r.chunk] = r;
  const gradSize = model.trainableWeights.reduce((n, v) => n + v.size, 0);
  const done = results.filter((r): r is ChunkOutcome => r !== undefined);
  if (done.length !== K) throw new Error("ragged: a chunk of a threaded step was run by no thread");
  if (done.some((r) => r.grads.length !== gradSize)) throw new Error("ragged: a training thread's replica has other trainable weights than the model");
  let realSteps = 0;
  let maxLength = 0;
  if (samples) {
    // the workers' chunks were packed where they ran; plain samples count every step as real
    for (const i of source.indices) {
      realSteps += samples.lengths[i];
      maxLength = Math.max(maxLength, samples.lengths[i]);
    }
  } else {
    for (const b of chunks) {
      const f = batchFigures(b);
      realSteps += f.realSteps;
      maxLength = Math.max(maxLength, f.maxLength);
    }
  }
  // in chunk order, whichever thread ran each: the step does not depend on how they were shared out
  done.forEach((r) => r.metrics.forEach((p, k) => metrics[k]?.merge(p)));
  const loss = combineChunks(model, done, denominators !== undefined) + regularization(model, true);
  optimizer.apply(model.trainableWeights);
  const outputLosses = denominators ? denominators.map((_, k) => done.reduce((n, r) => n + (r.outputLosses?.[k] ?? 0), 0)) : undefined;
  return { loss, size: source.indices.length, realSteps, maxLength, ...(outputLosses ? { outputLosses } : {}) };
}

/**
 * The batch with its big arrays (inputs, masks, targets, weights) moved into shared memory where
 * the engine has it, so posting a chunk to every worker copies none of them; else the batch itself.
 */
function sharedBatch(batch: ModelBatch): ModelBatch {
  if (!canShare()) return batch;
  if (isGraphBatch(batch)) {
    return { ...batch, inputs: batch.inputs.map((b) => sharedBatch(b) as Batch), targets: batch.targets.map((t) => ({ ...t, y: shared(t.y), weights: shared(t.weights) })) };
  }
  return { ...batch, x: shared(batch.x) as Float32Array, mask: shared(batch.mask), y: shared(batch.y), weights: shared(batch.weights) };
}

/** A copy of `a` in a SharedArrayBuffer (null stays null). */
function shared<A extends Float32Array | Uint8Array>(a: A | null): A | null {
  if (a === null) return null;
  const copy = new (a.constructor as new (buffer: SharedArrayBuffer) => A)(new SharedArrayBuffer(a.byteLength));
  copy.set(a);
  return copy;
}

const sharedSamples = new WeakMap<ModelSamples, SharedSamples | null>();

/** `shareSamples`, once per samples object: a fit's steps share one (and the workers keep it). */
function sharedSamplesOf(samples: ModelSamples): SharedSamples | null {
  if (!sharedSamples.has(samples)) sharedSamples.set(samples, shareSamples(samples));
  return sharedSamples.get(samples) ?? null;
}

/** A posted chunk: its packed batch, or the indices of its samples in the step's shared samples. */
type ChunkData = { batch: ModelBatch } | { indices: readonly number[] };

/** One chunk's result, from this thread or a worker. */
interface ChunkOutcome {
  loss: number;
  count: number;
  grads: Float32Array;
  metrics: MetricPartial[];
  outputLosses?: number[];
}

/** An empty accumulator of the same metric (a chunk's sums, merged in chunk order later). */
function emptyLike(m: MetricAccumulator): MetricAccumulator {
  const fresh = new MetricAccumulator(m.metric);
  fresh.outputIndex = m.outputIndex;
  return fresh;
}

/**
 * Writes the step's gradient into the trainable variables and returns its loss (without
 * regularization), exactly what one thread computes up to summation order (NOTE [ data-parallel
 * training ]): with whole-batch denominators (`add`) the chunks' gradients and losses add up;
 * otherwise each is weighted by its Σ m: grad = Σ_c (D_c/D)·grad_c, loss = Σ_c (D_c/D)·loss_c.
 */
function combineChunks(model: LayersModel, results: readonly ChunkOutcome[], add: boolean): number {
  const D = results.reduce((n, r) => n + r.count, 0);
  const weightOf = (r: ChunkOutcome) => (add ? 1 : D > 0 ? r.count / D : 0);
  let at = 0;
  for (const v of model.trainableWeights) {
    const g = v.grad;
    g.fill(0);
    for (const r of results) {
      const w = weightOf(r);
      for (let i = 0; i < g.length; i++) g[i] += w * r.grads[at + i];
    }
    at += v.size;
  }
  return results.reduce((n, r) => n + weightOf(r) * r.loss, 0);
}

/** Σ m of every output over all shares (packed graph batches). */
function sumCounts(shares: readonly ModelBatch[], model: LayersModel): number[] {
  const specs = model.outputSpecs();
  const totals = specs.map(() => 0);
  for (const b of shares) if (isGraphBatch(b)) outputCounts(b, specs, model.inputNames).forEach((c, k) => (totals[k] += c));
  return totals;
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

/** A step waiting for its workers' answers, one per chunk per worker. */
interface Pending {
  answer: (reply: ChunkReply) => void;
  reject: (error: Error) => void;
}

/** Workers holding replicas of one model; started lazily, kept while its signature holds. */
class WorkerPool {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;
  /** The shared samples the workers last received: sent again only when a step's differ. */
  private sentSamples: SharedSamples | null = null;
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
          this.pending.get(reply.id)?.answer(reply);
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

  /**
   * Starts a step on the first `workers` workers: `post` sends a chunk to each of them (its packed
   * batch, cloned or shared; or its sample indices, to be packed from the step's shared `samples`:
   * any thread may run any chunk), the model's current weights with the step's first (and
   * `samples`, unless they are the ones the workers were sent last);
   * after `seal` (no more chunks), `replies` resolves with all their answers once each worker has
   * answered every chunk posted to it (run, or claimed by another thread), or rejects when the
   * step is abandoned (a chunk failed to pack or to run here).
   */
  runChunks(
    model: LayersModel,
    step: { claims: Int32Array; denominators?: number[]; workers: number; samples: SharedSamples | null },
  ): { post: (chunk: number, data: ChunkData, seed: number) => void; seal: () => void; abandon: (error: Error) => void; replies: Promise<ChunkReply[]> } {
    if (this.failure) return { post: () => {}, seal: () => {}, abandon: () => {}, replies: Promise.reject(this.failure) };
    const weights = concatenated(model.weights, "value");
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.busy++ === 0) this.workers.forEach((w) => w.ref?.());
    const id = this.nextId++;
    let expected = 0;
    let sealed = false;
    const answers: ChunkReply[] = [];
    let settle = (): void => {};
    const replies = new Promise<ChunkReply[]>((resolve, reject) => {
      settle = () => {
        if (!sealed || answers.length < expected || !this.pending.has(id)) return;
        this.pending.delete(id);
        resolve(answers);
      };
      this.pending.set(id, {
        answer: (reply) => {
          answers.push(reply);
          settle();
        },
        reject,
      });
    });
    // the same samples step after step (a fit's): the workers keep the ones they were sent last
    const sendSamples = step.samples !== null && step.samples !== this.sentSamples;
    const post = (chunk: number, data: ChunkData, seed: number) => {
      if (sealed) throw new Error("ragged: a chunk posted after its step was sealed");
      if (expected === 0 && sendSamples) this.sentSamples = step.samples;
      for (let k = 0; k < step.workers; k++) {
        const message: ChunkMessage = {
          type: "chunk", id, chunk, ...data, seed, claims: step.claims, claimant: WORKER_CLAIMANT + k,
          ...(expected === 0 ? { weights, ...(sendSamples && step.samples ? { samples: step.samples } : {}) } : {}),
          ...(step.denominators ? { denominators: step.denominators } : {}),
        };
        this.workers[k].postMessage(message);
      }
      expected += step.workers;
    };
    const seal = () => {
      sealed = true;
      settle();
    };
    const idle = () => {
      if (--this.busy !== 0) return;
      this.workers.forEach((w) => w.unref?.());
      this.idleTimer = setTimeout(() => void this.terminate(), workerIdleMs); // a stopped pool is replaced by WorkerPool.for
      (this.idleTimer as { unref?: () => void }).unref?.();
    };
    const abandon = (error: Error) => {
      const pending = this.pending.get(id);
      this.pending.delete(id);
      pending?.reject(error);
    };
    replies.then(idle, idle);
    return { post, seal, abandon, replies };
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

function remoteError(reply: Extract<FromWorker, { type: "error" }>): Error {
  const error = reply.code ? new RaggedError(reply.code, reply.message) : new Error(`ragged training thread: ${reply.message}`);
  if (reply.stack) error.stack = `${error.name}: ${reply.message}\n    (in a training thread)\n${reply.stack.split("\n").slice(1).join("\n")}`;
  return error;
}

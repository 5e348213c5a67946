/**
 * Data-parallel training (NOTE [ data-parallel training ] in src/training/parallel/pool.ts):
 * a batch split across 2 threads trains the model as one thread does, up to float32 summation
 * order; fallbacks; option validation; the workers stay for the next call, stop when idle, and
 * never keep Node alive.
 */
import { spawnSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Random } from "../src/core/random.js";
import { Adam, input, type LayersModel, layers, model, RaggedError, sequential, SGD, type Sequential, type SymbolicTensor } from "../src/node.js";
import { setThreadPlatform, threadPlatform, type ThreadPlatform } from "../src/training/parallel/platform.js";
import { chunkCount, CHUNKS_PER_THREAD, DEFAULT_MIN_SHARD_FLOPS, LOOP_SHARE_DIVISOR, MIN_SEQUENCES_PER_SHARD, setMinShardFlops, shardCount, splitShards } from "../src/training/parallel/shards.js";
import { claim, fixedShares, MAIN_CLAIMANT, setChunkAssignmentForTests, WORKER_CLAIMANT } from "../src/training/parallel/claims.js";
import { type ParallelStepArgs, parallelTrainStep } from "../src/training/parallel/pool.js";
import { readSamples } from "../src/training/graph_samples.js";
import { setWorkerIdleMs, terminateWorkers } from "../src/training/parallel/pool.js";
import { randomOneHot, randomSequences } from "./harness.js";

/** Counts the workers started and stopped through the registered (Node) platform. */
const nodePlatform = threadPlatform() as ThreadPlatform;
let counts = { started: 0, stopped: 0 };
beforeEach(() => {
  // These models are toys, far below the work a thread must save to pay: split them anyway.
  setMinShardFlops(0);
  // a fresh object per test: a worker of an earlier test that stops late counts there, not here
  const c = (counts = { started: 0, stopped: 0 });
  setThreadPlatform({
    defaultThreads: () => 2,
    createWorker: () => {
      c.started++;
      const w = nodePlatform.createWorker();
      const terminate = w.terminate.bind(w);
      w.terminate = () => {
        c.stopped++;
        return terminate();
      };
      return w;
    },
  });
});
afterEach(() => {
  setThreadPlatform(nodePlatform);
  setMinShardFlops(DEFAULT_MIN_SHARD_FLOPS);
});

function tagger(seed: number, optimizer: "adam" | "sgd" = "sgd") {
  const model = sequential(
    [
      layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3] }),
      layers.gru({ units: 5, returnSequences: true, kernelRegularizer: { l2: 1e-3 } }),
      layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }),
    ],
    { seed },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: optimizer === "adam" ? new Adam({ learningRate: 0.01 }) : new SGD({ learningRate: 0.5 }), metrics: ["accuracy", "mse"] });
  return model;
}

/** max |a − b| / max |a| over every weight. */
function weightDiff(a: LayersModel, b: LayersModel): number {
  const wa = a.getWeights();
  const wb = b.getWeights();
  let diff = 0;
  let scale = 0;
  wa.forEach((w, k) => {
    for (let i = 0; i < w.data.length; i++) {
      diff = Math.max(diff, Math.abs(w.data[i] - wb[k].data[i]));
      scale = Math.max(scale, Math.abs(w.data[i]));
    }
  });
  return diff / scale;
}

/** max |(b − initial) − (a − initial)| / max |a − initial|: how far apart two steps' updates are. */
function updateDiff(initial: LayersModel, a: LayersModel, b: LayersModel): number {
  const w0 = initial.getWeights();
  const wa = a.getWeights();
  const wb = b.getWeights();
  let diff = 0;
  let scale = 0;
  w0.forEach((w, k) => {
    for (let i = 0; i < w.data.length; i++) {
      diff = Math.max(diff, Math.abs(wa[k].data[i] - wb[k].data[i]));
      scale = Math.max(scale, Math.abs(wa[k].data[i] - w.data[i]));
    }
  });
  return diff / scale;
}

const rng = new Random(7);
const lengths = Array.from({ length: 40 }, () => rng.int(1, 30));
const xs = randomSequences(rng, lengths, 3);
const ys = randomOneHot(rng, lengths, 2, true) as number[][][];

describe("splitting a batch", () => {
  it("deals sequences into shares of equal size and nearly equal Σ length, keeping batch order", () => {
    const indices = Array.from({ length: 40 }, (_, i) => i);
    const shards = splitShards(indices, Int32Array.from(lengths), 3);
    expect(shards.flat().sort((a, b) => a - b)).toEqual(indices);
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    const sums = shards.map((s) => s.reduce((n, i) => n + lengths[i], 0));
    expect(Math.max(...sums) - Math.min(...sums)).toBeLessThanOrEqual(Math.max(...lengths));
    for (const s of shards) expect([...s].sort((a, b) => a - b)).toEqual(s);
    expect(splitShards([0, 1, 2, 3], Int32Array.of(5, 9, 2, 7), 2)).toEqual([[1, 2], [0, 3]]);
  });
});

describe("training on 2 threads", () => {
  it("trainOnBatch: same loss and weights as one thread (SGD and Adam)", async () => {
    for (const optimizer of ["sgd", "adam"] as const) {
      const one = tagger(3, optimizer);
      const two = tagger(3, optimizer);
      const initial = tagger(3, optimizer);
      const lossOne = await one.trainOnBatch(xs, ys);
      const lossTwo = await two.trainOnBatch(xs, ys, { threads: 2 });
      expect(counts.started).toBe(1);
      expect(Math.abs(lossTwo - lossOne)).toBeLessThan(1e-6 * Math.abs(lossOne));
      expect(weightDiff(one, two)).toBeLessThan(1e-6);
      // the updates themselves agree (measured 4e-7 with SGD; Adam's first step, lr·g/(|g|+ε), is
      // touchier where g ≈ 0: 3e-6); a gradient off by 1e-5 relative fails the SGD bound
      expect(updateDiff(initial, one, two)).toBeLessThan(optimizer === "sgd" ? 2e-6 : 1e-5);
      await terminateWorkers(two);
      expect(counts.stopped).toBe(1);
      counts.started = 0;
      counts.stopped = 0;
    }
  });

  it("freezing a layer between steps restarts the replicas; still the same as one thread", async () => {
    const one = tagger(12);
    const two = tagger(12);
    await one.trainOnBatch(xs, ys);
    await two.trainOnBatch(xs, ys, { threads: 2 });
    one.layers[0].trainable = false;
    two.layers[0].trainable = false;
    const frozen = two.getWeights()[0].data.slice();
    await one.trainOnBatch(xs, ys);
    await two.trainOnBatch(xs, ys, { threads: 2 });
    expect(counts.started).toBe(2);
    expect(two.getWeights()[0].data).toEqual(frozen);
    expect(weightDiff(one, two)).toBeLessThan(1e-6);
    await terminateWorkers(two);
  });

  it("fit: same history (loss, metrics) and weights over 2 shuffled epochs; the next fit reuses its worker", async () => {
    const one = tagger(4);
    const two = tagger(4);
    const sampleWeight = lengths.map((_, i) => 0.5 + (i % 3));
    const args = { epochs: 2, batchSize: 16, verbose: 0 as const, sampleWeight, classWeight: { 0: 1, 1: 2 } };
    const h1 = await one.fit(xs, ys, { ...args, threads: 1 });
    expect(counts.started).toBe(0);
    const h2 = await two.fit(xs, ys, { ...args, threads: 2 });
    expect(counts.started).toBe(1);
    expect(counts.stopped).toBe(0);
    for (const key of ["loss", "accuracy", "mse"]) {
      const a = h1.history[key] as number[];
      const b = h2.history[key] as number[];
      expect(b.length).toBe(2);
      b.forEach((v, e) => expect(Math.abs(v - a[e])).toBeLessThan(1e-6 * Math.max(1, Math.abs(a[e]))));
    }
    expect(h2.batchStats).toEqual(h1.batchStats);
    expect(weightDiff(one, two)).toBeLessThan(1e-6);
    // a third epoch as a second fit call: no new worker, and still one thread's result
    const e1 = await one.fit(xs, ys, { ...args, epochs: 3, initialEpoch: 2, threads: 1 });
    const e2 = await two.fit(xs, ys, { ...args, epochs: 3, initialEpoch: 2, threads: 2 });
    expect(counts.started).toBe(1);
    expect(Math.abs((e2.history.loss[0] as number) - (e1.history.loss[0] as number))).toBeLessThan(1e-6);
    expect(weightDiff(one, two)).toBeLessThan(1e-6);
    // weights set between calls reach the replicas (they are sent with every step)
    one.setWeights(tagger(9).getWeights());
    two.setWeights(tagger(9).getWeights());
    const l1 = await one.trainOnBatch(xs, ys);
    const l2 = await two.trainOnBatch(xs, ys, { threads: 2 });
    expect(Math.abs(l2 - l1)).toBeLessThan(1e-6 * Math.abs(l1));
    expect(counts.started).toBe(1);
    await terminateWorkers(two);
    expect(counts.stopped).toBe(1);
  });

  it("an idle pool stops its workers by itself; the next call starts new ones", async () => {
    setWorkerIdleMs(50);
    try {
      const model = tagger(13);
      await model.fit(xs, ys, { epochs: 1, batchSize: 20, verbose: 0, threads: 2 });
      expect(counts.started).toBe(1);
      await model.fit(xs, ys, { epochs: 1, batchSize: 20, verbose: 0, threads: 2 }); // back to back: reused
      expect(counts.started).toBe(1);
      expect(counts.stopped).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(counts.stopped).toBe(1);
      await model.fit(xs, ys, { epochs: 1, batchSize: 20, verbose: 0, threads: 2 });
      expect(counts.started).toBe(2);
      await terminateWorkers(model);
      expect(counts.stopped).toBe(2);
    } finally {
      setWorkerIdleMs(10_000);
    }
  });

  it("fit defaults to the platform's thread count (one per core in Node)", async () => {
    const model = tagger(5);
    await model.fit(xs, ys, { epochs: 1, batchSize: 40, verbose: 0 });
    expect(counts.started).toBe(1); // defaultThreads() = 2 → one worker beside the main thread
  });

  it("fitDataset: same loss and weights as one thread, masked padded input included", async () => {
    const make = (seed: number) => {
      const m = sequential(
        [
          layers.masking({ maskValue: 0, inputShape: [null, 3] }),
          layers.lstm({ units: 4 }),
          layers.dense({ units: 2, activation: "softmax" }),
        ],
        { seed },
      );
      m.compile({ loss: "categoricalCrossentropy", optimizer: "sgd", metrics: ["accuracy"] });
      return m;
    };
    const padded = xs.map((s) => [...s, ...Array.from({ length: 30 - s.length }, () => [0, 0, 0])]);
    const labels = xs.map((_, i) => (i % 2 ? [1, 0] : [0, 1]));
    const dataset = () => [0, 20].map((at) => ({ xs: padded.slice(at, at + 20), ys: labels.slice(at, at + 20) }));
    const one = make(6);
    const two = make(6);
    const h1 = await one.fitDataset(dataset(), { epochs: 1, verbose: 0, threads: 1 });
    const h2 = await two.fitDataset(dataset(), { epochs: 1, verbose: 0, threads: 2 });
    expect(counts.started).toBe(1);
    expect(Math.abs((h2.history.loss[0] as number) - (h1.history.loss[0] as number))).toBeLessThan(1e-6);
    expect(Math.abs((h2.history.accuracy[0] as number) - (h1.history.accuracy[0] as number))).toBeLessThan(1e-6);
    expect(weightDiff(one, two)).toBeLessThan(1e-6);
  });

  it("with dropout: deterministic for a fixed thread count", async () => {
    const make = () => {
      const m = sequential([layers.lstm({ units: 4, dropout: 0.3, returnSequences: true, inputShape: [null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })], { seed: 8 });
      m.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      return m;
    };
    const a = make();
    const b = make();
    await a.fit(xs, ys, { epochs: 2, batchSize: 20, verbose: 0, threads: 2 });
    await b.fit(xs, ys, { epochs: 2, batchSize: 20, verbose: 0, threads: 2 });
    expect(weightDiff(a, b)).toBe(0);
  });
});

describe("chunks claimed at run time (NOTE [ chunks claimed at run time ])", () => {
  afterEach(() => setChunkAssignmentForTests(null));

  it("chunk counts: 4 per thread, at least 2 sequences each, a multiple of the threads, never fewer than the threads", () => {
    expect(CHUNKS_PER_THREAD).toBe(4);
    expect(chunkCount(1000, 2)).toBe(8);
    expect(chunkCount(10, 2)).toBe(4); // 10 / MIN_SEQUENCES_PER_SHARD = 5, down to a multiple of 2
    expect(chunkCount(2 * MIN_SEQUENCES_PER_SHARD, 2)).toBe(2);
    expect(chunkCount(3 * MIN_SEQUENCES_PER_SHARD, 2)).toBe(2);
    expect(chunkCount(100, 3)).toBe(12);
    expect(chunkCount(16, 3)).toBe(6); // 8, down to a multiple of 3
  });

  it("share counts: a quarter of the threshold inside a training loop (NOTE [ when a second thread pays ])", () => {
    const seed = 6 * 6194; // the seed model's estimated FLOPs per packed row
    const previous = setMinShardFlops(DEFAULT_MIN_SHARD_FLOPS);
    try {
      expect(shardCount({ sequences: 32, threads: 2, work: seed * 32 * 55 })).toBe(1); // 6.5e7: a lone step stays on one
      expect(shardCount({ sequences: 32, threads: 2, work: seed * 32 * 55, inLoop: true })).toBe(2);
      expect(shardCount({ sequences: 16, threads: 2, work: seed * 16 * 55, inLoop: true })).toBe(1); // 3.3e7: one share of 2.5e7
      expect(shardCount({ sequences: 64, threads: 2, work: seed * 64 * 55 })).toBe(1);
      expect(shardCount({ sequences: 128, threads: 2, work: seed * 128 * 55 })).toBe(2);
      expect(shardCount({ sequences: 3, threads: 2, inLoop: true })).toBe(1); // 2 sequences a share at least
    } finally {
      setMinShardFlops(previous);
    }
  });

  it("chunk counts follow the work: at least minShardFlops per chunk (NOTE [ chunks worth their overhead ])", () => {
    const seed = 6 * 6194; // the seed model's estimated FLOPs per packed row (stepFlopsEstimate)
    const previous = setMinShardFlops(DEFAULT_MIN_SHARD_FLOPS); // this file runs with 0 (split tiny batches)
    try {
      expect(chunkCount(128, 2, seed * 128 * 55)).toBe(2); // 2.6e8: two chunks of 64 sequences, not 8 of 16
      expect(chunkCount(256, 2, seed * 256 * 55)).toBe(4); // 5.2e8: 5, down to a multiple of 2
      expect(chunkCount(384, 2, seed * 384 * 55)).toBe(6); // 7.8e8: 7, down to a multiple of 2
      expect(chunkCount(1000, 2, seed * 1000 * 55)).toBe(8); // capped at CHUNKS_PER_THREAD per thread
      expect(chunkCount(1000, 2, 0.5 * DEFAULT_MIN_SHARD_FLOPS)).toBe(2); // never fewer than the threads
      setMinShardFlops(0); // no threshold: only the caps
      expect(chunkCount(128, 2, seed * 128 * 55)).toBe(8);
    } finally {
      setMinShardFlops(previous);
    }
  });

  it("a claim takes a free chunk once; fixed shares (no shared memory) give each thread its own run", () => {
    const claims = new Int32Array(3);
    expect(claim(claims, 1, MAIN_CLAIMANT)).toBe(true);
    expect(claim(claims, 1, WORKER_CLAIMANT)).toBe(false);
    expect(claim(claims, 1, MAIN_CLAIMANT)).toBe(true); // already its own
    expect(Array.from(claims)).toEqual([0, MAIN_CLAIMANT, 0]);
    expect(Array.from(fixedShares(8, 1))).toEqual([2, 2, 2, 2, 1, 1, 1, 1]);
    expect(Array.from(fixedShares(7, 2))).toEqual([2, 2, 3, 3, 1, 1, 1]);
    const owned = fixedShares(8, 1);
    expect(claim(owned, 0, WORKER_CLAIMANT)).toBe(true);
    expect(claim(owned, 0, MAIN_CLAIMANT)).toBe(false);
  });

  it("the step does not depend on which thread ran which chunk: bit-identical weights and loss, dropout included", async () => {
    const make = () => {
      const m = sequential([layers.lstm({ units: 4, dropout: 0.3, returnSequences: true, inputShape: [null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })], { seed: 8 });
      m.compile({ loss: "categoricalCrossentropy", optimizer: "adam", metrics: ["accuracy"] });
      return m;
    };
    const assignments: [string, ((chunks: number) => Int32Array) | null][] = [
      ["all on this thread", (chunks) => new Int32Array(chunks).fill(MAIN_CLAIMANT)],
      ["all on the worker", (chunks) => new Int32Array(chunks).fill(WORKER_CLAIMANT)],
      ["alternating", (chunks) => Int32Array.from({ length: chunks }, (_, c) => (c % 2 ? MAIN_CLAIMANT : WORKER_CLAIMANT))],
      ["claimed at run time", null],
    ];
    const runs: { name: string; losses: number[]; weights: Float32Array[] }[] = [];
    for (const [name, assign] of assignments) {
      setChunkAssignmentForTests(assign);
      const m = make();
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) losses.push(await m.trainOnBatch(xs, ys, { threads: 2 }));
      runs.push({ name, losses, weights: m.getWeights().map((w) => w.data) });
      await terminateWorkers(m);
    }
    for (const r of runs.slice(1)) {
      expect(r.losses, r.name).toEqual(runs[0].losses);
      r.weights.forEach((w, k) => expect(Array.from(w), r.name).toEqual(Array.from(runs[0].weights[k])));
    }
  });

  it("the chunks this thread runs are never posted (NOTE [ chunks posted as needed ]); the workers get theirs, the weights with the first", async () => {
    const posted: { chunk: number; weights: boolean }[][] = [];
    setThreadPlatform({
      defaultThreads: () => 2,
      createWorker: () => {
        const w = nodePlatform.createWorker();
        const post = w.postMessage.bind(w);
        const seen: { chunk: number; weights: boolean }[] = [];
        posted.push(seen);
        w.postMessage = (message: unknown, transfer?: Transferable[]) => {
          const m = message as { type: string; chunk: number; weights?: Float32Array };
          if (m.type === "chunk") seen.push({ chunk: m.chunk, weights: m.weights !== undefined });
          post(message, transfer as Transferable[]);
        };
        return w;
      },
    });
    // the worker runs every third chunk, this thread the rest
    setChunkAssignmentForTests((chunks) => Int32Array.from({ length: chunks }, (_, c) => (c % 3 === 1 ? WORKER_CLAIMANT : MAIN_CLAIMANT)));
    const m = tagger(5);
    const one = tagger(5);
    const loss2 = await m.trainOnBatch(xs, ys, { threads: 2 });
    const loss1 = await one.trainOnBatch(xs, ys, { threads: 1 });
    expect(Math.abs(loss2 - loss1)).toBeLessThan(1e-6 * Math.abs(loss1));
    expect(weightDiff(m, one)).toBeLessThan(1e-5);
    const K = chunkCount(xs.length, 2);
    expect(posted).toHaveLength(1);
    expect(posted[0].map((p) => p.chunk)).toEqual(Array.from({ length: K }, (_, c) => c).filter((c) => c % 3 === 1));
    expect(posted[0].map((p) => p.weights)).toEqual(posted[0].map((_, k) => k === 0));
    await terminateWorkers(m);
  });

  it("plain samples go to the worker once (a fit's steps share them) and its chunks as indices it packs itself (NOTE [ chunks packed by the thread that runs them ]); weighted ones as packed batches — the same step either way", async () => {
    const seen: { batch: boolean; indices: boolean; samples: boolean }[] = [];
    setThreadPlatform({
      defaultThreads: () => 2,
      createWorker: () => {
        const w = nodePlatform.createWorker();
        const post = w.postMessage.bind(w);
        w.postMessage = (message: unknown, transfer?: Transferable[]) => {
          const m = message as { type: string; batch?: unknown; indices?: unknown; samples?: unknown };
          if (m.type === "chunk") seen.push({ batch: m.batch !== undefined, indices: m.indices !== undefined, samples: m.samples !== undefined });
          post(message, transfer as Transferable[]);
        };
        return w;
      },
    });
    setChunkAssignmentForTests((chunks) => Int32Array.from({ length: chunks }, (_, c) => (c < chunks / 2 ? WORKER_CLAIMANT : MAIN_CLAIMANT)));
    const weights = lengths.map((_, i) => 0.5 + (i % 3));
    for (const sampleWeight of [undefined, weights]) {
      seen.length = 0;
      const m = tagger(9, "adam");
      const one = tagger(9, "adam");
      const h2 = await m.fit(xs, ys, { epochs: 2, batchSize: 20, shuffle: false, verbose: 0, threads: 2, sampleWeight });
      const h1 = await one.fit(xs, ys, { epochs: 2, batchSize: 20, shuffle: false, verbose: 0, threads: 1, sampleWeight });
      h1.history.loss.forEach((l, e) => expect(Math.abs(h2.history.loss[e] - l)).toBeLessThan(1e-6 * Math.abs(l)));
      expect(weightDiff(m, one)).toBeLessThan(1e-5);
      expect(seen.length).toBeGreaterThan(0);
      if (sampleWeight === undefined) {
        expect(seen.every((s) => s.indices && !s.batch)).toBe(true);
        // 4 steps of one fit: the samples go once, with the first chunk of the first step
        expect(seen.map((s) => s.samples)).toEqual(seen.map((_, k) => k === 0));
        const again = await m.trainOnBatch(xs, ys, { threads: 2 }); // other samples (a new call): sent again
        expect(Number.isFinite(again)).toBe(true);
        expect(seen.filter((s) => s.samples)).toHaveLength(2);
      } else {
        expect(seen.every((s) => s.batch && !s.indices && !s.samples)).toBe(true);
      }
      await terminateWorkers(m);
    }
  });

  it("three threads (two workers claiming from the front): the same steps as one thread, claimed at run time or in fixed shares", async () => {
    let created = 0;
    let posted = 0;
    setThreadPlatform({
      defaultThreads: () => 3,
      createWorker: () => {
        created++;
        const w = nodePlatform.createWorker();
        const post = w.postMessage.bind(w);
        w.postMessage = (message: unknown, transfer?: Transferable[]) => {
          if ((message as { type: string }).type === "chunk") posted++;
          post(message, transfer as Transferable[]);
        };
        return w;
      },
    });
    for (const assign of [null, (chunks: number, workers: number) => fixedShares(chunks, workers)]) {
      setChunkAssignmentForTests(assign);
      created = 0;
      posted = 0;
      const m = tagger(12, "adam");
      const one = tagger(12, "adam");
      const h3 = await m.fit(xs, ys, { epochs: 2, batchSize: 20, shuffle: false, verbose: 0, threads: 3 });
      const h1 = await one.fit(xs, ys, { epochs: 2, batchSize: 20, shuffle: false, verbose: 0, threads: 1 });
      h1.history.loss.forEach((l, e) => expect(Math.abs(h3.history.loss[e] - l)).toBeLessThan(1e-6 * Math.abs(l)));
      expect(weightDiff(m, one)).toBeLessThan(1e-5);
      expect(created).toBe(2);
      expect(posted).toBeGreaterThan(0);
      await terminateWorkers(m);
    }
  });

  it("a chunk that fails to pack fails the step, without leaving the workers waiting: the next step runs", async () => {
    const m = tagger(3);
    const samples = readSamples(m, xs, ys, true);
    const indices = Array.from({ length: samples.count }, (_, i) => i);
    let packed = 0;
    const failing = (batch: Parameters<NonNullable<ParallelStepArgs["prepare"]>>[0]) => {
      if (++packed === 3) throw new Error("third chunk refused");
      return batch;
    };
    await expect(parallelTrainStep(m, { samples, indices }, [], { threads: 2, prepare: failing })).rejects.toThrow("third chunk refused");
    const after = await parallelTrainStep(m, { samples, indices }, [], { threads: 2 });
    expect(Number.isFinite(after.loss)).toBe(true);
    expect(after.realSteps).toBe(lengths.reduce((n, l) => n + l, 0));
    await terminateWorkers(m);
  });
});

describe("functional models on 2 threads (replicas rebuilt from the saved graph)", () => {
  /** Two inputs of different lengths; the decoder starts from the encoder's states; a nested model; two outputs. */
  function graph(seed: number): LayersModel {
    const a = input({ shape: [null, 3], name: "a" });
    const b = input({ shape: [null, 2], name: "b" });
    const [seqA, h, c] = layers.lstm({ units: 5, returnSequences: true, returnState: true, name: "encoder" }).apply(a) as SymbolicTensor[];
    const decoded = layers.lstm({ units: 5, returnSequences: true, name: "decoder" }).apply(b, { initialState: [h, c] }) as SymbolicTensor;
    const tags = layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }), name: "tags" }).apply(decoded) as SymbolicTensor;
    const p = input({ shape: [5], name: "p" });
    const projection = model({ inputs: p, outputs: layers.dense({ units: 3, activation: "tanh", name: "proj_dense" }).apply(p) as SymbolicTensor, name: "projection", seed });
    const pooled = layers.gru({ units: 3, name: "pool_gru", kernelRegularizer: { l2: 1e-3 } }).apply(seqA) as SymbolicTensor;
    const joined = layers.add({ name: "join" }).apply([pooled, projection.apply(h) as SymbolicTensor]) as SymbolicTensor;
    const score = layers.dense({ units: 1, name: "score" }).apply(joined) as SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: [tags, score], seed, name: "two_threads" });
    m.compile({ loss: ["categoricalCrossentropy", "meanSquaredError"], lossWeights: [1, 0.5], optimizer: new SGD({ learningRate: 0.3 }), metrics: [["accuracy"], ["mse"]] });
    return m;
  }
  const gr = new Random(17);
  const lengthsA = Array.from({ length: 40 }, () => gr.int(1, 25));
  const lengthsB = Array.from({ length: 40 }, () => gr.int(1, 20));
  const xa = randomSequences(gr, lengthsA, 3);
  const xb = randomSequences(gr, lengthsB, 2);
  const tags = randomOneHot(gr, lengthsB, 2, true) as number[][][];
  const scores = lengthsA.map(() => [gr.uniformRange(-1, 1)]);

  it("fit: same history and weights as one thread over 2 shuffled epochs", async () => {
    const one = graph(21);
    const two = graph(21);
    const args = { epochs: 2, batchSize: 16, verbose: 0 as const };
    const h1 = await one.fit([xa, xb], [tags, scores], { ...args, threads: 1 });
    expect(counts.started).toBe(0);
    const h2 = await two.fit([xa, xb], [tags, scores], { ...args, threads: 2 });
    expect(counts.started).toBe(1); // really on two threads, not a fallback
    expect(counts.stopped).toBe(0); // kept for the next call
    await terminateWorkers(two);
    expect(counts.stopped).toBe(1);
    const keys = Object.keys(h1.history);
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) {
      const x = h1.history[key] as number[];
      const y = h2.history[key] as number[];
      expect(y.length).toBe(2);
      y.forEach((v, e) => expect(Math.abs(v - x[e]), key).toBeLessThan(1e-6 * Math.max(1, Math.abs(x[e]))));
    }
    expect(weightDiff(one, two)).toBeLessThan(1e-6);
  });

  it("trainOnBatch: the same step as one thread", async () => {
    const one = graph(22);
    const two = graph(22);
    const initial = graph(22);
    const lossOne = await one.trainOnBatch([xa, xb], [tags, scores]);
    const lossTwo = await two.trainOnBatch([xa, xb], [tags, scores], { threads: 2 });
    expect(counts.started).toBe(1);
    expect(Math.abs(lossTwo - lossOne)).toBeLessThan(1e-6 * Math.abs(lossOne));
    expect(updateDiff(initial, one, two)).toBeLessThan(2e-6);
    await terminateWorkers(two);
  });
});

describe("falling back to one thread", () => {
  it("with a stateful recurrent layer", async () => {
    const model = sequential([layers.lstm({ units: 3, stateful: true, returnSequences: true, batchInputShape: [8, null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })], { seed: 1 });
    model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    await model.fit(xs.slice(0, 8), ys.slice(0, 8), { batchSize: 8, verbose: 0, threads: 2, shuffle: false });
    await model.trainOnBatch(xs.slice(0, 8), ys.slice(0, 8), { threads: 2 });
    expect(counts.started).toBe(0);
  });

  it("with a batch smaller than 2 sequences per thread, or a custom loss", async () => {
    const model = tagger(9);
    await model.trainOnBatch(xs.slice(0, 3), ys.slice(0, 3), { threads: 2 });
    expect(counts.started).toBe(0);
    const custom = tagger(9);
    const builtIn = custom.loss as NonNullable<Sequential["loss"]>;
    custom.compile({ loss: { name: builtIn.name, targetWidth: (w: number) => w, compute: (a) => builtIn.compute(a) }, optimizer: "sgd" });
    await custom.trainOnBatch(xs, ys, { threads: 2 });
    expect(counts.started).toBe(0);
  });

  it("with too little work to pay for a thread (NOTE [ when a second thread pays ]), by the work, not the sequence count", async () => {
    setMinShardFlops(DEFAULT_MIN_SHARD_FLOPS);
    const model = tagger(11);
    // 40 sequences of the tagger (~500 weights) ≈ 6 × 500 × Σ lengths ≪ 1e8 FLOPs: one thread.
    await model.trainOnBatch(xs, ys, { threads: 2 });
    expect(counts.started).toBe(0);
    // The same batch with the threshold just below its work: two shares.
    const rows = xs.reduce((n, s) => n + s.length, 0);
    const work = 6 * model.trainableWeights.reduce((n, v) => n + v.size, 0) * rows;
    setMinShardFlops(work / 2 - 1);
    await model.trainOnBatch(xs, ys, { threads: 2 });
    expect(counts.started).toBe(1);
    setMinShardFlops(work / 2 + 1);
    const other = tagger(11);
    await other.trainOnBatch(xs, ys, { threads: 2 });
    expect(counts.started).toBe(1); // no new worker: one share only
    terminateWorkers(model);
  });

  it("inside a training loop a share needs a quarter of the work a lone step's does (the worker is running)", async () => {
    const rows = xs.reduce((n, s) => n + s.length, 0);
    const work = 6 * tagger(12).trainableWeights.reduce((n, v) => n + v.size, 0) * rows;
    setMinShardFlops(work); // a lone step of this batch: one share; a loop's step: work / (work / 4) = 4 → two
    const lone = tagger(12);
    await lone.trainOnBatch(xs, ys, { threads: 2 });
    expect(counts.started).toBe(0);
    const looped = tagger(12);
    await looped.fit(xs, ys, { epochs: 1, batchSize: xs.length, verbose: 0, threads: 2, shuffle: false });
    expect(counts.started).toBe(1);
    setMinShardFlops(LOOP_SHARE_DIVISOR * work + 1); // now too little even in a loop
    const again = tagger(12);
    await again.fit(xs, ys, { epochs: 1, batchSize: xs.length, verbose: 0, threads: 2, shuffle: false });
    expect(counts.started).toBe(1);
    terminateWorkers(looped);
  });

  it("without a worker factory (the platform-neutral build): one thread, and one warning saying so", async () => {
    setThreadPlatform(null);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const model = tagger(10);
      await model.fit(xs, ys, { epochs: 1, batchSize: 40, verbose: 0 }); // not asked for: no warning
      expect(warn).not.toHaveBeenCalled();
      await model.fit(xs, ys, { epochs: 1, batchSize: 40, verbose: 0, threads: 2 });
      await model.trainOnBatch(xs, ys, { threads: 2 });
      expect(counts.started).toBe(0);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/threads: 2 was asked for, but no worker factory is registered.*"ragged-rnn\/node".*setThreadPlatform/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("the threads option", () => {
  it.each([0, -1, 1.5, "2", null])("rejects threads = %s with INVALID_ARGUMENT", async (threads) => {
    const model = tagger(11);
    for (const call of [
      () => model.fit(xs, ys, { threads: threads as number, verbose: 0 }),
      () => model.fitDataset([{ xs, ys }], { threads: threads as number, verbose: 0 }),
      () => model.trainOnBatch(xs, ys, { threads: threads as number }),
    ]) {
      const err = await call().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(RaggedError);
      expect((err as RaggedError).code).toBe("INVALID_ARGUMENT");
      expect((err as RaggedError).message).toMatch(/`threads` must be a positive integer/);
    }
  });
});

describe("worker lifetime", () => {
  it("idle workers kept by trainOnBatch and fit do not keep Node running (nor their idle timer)", () => {
    const script = `
      import { layers, sequential, setMinShardFlops } from "./src/node.ts";
      setMinShardFlops(0);
      const m = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 1 });
      m.compile({ loss: "mse", optimizer: "sgd" });
      const xs = Array.from({ length: 8 }, (_, i) => Array.from({ length: 3 + i }, () => [i, 1]));
      const loss = await m.trainOnBatch(xs, xs.map(() => [1]), { threads: 2 });
      const h = await m.fit(xs, xs.map(() => [1]), { threads: 2, epochs: 1, verbose: 0 });
      console.log("trained", Number.isFinite(loss) && Number.isFinite(h.history.loss[0]));
    `;
    const started = Date.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("trained true");
    expect(r.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe("thread limits and one fit at a time (issue 15, defects 4 and 5)", () => {
  const four = xs.slice(0, 4);
  const fourY = ys.slice(0, 4);

  it("never starts more workers than a batch has shares", async () => {
    setThreadPlatform({ defaultThreads: () => 64, createWorker: () => (counts.started++, nodePlatform.createWorker()) });
    const model = tagger(5);
    await model.trainOnBatch(four, fourY, { threads: 32 }); // 4 sequences → 2 shares → 1 worker
    expect(counts.started).toBe(1);
    await terminateWorkers(model);
  });

  it("caps threads at the core count (the platform's default)", async () => {
    const model = tagger(5); // the test platform says 2 cores
    await model.fit(xs, ys, { threads: 256, epochs: 1, batchSize: 40, verbose: 0 });
    expect(counts.started).toBe(1);
    await terminateWorkers(model);
    expect(counts.stopped).toBe(1);
  });

  it("a second fit during a threaded fit is MODEL_BUSY and the first settles", async () => {
    const model = tagger(6);
    const first = model.fit(xs, ys, { threads: 2, epochs: 2, batchSize: 20, verbose: 0 });
    await expect(model.fit(xs, ys, { threads: 2, verbose: 0 })).rejects.toMatchObject({ code: "MODEL_BUSY" });
    const history = await first;
    expect(history.history.loss).toHaveLength(2);
    await terminateWorkers(model);
    expect(counts.stopped).toBe(counts.started);
  });
});

/**
 * The ragged contenders: the seed's model (buildSeedModel from the demo command, built from
 * dist/) trained with the public `trainOnBatch` on plain nested arrays — which includes turning
 * them into packed Float32Arrays — and that conversion alone, so its share can be reported.
 */
import { buildSeedModel } from "../dist/cli/commands/demo.js";
import { makeBatch, toSamples } from "../dist/training/samples.js";
import type { Contender } from "./stats.js";

export interface RaggedStepArgs {
  name: string;
  /** Nested arrays, or one flat Float32Array per sequence (NOTE [ flat sequences ]). */
  xs: number[][][] | Float32Array[];
  ys: number[][][] | Float32Array[];
  rounds: number;
  warmup: number;
  seed?: number;
  after?: () => void;
  /** Threads to split the batch across (`trainOnBatch`'s option; default 1). */
  threads?: number;
}

/**
 * Untimed steps every ragged step contender takes first, whatever --warmup says: V8 compiles a
 * step's per-call code only after several calls. Measured 2026-12-04, one model stepping on the
 * seed batch from a cold start: 483, 129, 107, 103, 81, 93, 99, 86, 73, 74, 73… ms; with the
 * default 2 warm-ups a section whose only ragged contender is new (the pytorch section's) timed
 * steps 3–10 of that slope. The slower peers (TF.js at 1–2 s a step, PyTorch) keep --warmup.
 */
const RAGGED_WARMUP = 10;

/**
 * One `model.trainOnBatch(xs, ys)`: validate + pack, forward, backward, Adam update; with
 * `threads`, split across that many threads (the workers start in the warm-up, untimed).
 */
export function raggedStepContender(args: RaggedStepArgs): Contender {
  const model = buildSeedModel(args.seed ?? 1);
  return {
    name: args.name,
    rounds: args.rounds,
    warmup: Math.max(args.warmup, RAGGED_WARMUP),
    run: () => model.trainOnBatch(args.xs, args.ys, args.threads ? { threads: args.threads } : {}),
    ...(args.after ? { after: args.after } : {}),
  };
}

/**
 * Only the input side of `trainOnBatch`: nested arrays → validated Float32Arrays (toSamples) →
 * one packed batch (makeBatch). Internal API (dist/training/samples.js), mirrored from
 * Sequential.trainOnBatch; update here if that changes.
 */
export function raggedConvertContender(args: Omit<RaggedStepArgs, "seed" | "after" | "threads">): Contender {
  return {
    name: args.name,
    rounds: args.rounds,
    warmup: args.warmup,
    run: () => {
      const samples = toSamples(args.xs, args.ys, { features: 5, target: { perStep: true, width: 2 } });
      const batch = makeBatch(samples, Array.from({ length: samples.count }, (_, i) => i));
      if (batch.x.length === 0) throw new Error("empty batch");
    },
  };
}

/** `fit` callbacks that hand each step's time (onBatchBegin → onBatchEnd, ms) to `record`. */
export function stepTimer(record: (ms: number) => void): { onBatchBegin: () => void; onBatchEnd: () => void } {
  let began = 0;
  return { onBatchBegin: () => void (began = performance.now()), onBatchEnd: () => record(performance.now() - began) };
}

export interface RaggedLoopArgs {
  name: string;
  xs: number[][][];
  ys: number[][][];
  /** Steps per run: one `fit` call over the batch repeated this many times. */
  steps: number;
  threads: number;
  rounds: number;
  warmup: number;
  prepare?: () => Promise<void>;
}

/** A contender that reports one time per step of a run (`inner`), not the run's wall clock. */
export interface LoopContender extends Contender {
  inner: number[];
}

/**
 * The seed step inside a training loop: each run is one `model.fit` over `steps` copies of the
 * batch (read and packed once per call, as `fit` does — as PyTorch's tensors are made before its
 * timed steps), each step timed by a callback from `onBatchBegin` to `onBatchEnd` (no length bucketing: every
 * step trains on the batch as given); the workers stay
 * up between runs, as they do between a user's `fit` calls on one model.
 */
export function raggedFitLoopContender(args: RaggedLoopArgs): LoopContender {
  const model = buildSeedModel(1);
  const xs = Array.from({ length: args.steps }, () => args.xs).flat();
  const ys = Array.from({ length: args.steps }, () => args.ys).flat();
  const inner: number[] = [];
  let last: number[] = [];
  const timer = stepTimer((ms) => last.push(ms));
  return {
    name: args.name,
    rounds: args.rounds,
    warmup: Math.max(args.warmup, 2),
    inner,
    ...(args.prepare ? { prepare: args.prepare } : {}),
    run: async () => {
      last = [];
      const h = await model.fit(xs, ys, { batchSize: args.xs.length, epochs: 1, shuffle: false, bucketing: false, verbose: 0, threads: args.threads, callbacks: [timer] });
      return h.history.loss[0];
    },
    after: () => void inner.push(...last),
  };
}

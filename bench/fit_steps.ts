/**
 * The seed step inside a training loop: `fit` over 8 batches of B × T seed sequences (the data read
 * once per `fit` call, as training does), each step timed by a callback from `onBatchBegin` to
 * `onBatchEnd`. `trainOnBatch` (the other contenders of the "peak" section) validates and packs its
 * nested arrays on every call, and in an interleaved round it follows contenders that leave the
 * second core idle; a `fit` loop runs its steps back to back. The thread counts alternate round by
 * round, each round a fresh model: one warm-up epoch, then `epochs` timed ones.
 */
import { buildSeedModel } from "../dist/cli/commands/demo.js";
import { terminateWorkers } from "../dist/training/parallel/pool.js";
import { seedBatch } from "./data.js";
import { stepTimer } from "./ragged_models.js";
import type { Timings } from "./stats.js";
import { addContention, cpuSnapshot } from "./contention.js";

export interface FitStepsArgs {
  batch: number;
  length: number;
  /** Thread counts, each a contender named `name(threads)`. */
  threads: readonly number[];
  name: (threads: number) => string;
  rounds: number;
  epochs: number;
  /** Runs at the end of each round, after the fit contenders (e.g. the parallel ceiling's steps, timed in the same rounds). */
  eachRound?: (round: number) => void | Promise<void>;
}

/** Batches a `fit` call runs (so `epochs` × FIT_BATCHES steps are timed per round and thread count). */
export const FIT_BATCHES = 8;

export async function fitSteps(args: FitStepsArgs): Promise<Timings[]> {
  const xs: number[][][] = [];
  const ys: number[][][] = [];
  for (let b = 0; b < FIT_BATCHES; b++) {
    const data = seedBatch(args.batch, 2 + b, args.length);
    xs.push(...data.xs);
    ys.push(...data.ys);
  }
  const timings: Timings[] = args.threads.map((t) => ({ name: args.name(t), samples: [], last: null }));
  for (let round = 0; round < args.rounds; round++) {
    const order = round % 2 === 0 ? args.threads.map((_, k) => k) : args.threads.map((_, k) => args.threads.length - 1 - k);
    for (const k of order) {
      const threads = args.threads[k];
      const model = buildSeedModel(1);
      const fitArgs = { batchSize: args.batch, verbose: 0 as const, threads };
      await model.fit(xs, ys, { ...fitArgs, epochs: 1 });
      const timer = stepTimer((ms) => timings[k].samples.push(ms));
      const before = cpuSnapshot();
      const history = await model.fit(xs, ys, { ...fitArgs, epochs: args.epochs, callbacks: [timer] });
      timings[k].contention = addContention(timings[k].contention, before, cpuSnapshot());
      timings[k].last = history.history.loss[history.history.loss.length - 1] ?? null;
      await terminateWorkers(model);
    }
    await args.eachRound?.(round);
  }
  return timings;
}

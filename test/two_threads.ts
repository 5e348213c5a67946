/**
 * Checks that a model fits on two worker threads exactly as on one: the same losses per epoch and
 * the same weights after. The model is split even when it is a toy (min shard FLOPs 0), and the test
 * fails unless a worker really started.
 */
import { expect } from "vitest";
import type { LayersModel } from "../src/models/functional.js";
import { setThreadPlatform, threadPlatform, type ThreadPlatform } from "../src/training/parallel/platform.js";
import { terminateWorkers } from "../src/training/parallel/pool.js";
import { DEFAULT_MIN_SHARD_FLOPS, setMinShardFlops } from "../src/training/parallel/shards.js";
import { maxRelDiff } from "./harness.js";

/** `make` returns a fresh compiled model with the same initial weights on every call. */
export async function expectTwoThreadsFitAsOne<X, Y>(args: { make: () => LayersModel<X, Y>; xs: X; ys: Y }): Promise<void> {
  const nodePlatform = threadPlatform() as ThreadPlatform;
  const one = args.make();
  const two = args.make();
  const fitArgs = { epochs: 2, batchSize: 12, shuffle: false, verbose: 0 as const };
  const h1 = await one.fit(args.xs, args.ys, { ...fitArgs, threads: 1 });
  let started = 0;
  try {
    setMinShardFlops(0); // a toy model: split it anyway
    setThreadPlatform({ defaultThreads: () => 2, createWorker: () => (started++, nodePlatform.createWorker()) });
    const h2 = await two.fit(args.xs, args.ys, { ...fitArgs, threads: 2 });
    expect(started).toBe(1); // really on two threads
    h2.history.loss.forEach((v, e) => expect(Math.abs(v - h1.history.loss[e])).toBeLessThan(1e-6));
  } finally {
    await terminateWorkers(two);
    setThreadPlatform(nodePlatform);
    setMinShardFlops(DEFAULT_MIN_SHARD_FLOPS);
  }
  const w1 = one.getWeights();
  two.getWeights().forEach((w, k) => expect(maxRelDiff(w.data, w1[k].data)).toBeLessThan(1e-5));
}

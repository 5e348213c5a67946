/**
 * Section "threads": where the second thread starts to pay. The seed step (trainOnBatch) at
 * several batch sizes, each on 1 thread and on 2 threads, interleaved; the 2-thread run uses the
 * library's own choice of shares (shards.ts), so a batch too small to split runs on one thread and
 * should time like it. Then small batches inside `fit`, where steps run back to back and the
 * library splits smaller batches (NOTE [ when a second thread pays ]).
 */
import { fitSteps } from "./fit_steps.js";
import { seedBatch } from "./data.js";
import type { BenchOptions } from "./options.js";
import { raggedStepContender } from "./ragged_models.js";
import { find, heading, table, ms } from "./report.js";
import { interleave, summarize, type Contender, type Summary } from "./stats.js";

export const THREAD_BATCHES = [8, 32, 64, 128, 256, 1000] as const;
/** Batch sizes timed inside `fit` too (8 batches a call, 8 timed epochs a round, 3 rounds). */
export const FIT_LOOP_BATCHES = [32, 64] as const;

/** A table row: the batch, each thread count's median (min–max), and their ratio. */
function scalingRow(B: number, one: Summary, two: Summary): string[] {
  return [String(B), `${ms(one.median)} (${ms(one.min)}–${ms(one.max)})`, `${ms(two.median)} (${ms(two.min)}–${ms(two.max)})`, (two.median / one.median).toFixed(3)];
}

export async function threadScalingSection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const T = o.length;
  const contenders: Contender[] = [];
  for (const B of THREAD_BATCHES) {
    const { xs, ys } = seedBatch(B, 2, T);
    const rounds = B >= 1000 ? o.rounds : o.rounds * 3;
    contenders.push(raggedStepContender({ name: `B=${B} 1 thread`, xs, ys, rounds, warmup: o.warmup, threads: 1 }));
    contenders.push(raggedStepContender({ name: `B=${B} 2 threads`, xs, ys, rounds, warmup: o.warmup, threads: 2 }));
  }
  const timings = await interleave(contenders, { label: "threads" });
  print(heading(`Thread scaling: seed step (length ${T}) by batch size, 1 vs 2 threads`));
  print(table(
    ["batch", "1 thread ms (min–max)", "2 threads ms (min–max)", "2 threads / 1 thread (medians)"],
    THREAD_BATCHES.map((B) => scalingRow(B, find(timings, `B=${B} 1 thread`), find(timings, `B=${B} 2 threads`))),
  ));
  const loops: string[][] = [];
  for (const B of FIT_LOOP_BATCHES) {
    const timings = await fitSteps({ batch: B, length: T, threads: [1, 2], name: (t) => `B=${B} fit, ${t} thread${t > 1 ? "s" : ""}`, rounds: 3, epochs: 8 });
    const [one, two] = timings.map((t) => summarize(t.samples));
    loops.push(scalingRow(B, one, two));
  }
  print(`\nThe same step inside fit (8 batches a call, steps back to back, each timed by a callback; 3 alternating rounds of 8 timed epochs):`);
  print(table(["batch", "fit, 1 thread ms (min–max)", "fit, 2 threads ms (min–max)", "2 threads / 1 thread (medians)"], loops));
}

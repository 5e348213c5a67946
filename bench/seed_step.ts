/**
 * Section "seed": one training step of the seed's model (forward, backward, Adam update) on a
 * batch of 1000 sequences of 55 steps × 5 features, per-step one-hot targets [2].
 *
 * Contenders, interleaved in one process after warm-up:
 * - ragged `trainOnBatch(xs, ys)` on the nested arrays (includes validate + pack);
 * - the same split across 2 threads (`trainOnBatch(xs, ys, { threads: 2 })`);
 * - ragged's conversion alone (nested arrays → packed batch), to show its share;
 * - ragged on flat typed arrays per sequence (made beforehand, as the TF.js tensor is), 1 and 2 threads;
 * - TF.js cpu and TF.js wasm `trainOnBatch` on a dense [1000, 55, 5] tensor made beforehand.
 */
import { flatPadded, seedBatch } from "./data.js";
import type { BenchOptions } from "./options.js";
import { raggedConvertContender, raggedStepContender } from "./ragged_models.js";
import { find, heading, ratioLine, timingTable } from "./report.js";
import { interleave, type Contender } from "./stats.js";
import { tfStepContender } from "./tfjs_models.js";

export async function seedStepSection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const B = o.batch;
  const T = o.length;
  const { xs, ys } = seedBatch(B, 2, T);
  const x = flatPadded(xs, T, 5);
  const y = flatPadded(ys, T, 2);

  const RAGGED = "ragged trainOnBatch";
  const THREADS = "ragged 2 threads";
  const FLAT = "ragged flat input";
  const FLAT_THREADS = "ragged flat input, 2 threads";
  const flatXs = xs.map((s) => Float32Array.from(s.flat()));
  const flatYs = ys.map((s) => Float32Array.from(s.flat()));
  const CONVERT = "  of which: arrays→packed";
  const CPU = "TF.js cpu trainOnBatch";
  const WASM = "TF.js wasm trainOnBatch";
  const tfArgs = { masking: false, x, y, batch: B, steps: T, features: 5 };
  const cpu = o.cpuRounds > 0 ? await tfStepContender({ ...tfArgs, name: CPU, backend: "cpu", rounds: o.cpuRounds, warmup: 1 }) : null;
  const wasm = await tfStepContender({ ...tfArgs, name: WASM, backend: "wasm", rounds: o.rounds, warmup: o.warmup });
  const contenders: Contender[] = [
    raggedStepContender({ name: RAGGED, xs, ys, rounds: o.rounds, warmup: o.warmup }),
    raggedStepContender({ name: THREADS, xs, ys, rounds: o.rounds, warmup: o.warmup, threads: 2 }),
    raggedConvertContender({ name: CONVERT, xs, ys, rounds: o.rounds, warmup: o.warmup }),
    raggedStepContender({ name: FLAT, xs: flatXs, ys: flatYs, rounds: o.rounds, warmup: o.warmup }),
    raggedStepContender({ name: FLAT_THREADS, xs: flatXs, ys: flatYs, rounds: o.rounds, warmup: o.warmup, threads: 2 }),
    wasm,
    ...(cpu ? [cpu] : []),
  ];
  const timings = await interleave(contenders, { label: "seed" });
  cpu?.dispose();
  wasm.dispose();

  print(heading(`Seed step: batch ${B}, length ${T}, one trainOnBatch (forward + backward + Adam)`));
  print(timingTable(timings));
  print("");
  const ragged = find(timings, RAGGED);
  const convert = find(timings, CONVERT);
  print(`conversion share of ragged's step: ${((100 * convert.median) / ragged.median).toFixed(1)}% (medians)`);
  print(ratioLine("2 threads", find(timings, THREADS), "1 thread", ragged));
  if (cpu) print(ratioLine("ragged", ragged, "TF.js-cpu", find(timings, CPU)));
  print(ratioLine("ragged", ragged, "TF.js-wasm", find(timings, WASM)));
  print(ratioLine("ragged-flat-2-threads", find(timings, FLAT_THREADS), "TF.js-wasm", find(timings, WASM)));
  if (cpu) print(ratioLine("ragged-flat-2-threads", find(timings, FLAT_THREADS), "TF.js-cpu", find(timings, CPU)));
  print(`(TF.js timings exclude building the [${B},${T},5] tensor; ragged's nested-array rows include their`);
  print(` conversion; the "flat input" rows start, like TF.js, from typed arrays made beforehand.)`);
}

/**
 * Section "peak": how close the seed step comes to this machine's WebAssembly SIMD ceiling.
 *
 * In one run: the GEMM peak on 1 and on 2 threads (gemm_peak.ts; the best of the seed step's
 * product shapes, measured before and after the step timings, the higher kept), the step's FLOPs
 * counted analytically (flops.ts), and the seed step (batch B × T, trainOnBatch) on 1 thread, on 2
 * threads and with the default thread count, interleaved; then the same step inside a `fit` loop on
 * 1 and 2 threads (fit_steps.ts), each round followed by the two-thread ceilings (parallel_ceiling.ts:
 * a GEMM-only step and the step's own chunks, claimed without the thread pool), so the fit loop's
 * 2-thread / 1-thread ratio is printed beside what those reach in the same minutes. Achieved
 * fraction = (FLOPs / step time) / peak of the same thread count.
 */
import os from "node:os";
import { seedBatch } from "./data.js";
import { SEED_LAYERS, stepFlops } from "./flops.js";
import { PEAK_SHAPES, peakOneThread, peakTwoThreads } from "./gemm_peak.js";
import type { BenchOptions } from "./options.js";
import { raggedStepContender } from "./ragged_models.js";
import { find, heading, ratioLine, table, timingTable } from "./report.js";
import { interleave } from "./stats.js";
import { FIT_BATCHES, fitSteps } from "./fit_steps.js";
import { CEILING_SHAPE, CeilingPair, CHUNKS, PIECES } from "./parallel_ceiling.js";
import type { Timings } from "./stats.js";

async function measurePeaks(ms: number): Promise<{ label: string; one: number; two: number }[]> {
  const rows: { label: string; one: number; two: number }[] = [];
  for (const shape of PEAK_SHAPES) {
    const one = peakOneThread(shape, ms);
    const two = os.cpus().length > 1 ? await peakTwoThreads(shape, ms) : NaN;
    rows.push({ label: `${shape.M}×${shape.K}·${shape.K}×${shape.N} (${shape.label})`, one, two });
  }
  return rows;
}

export async function stepEfficiencySection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const B = o.batch;
  const T = o.length;
  const before = await measurePeaks(400);
  const { xs, ys } = seedBatch(B, 2, T);
  const ONE = "ragged 1 thread";
  const TWO = "ragged 2 threads";
  const DEFAULT = `ragged default threads (${os.cpus().length} cores)`;
  const timings = await interleave(
    [
      raggedStepContender({ name: ONE, xs, ys, rounds: o.rounds, warmup: o.warmup, threads: 1 }),
      raggedStepContender({ name: TWO, xs, ys, rounds: o.rounds, warmup: o.warmup, threads: 2 }),
      raggedStepContender({ name: DEFAULT, xs, ys, rounds: o.rounds, warmup: o.warmup, threads: os.cpus().length }),
    ],
    { label: "peak" },
  );
  // the two-thread ceilings (parallel_ceiling.ts), as many steps as the fit loop times, in the same rounds
  const ceiling = os.cpus().length > 1 ? await CeilingPair.start() : null;
  const CEILINGS = [
    { name: "ceiling: GEMM step, 1 thread", threads: 1, kind: "gemm" },
    { name: "ceiling: GEMM step, 2 threads", threads: 2, kind: "gemm" },
    { name: "ceiling: the step's chunks, 1 thread", threads: 1, kind: "chunks" },
    { name: "ceiling: the step's chunks, 2 threads", threads: 2, kind: "chunks" },
  ] as const;
  const ceilingTimings: Timings[] = CEILINGS.map((c) => ({ name: c.name, samples: [], last: null }));
  const FIT_EPOCHS = 2;
  const ceilingRound = (round: number): void => {
    if (!ceiling) return;
    const order = round % 2 === 0 ? [0, 1, 2, 3] : [3, 2, 1, 0];
    for (const k of order) {
      const { threads, kind } = CEILINGS[k];
      ceiling.step(threads, kind); // untimed: the worker wakes, caches refill
      for (let s = 0; s < FIT_EPOCHS * FIT_BATCHES; s++) ceilingTimings[k].samples.push(ceiling.step(threads, kind).ms);
    }
  };
  const fitTimings = await fitSteps({ batch: B, length: T, threads: [1, 2], name: (t) => `fit loop, ${t} thread${t > 1 ? "s" : ""}`, rounds: 3, epochs: FIT_EPOCHS, eachRound: ceilingRound });
  await ceiling?.close();
  const after = await measurePeaks(400);
  const peaks = before.map((b, i) => ({ label: b.label, one: Math.max(b.one, after[i].one), two: Math.max(b.two, after[i].two) }));
  const peak1 = Math.max(...peaks.map((p) => p.one));
  const peak2 = Math.max(...peaks.map((p) => p.two));
  const rows = B * T;
  const flops = stepFlops(SEED_LAYERS, rows);

  print(heading(`Step efficiency: seed step (batch ${B} × ${T}) against this machine's wasm SIMD GEMM peak`));
  print(table(
    ["GEMM (wasm SIMD, operands in wasm memory)", "1 thread GFLOP/s", "2 threads GFLOP/s"],
    peaks.map((p) => [p.label, p.one.toFixed(1), p.two.toFixed(1)]),
  ));
  print(`(best of a measurement before and after the step timings; before: ${before.map((p) => p.one.toFixed(1)).join("/")} on 1 thread)`);
  print("");
  print(timingTable(timings));
  print("");
  print(`seed step FLOPs (matrix products only, analytic): forward ${(flops.forward / 1e9).toFixed(3)} G + backward ${(flops.backward / 1e9).toFixed(3)} G = ${(flops.total / 1e9).toFixed(3)} GFLOP`);
  for (const [name, peak] of [[ONE, peak1], [TWO, peak2], [DEFAULT, os.cpus().length > 1 ? peak2 : peak1]] as const) {
    const s = find(timings, name);
    const achieved = flops.total / (s.median / 1000) / 1e9;
    const best = flops.total / (s.min / 1000) / 1e9;
    print(`${name}: ${achieved.toFixed(1)} GFLOP/s (median; ${best.toFixed(1)} at the minimum) = ${(achieved / peak).toFixed(3)} of the ${peak.toFixed(1)} GFLOP/s peak`);
  }
  print(ratioLine("2 threads", find(timings, TWO), "1 thread", find(timings, ONE)));
  print("");
  print(`The same step inside fit (8 batches of ${B} × ${T}, data read once per fit call; 3 alternating rounds of 2 timed epochs, each step timed by a callback):`);
  print(timingTable(fitTimings));
  print("");
  const FIT_ONE = fitTimings[0].name;
  const FIT_TWO = fitTimings[1].name;
  for (const [name, peak] of [[FIT_ONE, peak1], [FIT_TWO, peak2]] as const) {
    const s = find(fitTimings, name);
    const achieved = flops.total / (s.median / 1000) / 1e9;
    print(`${name}: ${achieved.toFixed(1)} GFLOP/s (median) = ${(achieved / peak).toFixed(3)} of the ${peak.toFixed(1)} GFLOP/s peak`);
  }
  print(ratioLine("fit loop 2 threads", find(fitTimings, FIT_TWO), "1 thread", find(fitTimings, FIT_ONE)));
  if (!ceiling) return;
  print("");
  print(`Two-thread ceilings, timed in the same rounds (parallel_ceiling.ts): pieces claimed one at a time by this thread and one worker, one barrier a step, nothing posted or combined. "GEMM step": ${PIECES} products ${CEILING_SHAPE.M}×${CEILING_SHAPE.K}·${CEILING_SHAPE.K}×${CEILING_SHAPE.N} (compute alone); "the step's chunks": the seed batch's ${CHUNKS} chunks, each packed and run forward and backward on the thread's own model (the step's work without the pool):`);
  print(timingTable(ceilingTimings));
  print("");
  const all = [...fitTimings, ...ceilingTimings];
  const scaling = (one: string, two: string): number => find(all, one).median / find(all, two).median;
  const fitScaling = scaling(FIT_ONE, FIT_TWO);
  const gemmScaling = scaling(CEILINGS[0].name, CEILINGS[1].name);
  const chunkScaling = scaling(CEILINGS[2].name, CEILINGS[3].name);
  print(`2 threads / 1 thread (medians): GEMM step ${gemmScaling.toFixed(2)}×, the step's chunks ${chunkScaling.toFixed(2)}×, fit loop ${fitScaling.toFixed(2)}×`);
  print(`fit loop scaling = ${(fitScaling / chunkScaling).toFixed(3)} of its chunks' (what the thread pool keeps) and ${(fitScaling / gemmScaling).toFixed(3)} of the GEMM step's (a perfect 2-thread step: 1.000)`);
}

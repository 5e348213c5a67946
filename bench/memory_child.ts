/**
 * Child process of the "memory" section (bench/memory.ts): loads only ragged, so the resident
 * set is ragged's and not TF.js's. Builds the seed model and one batch, collects garbage, then
 * runs `steps` trainOnBatch calls, sampling process.memoryUsage().rss after each. Prints one JSON
 * line: { baseline, peakAfterStep, hwm } in bytes. hwm is Linux's VmHWM (/proc/self/status), the
 * kernel's high-water mark of this process image: it also catches peaks inside a step and during
 * data generation. (Not ru_maxrss: Linux carries the parent's peak over fork+exec into it.)
 *
 * Kinds: "seed" (batch × length), "packed" / "padded" (mixed lengths [10, 100), packed or padded to
 * the longest), "long" (batch sequences of lengths uniform in [1000, 5000): long traces, PLAID-like),
 * "predict-long" (the same sequences, `predict` instead of trainOnBatch).
 *
 * usage: node --import tsx --expose-gc bench/memory_child.ts <seed|packed|padded|long|predict-long> <batch> <length> <steps> [default|wasm]
 */
import { readFileSync } from "node:fs";
import { buildSeedModel } from "../dist/cli/commands/demo.js";
import { maxLength, padNested, seedBatch } from "./data.js";
import { selectKernels } from "./ragged_kernels.js";

async function main(): Promise<void> {
  const [kind, batchArg, lengthArg, stepsArg, kernelsArg] = process.argv.slice(2);
  await selectKernels(kernelsArg === "wasm" ? "wasm" : "default");
  const batch = Number(batchArg);
  const steps = Number(stepsArg);
  const long = kind === "long" || kind === "predict-long";
  let { xs, ys } = kind === "seed" ? seedBatch(batch, 2, Number(lengthArg)) : long ? longBatch(batch) : seedBatch(batch, 3, null);
  if (kind === "padded") {
    const T = maxLength(xs);
    xs = padNested(xs, T, 5);
    ys = padNested(ys, T, 2);
  }
  const model = buildSeedModel(1);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage().rss;
  let peakAfterStep = 0;
  for (let s = 0; s < steps; s++) {
    if (kind === "predict-long") model.predict(xs);
    else await model.trainOnBatch(xs, ys);
    peakAfterStep = Math.max(peakAfterStep, process.memoryUsage().rss);
  }
  const rows = xs.reduce((n, x) => n + x.length, 0);
  process.stdout.write(JSON.stringify({ baseline, peakAfterStep, hwm: vmHwm(), gc: gc !== undefined, rows }) + "\n");
}

/** `batch` sequences of lengths uniform in [1000, 5000), 5 features, the seed's targets (seeded). */
function longBatch(batch: number): { xs: number[][][]; ys: number[][][] } {
  let state = 12345;
  const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const xs: number[][][] = [];
  const ys: number[][][] = [];
  for (let b = 0; b < batch; b++) {
    const T = 1000 + Math.floor(next() * 4000);
    const x = Array.from({ length: T }, () => Array.from({ length: 5 }, next));
    xs.push(x);
    ys.push(x.map((step) => (step[0] + step[1] + step[2] > 1.5 ? [1, 0] : [0, 1])));
  }
  return { xs, ys };
}

/** VmHWM in bytes, or null off Linux. */
function vmHwm(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * Section "memory": peak resident memory of ragged's training step. Each case runs in a fresh
 * child process that loads only ragged (bench/memory_child.ts), because RSS is per process and
 * TF.js's heaps (the wasm backend's memory never shrinks) would otherwise be counted as ragged's.
 * Reported: RSS after building model + data (after a GC), the highest RSS sampled after each
 * step, their difference (what the step itself holds), and the kernel's high-water mark (VmHWM,
 * Linux), which also sees peaks inside a step.
 *
 * Beside it, the packed layout's arithmetic: what a training step must hold per packed row between
 * forward and backward (float32): the input row (C = 5), per LSTM layer its cache of gates (4H),
 * c, σ(c) and h (3H), per dense layer its output (D) — 5 + 7·32 + 7·8 + 2 = 287 floats ≈ 1.1 KB
 * per row for the seed model — so Δ / (rows × that) says how much a step holds beyond the minimum
 * (gradient arrays during backward, the nested-array conversion, allocator slack).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { BenchOptions } from "./options.js";
import { heading, table } from "./report.js";

const run = promisify(execFile);

interface ChildResult {
  baseline: number;
  peakAfterStep: number;
  hwm: number | null;
  gc: boolean;
  /** Σ lengths of the batch. */
  rows: number;
}

/** Floats a training step of the seed model must keep per packed row (see the file comment). */
export const SEED_FLOATS_PER_ROW = 5 + 7 * 32 + 7 * 8 + 2;
/** Floats inference needs per packed row: the input and each layer's output (nothing kept for backward). */
export const SEED_PREDICT_FLOATS_PER_ROW = 5 + 32 + 8 + 2;

async function measure(kind: string, o: BenchOptions): Promise<ChildResult> {
  const child = fileURLToPath(new URL("./memory_child.ts", import.meta.url));
  const root = fileURLToPath(new URL("..", import.meta.url));
  const args = ["--import", "tsx", "--expose-gc", child, kind, String(o.batch), String(o.length), String(o.memorySteps), o.kernels];
  const { stdout } = await run(process.execPath, args, { cwd: root, maxBuffer: 1 << 20 });
  const line = stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as ChildResult;
}

export async function memorySection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const cases: [string, string][] = [
    ["seed", `seed step ${o.batch}×${o.length}`],
    ["packed", `mixed ${o.batch}, packed`],
    ["padded", `mixed ${o.batch}, padded to longest`],
    ["long", "32 long sequences, lengths [1000, 5000)"],
  ];
  const MB = (b: number) => (b / 2 ** 20).toFixed(0);
  const rows: string[][] = [];
  for (const [kind, label] of cases) {
    process.stderr.write(`[memory] ${label} …\n`);
    const r = await measure(kind === "long" ? "long" : kind, kind === "long" ? { ...o, batch: 32 } : o);
    const minimum = r.rows * SEED_FLOATS_PER_ROW * 4;
    const delta = r.peakAfterStep - r.baseline;
    rows.push([label, String(r.rows), MB(r.baseline), MB(r.peakAfterStep), MB(delta), MB(minimum), (delta / minimum).toFixed(2), r.hwm === null ? "n/a" : MB(r.hwm)]);
  }
  print(heading(`Peak resident memory, ragged trainOnBatch (${o.memorySteps} steps per case, fresh process each)`));
  print(table(["case", "rows (Σ l)", "RSS before MB", "peak RSS after step MB", "Δ MB", "cache minimum MB", "Δ / minimum", "VmHWM MB"], rows));
  print(`(RSS before = node + ragged + model + the nested-array batch, after a GC. cache minimum = rows × ${SEED_FLOATS_PER_ROW} floats: input,`);
  print(" LSTM gates/c/σ(c)/h and dense outputs kept between forward and backward; padded rows count as rows for the padded case.)");
  process.stderr.write("[memory] predict, 32 long sequences …\n");
  const p = await measure("predict-long", { ...o, batch: 32 });
  const pMin = p.rows * SEED_PREDICT_FLOATS_PER_ROW * 4;
  const pDelta = p.peakAfterStep - p.baseline;
  print("");
  print(heading(`Peak resident memory, ragged predict (${o.memorySteps} calls, fresh process)`));
  print(table(
    ["case", "rows (Σ l)", "RSS before MB", "peak RSS after predict MB", "Δ MB", "layer outputs MB", "Δ / outputs", "VmHWM MB"],
    [["32 long sequences, lengths [1000, 5000)", String(p.rows), MB(p.baseline), MB(p.peakAfterStep), MB(pDelta), MB(pMin), (pDelta / pMin).toFixed(2), p.hwm === null ? "n/a" : MB(p.hwm)]],
  ));
  print(`(layer outputs = rows × ${SEED_PREDICT_FLOATS_PER_ROW} floats: the input and every layer's output; inference keeps no cache (NOTE [ inference keeps nothing ]).`);
  print(" Δ also holds the result: one nested number[] per row, as predict returns it.)");
}

/**
 * Section "pytorch": ragged against PyTorch on the seed's model, when `/usr/bin/python3` can
 * `import torch` (Debian: `apt-get install python3-torch python3-numpy libopenblas0-pthread`);
 * otherwise the section prints that PyTorch is not available and returns. Nothing else needs it.
 *
 * PyTorch runs in a long-lived child (bench/pytorch_step.py) that takes "run N steps" commands on
 * stdin and reports each step's time measured inside Python (perf_counter around zero_grad +
 * forward + backward + Adam step), so its rounds interleave with ragged's in this process run,
 * after both sides' warm-up. The pipe's round trip is not counted (its median is printed).
 *
 * PyTorch's best configuration on these 2-core machines: OPENBLAS_NUM_THREADS=1,
 * MALLOC_MMAP_MAX_=0, torch.set_num_threads(2), and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset
 * (set only for the child; the OpenBLAS kernel it picked is printed). Each PyTorch case is also
 * timed with torch.set_num_threads(1): on a loaded machine (other processes on both cores) 2
 * OpenMP threads collapse — every parallel region waits for a descheduled thread — and 1 thread
 * is then PyTorch's best; ratios are printed against both, so PyTorch is never shown at its worst.
 *
 * Cases (same data as the "seed" and "mixed" sections):
 * - seed step, batch 1000 × 55: ragged `trainOnBatch` on its JS kernels, on its wasm kernels
 *   (useFastKernels), and threaded when this build has a `threads` option; PyTorch dense.
 * - mixed lengths (uniform in [10, 100) within one batch of 1000): ragged packed (js, wasm, wasm on 2 threads) vs
 *   PyTorch padded to the longest vs PyTorch `pack_padded_sequence(enforce_sorted=False)`.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { jsKernels, kernels, Sequential, setKernels, type Kernels } from "../dist/node.js";
import { useFastKernels } from "../dist/core/kernels/wasm.js";
import { buildSeedModel } from "../dist/cli/commands/demo.js";
import { flatPadded, maxLength, seedBatch, totalSteps } from "./data.js";
import type { BenchOptions } from "./options.js";
import { raggedFitLoopContender, raggedStepContender } from "./ragged_models.js";
import { find, heading, ms, ratioLine, timingTable } from "./report.js";
import { interleave, settle, summarize, type Contender, type Summary, type Timings } from "./stats.js";

const PYTHON = "/usr/bin/python3";
const TORCH_THREADS = 2;
/** Untimed PyTorch steps when a case is loaded (before the interleaved warm-up). */
const TORCH_OWN_WARMUP = 3;

export function torchAvailable(): boolean {
  const r = spawnSync(PYTHON, ["-c", "import torch, numpy"], { stdio: "ignore", timeout: 120_000 });
  return r.status === 0;
}

/** The child's environment: PyTorch's best configuration here, for that process only. */
function torchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "1", MALLOC_MMAP_MAX_: "0" };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  delete env.OMP_NUM_THREADS; // torch.set_num_threads decides
  return env;
}

type Reply = Record<string, unknown>;

/** The python child: one JSON request line, one JSON reply line, one request at a time. */
export class TorchChild {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = "";
  private exited: string | null = null;

  constructor() {
    const script = fileURLToPath(new URL("./pytorch_step.py", import.meta.url));
    this.proc = spawn(PYTHON, [script, "--threads", String(TORCH_THREADS)], { env: torchEnv(), stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stderr.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.proc.on("exit", (code, signal) => {
      this.exited = `python exited (${code ?? signal})`;
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ error: `${this.exited}: ${this.stderr}` }));
    });
    createInterface({ input: this.proc.stdout }).on("line", (line) => this.waiting.shift()?.(line));
  }

  async request(msg: Record<string, unknown>): Promise<Reply> {
    if (this.exited) throw new Error(`${this.exited}: ${this.stderr}`);
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(JSON.stringify(msg) + "\n");
    });
    const reply = JSON.parse(line) as Reply;
    if (typeof reply.error === "string") throw new Error(`pytorch_step.py: ${reply.error}\n${this.stderr}`);
    return reply;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
    try {
      await this.request({ cmd: "quit" });
    } catch {
      // already gone
    }
    await Promise.race([done, sleep(5000)]);
    if (!this.exited) this.proc.kill();
  }
}

function b64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}

export interface TorchContender extends Contender {
  /** Per-step times measured inside Python (replace the wall-clock samples). */
  inner: number[];
  /** Wall-clock minus Python's time per run: the pipe's round trip. */
  overhead: number[];
}

export async function torchContender(
  child: TorchChild,
  args: {
    name: string; mode: "padded" | "packed" | "predict" | "predict-packed"; threads: number; xs: number[][][]; ys: number[][][]; rounds: number; warmup: number; model?: "seed" | "conv_lstm";
    /** Steps (or calls) per run, back to back inside python (default 1); `inner` gets each one's time. */
    steps?: number;
  },
): Promise<TorchContender> {
  const T = maxLength(args.xs);
  const B = args.xs.length;
  await child.request({
    cmd: "load", name: args.name, mode: args.mode, B, T, C: 5, K: 2,
    x: b64(flatPadded(args.xs, T, 5)), y: b64(flatPadded(args.ys, T, 2)),
    lengths: args.xs.map((s) => s.length), warmup: TORCH_OWN_WARMUP, threads: args.threads, model: args.model ?? "seed",
  });
  const inner: number[] = [];
  const overhead: number[] = [];
  let t0 = 0;
  let last: number[] = [];
  return {
    name: args.name,
    rounds: args.rounds,
    warmup: args.warmup,
    inner,
    overhead,
    prepare: async () => {
      await settle();
      t0 = performance.now();
    },
    run: async () => {
      const r = await child.request({ cmd: "run", name: args.name, steps: args.steps ?? 1, threads: args.threads });
      last = r.ms as number[];
      return r.loss as number;
    },
    after: () => {
      // Only timed runs reach `after`; warm-up runs do not.
      inner.push(...last);
      overhead.push(performance.now() - t0 - last.reduce((a, b) => a + b, 0));
    },
  };
}

/** ragged's step on a fixed kernel set (selected untimed before each run). */
function raggedOn(kernelSet: "js" | "wasm", args: { name: string; xs: number[][][]; ys: number[][][]; rounds: number; warmup: number }): Contender {
  return {
    ...raggedStepContender(args),
    prepare: async () => {
      await settle();
      if (kernelSet === "js") setKernels(jsKernels);
      else if (!useFastKernels()) throw new Error("ragged's WebAssembly SIMD kernels are not supported here");
    },
  };
}

type ThreadsApi = "trainOnBatch" | "fit" | null;

/**
 * Whether this build of ragged can split a training step across threads: `trainOnBatch(xs, ys,
 * { threads })`, else fit's `threads` option (then one `fit` epoch over exactly one batch).
 */
function threadsApi(): ThreadsApi {
  if (/\bthreads\b/.test(Sequential.prototype.trainOnBatch.toString())) return "trainOnBatch";
  // Since models share one engine (2026-12), trainOnBatch only forwards its args there: look at it
  // too, or the bench falls back to a one-batch fit, which starts and stops its workers every call.
  try {
    const engine = readFileSync(fileURLToPath(new URL("../dist/training/engine.js", import.meta.url)), "utf8");
    const body = /export function trainOnBatch\([\s\S]*?\n}/.exec(engine)?.[0] ?? "";
    if (/\bthreads\b/.test(body)) return "trainOnBatch";
  } catch {
    // an older build without the shared engine
  }
  try {
    const fit = readFileSync(fileURLToPath(new URL("../dist/training/fit.js", import.meta.url)), "utf8");
    if (/\bthreads\b/.test(fit)) return "fit";
  } catch {
    // no such module
  }
  return null;
}

type AnyArgsModel = {
  trainOnBatch: (xs: unknown, ys: unknown, args?: Record<string, unknown>) => Promise<number>;
  fit: (xs: unknown, ys: unknown, args?: Record<string, unknown>) => Promise<{ history: Record<string, number[]> }>;
};

function raggedThreaded(
  api: "trainOnBatch" | "fit",
  threads: number,
  args: { name: string; xs: number[][][]; ys: number[][][]; rounds: number; warmup: number },
): Contender {
  const model = buildSeedModel(1) as unknown as AnyArgsModel;
  const B = args.xs.length;
  return {
    name: args.name,
    rounds: args.rounds,
    warmup: args.warmup,
    prepare: async () => {
      await settle();
      if (!useFastKernels()) setKernels(jsKernels);
    },
    run: async () => {
      if (api === "trainOnBatch") return model.trainOnBatch(args.xs, args.ys, { threads });
      const h = await model.fit(args.xs, args.ys, { batchSize: B, epochs: 1, shuffle: false, verbose: 0, threads });
      return h.history.loss?.[0];
    },
  };
}

/** Steps per timed run of the training-loop comparisons. */
const LOOP_STEPS = 8;

/**
 * The same step as both sides train: ragged's `fit` (data read once per call) against PyTorch's
 * steps back to back on tensors made beforehand; each round runs LOOP_STEPS steps of every
 * contender, interleaved, and every step's time is a sample (the first after another contender's
 * run included). The one-step rounds above time each ragged step right after a peer's run, which on
 * these shared machines leaves the second core idle and slows the next 2-thread step (measured
 * 2026-12-05: first step after 1.4 s of one-core work 52–54 ms, the next ones 44–47), and include
 * `trainOnBatch`'s read of the nested arrays, which PyTorch's timing does not.
 */
async function loopComparison(
  child: TorchChild,
  args: { title: string; xs: number[][][]; ys: number[][][]; o: BenchOptions; print: (s: string) => void; padded?: boolean },
): Promise<void> {
  const { o, print } = args;
  const rounds = Math.max(2, Math.ceil(o.rounds / 2));
  const common = { xs: args.xs, ys: args.ys, rounds, warmup: o.warmup };
  const what = args.padded ? "padded to longest" : "loop";
  const P2 = `PyTorch ${what}, 2 threads`;
  const P1 = `PyTorch ${what}, 1 thread`;
  const R2 = "ragged fit loop, 2 threads (default)";
  const R1 = "ragged fit loop, 1 thread";
  const torch = [
    await torchContender(child, { ...common, name: `${P2} (${args.title})`, mode: "padded", threads: TORCH_THREADS, steps: LOOP_STEPS }),
    await torchContender(child, { ...common, name: `${P1} (${args.title})`, mode: "padded", threads: 1, steps: LOOP_STEPS }),
  ];
  const prepare = async (): Promise<void> => {
    await settle();
    if (!useFastKernels()) throw new Error("ragged's WebAssembly SIMD kernels are not supported here");
  };
  const ragged = [2, 1].map((threads) => raggedFitLoopContender({ ...common, name: threads === 2 ? R2 : R1, steps: LOOP_STEPS, threads, prepare }));
  const timings = withInnerTimes(await interleave([...ragged, ...torch], { label: "pytorch loop" }), [...ragged, ...torch]).map((t) => ({
    ...t,
    name: t.name.replace(` (${args.title})`, ""),
  }));
  print(heading(`vs PyTorch — ${args.title} (${LOOP_STEPS} steps back to back per round, ${rounds} interleaved rounds)`));
  print(timingTable(timings));
  print("");
  for (const p of [P2, P1]) for (const r of [R2, R1]) print(ratioLine(r, find(timings, r), p, find(timings, p)));
  print(ratioLine(R2, find(timings, R2), R1, find(timings, R1)));
  print(loadNote(find(timings, P2), find(timings, P1)));
  print("(Each step timed alone: ragged's by fit's onBatchBegin/onBatchEnd, the data read once per fit call; PyTorch's inside python, tensors made beforehand.)");
}

/** Says which PyTorch thread count won, and why 1 thread can win on a loaded machine. */
export function loadNote(two: Summary, one: Summary): string {
  if (two.median <= one.median) return `(PyTorch: 2 threads beat 1 thread here, ${ms(two.median)} vs ${ms(one.median)} ms — its best configuration.)`;
  return (
    `(PyTorch: 1 thread beat 2 threads here, ${ms(one.median)} vs ${ms(two.median)} ms: the machine is loaded ` +
    `(load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores) and OpenMP waits for descheduled threads; ` +
    "the 1-thread ratios are the fair ones in this run.)"
  );
}

export function withInnerTimes(timings: Timings[], torch: readonly { name: string; inner: readonly number[] }[]): Timings[] {
  return timings.map((t) => {
    const c = torch.find((x) => x.name === t.name);
    return c ? { ...t, samples: [...c.inner] } : t;
  });
}

export async function pytorchSection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  print(heading("PyTorch (python subprocess, interleaved)"));
  if (!torchAvailable()) {
    print(`PyTorch: not available (install python3-torch and python3-numpy, e.g. \`apt-get install python3-torch python3-numpy libopenblas0-pthread\`, so that \`${PYTHON} -c "import torch"\` works); section skipped.`);
    return;
  }
  const initial: Kernels = kernels();
  const child = new TorchChild();
  try {
    const info = await child.request({ cmd: "info" });
    const blas = info.blas as { corename?: string; config?: string; threads?: number; libraries?: string[] };
    const env = info.env as Record<string, string | null>;
    print(`PyTorch ${String(info.torch)} (python ${String(info.python)}, numpy ${String(info.numpy)}), torch threads ${String(info.threads)}, mkldnn ${String(info.mkldnn)}`);
    print(`BLAS: ${blas.config ?? (blas.libraries ?? []).join(", ")}; OpenBLAS kernel ${blas.corename ?? "?"}, ${blas.threads ?? "?"} thread(s)`);
    if (blas.config === undefined || !/openblas/i.test(blas.config)) {
      // Debian's python3-torch alone links the netlib reference BLAS (2026-12-02: seed step 817 ms
      // instead of ≈ 130–280): not PyTorch's best configuration, so its ratios would flatter ragged.
      print("WARNING: PyTorch is not using OpenBLAS (the reference BLAS is several times slower): its figures below are NOT its best configuration.");
      print("         Install it (`apt-get install libopenblas0-pthread`) and run again before quoting any ratio.");
    }
    print(`child env: ${Object.entries(env).map(([k, v]) => `${k}=${v ?? "(unset)"}`).join(" ")}`);
    const api = threadsApi();
    print(`ragged threads: ${api === null ? "not in this build (no threaded contender)" : `via ${api}(…, { threads: 2 })`}`);

    // --- seed step ---------------------------------------------------------------------------
    const B = o.batch;
    const T = o.length;
    const seed = seedBatch(B, 2, T);
    const R_JS = "ragged trainOnBatch (js kernels)";
    const R_WASM = "ragged trainOnBatch (wasm kernels)";
    const R_THR = api === "trainOnBatch" ? "ragged trainOnBatch threads 2 (wasm)" : "ragged fit 1 batch threads 2 (wasm)";
    const R_THR1 = "ragged fit 1 batch threads 1 (wasm)";
    const P_SEED = "PyTorch step, 2 threads (best config)";
    const P_SEED1 = "PyTorch step, 1 thread";
    const common = { xs: seed.xs, ys: seed.ys, rounds: o.rounds, warmup: o.warmup };
    const pSeed = await torchContender(child, { ...common, name: P_SEED, mode: "padded", threads: TORCH_THREADS });
    const pSeed1 = await torchContender(child, { ...common, name: P_SEED1, mode: "padded", threads: 1 });
    const seedContenders: Contender[] = [
      raggedOn("js", { ...common, name: R_JS }),
      raggedOn("wasm", { ...common, name: R_WASM }),
      ...(api ? [raggedThreaded(api, 2, { ...common, name: R_THR })] : []),
      ...(api === "fit" ? [raggedThreaded(api, 1, { ...common, name: R_THR1 })] : []),
      pSeed,
      pSeed1,
    ];
    const seedTimings = withInnerTimes(await interleave(seedContenders, { label: "pytorch seed" }), [pSeed, pSeed1]);

    print(heading(`vs PyTorch — seed step: batch ${B}, length ${T}, forward + backward + Adam`));
    print(timingTable(seedTimings));
    print("");
    const seedRagged: [string, string][] = [["ragged-js", R_JS], ["ragged-wasm", R_WASM], ...(api ? [["ragged-threads-2", R_THR] as [string, string]] : [])];
    for (const [pLabel, pName] of [["PyTorch-2-threads", P_SEED], ["PyTorch-1-thread", P_SEED1]] as const) {
      const p = find(seedTimings, pName);
      for (const [label, name] of seedRagged) print(ratioLine(label, find(seedTimings, name), pLabel, p));
    }
    print(loadNote(find(seedTimings, P_SEED), find(seedTimings, P_SEED1)));
    if (api === "fit") print(ratioLine("ragged-threads-2", find(seedTimings, R_THR), "ragged-threads-1", find(seedTimings, R_THR1)));
    print(`(PyTorch times are measured inside python; the pipe round trip, median ${ms(summarize([...pSeed.overhead, ...pSeed1.overhead]).median)} ms, is not counted.`);
    print(" ragged's include converting the nested arrays; PyTorch's tensors are made beforehand.)");

    await loopComparison(child, { title: `seed step in a training loop: batch ${B}, length ${T}`, xs: seed.xs, ys: seed.ys, o, print });

    // --- mixed lengths -------------------------------------------------------------------------
    const mixed = seedBatch(B, 3, null);
    const Tmax = maxLength(mixed.xs);
    const sum = totalSteps(mixed.xs);
    const M_JS = "ragged packed (js kernels)";
    const M_WASM = "ragged packed (wasm kernels)";
    const M_THR = api === "trainOnBatch" ? "ragged packed threads 2 (wasm)" : "ragged packed fit 1 batch threads 2 (wasm)";
    const P_PAD = "PyTorch padded to longest, 2 threads";
    const P_PACK = "PyTorch pack_padded_sequence, 2 threads";
    const P_PAD1 = "PyTorch padded to longest, 1 thread";
    const P_PACK1 = "PyTorch pack_padded_sequence, 1 thread";
    const mCommon = { xs: mixed.xs, ys: mixed.ys, rounds: o.mixedRounds, warmup: o.warmup };
    const torchMixed = [
      await torchContender(child, { ...mCommon, name: P_PAD, mode: "padded", threads: TORCH_THREADS }),
      await torchContender(child, { ...mCommon, name: P_PACK, mode: "packed", threads: TORCH_THREADS }),
      await torchContender(child, { ...mCommon, name: P_PAD1, mode: "padded", threads: 1 }),
      await torchContender(child, { ...mCommon, name: P_PACK1, mode: "packed", threads: 1 }),
    ];
    const mixedTimings = withInnerTimes(
      await interleave([raggedOn("js", { ...mCommon, name: M_JS }), raggedOn("wasm", { ...mCommon, name: M_WASM }), ...(api ? [raggedThreaded(api, 2, { ...mCommon, name: M_THR })] : []), ...torchMixed], {
        label: "pytorch mixed",
      }),
      torchMixed,
    );

    print(heading(`vs PyTorch — mixed-length batch: ${B} sequences, lengths uniform in [10, 100)`));
    print(`Σ lengths = ${sum} steps; padded B × max = ${B} × ${Tmax} = ${B * Tmax} steps`);
    print("");
    print(timingTable(mixedTimings));
    print("");
    for (const [tLabel, padName, packName] of [["2-threads", P_PAD, P_PACK], ["1-thread", P_PAD1, P_PACK1]] as const) {
      const pad = find(mixedTimings, padName);
      const pack = find(mixedTimings, packName);
      for (const [label, name] of [["ragged-js", M_JS], ["ragged-wasm", M_WASM], ...(api ? [["ragged-threads-2", M_THR] as const] : [])] as const) {
        const r = find(mixedTimings, name);
        print(ratioLine(label, r, `PyTorch-padded-${tLabel}`, pad));
        print(ratioLine(label, r, `PyTorch-packed-${tLabel}`, pack));
      }
      print(ratioLine(`PyTorch-packed-${tLabel}`, pack, `PyTorch-padded-${tLabel}`, pad));
    }
    print(loadNote(find(mixedTimings, P_PAD), find(mixedTimings, P_PAD1)));
    print("(PyTorch padded: loss over B × max steps, zero targets on padding; packed: head and loss on the real steps.");
    print(` Pipe round trip, not counted: median ${ms(summarize(torchMixed.flatMap((c) => c.overhead)).median)} ms.)`);

    await loopComparison(child, { title: `mixed-length batch in a training loop: ${B} sequences, lengths uniform in [10, 100)`, xs: mixed.xs, ys: mixed.ys, o, print, padded: true });
  } finally {
    setKernels(initial);
    await child.close();
  }
}

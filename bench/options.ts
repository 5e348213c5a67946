/**
 * Command-line options of `npm run bench` (`tsx bench/run.ts [flags]`). No environment variables.
 */
import { parseArgs } from "node:util";

export interface BenchOptions {
  /** Timed rounds of the fast contenders (ragged, TF.js wasm on the seed step). */
  rounds: number;
  /** Timed rounds of TF.js cpu (~10–15 s per step here). */
  cpuRounds: number;
  /** Timed rounds of the mixed-length section's ragged contenders. */
  mixedRounds: number;
  /** Timed rounds of TF.js wasm + Masking on the padded mixed batch (0 = skip). */
  maskRounds: number;
  /** Untimed warm-up runs per contender (TF.js cpu always gets exactly 1). */
  warmup: number;
  /** Steps of ragged per memory case. */
  memorySteps: number;
  sections: Set<string>;
  /** ragged kernels: "default" (whatever ragged activates itself) or "wasm" (useFastKernels). */
  kernels: "default" | "wasm";
  batch: number;
  length: number;
}

export const SECTIONS = ["seed", "mixed", "variants", "pytorch", "memory", "peak", "threads", "predict", "attention", "conv", "ctc"] as const;

const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--cpu-rounds N] [--mixed-rounds N]
                        [--mask-rounds N] [--warmup N] [--memory-steps N]
                        [--sections seed,mixed,variants,pytorch,memory,peak,threads,predict,attention,conv,ctc] [--batch N] [--length N]
                        [--kernels default|wasm] [--wasm-build relaxed|simd]`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      rounds: { type: "string" },
      "cpu-rounds": { type: "string" },
      "mixed-rounds": { type: "string" },
      "mask-rounds": { type: "string" },
      warmup: { type: "string" },
      "memory-steps": { type: "string" },
      sections: { type: "string" },
      batch: { type: "string" },
      length: { type: "string" },
      kernels: { type: "string", default: "default" },
      "wasm-build": { type: "string", default: "relaxed" }, // read by wasm_build.ts before anything loads
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const int = (v: string | undefined, def: number, min: number): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`expected an integer ≥ ${min}, got "${v}"\n${USAGE}`);
    return n;
  };
  const sections = new Set((values.sections ?? SECTIONS.join(",")).split(",").map((s) => s.trim()));
  for (const s of sections) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section "${s}"\n${USAGE}`);
  const kernels = values.kernels;
  if (kernels !== "default" && kernels !== "wasm") throw new Error(`--kernels must be default or wasm, got "${kernels}"\n${USAGE}`);
  return {
    kernels,
    rounds: int(values.rounds, quick ? 3 : 10, 1),
    cpuRounds: int(values["cpu-rounds"], quick ? 1 : 3, 0),
    mixedRounds: int(values["mixed-rounds"], quick ? 3 : 8, 1),
    maskRounds: int(values["mask-rounds"], quick ? 0 : 3, 0),
    warmup: int(values.warmup, quick ? 1 : 2, 1),
    memorySteps: int(values["memory-steps"], quick ? 1 : 3, 1),
    sections,
    batch: int(values.batch, 1000, 1),
    length: int(values.length, 55, 1),
  };
}

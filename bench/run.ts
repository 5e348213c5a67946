/**
 * `npm run bench`: ragged against its peers, side by side in one process run (the handbook's rule:
 * interleaved after warm-up, medians with min/max and the ratio). Each section lives in its own
 * file and prints its own table; add new ones (PyTorch via a python subprocess, GRU,
 * Bidirectional) as a file exporting `(options, print) => Promise<void>` and a line below.
 *
 *   npm run bench                    full run (~5 min on 2 cores)
 *   npm run bench -- --quick         fewer rounds, no TF.js masked run (~1.5 min)
 *   npm run bench -- --sections seed --rounds 5 --cpu-rounds 0
 *   npm run bench -- --kernels wasm  ragged on its WebAssembly SIMD kernels
 *   npm run bench -- --sections peak,threads   the step against the machine's GEMM peak and two-thread ceilings; 1 vs 2 threads by batch size
 *   npm run bench -- --sections attention      an attention seq2seq training step vs PyTorch
 *   npm run bench -- --sections ctc  the CTC loss's share of a g2p-ctc training step
 *
 * Progress goes to stderr; the tables go to stdout.
 */
import "./wasm_build.js"; // first: chooses the wasm build before anything compiles it
import os from "node:os";
import { attentionSection } from "./attention_seq2seq.js";
import { convLstmSection } from "./conv_lstm.js";
import { ctcSection } from "./ctc.js";
import { memorySection } from "./memory.js";
import { mixedLengthsSection } from "./mixed_lengths.js";
import { parseOptions, type BenchOptions } from "./options.js";
import { pytorchSection } from "./pytorch.js";
import { selectKernels } from "./ragged_kernels.js";
import { wasmVariant } from "../dist/index.js";
import { setWorkerIdleMs } from "../dist/training/parallel/pool.js";
import { rnnVariantsSection } from "./rnn_variants.js";
import { seedStepSection } from "./seed_step.js";
import { stepEfficiencySection } from "./step_efficiency.js";
import { threadScalingSection } from "./thread_scaling.js";
import { predictLatencySection } from "./predict_latency.js";
import { describeTfBackend } from "./tfjs_models.js";

type Section = (o: BenchOptions, print: (s: string) => void) => Promise<void>;

const SECTIONS: Record<string, Section> = {
  seed: seedStepSection,
  mixed: mixedLengthsSection,
  variants: rnnVariantsSection,
  pytorch: pytorchSection,
  conv: convLstmSection,
  memory: memorySection,
  peak: stepEfficiencySection,
  threads: threadScalingSection,
  predict: predictLatencySection,
  attention: attentionSection,
  ctc: ctcSection,
};

/**
 * A model's training threads stop after 10 s without a step (NOTE [ worker lifetime ]); an
 * interleaved round can last longer than that (PyTorch's pack_padded_sequence steps take 4–7 s
 * each), and a threaded contender would then time a worker restart (≈ 0.35 s) instead of a step,
 * as a training loop never does. The bench keeps them for 10 minutes.
 */
const BENCH_WORKER_IDLE_MS = 600_000;

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  setWorkerIdleMs(BENCH_WORKER_IDLE_MS);
  const print = (s: string) => process.stdout.write(s + "\n");
  const started = performance.now();
  const cpus = os.cpus();
  print("# ragged bench");
  print(`machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()}-${os.arch()}`);
  print(`load average (1, 5, 15 min) at start: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`);
  print(`ragged kernels: ${await selectKernels(o.kernels)} (${wasmVariant() ?? "no wasm"} build)`);
  print(`TF.js: ${await describeTfBackend("cpu")}; ${await describeTfBackend("wasm")}`);
  print(
    `rounds: ${o.rounds} (TF.js cpu ${o.cpuRounds}, mixed ${o.mixedRounds}, TF.js masked ${o.maskRounds}), ` +
      `warm-up ${o.warmup} (TF.js cpu 1), sections: ${[...o.sections].join(", ")}`,
  );
  for (const [name, section] of Object.entries(SECTIONS)) {
    if (o.sections.has(name)) await section(o, print);
  }
  print(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * `ragged demo`: the seed's program, exactly. LSTM(32, return sequences, input (None, 5)) →
 * LSTM(8, return sequences) → TimeDistributed(Dense(2, sigmoid)); categorical crossentropy; Adam;
 * a generator of 1000-sequence batches of one random length in [10, 100); 30 steps × 10 epochs.
 * By default on the WebAssembly SIMD kernels (where supported) and one thread per core.
 */
import { useFastKernels } from "../../core/kernels/wasm.js";
import { jsKernels, kernels, layers, sequential, setKernels, threadPlatform, type Logs } from "../../node.js";
import { flatSeedBatches } from "./seed_data.js";

export interface DemoOptions {
  epochs: number;
  steps: number;
  batchSize: number;
  seed: number;
  length: number | null;
  json: boolean;
  /** Threads per step; default one per core. */
  threads?: number | null;
  /** "auto" (default): the WebAssembly SIMD kernels where the engine has them, else the JS reference. */
  kernels?: "auto" | "js";
}

export function buildSeedModel(seed: number) {
  const model = sequential(
    [
      layers.lstm({ units: 32, returnSequences: true, inputShape: [null, 5] }),
      layers.lstm({ units: 8, returnSequences: true }),
      layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) }),
    ],
    { seed },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
  return model;
}

export async function runDemo(options: DemoOptions, out: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<void> {
  const model = buildSeedModel(options.seed);
  // --json: stdout holds only the JSON lines; the summary goes to stderr.
  const print = options.json ? (l: string) => out.stderr(l + "\n") : (l: string) => out.stdout(l + "\n");
  model.summary({ lineLength: 90, print });
  if (options.kernels === "js") setKernels(jsKernels); // wasm is the default where supported (NOTE [ default kernels ])
  else useFastKernels();
  const threads = options.threads ?? threadPlatform()?.defaultThreads() ?? 1;
  print(`kernels: ${kernels().name}, threads: ${threads}`);
  const data = flatSeedBatches({ batchSize: options.batchSize, seed: options.seed + 1, length: options.length });
  let epochStart = 0;
  let steps = 0;
  const jsonCallback = {
    onEpochBegin: () => {
      epochStart = performance.now();
      steps = 0;
    },
    onBatchEnd: () => {
      steps++;
    },
    onEpochEnd: (epoch: number, logs?: Logs) => {
      const ms = (performance.now() - epochStart) / Math.max(1, steps);
      out.stdout(JSON.stringify({ epoch: epoch + 1, loss: logs?.loss ?? null, ms_per_step: Math.round(ms * 10) / 10 }) + "\n");
    },
  };
  await model.fitDataset(data, {
    epochs: options.epochs,
    stepsPerEpoch: options.steps,
    verbose: options.json ? 0 : 1,
    callbacks: options.json ? [jsonCallback] : [],
    threads,
  });
}

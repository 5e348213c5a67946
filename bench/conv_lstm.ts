/**
 * Section "conv": a Conv1D + LSTM model, one training step (forward, backward, Adam) on the seed's
 * data (batch 1000 × 55 × 5, per-step one-hot targets [2]), ragged against TF.js cpu (--cpu-rounds
 * rounds; 0 skips it) and PyTorch (when python3 can import torch), interleaved:
 *
 *   conv1d(32, kernel 3, same, relu) → lstm(32, returnSequences) → timeDistributed(dense(2, sigmoid))
 *
 * categorical crossentropy (Keras arithmetic), Adam (defaults, ε 1e-7) on every side. The sequences
 * all have 55 steps (TF.js and PyTorch's Conv1d need one length), so `same` padding is the same
 * computation everywhere: PyTorch's `padding="same"` pads 1 step each side for kernel 3.
 *
 * Porting notes: TF.js' LSTM defaults `recurrentActivation` to "hardSigmoid"; it is set to
 * "sigmoid" as in Keras 3, ragged and PyTorch. TF.js' wasm backend cannot train a convolution
 * (no Conv2DBackpropFilter kernel in tfjs-backend-wasm 4.22), so TF.js runs on its cpu backend.
 * ragged is timed on both its kernel sets.
 */
import * as tf from "@tensorflow/tfjs";
import { jsKernels, kernels, layers, sequential, setKernels, type Kernels } from "../dist/node.js";
import { useFastKernels } from "../dist/core/kernels/wasm.js";
import { flatPadded, seedBatch } from "./data.js";
import type { BenchOptions } from "./options.js";
import { TorchChild, loadNote, torchAvailable, torchContender, withInnerTimes, type TorchContender } from "./pytorch.js";
import { find, heading, ratioLine, timingTable } from "./report.js";
import { interleave, settle, type Contender } from "./stats.js";
import { useTfBackend, type TfBackend } from "./tfjs_models.js";

function buildRagged(seed = 1) {
  const model = sequential(
    [
      layers.conv1d({ filters: 32, kernelSize: 3, padding: "same", activation: "relu", inputShape: [null, 5] }),
      layers.lstm({ units: 32, returnSequences: true }),
      layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) }),
    ],
    { seed },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
  return model;
}

function buildTf(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv1d({ filters: 32, kernelSize: 3, padding: "same", activation: "relu", inputShape: [null, 5] }));
  model.add(tf.layers.lstm({ units: 32, returnSequences: true, recurrentActivation: "sigmoid" }));
  model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "sigmoid" }) }));
  model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
  return model;
}

function raggedContender(args: { name: string; kernels: "js" | "wasm"; xs: number[][][]; ys: number[][][]; rounds: number; warmup: number }): Contender {
  const model = buildRagged();
  return {
    name: args.name,
    rounds: args.rounds,
    warmup: args.warmup,
    prepare: async () => {
      await settle();
      if (args.kernels === "js") setKernels(jsKernels);
      else if (!useFastKernels()) throw new Error("ragged's WebAssembly SIMD kernels are not supported here");
    },
    run: () => model.trainOnBatch(args.xs, args.ys),
  };
}

async function tfContender(args: { name: string; backend: TfBackend; x: Float32Array; y: Float32Array; B: number; T: number; rounds: number; warmup: number }): Promise<Contender & { dispose: () => void }> {
  await useTfBackend(args.backend);
  const quiet = console.warn; // the orthogonal initializer warns about large matrices
  console.warn = () => {};
  const model = buildTf();
  console.warn = quiet;
  const x = tf.tensor3d(args.x, [args.B, args.T, 5]);
  const y = tf.tensor3d(args.y, [args.B, args.T, 2]);
  return {
    name: args.name,
    rounds: args.rounds,
    warmup: args.warmup,
    prepare: () => useTfBackend(args.backend),
    run: async () => {
      const loss = await model.trainOnBatch(x, y);
      return Array.isArray(loss) ? loss[0] : loss;
    },
    dispose: () => {
      tf.dispose([x, y]);
      model.optimizer.dispose();
      model.dispose();
    },
  };
}

export async function convLstmSection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const B = o.batch;
  const T = o.length;
  const { xs, ys } = seedBatch(B, 2, T);
  const x = flatPadded(xs, T, 5);
  const y = flatPadded(ys, T, 2);
  const initial: Kernels = kernels();
  const R_JS = "ragged conv1d+LSTM (js kernels)";
  const R_WASM = "ragged conv1d+LSTM (wasm kernels)";
  const T_CPU = "TF.js cpu conv1d+LSTM";
  const P_2 = "PyTorch conv1d+LSTM, 2 threads";
  const P_1 = "PyTorch conv1d+LSTM, 1 thread";
  const child = torchAvailable() ? new TorchChild() : null;
  try {
    const common = { xs, ys, rounds: o.rounds, warmup: o.warmup };
    const tCpu = o.cpuRounds > 0 ? await tfContender({ name: T_CPU, backend: "cpu", x, y, B, T, rounds: o.cpuRounds, warmup: 1 }) : null;
    const torch: TorchContender[] = child
      ? [
          await torchContender(child, { ...common, name: P_2, mode: "padded", threads: 2, model: "conv_lstm" }),
          await torchContender(child, { ...common, name: P_1, mode: "padded", threads: 1, model: "conv_lstm" }),
        ]
      : [];
    const timings = withInnerTimes(
      await interleave(
        [raggedContender({ ...common, name: R_JS, kernels: "js" }), raggedContender({ ...common, name: R_WASM, kernels: "wasm" }), ...(tCpu ? [tCpu] : []), ...torch],
        { label: "conv" },
      ),
      torch,
    );
    tCpu?.dispose();

    print(heading(`Conv1D + LSTM step: batch ${B}, length ${T}, conv1d(32, k3, same, relu) → lstm(32) → td(dense 2), one trainOnBatch`));
    print(timingTable(timings));
    print("");
    const rj = find(timings, R_JS);
    const rw = find(timings, R_WASM);
    const peers: [string, string][] = [...(tCpu ? [["TF.js-cpu", T_CPU] as [string, string]] : []), ...(child ? [["PyTorch-2-threads", P_2], ["PyTorch-1-thread", P_1]] as [string, string][] : [])];
    for (const [label, name] of peers) {
      print(ratioLine("ragged-js", rj, label, find(timings, name)));
      print(ratioLine("ragged-wasm", rw, label, find(timings, name)));
    }
    if (!tCpu) print("(TF.js: skipped, --cpu-rounds 0; its wasm backend cannot train a convolution.)");
    if (child) print(loadNote(find(timings, P_2), find(timings, P_1)));
    else print("(PyTorch: not available here — python3 cannot import torch; no PyTorch rows.)");
    print("(TF.js and PyTorch timings exclude building the tensors; ragged's include converting the nested arrays.");
    print(" PyTorch times are measured inside python, the pipe's round trip not counted.)");
  } finally {
    setKernels(initial);
    await child?.close();
  }
}

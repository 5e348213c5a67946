/**
 * Section "variants": the seed's model with its LSTMs swapped for GRU, and for Bidirectional(LSTM),
 * one training step (forward, backward, Adam) at the seed's batch (1000 × 55 × 5, per-step one-hot
 * targets [2]), ragged against TF.js wasm (and TF.js cpu, --cpu-rounds; 0 skips it):
 *
 *   GRU:   gru(32, rs) → gru(8, rs) → timeDistributed(dense(2, sigmoid))
 *   BiLSTM: bidirectional(lstm(32, rs)) → bidirectional(lstm(8, rs)) → timeDistributed(dense(2, sigmoid))
 *   recurrent dropout: the seed's model (lstm(32) → lstm(8) → td(dense 2)) with `recurrentDropout: 0.2`
 *     on both LSTMs (training only), beside the same model without it
 *   normalization: lstm(32, rs) → layerNormalization → lstm(8, rs) → batchNormalization → td(dense 2)
 *
 * categorical crossentropy, Adam (defaults) on both sides.
 *
 * Porting notes:
 * - TF.js' GRU has only `resetAfter: false` (it throws on true), so ragged's GRU runs with
 *   `resetAfter: false` — the same math — for the comparison; ragged's default (`resetAfter: true`,
 *   Keras 3 / cuDNN form) is timed beside it for reference, not for a ratio.
 * - TF.js GRU/LSTM default `recurrentActivation` to "hardSigmoid"; it is set to "sigmoid" as in
 *   Keras 3 and ragged.
 * - ragged is timed on both of its kernel sets (js reference, wasm SIMD) for each model, whatever
 *   `--kernels` says.
 *
 * Each contender builds its own model; TF.js contenders switch to their backend (untimed) before
 * each step; ragged contenders select their kernels (untimed) before each step. The kernels active
 * when the section started are restored at its end.
 */
import * as tf from "@tensorflow/tfjs";
import { jsKernels, kernels, layers, sequential, setKernels, type Kernels } from "../dist/node.js";
import { useFastKernels } from "../dist/core/kernels/wasm.js";
import { flatPadded, seedBatch } from "./data.js";
import type { BenchOptions } from "./options.js";
import { find, heading, ratioLine, timingTable } from "./report.js";
import { interleave, type Contender } from "./stats.js";
import { useTfBackend, type TfBackend } from "./tfjs_models.js";

type Variant = "gru" | "bilstm" | "lstm" | "norm";

/** ragged's model for a variant (seeded like the demo's); `recurrentDropout` on the LSTM variant's layers. */
function buildRagged(variant: Variant, resetAfter: boolean, recurrentDropout = 0, seed = 1) {
  const model = sequential([...raggedBody(variant, resetAfter, recurrentDropout), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) })], { seed });
  model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
  return model;
}

/** The variant's layers before the shared head. */
function raggedBody(variant: Variant, resetAfter: boolean, recurrentDropout: number) {
  switch (variant) {
    case "lstm":
      return [
        layers.lstm({ units: 32, returnSequences: true, recurrentDropout, inputShape: [null, 5] }),
        layers.lstm({ units: 8, returnSequences: true, recurrentDropout }),
      ];
    case "norm":
      return [
        layers.lstm({ units: 32, returnSequences: true, inputShape: [null, 5] }),
        layers.layerNormalization(),
        layers.lstm({ units: 8, returnSequences: true }),
        layers.batchNormalization(),
      ];
    case "gru":
      return [
        layers.gru({ units: 32, returnSequences: true, resetAfter, inputShape: [null, 5] }),
        layers.gru({ units: 8, returnSequences: true, resetAfter }),
      ];
    case "bilstm":
      return [
        layers.bidirectional({ layer: layers.lstm({ units: 32, returnSequences: true }), inputShape: [null, 5] }),
        layers.bidirectional({ layer: layers.lstm({ units: 8, returnSequences: true }) }),
      ];
  }
}

/** The same model in TF.js layers (not the norm variant: see the normalization block). */
function buildTf(variant: Exclude<Variant, "norm">, recurrentDropout = 0): tf.Sequential {
  const inputShape = [null, 5];
  const model = tf.sequential();
  if (variant === "lstm") {
    model.add(tf.layers.lstm({ units: 32, returnSequences: true, recurrentActivation: "sigmoid", recurrentDropout, inputShape }));
    model.add(tf.layers.lstm({ units: 8, returnSequences: true, recurrentActivation: "sigmoid", recurrentDropout }));
  } else if (variant === "gru") {
    // TF.js' GRU is always resetAfter: false (its GRU layer args do not even take the flag).
    model.add(tf.layers.gru({ units: 32, returnSequences: true, recurrentActivation: "sigmoid", inputShape }));
    model.add(tf.layers.gru({ units: 8, returnSequences: true, recurrentActivation: "sigmoid" }));
  } else {
    model.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 32, returnSequences: true, recurrentActivation: "sigmoid" }), inputShape }));
    model.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 8, returnSequences: true, recurrentActivation: "sigmoid" }) }));
  }
  model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "sigmoid" }) }));
  model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
  return model;
}

type KernelChoice = "js" | "wasm";

function selectKernels(choice: KernelChoice): void {
  if (choice === "js") setKernels(jsKernels);
  else if (!useFastKernels()) throw new Error("ragged's WebAssembly SIMD kernels are not supported here");
}

function raggedContender(args: {
  name: string; variant: Variant; resetAfter: boolean; kernels: KernelChoice; recurrentDropout?: number;
  xs: number[][][]; ys: number[][][]; rounds: number; warmup: number;
}): Contender {
  const model = buildRagged(args.variant, args.resetAfter, args.recurrentDropout);
  return {
    name: args.name,
    rounds: args.rounds,
    warmup: args.warmup,
    prepare: () => selectKernels(args.kernels),
    run: () => model.trainOnBatch(args.xs, args.ys),
  };
}

async function tfContender(args: {
  name: string; variant: Exclude<Variant, "norm">; backend: TfBackend; recurrentDropout?: number;
  x: Float32Array; y: Float32Array; B: number; T: number; rounds: number; warmup: number;
}): Promise<Contender & { dispose: () => void }> {
  await useTfBackend(args.backend);
  const quiet = console.warn; // the orthogonal initializer warns about large matrices
  console.warn = () => {};
  const model = buildTf(args.variant, args.recurrentDropout);
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

export async function rnnVariantsSection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const B = o.batch;
  const T = o.length;
  const { xs, ys } = seedBatch(B, 2, T);
  const x = flatPadded(xs, T, 5);
  const y = flatPadded(ys, T, 2);
  const initial: Kernels = kernels();
  const common = { xs, ys, rounds: o.rounds, warmup: o.warmup };
  const tfCommon = { x, y, B, T };

  try {
    // --- GRU -------------------------------------------------------------------------------
    const G_JS = "ragged GRU resetAfter:false (js kernels)";
    const G_FAST = "ragged GRU resetAfter:false (wasm kernels)";
    const G_FAST_RA = "ragged GRU resetAfter:true (wasm; ref.)";
    const G_WASM = "TF.js wasm GRU (resetAfter:false)";
    const G_CPU = "TF.js cpu GRU (resetAfter:false)";
    const gCpu = o.cpuRounds > 0 ? await tfContender({ ...tfCommon, name: G_CPU, variant: "gru", backend: "cpu", rounds: o.cpuRounds, warmup: 1 }) : null;
    const gWasm = await tfContender({ ...tfCommon, name: G_WASM, variant: "gru", backend: "wasm", rounds: o.rounds, warmup: o.warmup });
    const gTimings = await interleave(
      [
        raggedContender({ ...common, name: G_JS, variant: "gru", resetAfter: false, kernels: "js" }),
        raggedContender({ ...common, name: G_FAST, variant: "gru", resetAfter: false, kernels: "wasm" }),
        raggedContender({ ...common, name: G_FAST_RA, variant: "gru", resetAfter: true, kernels: "wasm" }),
        gWasm,
        ...(gCpu ? [gCpu] : []),
      ],
      { label: "variants gru" },
    );
    gCpu?.dispose();
    gWasm.dispose();

    print(heading(`GRU step: batch ${B}, length ${T}, gru(32) → gru(8) → td(dense 2), one trainOnBatch`));
    print(timingTable(gTimings));
    print("");
    const gj = find(gTimings, G_JS);
    const gf = find(gTimings, G_FAST);
    const gw = find(gTimings, G_WASM);
    print(ratioLine("ragged-js", gj, "TF.js-wasm", gw));
    print(ratioLine("ragged-wasm", gf, "TF.js-wasm", gw));
    if (gCpu) {
      const gc = find(gTimings, G_CPU);
      print(ratioLine("ragged-js", gj, "TF.js-cpu", gc));
      print(ratioLine("ragged-wasm", gf, "TF.js-cpu", gc));
    }
    print(ratioLine("resetAfter:true", find(gTimings, G_FAST_RA), "resetAfter:false", gf));
    print("(ratios vs TF.js use ragged with resetAfter:false, the only form TF.js has — the same math; both sides");
    print(" recurrentActivation sigmoid. resetAfter:true, Keras 3's and ragged's default, is timed for reference.)");

    // --- Bidirectional(LSTM) -----------------------------------------------------------------
    const B_JS = "ragged BiLSTM (js kernels)";
    const B_FAST = "ragged BiLSTM (wasm kernels)";
    const B_WASM = "TF.js wasm BiLSTM";
    const B_CPU = "TF.js cpu BiLSTM";
    const bCpu = o.cpuRounds > 0 ? await tfContender({ ...tfCommon, name: B_CPU, variant: "bilstm", backend: "cpu", rounds: o.cpuRounds, warmup: 1 }) : null;
    const bWasm = await tfContender({ ...tfCommon, name: B_WASM, variant: "bilstm", backend: "wasm", rounds: o.rounds, warmup: o.warmup });
    const bTimings = await interleave(
      [
        raggedContender({ ...common, name: B_JS, variant: "bilstm", resetAfter: true, kernels: "js" }),
        raggedContender({ ...common, name: B_FAST, variant: "bilstm", resetAfter: true, kernels: "wasm" }),
        bWasm,
        ...(bCpu ? [bCpu] : []),
      ],
      { label: "variants bilstm" },
    );
    bCpu?.dispose();
    bWasm.dispose();

    print(heading(`Bidirectional(LSTM) step: batch ${B}, length ${T}, bi(lstm 32) → bi(lstm 8) → td(dense 2), concat, one trainOnBatch`));
    print(timingTable(bTimings));
    print("");
    const bj = find(bTimings, B_JS);
    const bf = find(bTimings, B_FAST);
    const bw = find(bTimings, B_WASM);
    print(ratioLine("ragged-js", bj, "TF.js-wasm", bw));
    print(ratioLine("ragged-wasm", bf, "TF.js-wasm", bw));
    if (bCpu) {
      const bc = find(bTimings, B_CPU);
      print(ratioLine("ragged-js", bj, "TF.js-cpu", bc));
      print(ratioLine("ragged-wasm", bf, "TF.js-cpu", bc));
    }
    print("(TF.js timings exclude building the tensors; ragged's include converting the nested arrays.)");

    // --- recurrent dropout ---------------------------------------------------------------------
    const RD = 0.2;
    const D_FAST = `ragged LSTM recurrentDropout ${RD} (wasm kernels)`;
    const D_NONE = "ragged LSTM no dropout (wasm kernels)";
    const D_JS = `ragged LSTM recurrentDropout ${RD} (js kernels)`;
    const D_WASM = `TF.js wasm LSTM recurrentDropout ${RD}`;
    const dWasm = await tfContender({ ...tfCommon, name: D_WASM, variant: "lstm", backend: "wasm", recurrentDropout: RD, rounds: o.rounds, warmup: o.warmup });
    const dTimings = await interleave(
      [
        raggedContender({ ...common, name: D_FAST, variant: "lstm", resetAfter: true, kernels: "wasm", recurrentDropout: RD }),
        raggedContender({ ...common, name: D_NONE, variant: "lstm", resetAfter: true, kernels: "wasm" }),
        raggedContender({ ...common, name: D_JS, variant: "lstm", resetAfter: true, kernels: "js", recurrentDropout: RD }),
        dWasm,
      ],
      { label: "variants recurrent dropout" },
    );
    dWasm.dispose();

    print(heading(`Recurrent dropout: batch ${B}, length ${T}, lstm(32) → lstm(8) → td(dense 2), recurrentDropout ${RD} on both LSTMs, one trainOnBatch`));
    print(timingTable(dTimings));
    print("");
    const df = find(dTimings, D_FAST);
    print(ratioLine("recurrent-dropout", df, "no-dropout", find(dTimings, D_NONE)));
    print(ratioLine("ragged-wasm", df, "ragged-js", find(dTimings, D_JS)));
    print(ratioLine("ragged-wasm", df, "TF.js-wasm", find(dTimings, D_WASM)));
    print("(one mask per sequence for all gates in ragged, one per gate in TF.js: README, Keras and TF.js compatibility)");

    // --- normalization layers -----------------------------------------------------------------
    const N_FAST = "ragged LSTM + layer/batch norm (wasm kernels)";
    const N_JS = "ragged LSTM + layer/batch norm (js kernels)";
    const N_PLAIN = "ragged LSTM without the norm layers (wasm)";
    // TF.js is left out: its wasm backend took 102–106 s a step on this model (2026-12-04; 83 ms
    // without the two norm layers), 10 rounds would take 17 minutes.
    const nTimings = await interleave(
      [
        raggedContender({ ...common, name: N_FAST, variant: "norm", resetAfter: true, kernels: "wasm" }),
        raggedContender({ ...common, name: N_JS, variant: "norm", resetAfter: true, kernels: "js" }),
        raggedContender({ ...common, name: N_PLAIN, variant: "lstm", resetAfter: true, kernels: "wasm" }),
      ],
      { label: "variants norm" },
    );

    print(heading(`Normalization: batch ${B}, length ${T}, lstm(32) → layerNormalization → lstm(8) → batchNormalization → td(dense 2), one trainOnBatch`));
    print(timingTable(nTimings));
    print("");
    const nf = find(nTimings, N_FAST);
    print(ratioLine("with-norm-layers", nf, "without", find(nTimings, N_PLAIN)));
    print(ratioLine("ragged-wasm", nf, "ragged-js", find(nTimings, N_JS)));
    print("(ragged's js row runs every layer on the plain-TypeScript kernels; a batchNormalization model trains on one thread.");
    print(" TF.js wasm is not timed here: it took 102–106 s a step on this model when tried, 2026-12-04.)");
  } finally {
    setKernels(initial);
  }
}

/**
 * Section "predict": inference latency of the seed's model (lstm 32 → lstm 8 → dense 2), the cost
 * a served model pays per request: one sequence of 100 steps, and a batch of 32 sequences of mixed
 * lengths [10, 100). Contenders, interleaved after warm-up (50 × --warmup calls each):
 * - ragged `model.predict(xs)` on nested arrays (validate, pack, run, unpack: all of it timed);
 * - TF.js wasm `model.predict(x)` + reading the result back, on a tensor made beforehand (the
 *   batch post-padded to its longest and behind Masking, as a TF.js user must);
 * - PyTorch under `torch.inference_mode()`, timed inside python (one sequence as a dense tensor,
 *   the batch through pack_padded_sequence), 1 and 2 threads.
 */
import * as tf from "@tensorflow/tfjs";
import { buildSeedModel } from "../dist/cli/commands/demo.js";
import { flatPadded, maxLength, seedBatch } from "./data.js";
import type { BenchOptions } from "./options.js";
import { TorchChild, torchAvailable, torchContender, withInnerTimes, type TorchContender } from "./pytorch.js";
import { find, heading, ratioLine, timingTable } from "./report.js";
import { interleave, type Contender } from "./stats.js";
import { buildTfSeedModel, useTfBackend } from "./tfjs_models.js";

function raggedPredict(name: string, xs: number[][][], rounds: number, warmup: number): Contender {
  const model = buildSeedModel(1);
  return { name, rounds, warmup, run: () => (model.predict(xs) as number[][][])[0][0][0] };
}

async function tfPredict(name: string, xs: number[][][], rounds: number, warmup: number): Promise<Contender & { dispose: () => void }> {
  await useTfBackend("wasm");
  const T = maxLength(xs);
  const masking = xs.some((s) => s.length !== T);
  const quiet = console.warn;
  console.warn = () => {};
  const model = buildTfSeedModel({ masking, features: 5 });
  console.warn = quiet;
  const x = tf.tensor3d(flatPadded(xs, T, 5), [xs.length, T, 5]);
  return {
    name,
    rounds,
    warmup,
    prepare: () => useTfBackend("wasm"),
    run: async () => {
      const out = model.predict(x) as tf.Tensor;
      const data = await out.data();
      out.dispose();
      return data[0];
    },
    dispose: () => {
      x.dispose();
      model.dispose();
    },
  };
}

export async function predictLatencySection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const one = seedBatch(1, 4, 100);
  const batch = seedBatch(32, 5, null);
  const rounds = o.rounds * 5;
  // A served model answers many requests: every contender first answers 50 × --warmup (100) of
  // them untimed, so the JavaScript engines have compiled their hot paths (10 were too few: V8 had
  // not optimised ragged's per-call code, ≈ 0.1 ms of a 0.5 ms call), as a server's would have.
  const warmup = o.warmup * 50;
  const torch = torchAvailable() ? new TorchChild() : null;
  try {
    for (const [title, data, packed] of [["one sequence of 100 steps", one, false], ["32 sequences, lengths uniform in [10, 100)", batch, true]] as const) {
      const R = "ragged predict";
      const TFW = "TF.js wasm predict";
      const P1 = "PyTorch inference_mode, 1 thread";
      const P2 = "PyTorch inference_mode, 2 threads";
      const tfw = await tfPredict(TFW, data.xs, rounds, warmup);
      const torchCs: TorchContender[] = torch
        ? [
            await torchContender(torch, { name: P1, mode: packed ? "predict-packed" : "predict", threads: 1, xs: data.xs, ys: data.ys, rounds, warmup }),
            await torchContender(torch, { name: P2, mode: packed ? "predict-packed" : "predict", threads: 2, xs: data.xs, ys: data.ys, rounds, warmup }),
          ]
        : [];
      const timings = withInnerTimes(await interleave([raggedPredict(R, data.xs, rounds, warmup), tfw, ...torchCs], { label: "predict" }), torchCs);
      tfw.dispose();
      print(heading(`Inference latency: seed model, ${title}`));
      print(timingTable(timings, "ms/call"));
      print("");
      print(ratioLine("ragged", find(timings, R), "TF.js-wasm", find(timings, TFW)));
      if (torch) {
        print(ratioLine("ragged", find(timings, R), "PyTorch-1-thread", find(timings, P1)));
        print(ratioLine("ragged", find(timings, R), "PyTorch-2-threads", find(timings, P2)));
      } else print("(PyTorch not available: install python3-torch for its rows.)");
    }
    print("(ragged's time includes validating and packing the nested arrays and unpacking the result; TF.js' tensor is made");
    print(" beforehand but reading its result back is timed; PyTorch's is timed inside python around the forward call.)");
  } finally {
    await torch?.close();
  }
}

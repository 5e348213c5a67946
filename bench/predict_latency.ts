/**
 * Section "predict": inference latency of the seed's model (lstm 32 → lstm 8 → dense 2), the cost
 * a served model pays per request: one sequence of 100 steps, and a batch of 32 sequences of mixed
 * lengths [10, 100). Contenders, interleaved after warm-up (50 × --warmup calls each), each making
 * a burst of BURST calls per round, each burst after SETTLE_MS idle (stats.ts), as PyTorch's always
 * had; two tables per case: the burst's first call — a request that arrives now and then, on an
 * idle machine with cold caches and predictors (ragged's 0.15 ms back-to-back call takes ≈ 0.27 ms
 * after 10 ms idle, and ≈ 0.5 ms right after a PyTorch 2-thread call, whose OpenMP threads still
 * spin on both cores: measured 2026-12-04, hence the settle) — and the other calls, back to back:
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
import { TorchChild, torchAvailable, torchContender, type TorchContender } from "./pytorch.js";
import { find, heading, ratioLine, timingTable } from "./report.js";
import { interleave, settle, type Contender, type Timings } from "./stats.js";
import { buildTfSeedModel, useTfBackend } from "./tfjs_models.js";

/** Calls per contender per round: the first follows another contender's work, the rest run back to back. */
const BURST = 10;

/** Per-call times of the timed rounds: each burst's first call, and its other calls. */
interface BurstTimes {
  first: number[];
  steady: number[];
}

/** A contender whose run is BURST calls, each timed (warm-up runs are not recorded: `after` sees only timed ones). */
function burst(name: string, rounds: number, warmup: number, call: () => Promise<number> | number, prepare?: () => Promise<void> | void): Contender & BurstTimes {
  const first: number[] = [];
  const steady: number[] = [];
  let pending: number[] = [];
  return {
    name,
    rounds,
    warmup,
    first,
    steady,
    prepare: async () => {
      await prepare?.();
      await settle();
    },
    run: async () => {
      pending = [];
      let value = 0;
      for (let k = 0; k < BURST; k++) {
        const t0 = performance.now();
        value = await call();
        pending.push(performance.now() - t0);
      }
      return value;
    },
    after: () => {
      first.push(pending[0]);
      steady.push(...pending.slice(1));
    },
  };
}

function raggedPredict(name: string, xs: number[][][], rounds: number, warmup: number): Contender & BurstTimes {
  const model = buildSeedModel(1);
  return burst(name, rounds, warmup, () => (model.predict(xs) as number[][][])[0][0][0]);
}

async function tfPredict(name: string, xs: number[][][], rounds: number, warmup: number): Promise<Contender & BurstTimes & { dispose: () => void }> {
  await useTfBackend("wasm");
  const T = maxLength(xs);
  const masking = xs.some((s) => s.length !== T);
  const quiet = console.warn;
  console.warn = () => {};
  const model = buildTfSeedModel({ masking, features: 5 });
  console.warn = quiet;
  const x = tf.tensor3d(flatPadded(xs, T, 5), [xs.length, T, 5]);
  const call = async () => {
    const out = model.predict(x) as tf.Tensor;
    const data = await out.data();
    out.dispose();
    return data[0];
  };
  return {
    ...burst(name, rounds, warmup, call, () => useTfBackend("wasm")),
    dispose: () => {
      x.dispose();
      model.dispose();
    },
  };
}

/** PyTorch's bursts run inside python (steps: BURST); its per-call times split the same way. */
function torchBurst(c: TorchContender): BurstTimes {
  return {
    first: c.inner.filter((_, i) => i % BURST === 0),
    steady: c.inner.filter((_, i) => i % BURST !== 0),
  };
}

export async function predictLatencySection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const one = seedBatch(1, 4, 100);
  const batch = seedBatch(32, 5, null);
  const rounds = o.rounds * 5;
  // A served model answers many requests: every contender first answers 50 × --warmup (100) of
  // them untimed, so the JavaScript engines have compiled their hot paths (10 were too few: V8 had
  // not optimised ragged's per-call code, ≈ 0.1 ms of a 0.5 ms call), as a server's would have.
  const warmup = Math.ceil((o.warmup * 50) / BURST);
  const torch = torchAvailable() ? new TorchChild() : null;
  try {
    for (const [title, data, packed] of [["one sequence of 100 steps", one, false], ["32 sequences, lengths uniform in [10, 100)", batch, true]] as const) {
      const R = "ragged predict";
      const TFW = "TF.js wasm predict";
      const P1 = "PyTorch inference_mode, 1 thread";
      const P2 = "PyTorch inference_mode, 2 threads";
      const ragged = raggedPredict(R, data.xs, rounds, warmup);
      const tfw = await tfPredict(TFW, data.xs, rounds, warmup);
      const torchCs: TorchContender[] = torch
        ? [
            await torchContender(torch, { name: P1, mode: packed ? "predict-packed" : "predict", threads: 1, xs: data.xs, ys: data.ys, rounds, warmup, steps: BURST }),
            await torchContender(torch, { name: P2, mode: packed ? "predict-packed" : "predict", threads: 2, xs: data.xs, ys: data.ys, rounds, warmup, steps: BURST }),
          ]
        : [];
      const runs = await interleave([ragged, tfw, ...torchCs], { label: "predict" });
      tfw.dispose();
      const bursts: BurstTimes[] = [ragged, tfw, ...torchCs.map(torchBurst)]; // in the contenders' order, as interleave returns them
      const pick = (which: keyof BurstTimes): Timings[] => runs.map((t, k) => ({ ...t, samples: bursts[k][which] }));
      for (const [which, what] of [
        ["first", `the first call of each round, after 10 ms idle (a request that arrives now and then: caches and predictors cold)`],
        ["steady", `calls 2–${BURST} of each round, back to back (a server under steady load)`],
      ] as const) {
        const timings = pick(which);
        print(heading(`Inference latency: seed model, ${title}; ${what}`));
        print(timingTable(timings, "ms/call"));
        print("");
        print(ratioLine("ragged", find(timings, R), "TF.js-wasm", find(timings, TFW)));
        if (torch) {
          print(ratioLine("ragged", find(timings, R), "PyTorch-1-thread", find(timings, P1)));
          print(ratioLine("ragged", find(timings, R), "PyTorch-2-threads", find(timings, P2)));
        } else print("(PyTorch not available: install python3-torch for its rows.)");
      }
    }
    print(`(${BURST} calls per contender per round. ragged's time includes validating and packing the nested arrays and unpacking`);
    print(" the result; TF.js' tensor is made beforehand but reading its result back is timed; PyTorch's is timed inside");
    print(" python around the forward call. Every contender idles 10 ms before its burst, so each first call starts on a quiet machine.)");
  } finally {
    await torch?.close();
  }
}

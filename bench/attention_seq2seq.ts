/**
 * Section "attention": one training step of an attention seq2seq model, ragged vs PyTorch
 * (bench/pytorch_attention_step.py, a long-lived child as in the "pytorch" section), interleaved
 * after warm-up; medians, min/max and ratios.
 *
 * The model (the same on both sides, G2P-sized): encoder LSTM(C→H) over the source; decoder
 * LSTM(C→H) over the teacher-forced target input, started from the encoder's final (h, c); Luong
 * dot attention of every decoder step over its own sample's encoder steps; Dense(2H→K, softmax) on
 * [decoder, context]; Keras' categorical crossentropy over the real target steps; Adam.
 * Lengths: sources uniform in [3, 15), targets in [3, 13) — words and their pronunciations.
 *
 * ragged's step is wired by hand from its layers (encoder, decoder, `attention`, dense), packing
 * the nested arrays inside the step as `trainOnBatch` does; PyTorch packs, pads back for the
 * batched attention (bmm with −inf on padded keys) and computes the head and loss on real rows.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Adam, getLoss, kernels, layers, packBatch, Random, setKernels, jsKernels, type Kernels, type Variable } from "../dist/index.js";
import { useFastKernels } from "../dist/core/kernels/wasm.js";
import { reduceLoss } from "../dist/training/reduction.js";
import type { KernelCall, RecurrentPass } from "../dist/layers/rnn/rnn.js";
import type { LayerValue, SequenceValue } from "../dist/layers/values.js";
import type { PackedLayout } from "../dist/data/packed.js";
import { flatPadded, maxLength, totalSteps } from "./data.js";
import type { BenchOptions } from "./options.js";
import { find, heading, ms, ratioLine, timingTable } from "./report.js";
import { interleave, settle, summarize, type Contender, type Timings } from "./stats.js";

const PYTHON = "/usr/bin/python3";
const C = 32;
const H = 128;
const K = 40;

interface Seq2SeqBatch {
  src: number[][][];
  tgt: number[][][];
  y: number[][][];
}

/** A G2P-sized batch: random source/target features, one-hot targets. */
function makeBatch(B: number, seed: number): Seq2SeqBatch {
  const rng = new Random(seed);
  const seqOf = (len: number) => Array.from({ length: len }, () => Array.from({ length: C }, () => rng.uniformRange(-1, 1)));
  const srcLengths = Array.from({ length: B }, () => 3 + rng.int(0, 12));
  const tgtLengths = Array.from({ length: B }, () => 3 + rng.int(0, 10));
  return {
    src: srcLengths.map(seqOf),
    tgt: tgtLengths.map(seqOf),
    y: tgtLengths.map((n) => Array.from({ length: n }, () => {
      const row = new Array<number>(K).fill(0);
      row[rng.int(0, K)] = 1;
      return row;
    })),
  };
}

/** Rows per sequence [B, H] from one layout's sorted order to another's (by sample). */
function reorder(rows: Float32Array, from: PackedLayout, to: PackedLayout, width: number): Float32Array {
  const out = new Float32Array(rows.length);
  for (let j = 0; j < to.batch; j++) {
    const i = to.sortedIndices[j];
    const jf = from.unsortedIndices[i];
    out.set(rows.subarray(jf * width, (jf + 1) * width), j * width);
  }
  return out;
}

type WithKernel = { runKernel(call: KernelCall): RecurrentPass };

/** ragged's attention seq2seq, one training step per `step()`. */
function raggedSeq2Seq(seed: number) {
  const rng = new Random(seed);
  const encoder = layers.lstm({ units: H, returnSequences: true });
  const decoder = layers.lstm({ units: H, returnSequences: true });
  const attention = layers.attention({});
  const head = layers.dense({ units: K, activation: "softmax" });
  encoder.build([null, null, C], rng);
  decoder.build([null, null, C], rng);
  attention.buildMany([[null, null, H], [null, null, H]], rng);
  head.build([null, null, 2 * H], rng);
  const weights: Variable[] = [...encoder.trainableWeights, ...decoder.trainableWeights, ...attention.trainableWeights, ...head.trainableWeights];
  const optimizer = new Adam({ learningRate: 1e-3 });
  const loss = getLoss("categoricalCrossentropy");
  const ctx = { training: true, rng, needsGrad: true, inputNeedsGrad: false };
  const seqOf = (p: { layout: PackedLayout; data: Float32Array; features: number }): SequenceValue => ({ kind: "sequence", layout: p.layout, data: p.data, width: p.features });

  return (batch: Seq2SeqBatch): number => {
    for (const w of weights) w.grad.fill(0);
    const src = packBatch(batch.src, { features: C });
    const tgt = packBatch(batch.tgt, { features: C });
    const y = packBatch(batch.y, { features: K });
    const Nt = tgt.layout.totalSteps;
    // encoder; decoder from the encoder's final states (moved into the target layout's order)
    const enc = encoder.forward(seqOf(src), ctx);
    const E = enc.output as SequenceValue;
    const encStates = (encoder as unknown as { lastFinalStates: Float32Array[] }).lastFinalStates;
    const initial = encStates.map((s) => reorder(s, src.layout, tgt.layout, H));
    const dec = (decoder as unknown as WithKernel).runKernel({ layout: tgt.layout, x: tgt.data, C, initial, mask: null, recurrentMask: null, needsGrad: true });
    const D: SequenceValue = { kind: "sequence", layout: tgt.layout, data: dec.h, width: H };
    const att = attention.forwardMany([D, E], ctx);
    const ctxRows = att.outputs[0].data;
    const x = new Float32Array(Nt * 2 * H);
    for (let r = 0; r < Nt; r++) {
      x.set(D.data.subarray(r * H, (r + 1) * H), r * 2 * H);
      x.set(ctxRows.subarray(r * H, (r + 1) * H), r * 2 * H + H);
    }
    const out = head.forward({ kind: "sequence", layout: tgt.layout, data: x, width: 2 * H }, { ...ctx, inputNeedsGrad: true });
    const reduced = reduceLoss({ loss, pred: out.output.data, target: y.data, rows: Nt, width: K, mask: null, weights: null, withGrad: true });
    // backward
    const dx = out.backward({ ...out.output, data: reduced.grad as Float32Array } as LayerValue)!.data;
    const dD = new Float32Array(Nt * H);
    const dCtx = new Float32Array(Nt * H);
    for (let r = 0; r < Nt; r++) {
      dD.set(dx.subarray(r * 2 * H, r * 2 * H + H), r * H);
      dCtx.set(dx.subarray(r * 2 * H + H, (r + 1) * 2 * H), r * H);
    }
    const [dDatt, dE] = att.backward([{ ...att.outputs[0], data: dCtx }]) as LayerValue[];
    for (let i = 0; i < dD.length; i++) dD[i] += dDatt.data[i];
    const { dInitial } = dec.backward(dD, [null, null], false);
    const dFinal = dInitial.map((s) => reorder(s, tgt.layout, src.layout, H));
    (enc.backward as (d: LayerValue, dStates: Float32Array[]) => LayerValue | null)(dE, dFinal);
    optimizer.apply(weights);
    return reduced.value;
  };
}

/** The python child (one JSON line each way). */
class TorchAttentionChild {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = "";

  constructor() {
    const script = fileURLToPath(new URL("./pytorch_attention_step.py", import.meta.url));
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "1", MALLOC_MMAP_MAX_: "0" };
    delete env.OMP_NUM_THREADS;
    this.proc = spawn(PYTHON, [script, "--threads", "2"], { env, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stderr.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.proc.on("exit", () => {
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ error: `python exited: ${this.stderr}` }));
    });
    createInterface({ input: this.proc.stdout }).on("line", (line) => this.waiting.shift()?.(line));
  }

  async request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(JSON.stringify(msg) + "\n");
    });
    const reply = JSON.parse(line) as Record<string, unknown>;
    if (typeof reply.error === "string") throw new Error(`pytorch_attention_step.py: ${reply.error}`);
    return reply;
  }

  async close(): Promise<void> {
    try {
      await this.request({ cmd: "quit" });
    } catch {
      // gone already
    }
    await sleep(100);
    this.proc.kill();
  }
}

const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

async function torchContender(child: TorchAttentionChild, batch: Seq2SeqBatch, name: string, threads: number, rounds: number, warmup: number): Promise<Contender & { inner: number[] }> {
  const Ts = maxLength(batch.src), Tt = maxLength(batch.tgt);
  await child.request({
    cmd: "load", name, B: batch.src.length, Ts, Tt, C, H, K,
    src: b64(flatPadded(batch.src, Ts, C)), tgt: b64(flatPadded(batch.tgt, Tt, C)), y: b64(flatPadded(batch.y, Tt, K)),
    srcLengths: batch.src.map((s) => s.length), tgtLengths: batch.tgt.map((s) => s.length), warmup: 3, threads,
  });
  const inner: number[] = [];
  let last: number[] = [];
  return {
    name, rounds, warmup, inner,
    prepare: settle,
    run: async () => {
      const r = await child.request({ cmd: "run", name, steps: 1, threads });
      last = r.ms as number[];
      return r.loss as number;
    },
    after: () => inner.push(...last),
  };
}

export async function attentionSection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const B = Math.min(o.batch, 256);
  print(heading(`attention seq2seq step: batch ${B}, LSTM ${H} encoder + decoder, Luong attention, Dense ${K}, Adam`));
  if (spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore", timeout: 120_000 }).status !== 0) {
    print("PyTorch: not available (python3-torch); section skipped.");
    return;
  }
  const batch = makeBatch(B, 11);
  print(`source Σ lengths ${totalSteps(batch.src)} (max ${maxLength(batch.src)}), target Σ lengths ${totalSteps(batch.tgt)} (max ${maxLength(batch.tgt)})`);
  const initial: Kernels = kernels();
  const child = new TorchAttentionChild();
  try {
    const info = await child.request({ cmd: "info" });
    print(`PyTorch ${String(info.torch)}, python ${String(info.python)}`);
    const R_WASM = "ragged step (wasm kernels)";
    const R_JS = "ragged step (js kernels)";
    const P2 = "PyTorch step, 2 threads";
    const P1 = "PyTorch step, 1 thread";
    const wasmStep = raggedSeq2Seq(1);
    const jsStep = raggedSeq2Seq(1);
    const ragged = (name: string, step: (b: Seq2SeqBatch) => number, kernelSet: "js" | "wasm"): Contender => ({
      name, rounds: o.rounds, warmup: o.warmup,
      prepare: async () => {
        await settle();
        if (kernelSet === "js") setKernels(jsKernels);
        else if (!useFastKernels()) throw new Error("no WebAssembly SIMD here");
      },
      run: () => step(batch),
    });
    const p2 = await torchContender(child, batch, P2, 2, o.rounds, o.warmup);
    const p1 = await torchContender(child, batch, P1, 1, o.rounds, o.warmup);
    const timings: Timings[] = (await interleave([ragged(R_WASM, wasmStep, "wasm"), ragged(R_JS, jsStep, "js"), p2, p1], { label: "attention" }))
      .map((t) => (t.name === P2 ? { ...t, samples: [...p2.inner] } : t.name === P1 ? { ...t, samples: [...p1.inner] } : t));
    print(timingTable(timings));
    print("");
    for (const [pl, pn] of [["PyTorch-2-threads", P2], ["PyTorch-1-thread", P1]] as const) {
      for (const [rl, rn] of [["ragged-wasm", R_WASM], ["ragged-js", R_JS]] as const) print(ratioLine(rl, find(timings, rn), pl, find(timings, pn)));
    }
    const best = Math.min(find(timings, P2).median, find(timings, P1).median);
    print(`ragged-wasm / PyTorch-best = ${(find(timings, R_WASM).median / best).toFixed(3)} (medians; PyTorch timed inside python, ${ms(summarize(p2.inner).median)} / ${ms(summarize(p1.inner).median)} ms)`);
  } finally {
    setKernels(initial);
    await child.close();
  }
}

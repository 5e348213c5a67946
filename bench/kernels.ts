// Kernel micro-benchmark: the JS reference against the WebAssembly SIMD kernels.
//
//   npx tsx bench/kernels.ts            the build Node 20 loads by default: plain SIMD
//   node --experimental-wasm-relaxed-simd --import tsx bench/kernels.ts     the relaxed-SIMD build
//   (tsx: `npm i --no-save tsx` if missing)
//
// Prints GFLOP/s for GEMM (the wasm call as layers see it — copies in and out included — and the
// in-wasm kernel alone, data already in wasm memory) and the time of one lstmForward + lstmBackward
// of the benchmark model's two layers (C=5, H=32 and C=32, H=8; B=1000, T=55), and of a GRU (both
// forms) and a SimpleRNN layer of the first layer's shape, and layer and batch normalization's
// forward + backward on the rows of the benchmark batch (55 000 × 64). Every number is
// the median of interleaved runs after a warm-up (V8 runs wasm 4–5× slower until it tiers up).
// The LSTM lines also give the process CPU time (user + system) per run: on a shared, loaded
// machine wall time inflates while CPU time stays close to the unloaded wall time.
import { gemm, type GemmArgs } from "../src/core/kernels/gemm.js";
import { lstmBackward, lstmForward, type LstmBackwardArgs, type LstmForwardArgs } from "../src/core/kernels/lstm.js";
import { Act } from "../src/core/kernels/activations.js";
import { gruBackward, gruForward } from "../src/core/kernels/gru.js";
import { simpleRnnBackward, simpleRnnForward } from "../src/core/kernels/simple_rnn.js";
import { layerNormBackward, layerNormForward, type LayerNormBackwardArgs, type LayerNormForwardArgs } from "../src/core/kernels/layer_norm.js";
import { batchNormBackward, batchNormForward, batchNormStatistics } from "../src/core/kernels/batch_norm.js";
import {
  wasmBatchNormBackward, wasmBatchNormForward, wasmBatchNormStatistics, wasmGemm, wasmGruBackward, wasmGruForward, wasmLayerNormBackward, wasmLayerNormForward, wasmLstmBackward, wasmLstmForward,
  wasmSimdSupported, wasmSimpleRnnBackward, wasmSimpleRnnForward,
} from "../src/core/kernels/wasm.js";
import { loadRaggedWasm, WasmBlockPlan, wasmVariant } from "../src/core/wasm/loader.js";
import { packLayout } from "../src/data/packed.js";
import { Random } from "../src/core/random.js";

const rng = new Random(1);
function randomArray(n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * scale;
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs every candidate `rounds` times, interleaved, after `warmup` rounds; returns median ms. */
function timeInterleaved(candidates: Record<string, () => void>, rounds: number, warmup = 5): Record<string, number> {
  const times: Record<string, number[]> = {};
  for (const name of Object.keys(candidates)) times[name] = [];
  for (let r = 0; r < warmup + rounds; r++) {
    for (const [name, run] of Object.entries(candidates)) {
      const t0 = performance.now();
      run();
      const dt = performance.now() - t0;
      if (r >= warmup) times[name].push(dt);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, ts] of Object.entries(times)) out[name] = median(ts);
  return out;
}

function inWasmGemm(M: number, N: number, K: number, transA: boolean, transB: boolean): () => void {
  const wasm = loadRaggedWasm();
  if (wasm === null) return () => {};
  // a private region far above what the other calls use, so that they do not overwrite it
  // a block of its own (never freed), so that the other calls do not overwrite it
  const plan = new WasmBlockPlan();
  const { p } = plan.place(wasm, {
    out: plan.floats(M * N), a: plan.floats(M * K), b: plan.floats(K * N), scratch: plan.reserve(wasm.gemmScratchBytes(N, K, transB ? 1 : 0)),
  })!;
  const { out: pOut, a: pA, b: pB, scratch: pScratch } = p;
  new Float32Array(wasm.memory.buffer).set(randomArray(M * K), pA >> 2);
  new Float32Array(wasm.memory.buffer).set(randomArray(K * N), pB >> 2);
  return () => wasm.gemm(pOut, pA, pB, M, N, K, transA ? 1 : 0, transB ? 1 : 0, 0, pScratch);
}

function benchGemm(label: string, M: number, N: number, K: number, transA = false, transB = false): void {
  const args: GemmArgs = { out: new Float32Array(M * N), a: randomArray(M * K), b: randomArray(K * N), M, N, K, transA, transB };
  const flop = 2 * M * N * K;
  const t = timeInterleaved({
    js: () => gemm(args),
    wasm: () => wasmGemm(args),
    inWasm: inWasmGemm(M, N, K, transA, transB),
  }, 21);
  const gf = (ms: number): string => (flop / ms / 1e6).toFixed(1).padStart(6);
  console.log(
    `gemm ${label.padEnd(24)} js ${gf(t.js)} GFLOP/s   wasm call ${gf(t.wasm)} GFLOP/s   in wasm ${gf(t.inWasm)} GFLOP/s` +
    `   (${t.js.toFixed(2)} / ${t.wasm.toFixed(2)} / ${t.inWasm.toFixed(2)} ms)`,
  );
}

/** One forward + backward entirely in wasm memory (no copies, no allocation): what the API adds. */
function inWasmLstm(C: number, H: number, B: number, T: number): () => void {
  const wasm = loadRaggedWasm();
  if (wasm === null) return () => {};
  const layout = packLayout(new Array(B).fill(T));
  const N = layout.totalSteps, G = 4 * H;
  const plan = new WasmBlockPlan(); // a block of its own (never freed), so the API calls do not overwrite it
  const f = (n: number): number => plan.floats(n);
  const rel = {
    gates: f(N * G), c: f(N * H), cAct: f(N * H), h: f(N * H), x: f(N * C), W: f(C * G), U: f(H * G), bias: f(G),
    h0: f(B * H), c0: f(B * H), offsets: f(T + 1), batchSizes: f(T), fScratch: plan.reserve(wasm.lstmForwardScratchBytes(C, H)),
    dx: f(N * C), dhNext: f(B * H), dcNext: f(B * H), gWU: f((C + H) * G), gb: f(G), dh: f(N * H), dzStep: f(B * G + 8),
    bScratch: plan.reserve(wasm.lstmBackwardScratchBytes(C, H)),
  };
  const { p } = plan.place(wasm, rel)!;
  const mem = new Float32Array(wasm.memory.buffer);
  mem.set(randomArray(N * C), p.x >> 2);
  mem.set(randomArray(C * G, 0.3), p.W >> 2);
  mem.set(randomArray(H * G, 0.3), p.U >> 2);
  mem.set(randomArray(N * H), p.dh >> 2);
  new Int32Array(wasm.memory.buffer).set(layout.offsets, p.offsets >> 2);
  new Int32Array(wasm.memory.buffer).set(layout.batchSizes, p.batchSizes >> 2);
  const tanh = Act.Tanh, sigmoid = Act.Sigmoid;
  return () => {
    wasm.lstmForward(p.gates, p.c, p.cAct, p.h, p.h, p.x, p.W, p.U, p.bias, p.h0, p.c0, p.offsets, p.batchSizes, 0, 0, T, N, C, H, tanh, sigmoid, p.fScratch);
    new Float32Array(wasm.memory.buffer).fill(0, p.dhNext >> 2, (p.dhNext >> 2) + 2 * B * H); // dhNext, dcNext: no final-state gradient
    wasm.lstmBackward(p.dx, p.dhNext, p.dcNext, p.gWU, p.gb, p.x, p.W, p.U, p.gates, p.c, p.cAct, p.h, p.h0, p.c0,
      p.dh, p.offsets, p.batchSizes, 0, 0, T, C, H, tanh, sigmoid, p.dzStep, p.bScratch);
  };
}

function benchLstm(C: number, H: number, B: number, T: number): void {
  const layout = packLayout(new Array(B).fill(T));
  const N = layout.totalSteps, G = 4 * H;
  const weights = { kernel: randomArray(C * G, 0.3), recurrentKernel: randomArray(H * G, 0.3), bias: randomArray(G, 0.1) };
  const fwd: LstmForwardArgs = { layout, x: randomArray(N * C), C, H, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid };
  const grads = { kernel: new Float32Array(C * G), recurrentKernel: new Float32Array(H * G), bias: new Float32Array(G) };
  const dh = randomArray(N * H);
  const bwd = (cache: ReturnType<typeof lstmForward>): LstmBackwardArgs => ({
    cache, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, dh, dhLast: null, dcLast: null, grads, needInputGrad: true,
  });
  let jsF = 0, jsB = 0, wF = 0, wB = 0;
  const split = { jsF: [] as number[], jsB: [] as number[], wF: [] as number[], wB: [] as number[] };
  const cpu = { js: [] as number[], wasm: [] as number[], inWasm: [] as number[] };
  const inWasm = inWasmLstm(C, H, B, T);
  const cpuMs = (run: () => void): number => {
    const before = process.cpuUsage();
    run();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };
  const t = timeInterleaved({
    js: () => cpu.js.push(cpuMs(() => {
      const t0 = performance.now();
      const cache = lstmForward(fwd);
      const t1 = performance.now();
      lstmBackward(bwd(cache));
      jsF = t1 - t0; jsB = performance.now() - t1;
      split.jsF.push(jsF); split.jsB.push(jsB);
    })),
    wasm: () => cpu.wasm.push(cpuMs(() => {
      const t0 = performance.now();
      const cache = wasmLstmForward(fwd);
      const t1 = performance.now();
      wasmLstmBackward(bwd(cache));
      wF = t1 - t0; wB = performance.now() - t1;
      split.wF.push(wF); split.wB.push(wB);
    })),
    inWasm: () => cpu.inWasm.push(cpuMs(inWasm)),
  }, 9, 3);
  console.log(
    `lstm C=${C} H=${H} B=${B} T=${T}: forward+backward js ${t.js.toFixed(1)} ms ` +
    `(fwd ${median(split.jsF).toFixed(1)}, bwd ${median(split.jsB).toFixed(1)}), ` +
    `wasm ${t.wasm.toFixed(1)} ms (fwd ${median(split.wF).toFixed(1)}, bwd ${median(split.wB).toFixed(1)}): ` +
    `${(t.js / t.wasm).toFixed(1)}× faster\n    CPU time: js ${median(cpu.js).toFixed(1)} ms, wasm ${median(cpu.wasm).toFixed(1)} ms ` +
    `(in wasm alone ${median(cpu.inWasm).toFixed(1)} ms wall ${t.inWasm.toFixed(1)} ms; the rest: copying x, h, dh, dx, weights in and out)`,
  );
}

/** GRU (both forms) and SimpleRNN forward + backward, JS reference against wasm (wall and CPU). */
function benchOtherRnn(kind: "gru" | "gru resetAfter=false" | "simpleRnn", C: number, H: number, B: number, T: number): void {
  const layout = packLayout(new Array(B).fill(T));
  const N = layout.totalSteps;
  const x = randomArray(N * C);
  const dh = randomArray(N * H);
  const cpuMs = (run: () => void): number => {
    const before = process.cpuUsage();
    run();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };
  let js: () => void, wasm: () => void;
  if (kind === "simpleRnn") {
    const weights = { kernel: randomArray(C * H, 0.3), recurrentKernel: randomArray(H * H, 0.3), bias: randomArray(H, 0.1) };
    const grads = { kernel: new Float32Array(C * H), recurrentKernel: new Float32Array(H * H), bias: new Float32Array(H) };
    const fwd = { layout, x, C, H, weights, activation: Act.Tanh };
    const bwd = (cache: ReturnType<typeof simpleRnnForward>) => ({ cache, weights, activation: Act.Tanh, dh, dhLast: null, grads, needInputGrad: true });
    js = () => simpleRnnBackward(bwd(simpleRnnForward(fwd)));
    wasm = () => wasmSimpleRnnBackward(bwd(wasmSimpleRnnForward(fwd)));
  } else {
    const resetAfter = kind === "gru";
    const G = 3 * H;
    const weights = { kernel: randomArray(C * G, 0.3), recurrentKernel: randomArray(H * G, 0.3), bias: randomArray(resetAfter ? 2 * G : G, 0.1) };
    const grads = { kernel: new Float32Array(C * G), recurrentKernel: new Float32Array(H * G), bias: new Float32Array(resetAfter ? 2 * G : G) };
    const fwd = { layout, x, C, H, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, resetAfter };
    const bwd = (cache: ReturnType<typeof gruForward>) => ({ cache, weights, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, dh, dhLast: null, grads, needInputGrad: true });
    js = () => gruBackward(bwd(gruForward(fwd)));
    wasm = () => wasmGruBackward(bwd(wasmGruForward(fwd)));
  }
  const cpu = { js: [] as number[], wasm: [] as number[] };
  const t = timeInterleaved({ js: () => cpu.js.push(cpuMs(js)), wasm: () => cpu.wasm.push(cpuMs(wasm)) }, 7, 2);
  console.log(
    `${kind} C=${C} H=${H} B=${B} T=${T}: forward+backward js ${t.js.toFixed(1)} ms, wasm ${t.wasm.toFixed(1)} ms ` +
    `(${(t.js / t.wasm).toFixed(1)}×); CPU time: js ${median(cpu.js).toFixed(1)} ms, wasm ${median(cpu.wasm).toFixed(1)} ms`,
  );
}

/** Layer normalization forward + backward over M rows of C features (gamma and beta, dx wanted). */
function benchLayerNorm(M: number, C: number): void {
  const fwd: LayerNormForwardArgs = {
    out: new Float32Array(M * C), mean: new Float32Array(M), rstd: new Float32Array(M), x: randomArray(M * C),
    gamma: randomArray(C), beta: randomArray(C), M, C, epsilon: 1e-3,
  };
  const bwd: LayerNormBackwardArgs = {
    dx: new Float32Array(M * C), dGamma: new Float32Array(C), dBeta: new Float32Array(C), dOut: randomArray(M * C),
    x: fwd.x, mean: fwd.mean, rstd: fwd.rstd, gamma: fwd.gamma, M, C,
  };
  const t = timeInterleaved({
    jsF: () => layerNormForward(fwd), jsB: () => layerNormBackward(bwd),
    wasmF: () => wasmLayerNormForward(fwd), wasmB: () => wasmLayerNormBackward(bwd),
  }, 21);
  console.log(
    `layerNorm ${M}x${C}: js ${(t.jsF + t.jsB).toFixed(1)} ms (fwd ${t.jsF.toFixed(1)}, bwd ${t.jsB.toFixed(1)}), ` +
    `wasm ${(t.wasmF + t.wasmB).toFixed(1)} ms (fwd ${t.wasmF.toFixed(1)}, bwd ${t.wasmB.toFixed(1)}; copies in and out included): ` +
    `${((t.jsF + t.jsB) / (t.wasmF + t.wasmB)).toFixed(1)}× faster`,
  );
}

/** Batch normalization in training: statistics, forward and backward over M rows of C features. */
function benchBatchNorm(M: number, C: number): void {
  const x = randomArray(M * C);
  const dOut = randomArray(M * C);
  const gamma = randomArray(C), beta = randomArray(C);
  const mean = new Float32Array(C), variance = new Float32Array(C);
  const out = new Float32Array(M * C), dx = new Float32Array(M * C), dGamma = new Float32Array(C), dBeta = new Float32Array(C);
  const step = (k: { stats: typeof batchNormStatistics; fwd: typeof batchNormForward; bwd: typeof batchNormBackward }) => () => {
    const count = k.stats({ mean, variance, x, rowMask: null, M, C });
    k.fwd({ out, x, mean, variance, gamma, beta, M, C, epsilon: 1e-3 });
    k.bwd({ dx, dGamma, dBeta, dOut, x, mean, variance, gamma, rowMask: null, count, batchStatistics: true, M, C, epsilon: 1e-3 });
  };
  const t = timeInterleaved({
    js: step({ stats: batchNormStatistics, fwd: batchNormForward, bwd: batchNormBackward }),
    wasm: step({ stats: wasmBatchNormStatistics, fwd: wasmBatchNormForward, bwd: wasmBatchNormBackward }),
  }, 21);
  console.log(`batchNorm ${M}x${C} (statistics + forward + backward): js ${t.js.toFixed(1)} ms, wasm ${t.wasm.toFixed(1)} ms (copies in and out included): ${(t.js / t.wasm).toFixed(1)}× faster`);
}

if (!wasmSimdSupported()) {
  console.log("WebAssembly SIMD is not supported here: nothing to compare.");
} else {
  console.log(`node ${process.version}, wasm build "${wasmVariant()}"; medians of interleaved runs after warm-up`);
  benchGemm("1000x37 · 37x128", 1000, 128, 37);
  benchGemm("55000x5 · 5x128", 55000, 128, 5);
  benchGemm("1000x32 · 32x128", 1000, 128, 32);
  benchGemm("(1000x37)T · 1000x128", 37, 128, 1000, true, false);
  benchGemm("1000x128 · (37x128)T", 1000, 37, 128, false, true);
  benchGemm("(55000x32)T · 55000x128", 32, 128, 55000, true, false);
  benchLstm(5, 32, 1000, 55);
  benchLstm(32, 8, 1000, 55);
  benchOtherRnn("gru", 5, 32, 1000, 55);
  benchOtherRnn("gru resetAfter=false", 5, 32, 1000, 55);
  benchOtherRnn("simpleRnn", 5, 32, 1000, 55);
  benchLayerNorm(55000, 64);
  benchBatchNorm(55000, 64);
}

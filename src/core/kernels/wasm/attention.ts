/**
 * Attention in WebAssembly SIMD: `wasmAttentionForward` / `wasmAttentionBackward`, the fast twins
 * of `attentionForward` / `attentionBackward` in ../attention.ts (the spec; NOTE [ attention
 * problems ]). Each call copies its inputs into wasm memory, runs every problem there (one GEMM
 * per product, vectorised softmax and tanh scores) and copies the results out; the cache is the
 * spec's (plain arrays), so either backward takes either forward's cache. Anything the wasm
 * kernel cannot take — no wasm, arrays shorter than the shapes say, sizes that are not counts,
 * more memory than the limit — runs the reference.
 */
import { absentOrFits, isCount } from "./_fits.js";
import { stepCopy } from "../../step_buffers.js";
import { floatsAt, putFloats } from "./_copy.js";
import {
  attentionBackward, attentionForward,
  type AttentionBackwardArgs, type AttentionForwardArgs, type AttentionForwardResult, type AttentionGrads, type AttentionProblems,
} from "../attention.js";
import { loadRaggedWasm, WasmArena, type RaggedWasmExports } from "../../wasm/loader.js";

const SCORE_DOT = 0;
const SCORE_TANH = 1;

/** The largest Lq, Lk and Lq·Lk of the problems. */
function extents(problems: AttentionProblems): { maxLq: number; maxLk: number; maxBlock: number } {
  let maxLq = 0, maxLk = 0, maxBlock = 0;
  for (let p = 0; p < problems.count; p++) {
    const lq = problems.qLengths[p], lk = problems.kLengths[p];
    maxLq = Math.max(maxLq, lq);
    maxLk = Math.max(maxLk, lk);
    maxBlock = Math.max(maxBlock, lq * lk);
  }
  return { maxLq, maxLk, maxBlock };
}

function argsFit(args: AttentionForwardArgs): boolean {
  const { problems: pr, q, k, v, Dk, Dv, score } = args;
  return isCount(Dk) && isCount(Dv) && Dk > 0 && Dv > 0 &&
    q.length >= pr.totalQ * Dk && k.length >= pr.totalK * Dk && v.length >= pr.totalK * Dv &&
    (score.kind === "dot" || score.weights.length >= Dk) && absentOrFits(args.dropoutMask, pr.totalScores);
}

/** Reserves the problem tables and the shared inputs in `arena`; returns their addresses. */
function placeInputs(wasm: RaggedWasmExports, arena: WasmArena, args: AttentionForwardArgs) {
  const { problems: pr, Dk, Dv } = args;
  const { maxLq, maxLk, maxBlock } = extents(pr);
  return {
    maxBlock,
    qLengths: arena.reserve(pr.count * 4),
    kLengths: arena.reserve(pr.count * 4),
    qStarts: arena.reserve(pr.count * 4),
    kStarts: arena.reserve(pr.count * 4),
    sStarts: arena.reserve(pr.count * 4),
    q: arena.floats(pr.totalQ * Dk),
    k: arena.floats(pr.totalK * Dk),
    v: arena.floats(pr.totalK * Dv),
    w: arena.floats(Dk),
    mask: args.dropoutMask ? arena.floats(pr.totalScores) : 0,
    scratch: arena.reserve(wasm.attentionScratchBytes(maxLq, maxLk, Dk, Dv)),
  };
}

function writeInputs(arena: WasmArena, at: ReturnType<typeof placeInputs>, args: AttentionForwardArgs): void {
  const { problems: pr, Dk, Dv, score } = args;
  const i32 = arena.i32;
  i32.set(pr.qLengths, at.qLengths >> 2);
  i32.set(pr.kLengths, at.kLengths >> 2);
  i32.set(pr.qStarts, at.qStarts >> 2);
  i32.set(pr.kStarts, at.kStarts >> 2);
  i32.set(pr.sStarts, at.sStarts >> 2);
  const mem = arena.f32;
  putFloats(mem, at.q, args.q, pr.totalQ * Dk);
  putFloats(mem, at.k, args.k, pr.totalK * Dk);
  putFloats(mem, at.v, args.v, pr.totalK * Dv);
  if (score.kind === "tanh") putFloats(mem, at.w, score.weights, Dk);
  if (args.dropoutMask) putFloats(mem, at.mask, args.dropoutMask, pr.totalScores);
}

function scoreArgs(args: AttentionForwardArgs): [kind: number, scale: number, inner: number] {
  const s = args.score;
  return s.kind === "dot" ? [SCORE_DOT, s.scale, 1] : [SCORE_TANH, 1, s.inner];
}

// q: [ΣLq,Dk], k: [ΣLk,Dk], v: [ΣLk,Dv] → out: [ΣLq,Dv], probs: [ΣLq·Lk]
export function wasmAttentionForward(args: AttentionForwardArgs): AttentionForwardResult {
  const wasm = loadRaggedWasm();
  if (wasm === null || !argsFit(args)) return attentionForward(args);
  const { problems: pr, Dv } = args;
  const arena = new WasmArena(wasm);
  const at = placeInputs(wasm, arena, args);
  const out = arena.floats(pr.totalQ * Dv);
  const probs = arena.floats(pr.totalScores);
  if (!arena.commit()) return attentionForward(args);
  writeInputs(arena, at, args);
  const [kind, scale, inner] = scoreArgs(args);
  wasm.attentionForward(
    out, probs, at.q, at.k, at.v, at.qLengths, at.kLengths, at.qStarts, at.kStarts, at.sStarts, pr.count,
    args.Dk, Dv, kind, scale, at.w, inner, args.causal ? 1 : 0, at.mask, at.maxBlock, at.scratch,
  );
  const mem = arena.f32;
  return {
    out: stepCopy(floatsAt(mem, out, pr.totalQ * Dv)),
    cache: { ...args, probs: stepCopy(floatsAt(mem, probs, pr.totalScores)) },
  };
}

// dOut: [ΣLq,Dv] (+ dProbs: [ΣLq·Lk]) → dq: [ΣLq,Dk], dk: [ΣLk,Dk], dv: [ΣLk,Dv], dScale, dWeights: [Dk]
export function wasmAttentionBackward(args: AttentionBackwardArgs): AttentionGrads {
  const { cache } = args;
  const wasm = loadRaggedWasm();
  const { problems: pr, Dk, Dv } = cache;
  const fits = argsFit(cache) && cache.probs.length >= pr.totalScores &&
    args.dOut.length >= pr.totalQ * Dv && absentOrFits(args.dProbs, pr.totalScores);
  if (wasm === null || !fits) return attentionBackward(args);
  const arena = new WasmArena(wasm);
  const at = placeInputs(wasm, arena, cache);
  const probs = arena.floats(pr.totalScores);
  const dOut = arena.floats(pr.totalQ * Dv);
  const dProbs = args.dProbs ? arena.floats(pr.totalScores) : 0;
  const dq = arena.floats(pr.totalQ * Dk);
  const dk = arena.floats(pr.totalK * Dk);
  const dv = arena.floats(pr.totalK * Dv);
  const dW = arena.floats(Dk);
  const dScale = arena.floats(1);
  if (!arena.commit()) return attentionBackward(args);
  writeInputs(arena, at, cache);
  const mem = arena.f32;
  putFloats(mem, probs, cache.probs, pr.totalScores);
  putFloats(mem, dOut, args.dOut, pr.totalQ * Dv);
  if (args.dProbs) putFloats(mem, dProbs, args.dProbs, pr.totalScores);
  mem.fill(0, dW >> 2, (dScale >> 2) + 1); // dW and dScale accumulate from zero
  const [kind, scale, inner] = scoreArgs(cache);
  wasm.attentionBackward(
    dq, dk, dv, dW, dScale, probs, at.q, at.k, at.v, dOut, dProbs,
    at.qLengths, at.kLengths, at.qStarts, at.kStarts, at.sStarts, pr.count,
    Dk, Dv, kind, scale, at.w, inner, cache.causal ? 1 : 0, at.mask, at.maxBlock, at.scratch,
  );
  const res = arena.f32;
  return {
    dq: stepCopy(floatsAt(res, dq, pr.totalQ * Dk)),
    dk: stepCopy(floatsAt(res, dk, pr.totalK * Dk)),
    dv: stepCopy(floatsAt(res, dv, pr.totalK * Dv)),
    dScale: res[dScale >> 2],
    dWeights: cache.score.kind === "tanh" ? floatsAt(res, dW, Dk).slice() : new Float32Array(0),
  };
}

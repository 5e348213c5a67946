// Attention over ragged problems, forward and backward, in WebAssembly SIMD.
// The spec is src/core/kernels/attention.ts (see NOTE [ attention problems ] there): problem p has
// Lq query rows at qStarts[p], Lk key/value rows at kStarts[p], and an Lq × Lk score block at
// sStarts[p]. The dot score's products are this module's GEMM, one per problem; the softmax and
// the tanh scores are vectorised over 4 lanes with a scalar tail.
// All pointers are byte addresses (0 = absent); sizes are element counts; the tables are i32.
import { vexp, vtanh } from "./math";
import { gemm, gemmScratchBytes } from "./gemm";
import { ldv, stv } from "./rows";

export const SCORE_DOT: i32 = 0;
export const SCORE_TANH: i32 = 1;

/** Bytes of scratch forward or backward needs: two Lq × Lk blocks and the largest GEMM's. */
export function attentionScratchBytes(maxLq: i32, maxLk: i32, Dk: i32, Dv: i32): i32 {
  const n = max(maxLk, max(Dk, Dv));
  const k = max(max(maxLq, maxLk), max(Dk, Dv));
  const blocks = ((maxLq * maxLk * 4 + 15) & ~15) * 2;
  return blocks + max(gemmScratchBytes(n, k, 0), gemmScratchBytes(n, k, 1));
}

@inline function i32At(table: usize, p: i32): i32 {
  return load<i32>(table + (<usize>p << 2));
}

@inline function allowed(i: i32, Lk: i32, causal: i32): i32 {
  return causal != 0 ? min(Lk, i + 1) : Lk;
}

// q: [ΣLq,Dk], k: [ΣLk,Dk], v: [ΣLk,Dv], w: [Dk] (tanh), mask: [ΣLq·Lk] (or 0) → out: [ΣLq,Dv], probs: [ΣLq·Lk]
export function attentionForward(
  out: usize, probs: usize, q: usize, k: usize, v: usize,
  qLengths: usize, kLengths: usize, qStarts: usize, kStarts: usize, sStarts: usize, P: i32,
  Dk: i32, Dv: i32, kind: i32, scale: f32, w: usize, inner: f32, causal: i32, mask: usize,
  maxBlock: i32, scratch: usize,
): void {
  const dropped = scratch;
  const gemmScratch = scratch + (<usize>((maxBlock * 4 + 15) & ~15) << 1);
  for (let p = 0; p < P; p++) {
    const Lq = i32At(qLengths, p), Lk = i32At(kLengths, p);
    const qp = q + (<usize>i32At(qStarts, p) * Dk << 2);
    const kp = k + (<usize>i32At(kStarts, p) * Dk << 2);
    const vp = v + (<usize>i32At(kStarts, p) * Dv << 2);
    const op = out + (<usize>i32At(qStarts, p) * Dv << 2);
    const sp = probs + (<usize>i32At(sStarts, p) << 2);
    if (Lq == 0) continue;
    if (Lk == 0) {
      memory.fill(op, 0, <usize>Lq * Dv << 2);
      continue;
    }
    if (kind == SCORE_DOT) {
      gemm(sp, qp, kp, Lq, Lk, Dk, 0, 1, 0, gemmScratch);
      if (scale != 1) scaleArray(sp, Lq * Lk, scale);
    } else {
      tanhScores(sp, qp, kp, Lq, Lk, Dk, w, inner, causal);
    }
    for (let i = 0; i < Lq; i++) softmaxRow(sp + (<usize>(i * Lk) << 2), Lk, allowed(i, Lk, causal));
    let weights = sp;
    if (mask != 0) {
      multiplyInto(dropped, sp, mask + (<usize>i32At(sStarts, p) << 2), Lq * Lk);
      weights = dropped;
    }
    gemm(op, weights, vp, Lq, Dv, Lk, 0, 0, 0, gemmScratch);
  }
}

// dOut: [ΣLq,Dv], dProbs: [ΣLq·Lk] (or 0) → dq: [ΣLq,Dk], dk: [ΣLk,Dk], dv: [ΣLk,Dv] (overwritten);
// dW: [Dk] (+=, tanh); dScale: one f32 (+=: ∂L/∂scale for dot, ∂L/∂inner for tanh)
export function attentionBackward(
  dq: usize, dk: usize, dv: usize, dW: usize, dScale: usize,
  probs: usize, q: usize, k: usize, v: usize, dOut: usize, dProbs: usize,
  qLengths: usize, kLengths: usize, qStarts: usize, kStarts: usize, sStarts: usize, P: i32,
  Dk: i32, Dv: i32, kind: i32, scale: f32, w: usize, inner: f32, causal: i32, mask: usize,
  maxBlock: i32, scratch: usize,
): void {
  const blockBytes = <usize>((maxBlock * 4 + 15) & ~15);
  const dropped = scratch;
  const dS = scratch + blockBytes;
  const gemmScratch = scratch + (blockBytes << 1);
  let scaleGrad: f32 = 0;
  for (let p = 0; p < P; p++) {
    const Lq = i32At(qLengths, p), Lk = i32At(kLengths, p);
    const s0 = <usize>i32At(sStarts, p) << 2;
    const qp = q + (<usize>i32At(qStarts, p) * Dk << 2);
    const kp = k + (<usize>i32At(kStarts, p) * Dk << 2);
    const vp = v + (<usize>i32At(kStarts, p) * Dv << 2);
    const dqp = dq + (<usize>i32At(qStarts, p) * Dk << 2);
    const dkp = dk + (<usize>i32At(kStarts, p) * Dk << 2);
    const dvp = dv + (<usize>i32At(kStarts, p) * Dv << 2);
    const dop = dOut + (<usize>i32At(qStarts, p) * Dv << 2);
    const sp = probs + s0;
    if (Lq == 0 || Lk == 0) {
      // nothing attends: the gradients of this problem's rows are zero
      memory.fill(dqp, 0, <usize>Lq * Dk << 2);
      memory.fill(dkp, 0, <usize>Lk * Dk << 2);
      memory.fill(dvp, 0, <usize>Lk * Dv << 2);
      continue;
    }
    let weights = sp;
    if (mask != 0) {
      multiplyInto(dropped, sp, mask + s0, Lq * Lk);
      weights = dropped;
    }
    // dV = (P ⊙ M)ᵀ · dOut;  dP = (dOut · Vᵀ) ⊙ M (+ dProbs)
    gemm(dvp, weights, dop, Lk, Dv, Lq, 1, 0, 0, gemmScratch);
    gemm(dS, dop, vp, Lq, Lk, Dv, 0, 1, 0, gemmScratch);
    if (mask != 0) multiplyInto(dS, dS, mask + s0, Lq * Lk);
    if (dProbs != 0) addInto(dS, dProbs + s0, Lq * Lk);
    for (let i = 0; i < Lq; i++) {
      const o = <usize>(i * Lk) << 2;
      softmaxRowBackward(dS + o, sp + o, Lk);
    }
    if (kind == SCORE_DOT) {
      // G = dS · K; ∂scale += Σ Q ⊙ G; dQ = c·G; dK = c · dSᵀ · Q
      gemm(dqp, dS, kp, Lq, Dk, Lk, 0, 0, 0, gemmScratch);
      scaleGrad += dotArrays(qp, dqp, Lq * Dk);
      if (scale != 1) scaleArray(dqp, Lq * Dk, scale);
      gemm(dkp, dS, qp, Lk, Dk, Lq, 1, 0, 0, gemmScratch);
      if (scale != 1) scaleArray(dkp, Lk * Dk, scale);
    } else {
      memory.fill(dqp, 0, <usize>Lq * Dk << 2);
      memory.fill(dkp, 0, <usize>Lk * Dk << 2);
      scaleGrad += tanhScoresBackward(dqp, dkp, dW, dS, qp, kp, Lq, Lk, Dk, w, inner, causal);
    }
  }
  store<f32>(dScale, load<f32>(dScale) + scaleGrad);
}

/** x[0:n] *= c */
function scaleArray(x: usize, n: i32, c: f32): void {
  const cv = f32x4.splat(c);
  let e = 0;
  for (; e + 4 <= n; e += 4) {
    const o = <usize>e << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), cv));
  }
  for (; e < n; e++) {
    const o = <usize>e << 2;
    store<f32>(x + o, load<f32>(x + o) * c);
  }
}

/** out[0:n] = a ⊙ b (out may alias a) */
function multiplyInto(out: usize, a: usize, b: usize, n: i32): void {
  let e = 0;
  for (; e + 4 <= n; e += 4) {
    const o = <usize>e << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; e < n; e++) {
    const o = <usize>e << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** out[0:n] += a */
function addInto(out: usize, a: usize, n: i32): void {
  let e = 0;
  for (; e + 4 <= n; e += 4) {
    const o = <usize>e << 2;
    v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(a + o)));
  }
  for (; e < n; e++) {
    const o = <usize>e << 2;
    store<f32>(out + o, load<f32>(out + o) + load<f32>(a + o));
  }
}

/** Σ a ⊙ b over n floats */
function dotArrays(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let e = 0;
  for (; e + 4 <= n; e += 4) {
    const o = <usize>e << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = hsum(acc);
  for (; e < n; e++) {
    const o = <usize>e << 2;
    s += load<f32>(a + o) * load<f32>(b + o);
  }
  return s;
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Softmax of row[0:n] in place over its first `allowed` entries; the rest become 0. */
function softmaxRow(row: usize, n: i32, allowedKeys: i32): void {
  let m: f32 = -Infinity;
  for (let j = 0; j < allowedKeys; j++) m = max(m, load<f32>(row + (<usize>j << 2)));
  const mv = f32x4.splat(m);
  let sumv = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= allowedKeys; j += 4) {
    const o = <usize>j << 2;
    const e = vexp(f32x4.sub(v128.load(row + o), mv));
    v128.store(row + o, e);
    sumv = f32x4.add(sumv, e);
  }
  let sum = hsum(sumv);
  for (; j < allowedKeys; j++) {
    const o = <usize>j << 2;
    const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(row + o) - m)), 0);
    store<f32>(row + o, e);
    sum += e;
  }
  scaleArray(row, allowedKeys, <f32>1 / sum);
  if (n > allowedKeys) memory.fill(row + (<usize>allowedKeys << 2), 0, <usize>(n - allowedKeys) << 2);
}

/** d[0:n] ← P ⊙ (d − Σ P·d) */
function softmaxRowBackward(d: usize, prob: usize, n: i32): void {
  const dot = dotArrays(prob, d, n);
  const dv = f32x4.splat(dot);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(d + o, f32x4.mul(v128.load(prob + o), f32x4.sub(v128.load(d + o), dv)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(d + o, load<f32>(prob + o) * (load<f32>(d + o) - dot));
  }
}

// s[i·Lk + j] = Σ_d w_d · tanh(inner · (q_id + k_jd)) for the allowed keys j (0 elsewhere)
function tanhScores(s: usize, q: usize, k: usize, Lq: i32, Lk: i32, Dk: i32, w: usize, inner: f32, causal: i32): void {
  const iv = f32x4.splat(inner);
  const rowD = <usize>Dk << 2;
  for (let i = 0; i < Lq; i++) {
    const n = allowed(i, Lk, causal);
    const qi = q + <usize>i * rowD;
    const si = s + (<usize>(i * Lk) << 2);
    for (let j = 0; j < n; j++) {
      const kj = k + <usize>j * rowD;
      let acc = f32x4.splat(0);
      let d = 0;
      for (; d + 4 <= Dk; d += 4) {
        const o = <usize>d << 2;
        const t = vtanh(f32x4.mul(iv, f32x4.add(v128.load(qi + o), v128.load(kj + o))));
        acc = f32x4.add(acc, f32x4.mul(v128.load(w + o), t));
      }
      let sum = hsum(acc);
      for (; d < Dk; d++) {
        const o = <usize>d << 2;
        const t = f32x4.extract_lane(vtanh(f32x4.splat(inner * (load<f32>(qi + o) + load<f32>(kj + o)))), 0);
        sum += load<f32>(w + o) * t;
      }
      store<f32>(si + (<usize>j << 2), sum);
    }
    if (Lk > n) memory.fill(si + (<usize>n << 2), 0, <usize>(Lk - n) << 2);
  }
}

// dS: [Lq,Lk] → dq, dk (+=), dW (+=); returns ∂L/∂inner. Recomputes t = tanh(inner·(q + k)).
function tanhScoresBackward(
  dq: usize, dk: usize, dW: usize, dS: usize, q: usize, k: usize,
  Lq: i32, Lk: i32, Dk: i32, w: usize, inner: f32, causal: i32,
): f32 {
  const iv = f32x4.splat(inner);
  const one = f32x4.splat(1);
  const rowD = <usize>Dk << 2;
  let dInner = f32x4.splat(0);
  for (let i = 0; i < Lq; i++) {
    const n = allowed(i, Lk, causal);
    const qi = q + <usize>i * rowD;
    const dqi = dq + <usize>i * rowD;
    for (let j = 0; j < n; j++) {
      const g = load<f32>(dS + (<usize>(i * Lk + j) << 2));
      if (g == 0) continue;
      const gv = f32x4.splat(g);
      const kj = k + <usize>j * rowD;
      const dkj = dk + <usize>j * rowD;
      for (let d = 0; d < Dk; d += 4) {
        const full = d + 4 <= Dk;
        const steps = full ? 1 : Dk - d; // the tail goes one lane at a time
        for (let r = 0; r < steps; r++) {
          const o = <usize>(d + r) << 2;
          const u = f32x4.add(ldv(qi + o, full), ldv(kj + o, full));
          const t = vtanh(f32x4.mul(iv, u));
          stv(dW + o, f32x4.add(ldv(dW + o, full), f32x4.mul(gv, t)), full);
          const gu = f32x4.mul(f32x4.mul(gv, ldv(w + o, full)), f32x4.sub(one, f32x4.mul(t, t)));
          const gi = f32x4.mul(gu, iv);
          stv(dqi + o, f32x4.add(ldv(dqi + o, full), gi), full);
          stv(dkj + o, f32x4.add(ldv(dkj + o, full), gi), full);
          // one lane only in the tail (the splat repeats it in all four)
          dInner = f32x4.add(dInner, full ? f32x4.mul(gu, u) : f32x4.replace_lane(f32x4.splat(0), 0, f32x4.extract_lane(f32x4.mul(gu, u), 0)));
        }
      }
    }
  }
  return hsum(dInner);
}

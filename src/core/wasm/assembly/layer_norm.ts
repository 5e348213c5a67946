// Layer normalization over the features of each row, in WebAssembly SIMD. The spec is
// src/core/kernels/layer_norm.ts (read it first): the same formulas, row by row.
//
//   x: [M,C], gamma, beta: [C] (or 0)  →  out: [M,C], mean, rstd: [M]
//
// How it differs from the spec, which sums in float64: sums run in f32 over 4 lanes. The mean is
// corrected by a second pass (δ = Σ(x − m)/C, var = Σ(x − m)²/C − δ²), and out is normalized as
// ((x − m) − δ)·rstd — x − m is exact in f32 next to m, while m + δ rounded to f32 is not — so a row
// whose values sit far from zero relative to their spread keeps its precision (the spec's f64 mean
// does that). Results agree with the spec to ~1e-6 relative (src/core/kernels/wasm_layer_norm.test.ts).
// All pointers are byte addresses.

/** Σ of the 4 lanes. */
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// x: [M,C] → out: [M,C] (may be x itself), mean: [M], rstd: [M]
export function layerNormForward(out: usize, mean: usize, rstd: usize, x: usize, gamma: usize, beta: usize, M: i32, C: i32, epsilon: f32): void {
  const rowC = <usize>C << 2;
  const C4 = C & ~3;
  const invC: f32 = 1 / <f32>C;
  for (let r = 0; r < M; r++) {
    const xr = x + <usize>r * rowC;
    const orow = out + <usize>r * rowC;
    let acc = f32x4.splat(0);
    for (let c = 0; c < C4; c += 4) acc = f32x4.add(acc, v128.load(xr + (<usize>c << 2)));
    let s = hsum(acc);
    for (let c = C4; c < C; c++) s += load<f32>(xr + (<usize>c << 2));
    const m0: f32 = s * invC;
    const m0v = f32x4.splat(m0);
    let accD = f32x4.splat(0);
    let accD2 = f32x4.splat(0);
    for (let c = 0; c < C4; c += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>c << 2)), m0v);
      accD = f32x4.add(accD, d);
      accD2 = f32x4.add(accD2, f32x4.mul(d, d));
    }
    let sd = hsum(accD);
    let sd2 = hsum(accD2);
    for (let c = C4; c < C; c++) {
      const d = load<f32>(xr + (<usize>c << 2)) - m0;
      sd += d;
      sd2 += d * d;
    }
    const delta: f32 = sd * invC;
    const variance: f32 = max<f32>(sd2 * invC - delta * delta, 0);
    const rs: f32 = 1 / Mathf.sqrt(variance + epsilon);
    store<f32>(mean + (<usize>r << 2), m0 + delta);
    store<f32>(rstd + (<usize>r << 2), rs);
    const dv = f32x4.splat(delta);
    const rsv = f32x4.splat(rs);
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      let n = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xr + o), m0v), dv), rsv);
      if (gamma != 0) n = f32x4.mul(n, v128.load(gamma + o));
      if (beta != 0) n = f32x4.add(n, v128.load(beta + o));
      v128.store(orow + o, n);
    }
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      let n = (load<f32>(xr + o) - m0 - delta) * rs;
      if (gamma != 0) n *= load<f32>(gamma + o);
      if (beta != 0) n += load<f32>(beta + o);
      store<f32>(orow + o, n);
    }
  }
}

// dOut: [M,C] → dx: [M,C] (or 0; may be dOut itself), dGamma, dBeta: [C] (+=, or 0)
//   dnorm = dOut·gamma, x̂ = (x − mean)·rstd, dx = rstd·(dnorm − mean(dnorm) − x̂·mean(dnorm·x̂))
export function layerNormBackward(dx: usize, dGamma: usize, dBeta: usize, dOut: usize, x: usize, mean: usize, rstd: usize, gamma: usize, M: i32, C: i32): void {
  const rowC = <usize>C << 2;
  const C4 = C & ~3;
  const invC: f32 = 1 / <f32>C;
  const one = f32x4.splat(1);
  for (let r = 0; r < M; r++) {
    const xr = x + <usize>r * rowC;
    const dr = dOut + <usize>r * rowC;
    const m = load<f32>(mean + (<usize>r << 2));
    const s = load<f32>(rstd + (<usize>r << 2));
    const mv = f32x4.splat(m);
    const sv = f32x4.splat(s);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), sv);
      const g = v128.load(dr + o);
      const dnorm = f32x4.mul(g, gamma != 0 ? v128.load(gamma + o) : one);
      a1 = f32x4.add(a1, dnorm);
      a2 = f32x4.add(a2, f32x4.mul(dnorm, n));
      if (dGamma != 0) v128.store(dGamma + o, f32x4.add(v128.load(dGamma + o), f32x4.mul(g, n)));
      if (dBeta != 0) v128.store(dBeta + o, f32x4.add(v128.load(dBeta + o), g));
    }
    let s1 = hsum(a1);
    let s2 = hsum(a2);
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      const n = (load<f32>(xr + o) - m) * s;
      const g = load<f32>(dr + o);
      const dnorm = gamma != 0 ? g * load<f32>(gamma + o) : g;
      s1 += dnorm;
      s2 += dnorm * n;
      if (dGamma != 0) store<f32>(dGamma + o, load<f32>(dGamma + o) + g * n);
      if (dBeta != 0) store<f32>(dBeta + o, load<f32>(dBeta + o) + g);
    }
    if (dx == 0) continue;
    const dnormMean: f32 = s1 * invC;
    const dnormNormMean: f32 = s2 * invC;
    const meanV = f32x4.splat(dnormMean);
    const nmV = f32x4.splat(dnormNormMean);
    const dxr = dx + <usize>r * rowC;
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), sv);
      const dnorm = f32x4.mul(v128.load(dr + o), gamma != 0 ? v128.load(gamma + o) : one);
      v128.store(dxr + o, f32x4.mul(sv, f32x4.sub(f32x4.sub(dnorm, meanV), f32x4.mul(n, nmV))));
    }
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      const n = (load<f32>(xr + o) - m) * s;
      const dnorm = gamma != 0 ? load<f32>(dr + o) * load<f32>(gamma + o) : load<f32>(dr + o);
      store<f32>(dxr + o, s * (dnorm - dnormMean - n * dnormNormMean));
    }
  }
}

// Probability-form categorical crossentropy on rows in WebAssembly. The spec is
// src/core/kernels/crossentropy.ts (read it first): the same double-precision arithmetic in the
// same order — each row renormalised, clipped to [ε, 1−ε], −Σ y·log p — with the gradient's first
// pass stored as float32 and read back, as the spec's array does. Only `log` may differ from
// JavaScript's in the last bit of a double (both are within one ulp), which float32 results hide.
// Scalar: a row of the seed's loss is 2 wide, and the log dominates.
//
// pred, target: [rows, width], scale: [rows] (0: all 1) → out: [rows], grad: [rows, width] (0: none)

const EPSILON: f64 = 1e-7;

@inline function clip(q: f64): f64 {
  return q < EPSILON ? EPSILON : q > 1 - EPSILON ? 1 - EPSILON : q;
}

export function crossentropy(out: usize, grad: usize, pred: usize, target: usize, scale: usize, rows: i32, width: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * width) << 2;
    let sum: f64 = 0;
    for (let k = 0; k < width; k++) sum += <f64>load<f32>(pred + o + (<usize>k << 2));
    let loss: f64 = 0;
    let gq: f64 = 0; // Σ_k g_k q_k
    for (let k = 0; k < width; k++) {
      const at = o + (<usize>k << 2);
      const q = <f64>load<f32>(pred + at) / sum;
      const p = clip(q);
      const yk = <f64>load<f32>(target + at);
      if (yk != 0) loss -= yk * Math.log(p);
      if (grad != 0) {
        const g: f64 = q > EPSILON && q < 1 - EPSILON ? -yk / p : 0;
        store<f32>(grad + at, <f32>g); // g_k for now
        gq += g * q;
      }
    }
    if (grad != 0) {
      const s: f64 = scale != 0 ? <f64>load<f32>(scale + (<usize>r << 2)) : 1;
      const f = s / sum;
      for (let k = 0; k < width; k++) {
        const at = grad + o + (<usize>k << 2);
        store<f32>(at, <f32>((<f64>load<f32>(at) - gq) * f));
      }
    }
    store<f32>(out + (<usize>r << 2), <f32>loss);
  }
}

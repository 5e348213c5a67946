/**
 * Layer normalization over the features of each row, plain TypeScript (the spec), as llm.c's
 * `layernorm_forward` / `layernorm_backward`:
 *
 *   x: [M, C], gamma: [C] | null, beta: [C] | null  →  out: [M, C], mean: [M], rstd: [M]
 *   mean_r = Σ_c x[r,c] / C,  var_r = Σ_c (x[r,c] − mean_r)² / C,  rstd_r = 1/√(var_r + ε)
 *   out[r,c] = (x[r,c] − mean_r)·rstd_r·gamma[c] + beta[c]
 */

export interface LayerNormForwardArgs {
  /** [M, C], overwritten. */
  out: Float32Array;
  /** [M] saved for the backward. */
  mean: Float32Array;
  /** [M] saved for the backward. */
  rstd: Float32Array;
  x: Float32Array;
  gamma: Float32Array | null;
  beta: Float32Array | null;
  M: number;
  C: number;
  epsilon: number;
}

export interface LayerNormBackwardArgs {
  /** [M, C] overwritten; null when the input needs no gradient. */
  dx: Float32Array | null;
  /** [C] accumulated (null without scale). */
  dGamma: Float32Array | null;
  /** [C] accumulated (null without center). */
  dBeta: Float32Array | null;
  /** [M, C] */
  dOut: Float32Array;
  x: Float32Array;
  mean: Float32Array;
  rstd: Float32Array;
  gamma: Float32Array | null;
  M: number;
  C: number;
}

// x: [M,C] → out: [M,C], mean: [M], rstd: [M]
export function layerNormForward(args: LayerNormForwardArgs): void {
  const { out, mean, rstd, x, gamma, beta, M, C, epsilon } = args;
  for (let r = 0; r < M; r++) {
    const at = r * C;
    let m = 0;
    for (let c = 0; c < C; c++) m += x[at + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) {
      const d = x[at + c] - m;
      v += d * d;
    }
    v /= C;
    const s = 1 / Math.sqrt(v + epsilon);
    for (let c = 0; c < C; c++) {
      const n = (x[at + c] - m) * s;
      out[at + c] = n * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
    }
    mean[r] = m;
    rstd[r] = s;
  }
}

// dOut: [M,C] → dx: [M,C] (written), dGamma, dBeta: [C] (+=)
export function layerNormBackward(args: LayerNormBackwardArgs): void {
  const { dx, dGamma, dBeta, dOut, x, mean, rstd, gamma, M, C } = args;
  for (let r = 0; r < M; r++) {
    const at = r * C;
    const m = mean[r];
    const s = rstd[r];
    // dnorm = dOut·gamma; dx = rstd·(dnorm − mean(dnorm) − x̂·mean(dnorm·x̂))
    let dnormMean = 0;
    let dnormNormMean = 0;
    for (let c = 0; c < C; c++) {
      const n = (x[at + c] - m) * s;
      const dnorm = dOut[at + c] * (gamma ? gamma[c] : 1);
      dnormMean += dnorm;
      dnormNormMean += dnorm * n;
      if (dGamma) dGamma[c] += dOut[at + c] * n;
      if (dBeta) dBeta[c] += dOut[at + c];
    }
    dnormMean /= C;
    dnormNormMean /= C;
    if (!dx) continue;
    for (let c = 0; c < C; c++) {
      const n = (x[at + c] - m) * s;
      const dnorm = dOut[at + c] * (gamma ? gamma[c] : 1);
      dx[at + c] = s * (dnorm - dnormMean - n * dnormNormMean);
    }
  }
}

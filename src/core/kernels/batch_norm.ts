/**
 * Batch normalization of each feature over the rows that count, plain TypeScript (the spec).
 *
 *   x: [M, C], rowMask: [M] | null (1 = the row counts in the statistics), gamma, beta: [C] | null
 *   training:  mean[c] = Σ_{r real} x[r,c] / R,  var[c] = Σ_{r real} (x[r,c] − mean[c])² / R
 *   inference: mean, var = the moving statistics
 *   out[r,c] = (x[r,c] − mean[c])·rstd[c]·gamma[c] + beta[c],  rstd[c] = 1/√(var[c] + ε)   (every row)
 *
 * Every row is normalized; only real rows enter the statistics (Keras 3 passes the mask to
 * BatchNormalization's moments). Backward in training mode, with g = dOut·gamma and R real rows:
 *   dx[r,c] = rstd·(g[r,c] − [r real]·(Σ_all g + x̂[r,c]·Σ_all g·x̂)/R)
 * (sums over every row: padding rows' outputs depend on the statistics too).
 */

export interface BatchNormStatsArgs {
  /** [C] written. */
  mean: Float32Array;
  /** [C] written (biased: divided by R, as Keras and TF.js). */
  variance: Float32Array;
  x: Float32Array;
  rowMask: Uint8Array | null;
  M: number;
  C: number;
}

// x: [M,C], rowMask: [M] → mean: [C], variance: [C]; returns R, the rows that counted
export function batchNormStatistics(args: BatchNormStatsArgs): number {
  const { mean, variance, x, rowMask, M, C } = args;
  mean.fill(0, 0, C);
  variance.fill(0, 0, C);
  let R = 0;
  for (let r = 0; r < M; r++) {
    if (rowMask && !rowMask[r]) continue;
    R++;
    for (let c = 0; c < C; c++) mean[c] += x[r * C + c];
  }
  if (R === 0) return 0;
  for (let c = 0; c < C; c++) mean[c] /= R;
  for (let r = 0; r < M; r++) {
    if (rowMask && !rowMask[r]) continue;
    for (let c = 0; c < C; c++) {
      const d = x[r * C + c] - mean[c];
      variance[c] += d * d;
    }
  }
  for (let c = 0; c < C; c++) variance[c] /= R;
  return R;
}

export interface BatchNormForwardArgs {
  /** [M, C] overwritten. */
  out: Float32Array;
  x: Float32Array;
  /** [C] the statistics to normalize with (the batch's or the moving ones). */
  mean: Float32Array;
  variance: Float32Array;
  gamma: Float32Array | null;
  beta: Float32Array | null;
  M: number;
  C: number;
  epsilon: number;
}

// x: [M,C], mean, variance: [C] → out: [M,C]
export function batchNormForward(args: BatchNormForwardArgs): void {
  const { out, x, mean, variance, gamma, beta, M, C, epsilon } = args;
  for (let c = 0; c < C; c++) {
    const s = 1 / Math.sqrt(variance[c] + epsilon);
    const g = gamma ? gamma[c] : 1;
    const b = beta ? beta[c] : 0;
    for (let r = 0; r < M; r++) out[r * C + c] = (x[r * C + c] - mean[c]) * s * g + b;
  }
}

export interface BatchNormBackwardArgs {
  /** [M, C] overwritten; null when the input needs none. */
  dx: Float32Array | null;
  dGamma: Float32Array | null;
  dBeta: Float32Array | null;
  dOut: Float32Array;
  x: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  gamma: Float32Array | null;
  /** The rows that counted in the statistics (training), or null for all. */
  rowMask: Uint8Array | null;
  /** R: rows that counted. */
  count: number;
  /** Whether mean and variance were the batch's (training) or constants (inference). */
  batchStatistics: boolean;
  M: number;
  C: number;
  epsilon: number;
}

// dOut: [M,C] → dx: [M,C] (written), dGamma, dBeta: [C] (+=)
export function batchNormBackward(args: BatchNormBackwardArgs): void {
  const { dx, dGamma, dBeta, dOut, x, mean, variance, gamma, rowMask, count, batchStatistics, M, C, epsilon } = args;
  for (let c = 0; c < C; c++) {
    const s = 1 / Math.sqrt(variance[c] + epsilon);
    const g = gamma ? gamma[c] : 1;
    let sumG = 0;
    let sumGN = 0;
    let sumDy = 0;
    let sumDyN = 0;
    for (let r = 0; r < M; r++) {
      const dy = dOut[r * C + c];
      const n = (x[r * C + c] - mean[c]) * s;
      sumDy += dy;
      sumDyN += dy * n;
      sumG += dy * g;
      sumGN += dy * g * n;
    }
    if (dGamma) dGamma[c] += sumDyN;
    if (dBeta) dBeta[c] += sumDy;
    if (!dx) continue;
    for (let r = 0; r < M; r++) {
      const gr = dOut[r * C + c] * g;
      if (!batchStatistics || count === 0 || (rowMask && !rowMask[r])) {
        dx[r * C + c] = s * gr;
        continue;
      }
      const n = (x[r * C + c] - mean[c]) * s;
      dx[r * C + c] = s * (gr - (sumG + n * sumGN) / count);
    }
  }
}

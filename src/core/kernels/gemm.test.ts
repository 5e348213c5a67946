import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { gemm } from "./gemm.js";

/** float64 reference: op(A)·op(B). */
function reference(M: number, N: number, K: number, a: Float32Array, b: Float32Array, transA: boolean, transB: boolean): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (transA ? a[k * M + i] : a[i * K + k]) * (transB ? b[j * K + k] : b[k * N + j]);
      out[i * N + j] = s;
    }
  return out;
}

describe("gemm (reference kernel)", () => {
  const rng = new Random(5);
  const shapes = [[1, 1, 1], [3, 5, 7], [4, 4, 4], [9, 13, 6], [17, 3, 300], [33, 70, 31], [5, 130, 2]];
  for (const [M, N, K] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`${M}×${K}·${K}×${N} transA=${transA} transB=${transB}, with offsets and accumulate`, () => {
          const a = Float32Array.from({ length: M * K + 3 }, () => rng.uniformRange(-1, 1));
          const b = Float32Array.from({ length: K * N + 2 }, () => rng.uniformRange(-1, 1));
          const out = Float32Array.from({ length: M * N + 5 }, () => rng.uniformRange(-1, 1));
          const before = Float32Array.from(out);
          gemm({ out, outOffset: 5, a, aOffset: 3, b, bOffset: 2, M, N, K, transA, transB, accumulate: true });
          const ref = reference(M, N, K, a.subarray(3), b.subarray(2), transA, transB);
          for (let i = 0; i < 5; i++) expect(out[i]).toBe(before[i]);
          for (let i = 0; i < M * N; i++) expect(Math.abs(out[5 + i] - (before[5 + i] + ref[i]))).toBeLessThan(1e-4 * Math.sqrt(K) + 1e-5);
          gemm({ out, outOffset: 5, a, aOffset: 3, b, bOffset: 2, M, N, K, transA, transB });
          for (let i = 0; i < M * N; i++) expect(Math.abs(out[5 + i] - ref[i])).toBeLessThan(1e-4 * Math.sqrt(K) + 1e-5);
        });
      }
    }
  }
});

/**
 * Float32 range. Training computes in float32, so a value finite in float64 but beyond float32
 * (1e39) becomes Infinity in the copy and turns every weight NaN. The boundaries (toSamples, the
 * file readers, loadModel) check values with `fitsFloat32`.
 *
 * @example
 * fitsFloat32(3.4e38); // true
 * fitsFloat32(1e39);   // false (Math.fround(1e39) === Infinity)
 * fitsFloat32(NaN);    // false
 */

/** The largest finite float32, (2 − 2⁻²³)·2¹²⁷. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** 2¹²⁸ − 2¹⁰³: the smallest magnitude that rounds to Infinity in float32 (halfway past FLOAT32_MAX). */
const FLOAT32_OVERFLOW = 3.4028235677973366e38;

/** Whether a number stays finite as float32: false for NaN, ±Infinity and |v| ≥ 2¹²⁸ − 2¹⁰³. */
export function fitsFloat32(v: number): boolean {
  return v < FLOAT32_OVERFLOW && v > -FLOAT32_OVERFLOW;
}

/**
 * The benchmark's data: the seed's generator (src/cli/commands/seed_data.ts, from dist/), and the
 * same batch padded to its longest sequence, as nested arrays (for ragged) or one flat
 * Float32Array (for a TF.js [B, T, C] tensor).
 */
import { seedBatches, type SeedBatch } from "../dist/cli/commands/seed_data.js";

/** One batch of the seed's data: `length` steps each, or lengths uniform in [10, 100) when null. */
export function seedBatch(batchSize: number, seed: number, length: number | null): SeedBatch {
  const it = seedBatches({ batchSize, seed, length: length ?? 55, mixedLengths: length === null });
  const next = it.next();
  if (next.done) throw new Error("seedBatches ended");
  return next.value;
}

export function maxLength(seqs: readonly (readonly unknown[])[]): number {
  return seqs.reduce((m, s) => Math.max(m, s.length), 0);
}

export function totalSteps(seqs: readonly (readonly unknown[])[]): number {
  return seqs.reduce((n, s) => n + s.length, 0);
}

/** Each sequence post-padded with zero steps to `T` (what a padded framework computes on). */
export function padNested(seqs: readonly number[][][], T: number, width: number): number[][][] {
  return seqs.map((s) => [...s, ...Array.from({ length: T - s.length }, () => new Array<number>(width).fill(0))]);
}

/** [B, T, width] row-major, zero-padded at the end of each sequence. */
export function flatPadded(seqs: readonly number[][][], T: number, width: number): Float32Array {
  const out = new Float32Array(seqs.length * T * width);
  seqs.forEach((s, b) => s.forEach((step, t) => out.set(step, (b * T + t) * width)));
  return out;
}

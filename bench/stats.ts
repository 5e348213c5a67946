/**
 * Timing helpers shared by every bench section: summaries (median, min, max) and the interleaving
 * runner. The handbook's rule: all contenders run interleaved in the same process run after
 * warm-up, and we report medians with min/max — never one lucky figure.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Contention, addContention, cpuSnapshot } from "./contention.js";

/**
 * Idle before a timed run, so it starts on a quiet machine: a neighbour's spinning OpenMP threads
 * (PyTorch) have gone to sleep, whichever contender ran before. Every contender of a section gets
 * the same settle, so none is timed in the wake of another's work.
 */
export const SETTLE_MS = 10;

/** Waits SETTLE_MS (a contender's `prepare`). */
export function settle(): Promise<void> {
  return sleep(SETTLE_MS);
}

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** Median (mean of the middle two for an even count), min and max of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN };
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, min: s[0], max: s[s.length - 1] };
}

/** One thing being timed. `run` is the timed region; `prepare` runs untimed just before it. */
export interface Contender {
  name: string;
  /** Timed runs wanted (spread evenly over the section's rounds). */
  rounds: number;
  /** Untimed runs before the first timed round. */
  warmup: number;
  /** Untimed set-up before each run (e.g. switching the TF.js backend). */
  prepare?: () => Promise<void> | void;
  /** The measured work; must finish it (await results) before returning. Returns a loss for sanity. */
  run: () => Promise<number | void> | number | void;
  /** Called untimed after each timed run (e.g. to sample memory). */
  after?: () => void;
}

export interface Timings {
  name: string;
  /** ms per run, in the order measured. */
  samples: number[];
  /** The value `run` returned last (a loss), or null. */
  last: number | null;
  /** What other processes took of the machine during the timed runs (contention.ts); absent where unmeasured. */
  contention?: Contention;
}

export interface InterleaveOptions {
  /** Progress lines (stderr by default), so stdout holds only the tables. */
  log?: (line: string) => void;
  label?: string;
}

/**
 * Runs every contender's warm-up (interleaved), then R = max(rounds) rounds. A contender with
 * fewer rounds takes part in rounds spread evenly over the R (so a slow peer with 3 rounds is
 * sampled at the start, middle and end, not all at once). The order within a round rotates, so
 * no contender always follows the same neighbour (GC debt, caches, turbo state).
 */
export async function interleave(contenders: readonly Contender[], options: InterleaveOptions = {}): Promise<Timings[]> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const label = options.label ? `[${options.label}] ` : "";
  const results: Timings[] = contenders.map((c) => ({ name: c.name, samples: [], last: null }));
  const once = async (i: number, timed = false): Promise<number> => {
    const c = contenders[i];
    const before = timed ? cpuSnapshot() : null; // before prepare (a settle), so /proc is not read just ahead of a cold call
    await c.prepare?.();
    const t0 = performance.now();
    const value = await c.run();
    const ms = performance.now() - t0;
    if (timed) results[i].contention = addContention(results[i].contention, before, cpuSnapshot());
    if (typeof value === "number") results[i].last = value;
    return ms;
  };

  const maxWarm = Math.max(0, ...contenders.map((c) => c.warmup));
  for (let w = 0; w < maxWarm; w++) {
    for (let i = 0; i < contenders.length; i++) {
      if (w >= contenders[i].warmup) continue;
      const ms = await once(i);
      log(`${label}warm-up ${w + 1}: ${contenders[i].name} ${ms.toFixed(0)} ms`);
    }
  }

  const R = Math.max(0, ...contenders.map((c) => c.rounds));
  const slots = contenders.map((c) => roundSlots(c.rounds, R));
  for (let r = 0; r < R; r++) {
    const parts: string[] = [];
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length;
      if (!slots[i].has(r)) continue;
      const ms = await once(i, true);
      results[i].samples.push(ms);
      contenders[i].after?.();
      parts.push(`${contenders[i].name} ${ms.toFixed(0)}`);
    }
    log(`${label}round ${r + 1}/${R}: ${parts.join(", ")} (ms)`);
  }
  return results;
}

/** Which of R rounds a contender wanting n rounds takes part in: n evenly spread indices. */
export function roundSlots(n: number, R: number): Set<number> {
  const slots = new Set<number>();
  for (let k = 0; k < Math.min(n, R); k++) slots.add(Math.min(R - 1, Math.floor(((k + 0.5) * R) / n)));
  return slots;
}

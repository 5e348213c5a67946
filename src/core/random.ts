/**
 * Seeded pseudo-random numbers. Everything random in ragged (initialisers, shuffling, dropout,
 * the demo's data) draws from a `Random`, so the same seed gives the same run.
 *
 * The generator is xoshiro128** (32-bit state words, fast in JavaScript), seeded by splitmix32.
 *
 * @example
 * const rng = new Random(42);
 * rng.uniform();            // in [0, 1)
 * rng.normal();             // standard normal
 * const child = rng.fork(); // an independent stream, e.g. one per layer
 */
import { RaggedError, describe } from "./errors.js";

/** A `Random`'s position (JSON-safe); see `getState`. */
export interface RandomState {
  words: [number, number, number, number];
  spareNormal: number | null;
}

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed: number = 0) {
    let x = seed >>> 0;
    const next = () => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Inverted-dropout scales: `out[i]` = 0 where `uniform() < rate`, else 1/(1 − rate) — the very
   * draws and stream position of that loop (each element takes one `uniform()`), with the state kept
   * in locals: 3–4× faster than calling `uniform()` per element, which was ~8 % of a training step
   * of the g2p model (dropout 0.3 over half a million values per batch). The state words stay
   * int32 in the loop (the same bits: xoshiro is XORs, shifts and rotations; `>>> 0` made them
   * uint32, which V8 keeps as doubles above 2^31 — 10.7 ns per value, now 7.4), and `u < rate` is
   * compared as `bits < rate·2^53` (both sides exact: u = bits / 2^53).
   */
  fillDropoutScale(out: Float32Array, rate: number): void {
    const keep = 1 / (1 - rate);
    const threshold = rate * 9007199254740992;
    let s0 = this.s0 | 0;
    let s1 = this.s1 | 0;
    let s2 = this.s2 | 0;
    let s3 = this.s3 | 0;
    for (let i = 0; i < out.length; i++) {
      // two nextUint32() steps, as uniform() takes them: 27 high bits, then 26 low ones
      let bits = 0;
      for (let k = 0; k < 2; k++) {
        const r = Math.imul(rotl32(Math.imul(s1, 5), 7), 9);
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl32(s3, 11);
        bits = k === 0 ? (r >>> 5) * 67108864 : bits + (r >>> 6);
      }
      out[i] = bits < threshold ? 0 : keep;
    }
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
  }

  /** Uniform in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** An integer uniform in [low, high). */
  int(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }

  /** A standard normal draw (Box–Muller, the spare draw cached). */
  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A normal draw re-drawn until it lies within two standard deviations (Keras' truncated normal). */
  truncatedNormal(): number {
    for (;;) {
      const z = this.normal();
      if (z >= -2 && z <= 2) return z;
    }
  }

  /**
   * The generator's position: its four state words and the cached spare normal draw. Saved with a
   * checkpoint, so a resumed run continues the very stream an uninterrupted one would draw from.
   */
  getState(): RandomState {
    return { words: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spareNormal };
  }

  /**
   * Moves the generator to a position returned by `getState`.
   * @throws RaggedError `INVALID_ARGUMENT` unless `state` has four 32-bit words (not all 0) and a
   *   finite or null spare draw.
   */
  setState(state: RandomState): void {
    const words = (state as { words?: unknown } | null)?.words;
    const spare = (state as { spareNormal?: unknown } | null)?.spareNormal;
    const validWords = Array.isArray(words) && words.length === 4 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && words.some((w) => w !== 0);
    if (!validWords || !(spare === null || (typeof spare === "number" && Number.isFinite(spare)))) {
      throw new RaggedError("INVALID_ARGUMENT", "Not a random generator state.", {
        expected: "{ words: four 32-bit unsigned integers, not all 0, spareNormal: a number or null }",
        received: describe(state),
      });
    }
    [this.s0, this.s1, this.s2, this.s3] = words as number[];
    this.spareNormal = spare as number | null;
  }

  /** A fresh generator whose stream is independent of this one's continuation. */
  fork(): Random {
    return new Random(this.nextUint32());
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. Use on arrays you own. */
  shuffleInPlace<T>(items: T[] | Int32Array): T[] | Int32Array {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffleInPlace(p);
    return p;
  }
}

/** x rotated left by k bits, as an int32. */
function rotl32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** `rotl32` as a uint32. */
function rotl(x: number, k: number): number {
  return rotl32(x, k) >>> 0;
}

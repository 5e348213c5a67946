/**
 * Learning-rate schedules, Keras 3 arithmetic (`keras/src/optimizers/schedules/learning_rate_schedule.py`).
 * A schedule maps the optimizer's step count to a learning rate. An optimizer made with a schedule
 * evaluates it at `iterations`, the number of steps taken before the current one (the first update
 * uses step 0), as Keras' `_get_current_learning_rate`.
 *
 * @example
 * const optimizer = new Adam({ learningRate: exponentialDecay({ initialLearningRate: 0.01, decaySteps: 100, decayRate: 0.5 }) });
 */
import { RaggedError, describe } from "../../core/errors.js";

export interface LearningRateSchedule {
  /** The Keras class name, e.g. "ExponentialDecay". */
  readonly className: string;
  /** The learning rate at `step` (a step count ≥ 0). */
  at(step: number): number;
  /** Every option, defaults filled in (camelCase). */
  getConfig(): Record<string, unknown>;
}

/** Whether `x` is a schedule (an object with `at` and `className`). */
export function isLearningRateSchedule(x: unknown): x is LearningRateSchedule {
  return typeof x === "object" && x !== null && typeof (x as LearningRateSchedule).at === "function" && typeof (x as LearningRateSchedule).className === "string";
}

function finite(x: unknown, name: string, schedule: string, min: { value: number; inclusive: boolean } | null = null): number {
  const ok = typeof x === "number" && Number.isFinite(x) && (min === null || (min.inclusive ? x >= min.value : x > min.value));
  if (!ok) {
    const bound = min === null ? "a finite number" : `a number ${min.inclusive ? "≥" : ">"} ${min.value}`;
    throw new RaggedError("INVALID_ARGUMENT", `${schedule} \`${name}\` must be ${bound}.`, { received: `${name} = ${describe(x)}` });
  }
  return x as number;
}

/** Options of `exponentialDecay`. */
export interface ExponentialDecayArgs {
  /** The rate at step 0 (> 0). */
  initialLearningRate: number;
  /** Steps over which the rate is multiplied by `decayRate` once (> 0). */
  decaySteps: number;
  /** The factor per `decaySteps` steps (> 0; below 1 decays). */
  decayRate: number;
  /** Decay in whole intervals of `decaySteps` (a staircase); default false. */
  staircase?: boolean;
}

/**
 * Keras `ExponentialDecay`: lr(step) = initialLearningRate · decayRate^(step / decaySteps), with
 * the exponent floored when `staircase`.
 * @param args - `initialLearningRate` > 0, `decaySteps` > 0, `decayRate` > 0, `staircase`.
 * @returns a schedule.
 * @throws RaggedError `INVALID_ARGUMENT` for a missing or out-of-range option.
 * @example
 * const s = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
 * s.at(0); // 0.1
 * s.at(19); // 0.05
 * s.at(20); // 0.025
 */
export function exponentialDecay(args: ExponentialDecayArgs): LearningRateSchedule {
  const initialLearningRate = finite(args?.initialLearningRate, "initialLearningRate", "ExponentialDecay", { value: 0, inclusive: false });
  const decaySteps = finite(args.decaySteps, "decaySteps", "ExponentialDecay", { value: 0, inclusive: false });
  const decayRate = finite(args.decayRate, "decayRate", "ExponentialDecay", { value: 0, inclusive: false });
  const staircase = args.staircase ?? false;
  return {
    className: "ExponentialDecay",
    at(step) {
      let p = step / decaySteps;
      if (staircase) p = Math.floor(p);
      return initialLearningRate * decayRate ** p;
    },
    getConfig: () => ({ initialLearningRate, decaySteps, decayRate, staircase }),
  };
}

/** Options of `piecewiseConstantDecay`. */
export interface PiecewiseConstantDecayArgs {
  /** Increasing step counts where the rate changes. */
  boundaries: number[];
  /** One more value than boundaries. */
  values: number[];
}

/**
 * Keras `PiecewiseConstantDecay`: values[0] while step ≤ boundaries[0], values[i] while
 * boundaries[i−1] < step ≤ boundaries[i], and the last value after the last boundary.
 * @param args - `boundaries` (increasing) and `values` (one more than boundaries, each > 0).
 * @returns a schedule.
 * @throws RaggedError `INVALID_ARGUMENT` when the lengths do not match or boundaries do not increase.
 * @example
 * const s = piecewiseConstantDecay({ boundaries: [100, 200], values: [1.0, 0.5, 0.1] });
 * s.at(100); // 1.0
 * s.at(101); // 0.5
 * s.at(500); // 0.1
 */
export function piecewiseConstantDecay(args: PiecewiseConstantDecayArgs): LearningRateSchedule {
  const boundaries = Array.isArray(args?.boundaries) ? [...args.boundaries] : null;
  const values = Array.isArray(args?.values) ? [...args.values] : null;
  if (!boundaries || !values || values.length !== boundaries.length + 1) {
    throw new RaggedError("INVALID_ARGUMENT", "PiecewiseConstantDecay needs one more value than boundaries.", {
      expected: "`values.length === boundaries.length + 1`",
      received: `boundaries: ${describe(args?.boundaries)}, values: ${describe(args?.values)}`,
    });
  }
  boundaries.forEach((b, i) => {
    finite(b, `boundaries[${i}]`, "PiecewiseConstantDecay");
    if (i > 0 && !(b > boundaries[i - 1])) {
      throw new RaggedError("INVALID_ARGUMENT", "PiecewiseConstantDecay `boundaries` must increase.", { received: `boundaries = [${boundaries.join(", ")}]` });
    }
  });
  values.forEach((v, i) => finite(v, `values[${i}]`, "PiecewiseConstantDecay", { value: 0, inclusive: false }));
  return {
    className: "PiecewiseConstantDecay",
    at(step) {
      for (let i = 0; i < boundaries.length; i++) if (step <= boundaries[i]) return values[i];
      return values[values.length - 1];
    },
    getConfig: () => ({ boundaries: [...boundaries], values: [...values] }),
  };
}

/** Options of `cosineDecay`. */
export interface CosineDecayArgs {
  /** The rate at step 0 (≥ 0). */
  initialLearningRate: number;
  /** Steps to decay over (after any warmup). */
  decaySteps: number;
  /** The floor, as a fraction of the starting rate; default 0. */
  alpha?: number;
  /** With `warmupSteps`: the rate reached by a linear warmup from `initialLearningRate`; default none. */
  warmupTarget?: number | null;
  /** Steps of linear warmup; default 0. */
  warmupSteps?: number;
}

/**
 * Keras `CosineDecay`, with optional linear warmup. Without warmup, with s = min(step, decaySteps):
 *   lr = initialLearningRate · ((1 − alpha) · ½(1 + cos(π·s/decaySteps)) + alpha).
 * With `warmupTarget`, s = min(step, warmupSteps + decaySteps): while s < warmupSteps the rate goes
 * linearly from initialLearningRate to warmupTarget; after, it decays as above from warmupTarget,
 * at step s − warmupSteps.
 * @param args - `initialLearningRate`, `decaySteps` > 0, `alpha` in [0, 1], `warmupTarget`, `warmupSteps`.
 * @returns a schedule.
 * @throws RaggedError `INVALID_ARGUMENT` for a missing or out-of-range option.
 * @example
 * const s = cosineDecay({ initialLearningRate: 0.1, decaySteps: 100 });
 * s.at(50); // 0.05
 * s.at(100); // 0
 */
export function cosineDecay(args: CosineDecayArgs): LearningRateSchedule {
  const initialLearningRate = finite(args?.initialLearningRate, "initialLearningRate", "CosineDecay", { value: 0, inclusive: true });
  const decaySteps = finite(args.decaySteps, "decaySteps", "CosineDecay", { value: 0, inclusive: false });
  const alpha = finite(args.alpha ?? 0, "alpha", "CosineDecay", { value: 0, inclusive: true });
  const warmupTarget = args.warmupTarget === undefined || args.warmupTarget === null ? null : finite(args.warmupTarget, "warmupTarget", "CosineDecay", { value: 0, inclusive: true });
  const warmupSteps = finite(args.warmupSteps ?? 0, "warmupSteps", "CosineDecay", { value: 0, inclusive: true });
  const decay = (step: number, from: number) => {
    const cosine = 0.5 * (1 + Math.cos((Math.PI * step) / decaySteps));
    return from * ((1 - alpha) * cosine + alpha);
  };
  return {
    className: "CosineDecay",
    at(step) {
      if (warmupTarget === null) return decay(Math.min(step, decaySteps), initialLearningRate);
      const s = Math.min(step, decaySteps + warmupSteps);
      if (s < warmupSteps) return (warmupTarget - initialLearningRate) * (s / warmupSteps) + initialLearningRate;
      return decay(s - warmupSteps, warmupTarget);
    },
    getConfig: () => ({ initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps }),
  };
}

const SCHEDULES: Record<string, (config: never) => LearningRateSchedule> = {
  ExponentialDecay: exponentialDecay,
  PiecewiseConstantDecay: piecewiseConstantDecay,
  CosineDecay: cosineDecay,
};

/**
 * A schedule from its serialized form `{ className, config }` (what an optimizer's `getConfig()`
 * writes for `learningRate`), or a schedule passed through.
 * @param spec - `{ className: "ExponentialDecay", config: { initialLearningRate, … } }` or a schedule.
 * @returns the schedule.
 * @throws RaggedError `UNKNOWN_NAME` for an unknown class name; `INVALID_ARGUMENT` for bad options.
 * @example
 * const s = getSchedule({ className: "CosineDecay", config: { initialLearningRate: 0.1, decaySteps: 100 } });
 * s.at(50); // 0.05
 */
export function getSchedule(spec: LearningRateSchedule | { className: string; config: Record<string, unknown> }): LearningRateSchedule {
  if (isLearningRateSchedule(spec)) return spec;
  const make = typeof spec?.className === "string" && Object.prototype.hasOwnProperty.call(SCHEDULES, spec.className) ? SCHEDULES[spec.className] : undefined;
  if (!make) {
    throw new RaggedError("UNKNOWN_NAME", "Unknown learning-rate schedule.", {
      expected: `{ className, config } with className one of ${Object.keys(SCHEDULES).map((n) => JSON.stringify(n)).join(", ")}`,
      received: describe(spec),
    });
  }
  return make((spec.config ?? {}) as never);
}

/** Whether `x` looks like a serialized schedule, `{ className: string, config: object }`. */
export function isSerializedSchedule(x: unknown): x is { className: string; config: Record<string, unknown> } {
  return typeof x === "object" && x !== null && typeof (x as { className?: unknown }).className === "string" && typeof (x as { config?: unknown }).config === "object";
}

/**
 * Optimizers: three updates of a tiny variable against the Keras 3 formulas, written out here in
 * float64 independently of the implementation (the source followed is cited above each). The
 * engine keeps values and slots in float32, so the comparison is at 1e-6 relative.
 */
import { describe, expect, it } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { Random } from "../../core/random.js";
import { Variable } from "../../layers/layer.js";
import { Adagrad } from "./adagrad.js";
import { Adam } from "./adam.js";
import { AdamW } from "./adamw.js";
import { getOptimizer, optimizerNames } from "./get_optimizer.js";
import type { Optimizer } from "./optimizer.js";
import { RMSprop } from "./rmsprop.js";
import { cosineDecay, exponentialDecay, getSchedule, piecewiseConstantDecay } from "./schedules.js";
import { SGD } from "./sgd.js";

const W0 = [0.5, -1.2, 2.0, 0.03];
const GRADS = [
  [0.1, -0.4, 1.5, 0.0],
  [-0.3, -0.2, 0.8, 0.05],
  [0.2, 0.5, -2.5, -0.01],
];

/** Runs three steps of `opt` on a fresh variable; returns its values after each. */
function runSteps(opt: Optimizer, grads = GRADS): number[][] {
  const v = new Variable("w", [W0.length], Float32Array.from(W0));
  return grads.map((g) => {
    v.grad.set(g);
    opt.apply([v]);
    return Array.from(v.value);
  });
}

/** Float64 reference: `step(w, g, t, lr)` updates w in place; t counts from 0 (Keras `iterations`). */
function reference(step: (w: number[], g: number[], t: number) => void, grads = GRADS): number[][] {
  const w = [...W0];
  return grads.map((g, t) => {
    step(w, g, t);
    return [...w];
  });
}

function expectClose(actual: number[][], expected: number[][]): void {
  actual.forEach((row, s) =>
    row.forEach((a, i) => {
      const e = expected[s][i];
      if (!(Math.abs(a - e) <= 1e-6 * Math.max(1, Math.abs(e)))) expect.fail(`step ${s + 1}, w[${i}]: got ${a}, expected ${e}`);
    }),
  );
}

/** Adam as keras/src/optimizers/adam.py update_step (Keras 3). */
function adamReference(lr: (t: number) => number, { b1 = 0.9, b2 = 0.999, eps = 1e-7, amsgrad = false, wd = 0 } = {}, grads = GRADS) {
  const m = W0.map(() => 0);
  const v = W0.map(() => 0);
  const vHat = W0.map(() => 0);
  return reference((w, g, t) => {
    const rate = lr(t);
    // base_optimizer._apply_weight_decay: variable.assign(variable - variable * wd * lr), before update_step
    for (let i = 0; i < w.length; i++) w[i] -= w[i] * wd * rate;
    const localStep = t + 1; // local_step = iterations + 1
    const alpha = (rate * Math.sqrt(1 - b2 ** localStep)) / (1 - b1 ** localStep);
    for (let i = 0; i < w.length; i++) {
      m[i] += (g[i] - m[i]) * (1 - b1); // assign_add(m, (g - m) * (1 - beta_1))
      v[i] += (g[i] * g[i] - v[i]) * (1 - b2); // assign_add(v, (g² - v) * (1 - beta_2))
      let denom = v[i];
      if (amsgrad) {
        vHat[i] = Math.max(vHat[i], v[i]); // v_hat = maximum(v_hat, v); v = v_hat
        denom = vHat[i];
      }
      w[i] -= (m[i] * alpha) / (Math.sqrt(denom) + eps); // assign_sub(variable, m * alpha / (sqrt(v) + epsilon))
    }
  }, grads);
}

describe("optimizer updates against Keras 3 formulas (3 steps, float64 reference)", () => {
  it("Adam (defaults)", () => {
    expectClose(runSteps(new Adam()), adamReference(() => 0.001));
  });

  it("Adam with amsgrad (a gradient that shrinks, so the running max matters)", () => {
    const grads = [
      [2, -2, 1, 0.5],
      [0.1, -0.1, 0.05, 0.5],
      [0.1, 0.1, 0.05, 0.5],
    ];
    // beta2 0.5 so that v falls after the first step and v̂ = max(v̂, v) differs from v.
    const amsgrad = runSteps(new Adam({ learningRate: 0.1, beta2: 0.5, amsgrad: true }), grads);
    expectClose(amsgrad, adamReference(() => 0.1, { b2: 0.5, amsgrad: true }, grads));
    const plain = runSteps(new Adam({ learningRate: 0.1, beta2: 0.5 }), grads);
    expectClose(plain, adamReference(() => 0.1, { b2: 0.5 }, grads));
    expect(Math.abs(amsgrad[2][0] - plain[2][0])).toBeGreaterThan(1e-3);
  });

  it("Adam's float32 slots: every step equals, bit for bit, storing m, v (and v̂) as float32 and reading them back", () => {
    // The update keeps each slot's rounded value in a local; this is the loop it must equal exactly
    // (seeded results, README figures included, depend on it).
    for (const amsgrad of [false, true]) {
      const n = 257;
      const rng = new Random(3);
      const w0 = Float32Array.from({ length: n }, () => rng.normal());
      const v = new Variable("w", [n], w0.slice());
      const opt = new Adam({ learningRate: 0.01, beta2: 0.9, amsgrad });
      const w = w0.slice();
      const [m, s, sMax] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      for (let t = 1; t <= 6; t++) {
        const g = Float32Array.from({ length: n }, (_, i) => rng.normal() * (i % 7 === 0 ? 1e-4 : t % 2 ? 3 : 0.1));
        v.grad.set(g);
        opt.apply([v]);
        const alpha = (0.01 * Math.sqrt(1 - 0.9 ** t)) / (1 - 0.9 ** t);
        for (let i = 0; i < n; i++) {
          m[i] += (g[i] - m[i]) * 0.09999999999999998;
          s[i] += (g[i] * g[i] - s[i]) * 0.09999999999999998;
          if (amsgrad && s[i] > sMax[i]) sMax[i] = s[i];
          w[i] -= (alpha * m[i]) / (Math.sqrt(amsgrad ? sMax[i] : s[i]) + 1e-7);
        }
        expect(v.value).toEqual(w);
      }
    }
  });

  it("AdamW: decoupled decay w ← w − w·wd·lr before the Adam update (default wd 0.004)", () => {
    expectClose(runSteps(new AdamW({ learningRate: 0.01 })), adamReference(() => 0.01, { wd: 0.004 }));
    expectClose(runSteps(new AdamW({ learningRate: 0.05, weightDecay: 0.1, beta1: 0.8 })), adamReference(() => 0.05, { wd: 0.1, b1: 0.8 }));
    expect(new AdamW().getConfig()).toMatchObject({ learningRate: 0.001, weightDecay: 0.004, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false });
    expect(new AdamW().className).toBe("AdamW");
  });

  // keras/src/optimizers/rmsprop.py update_step:
  //   velocity = rho·velocity + (1−rho)·g²;  centered: average_grad = rho·average_grad + (1−rho)·g,
  //   denominator = velocity − average_grad² + epsilon, else velocity + epsilon;
  //   increment = lr·g / sqrt(denominator); momentum > 0: momentum = momentum·μ + increment, w −= momentum; else w −= increment
  function rmspropReference(lr: number, { rho = 0.9, mu = 0, eps = 1e-7, centered = false } = {}) {
    const vel = W0.map(() => 0);
    const mom = W0.map(() => 0);
    const avg = W0.map(() => 0);
    return reference((w, g) => {
      for (let i = 0; i < w.length; i++) {
        vel[i] = rho * vel[i] + (1 - rho) * g[i] * g[i];
        let denom = vel[i] + eps;
        if (centered) {
          avg[i] = rho * avg[i] + (1 - rho) * g[i];
          denom = vel[i] - avg[i] * avg[i] + eps;
        }
        const inc = (lr * g[i]) / Math.sqrt(denom);
        if (mu > 0) {
          mom[i] = mu * mom[i] + inc;
          w[i] -= mom[i];
        } else {
          w[i] -= inc;
        }
      }
    });
  }

  it("RMSprop (defaults: lr 0.001, rho 0.9, momentum 0, epsilon 1e-7, not centered)", () => {
    expectClose(runSteps(new RMSprop()), rmspropReference(0.001));
    expect(new RMSprop().getConfig()).toEqual({ learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
  });

  it("RMSprop with momentum and centered", () => {
    expectClose(runSteps(new RMSprop({ learningRate: 0.01, momentum: 0.5 })), rmspropReference(0.01, { mu: 0.5 }));
    expectClose(runSteps(new RMSprop({ learningRate: 0.01, centered: true, rho: 0.8 })), rmspropReference(0.01, { centered: true, rho: 0.8 }));
    expectClose(runSteps(new RMSprop({ learningRate: 0.01, centered: true, momentum: 0.9 })), rmspropReference(0.01, { centered: true, mu: 0.9 }));
  });

  // keras/src/optimizers/adagrad.py: accumulator starts at initial_accumulator_value;
  //   accumulator += g²;  w −= lr·g / sqrt(accumulator + epsilon)
  function adagradReference(lr: number, init = 0.1, eps = 1e-7) {
    const acc = W0.map(() => init);
    return reference((w, g) => {
      for (let i = 0; i < w.length; i++) {
        acc[i] += g[i] * g[i];
        w[i] -= (lr * g[i]) / Math.sqrt(acc[i] + eps);
      }
    });
  }

  it("Adagrad (defaults: lr 0.001, initial accumulator 0.1, epsilon 1e-7) and options", () => {
    expectClose(runSteps(new Adagrad()), adagradReference(0.001));
    expectClose(runSteps(new Adagrad({ learningRate: 0.1, initialAccumulatorValue: 0.5, epsilon: 1e-3 })), adagradReference(0.1, 0.5, 1e-3));
  });

  // keras/src/optimizers/sgd.py: m = μ·m − lr·g; w += m (Nesterov: w += μ·m − lr·g); no momentum: w −= lr·g
  it("SGD, plain, momentum and Nesterov", () => {
    const sgdReference = (lr: number, mu: number, nesterov: boolean) => {
      const m = W0.map(() => 0);
      return reference((w, g) => {
        for (let i = 0; i < w.length; i++) {
          if (mu === 0) {
            w[i] -= lr * g[i];
            continue;
          }
          m[i] = mu * m[i] - lr * g[i];
          w[i] += nesterov ? mu * m[i] - lr * g[i] : m[i];
        }
      });
    };
    expectClose(runSteps(new SGD()), sgdReference(0.01, 0, false));
    expectClose(runSteps(new SGD({ learningRate: 0.1, momentum: 0.9 })), sgdReference(0.1, 0.9, false));
    expectClose(runSteps(new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true })), sgdReference(0.1, 0.9, true));
  });

  it("weightDecay works on any optimizer (Keras 3 base option), e.g. SGD", () => {
    const expected = reference((w, g) => {
      for (let i = 0; i < w.length; i++) w[i] -= w[i] * 0.5 * 0.1;
      for (let i = 0; i < w.length; i++) w[i] -= 0.1 * g[i];
    });
    expectClose(runSteps(new SGD({ learningRate: 0.1, weightDecay: 0.5 })), expected);
  });
});

describe("gradient clipping (Keras 3 _clip_gradients)", () => {
  const twoVariables = () => [new Variable("a", [2], Float32Array.from([0, 0])), new Variable("b", [1], Float32Array.from([0]))];
  /** One plain SGD step (lr 1) shows the clipped gradient as −Δw. */
  function clipped(args: { clipnorm?: number; clipvalue?: number; globalClipnorm?: number }): number[][] {
    const vs = twoVariables();
    vs[0].grad.set([3, 4]); // norm 5
    vs[1].grad.set([-12]); // norm 12; global norm 13
    new SGD({ learningRate: 1, ...args }).apply(vs);
    expect(Array.from(vs[0].grad)).toEqual([3, 4]); // the model's gradients are left as they were
    return vs.map((v) => Array.from(v.value, (x) => -x));
  }

  it("clipvalue clips each element", () => {
    expect(clipped({ clipvalue: 3.5 })).toEqual([[3, 3.5], [-3.5]]);
  });

  it("clipnorm scales each variable's gradient to at most that L2 norm", () => {
    const [a, b] = clipped({ clipnorm: 2.5 });
    expect(a[0]).toBeCloseTo(1.5, 6);
    expect(a[1]).toBeCloseTo(2, 6);
    expect(b[0]).toBeCloseTo(-2.5, 6);
    expect(clipped({ clipnorm: 100 })).toEqual([[3, 4], [-12]]);
  });

  it("globalClipnorm scales all gradients together to at most that global norm", () => {
    const [a, b] = clipped({ globalClipnorm: 6.5 }); // factor 6.5/13 = 0.5
    expect(a[0]).toBeCloseTo(1.5, 6);
    expect(a[1]).toBeCloseTo(2, 6);
    expect(b[0]).toBeCloseTo(-6, 6);
  });

  it("refuses more than one clipping option, as Keras 3", () => {
    expect(() => new Adam({ clipnorm: 1, clipvalue: 1 })).toThrow(/Only one of/);
  });
});

describe("learning-rate schedules (Keras 3 learning_rate_schedule.py)", () => {
  it("exponentialDecay: lr0 · rate^(step/decaySteps), floored with staircase", () => {
    const smooth = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expect(smooth.at(0)).toBe(0.1);
    expect(smooth.at(5)).toBeCloseTo(0.1 * 0.5 ** 0.5, 12);
    expect(smooth.at(20)).toBeCloseTo(0.025, 12);
    const stairs = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect([stairs.at(0), stairs.at(19), stairs.at(20)]).toEqual([0.1, 0.05, 0.025]);
    expect(stairs.getConfig()).toEqual({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
  });

  it("piecewiseConstantDecay: values[i] on (boundaries[i−1], boundaries[i]]", () => {
    const s = piecewiseConstantDecay({ boundaries: [100, 200], values: [1.0, 0.5, 0.1] });
    expect([s.at(0), s.at(100), s.at(101), s.at(200), s.at(201), s.at(1e6)]).toEqual([1.0, 1.0, 0.5, 0.5, 0.1, 0.1]);
    expect(() => piecewiseConstantDecay({ boundaries: [1], values: [1] })).toThrow(RaggedError);
    expect(() => piecewiseConstantDecay({ boundaries: [2, 1], values: [1, 1, 1] })).toThrow(/increase/);
  });

  it("cosineDecay: lr0·((1−α)·½(1+cos(π·min(step, N)/N)) + α), with optional linear warmup", () => {
    const s = cosineDecay({ initialLearningRate: 0.1, decaySteps: 100 });
    expect(s.at(0)).toBeCloseTo(0.1, 12);
    expect(s.at(50)).toBeCloseTo(0.05, 12);
    expect(s.at(100)).toBeCloseTo(0, 12);
    expect(s.at(150)).toBeCloseTo(0, 12);
    const floor = cosineDecay({ initialLearningRate: 0.1, decaySteps: 100, alpha: 0.2 });
    expect(floor.at(25)).toBeCloseTo(0.1 * (0.8 * 0.5 * (1 + Math.cos(Math.PI / 4)) + 0.2), 12);
    expect(floor.at(1000)).toBeCloseTo(0.02, 12);
    const warm = cosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 0.1, warmupSteps: 5 });
    expect(warm.at(0)).toBe(0);
    expect(warm.at(2)).toBeCloseTo(0.04, 12);
    expect(warm.at(5)).toBeCloseTo(0.1, 12);
    expect(warm.at(10)).toBeCloseTo(0.05, 12);
    expect(warm.at(15)).toBeCloseTo(0, 12);
  });

  it("an optimizer evaluates its schedule at `iterations` (steps taken before this one)", () => {
    const schedule = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 });
    const opt = new SGD({ learningRate: schedule });
    expect(opt.learningRate).toBe(0.1);
    const steps = runSteps(opt);
    const expected = reference((w, g, t) => {
      for (let i = 0; i < w.length; i++) w[i] -= 0.1 * 0.5 ** t * g[i];
    });
    expectClose(steps, expected);
    expect(opt.learningRate).toBeCloseTo(0.1 * 0.5 ** 3, 12);
    expectClose(runSteps(new Adam({ learningRate: schedule })), adamReference((t) => 0.1 * 0.5 ** t));
    expect(opt.getConfig().learningRate).toEqual({ className: "ExponentialDecay", config: { initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5, staircase: false } });
  });

  it("learningRate is settable as a number (ReduceLROnPlateau), but not over a schedule", () => {
    const opt = new Adam();
    opt.learningRate = 0.01;
    expect(opt.learningRate).toBe(0.01);
    expect(() => (opt.learningRate = -1)).toThrow(RaggedError);
    const scheduled = new Adam({ learningRate: cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }) });
    expect(() => (scheduled.learningRate = 0.01)).toThrow(/schedule/);
  });
});

describe("getOptimizer", () => {
  it("makes each optimizer by name, any case", () => {
    expect(optimizerNames()).toEqual(["adam", "adamw", "sgd", "rmsprop", "adagrad"]);
    expect(getOptimizer("RMSprop")).toBeInstanceOf(RMSprop);
    expect(getOptimizer("adamw")).toBeInstanceOf(AdamW);
    expect(getOptimizer("Adagrad")).toBeInstanceOf(Adagrad);
    expect(getOptimizer("sgd").learningRate).toBe(0.01);
  });

  it("takes { name, ...options } configs", () => {
    const adam = getOptimizer({ name: "adam", learningRate: 0.01, amsgrad: true });
    expect(adam).toBeInstanceOf(Adam);
    expect(adam.learningRate).toBe(0.01);
    expect((adam as Adam).amsgrad).toBe(true);
    expect(getOptimizer({ name: "rmsprop", rho: 0.95, clipnorm: 1 }).getConfig()).toMatchObject({ rho: 0.95, clipnorm: 1 });
    const scheduled = getOptimizer({ name: "sgd", learningRate: exponentialDecay({ initialLearningRate: 1, decaySteps: 2, decayRate: 0.1 }) });
    expect(scheduled.learningRateSchedule?.className).toBe("ExponentialDecay");
  });

  it("rebuilds an optimizer from its className and getConfig(), schedules included", () => {
    const original = new RMSprop({ learningRate: cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 0.1 }), rho: 0.8, clipvalue: 2 });
    const copy = getOptimizer({ name: original.className, ...original.getConfig() });
    expect(copy).toBeInstanceOf(RMSprop);
    expect(copy.getConfig()).toEqual(original.getConfig());
    expect(copy.learningRateSchedule?.at(5)).toBe(original.learningRateSchedule?.at(5));
    for (const o of [new Adam({ amsgrad: true }), new AdamW({ weightDecay: 0.1 }), new SGD({ momentum: 0.5 }), new Adagrad({ epsilon: 1e-5 })]) {
      expect(getOptimizer({ name: o.className, ...o.getConfig() }).getConfig()).toEqual(o.getConfig());
    }
    expect(() => getSchedule({ className: "PolynomialDecay", config: {} })).toThrow(RaggedError);
  });

  it("rejects unknown names and options", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as RaggedError).code;
      }
      return "no error";
    };
    expect(code(() => getOptimizer("adadelta"))).toBe("UNKNOWN_NAME");
    expect(code(() => getOptimizer({ name: "adam", rho: 0.9 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => getOptimizer({ name: "adam", learningRate: 0 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => getOptimizer({ name: "rmsprop", rho: 2 }))).toBe("INVALID_ARGUMENT");
  });

  it("passes an instance through", () => {
    const opt = new SGD();
    expect(getOptimizer(opt)).toBe(opt);
  });
});

import { describe, expect, it } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { Tensor } from "../../core/tensor.js";
import { layers, sequential } from "../../index.js";
import { type Callback, CallbackList, type CallbackModel, type Logs } from "../callbacks.js";
import { LearningRateScheduler, learningRateScheduler } from "./learning_rate_scheduler.js";

function fakeModel(learningRate: number): CallbackModel & { optimizer: { learningRate: number } } {
  return { stopTraining: false, optimizer: { learningRate }, getWeights: () => [new Tensor([1])], setWeights: () => undefined };
}

/** Drives callbacks as `runEpochs` does; records the rate in effect during each epoch and the logs. */
async function drive(callbacks: Callback[], model: CallbackModel & { optimizer: { learningRate: number } }, epochs: number) {
  const list = new CallbackList(callbacks);
  list.setModel(model);
  await list.trainBegin();
  const during: number[] = [];
  const seen: Logs[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    await list.epochBegin(epoch);
    during.push(model.optimizer.learningRate);
    const logs: Logs = { loss: 1 };
    await list.epochEnd(epoch, logs);
    seen.push(logs);
  }
  await list.trainEnd();
  return { during, seen };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof RaggedError ? e.code : "other";
  }
  return undefined;
};

describe("learningRateScheduler", () => {
  it("sets schedule(epoch, lr) at each epoch begin and logs it as learning_rate", async () => {
    const model = fakeModel(1);
    const calls: [number, number][] = [];
    const cb = learningRateScheduler((epoch, lr) => {
      calls.push([epoch, lr]);
      return lr / 2;
    });
    const { during, seen } = await drive([cb], model, 3);
    expect(calls).toEqual([[0, 1], [1, 0.5], [2, 0.25]]);
    expect(during).toEqual([0.5, 0.25, 0.125]);
    expect(seen.map((l) => l.learning_rate)).toEqual([0.5, 0.25, 0.125]);
  });

  it("a schedule may ignore the current rate (Keras' one-argument form)", async () => {
    const model = fakeModel(1);
    const { during } = await drive([learningRateScheduler((epoch) => 0.1 / (epoch + 1))], model, 3);
    expect(during).toEqual([0.1, 0.05, 0.1 / 3]);
  });

  it("runs the doc example: 15 epochs of SGD, e^-0.1 decay after epoch 10 → 0.00607", async () => {
    const model = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 1 });
    model.compile({ loss: "mse", optimizer: "sgd" });
    const schedule = (epoch: number, lr: number) => (epoch < 10 ? lr : lr * Math.exp(-0.1));
    const xs = [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]];
    const history = await model.fit(xs, [[1], [0]], { epochs: 15, verbose: 0, callbacks: [learningRateScheduler(schedule)] });
    expect(model.optimizer?.learningRate).toBeCloseTo(0.00607, 5);
    expect(history.history.learning_rate).toHaveLength(15);
    expect(history.history.learning_rate[9]).toBe(0.01);
    expect(history.history.learning_rate[10]).toBeCloseTo(0.01 * Math.exp(-0.1), 12);
  });

  it("verbose 1 reports each rate with the 1-based epoch", async () => {
    const messages: string[] = [];
    await drive([learningRateScheduler(() => 0.5, { verbose: 1, log: (m) => messages.push(m) })], fakeModel(1), 2);
    expect(messages).toEqual(["Epoch 1: LearningRateScheduler setting learning rate to 0.5.", "Epoch 2: LearningRateScheduler setting learning rate to 0.5."]);
  });

  it("rejects a non-function schedule, a schedule returning a non-number, and a missing model", () => {
    expect(code(() => learningRateScheduler(0.1 as unknown as () => number))).toBe("INVALID_ARGUMENT");
    const bad = learningRateScheduler(() => "0.1" as unknown as number);
    bad.setModel(fakeModel(1));
    expect(code(() => bad.onEpochBegin(0))).toBe("INVALID_ARGUMENT");
    const nan = learningRateScheduler(() => NaN);
    nan.setModel(fakeModel(1));
    expect(code(() => nan.onEpochBegin(0))).toBe("INVALID_ARGUMENT");
    expect(code(() => new LearningRateScheduler(() => 1).onEpochBegin(0))).toBe("INVALID_ARGUMENT");
    const uncompiled = learningRateScheduler(() => 1);
    uncompiled.setModel({ ...fakeModel(1), optimizer: null });
    expect(code(() => uncompiled.onEpochBegin(0))).toBe("NOT_COMPILED");
  });
});

import { describe, expect, it } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { Tensor } from "../../core/tensor.js";
import { layers, sequential } from "../../index.js";
import { type Callback, CallbackList, type CallbackModel, type Logs } from "../callbacks.js";
import { ReduceLROnPlateau, reduceLROnPlateau } from "./reduce_lr_on_plateau.js";

function fakeModel(learningRate: number): CallbackModel & { optimizer: { learningRate: number } } {
  return {
    stopTraining: false,
    optimizer: { learningRate },
    getWeights: () => [new Tensor([1])],
    setWeights: () => undefined,
  };
}

/** Drives callbacks as `runEpochs` does; returns each epoch's logs after the callbacks saw them. */
async function drive(callbacks: Callback[], model: CallbackModel, epochLogs: Logs[]): Promise<Logs[]> {
  const list = new CallbackList(callbacks);
  list.setModel(model);
  await list.trainBegin();
  const seen: Logs[] = [];
  for (let epoch = 0; epoch < epochLogs.length && !model.stopTraining; epoch++) {
    await list.epochBegin(epoch);
    const logs = { ...epochLogs[epoch] };
    await list.epochEnd(epoch, logs);
    seen.push(logs);
  }
  await list.trainEnd();
  return seen;
}

const valLoss = (...values: number[]): Logs[] => values.map((v) => ({ loss: 0, val_loss: v }));
const rates = (seen: Logs[]) => seen.map((l) => l.learning_rate);

describe("reduceLROnPlateau", () => {
  it("multiplies the rate by factor after `patience` flat epochs and logs the rate of each epoch", async () => {
    const model = fakeModel(1);
    const seen = await drive([reduceLROnPlateau({ factor: 0.5, patience: 2 })], model, valLoss(1, 1, 1, 1, 1, 1));
    expect(rates(seen)).toEqual([1, 1, 1, 0.5, 0.5, 0.25]);
    expect(model.optimizer.learningRate).toBe(0.25);
  });

  it("an improvement resets the wait", async () => {
    const model = fakeModel(1);
    const seen = await drive([reduceLROnPlateau({ factor: 0.5, patience: 2 })], model, valLoss(1, 1, 0.5, 0.5, 0.5));
    expect(rates(seen)).toEqual([1, 1, 1, 1, 1]);
    expect(model.optimizer.learningRate).toBe(0.5);
  });

  it("cooldown: after a reduction, `cooldown` epochs pass before waiting resumes (Keras counting)", async () => {
    const model = fakeModel(1);
    const cb = reduceLROnPlateau({ factor: 0.5, patience: 1, cooldown: 2 });
    const seen = await drive([cb], model, valLoss(1, 1, 1, 1, 1, 1, 1, 1));
    expect(rates(seen)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
    expect(model.optimizer.learningRate).toBe(0.0625);
    expect(cb.inCooldown()).toBe(true);
    // Without a cooldown the same plateau halves the rate every epoch.
    const fast = fakeModel(1);
    expect(rates(await drive([reduceLROnPlateau({ factor: 0.5, patience: 1 })], fast, valLoss(1, 1, 1, 1)))).toEqual([1, 1, 0.5, 0.25]);
  });

  it("minLr: the rate is clipped to minLr and then left alone", async () => {
    const model = fakeModel(0.1);
    const cb = reduceLROnPlateau({ factor: 0.1, patience: 1, minLr: 0.005 });
    const seen = await drive([cb], model, valLoss(1, 1, 1, 1, 1, 1));
    expect(rates(seen)).toEqual([0.1, 0.1, 0.1 * 0.1, 0.005, 0.005, 0.005]);
    expect(model.optimizer.learningRate).toBe(0.005);
    expect(cb.wait).toBe(3); // epochs 3, 4, 5: Keras does not reset the wait when the rate is already at minLr
  });

  it("minDelta (default 1e-4): smaller changes are a plateau", async () => {
    const model = fakeModel(1);
    const seen = await drive([reduceLROnPlateau({ factor: 0.5, patience: 1 })], model, valLoss(1, 0.99995, 0.5));
    expect(rates(seen)).toEqual([1, 1, 0.5]);
    const loose = fakeModel(1);
    await drive([reduceLROnPlateau({ factor: 0.5, patience: 1, minDelta: 0.2 })], loose, valLoss(1, 0.85, 0.7, 0.5));
    // 0.85 is within 0.2 of 1 (cut), 0.7 improves, 0.5 is within 0.2 of 0.7 (cut).
    expect(loose.optimizer.learningRate).toBe(0.25);
  });

  it("mode: auto maximises accuracy; explicit max and min", async () => {
    const acc = [0.5, 0.6, 0.6].map((v) => ({ val_accuracy: v }));
    const auto = fakeModel(1);
    await drive([reduceLROnPlateau({ monitor: "val_accuracy", factor: 0.5, patience: 1 })], auto, acc);
    expect(auto.optimizer.learningRate).toBe(0.5);
    const min = fakeModel(1);
    await drive([reduceLROnPlateau({ monitor: "val_accuracy", mode: "min", factor: 0.5, patience: 1 })], min, acc);
    expect(min.optimizer.learningRate).toBe(0.25);
    const max = fakeModel(1);
    await drive([reduceLROnPlateau({ mode: "max", factor: 0.5, patience: 1 })], max, valLoss(1, 2, 3));
    expect(max.optimizer.learningRate).toBe(1);
  });

  it("a missing monitor warns (listing learning_rate too) and changes nothing", async () => {
    const messages: string[] = [];
    const model = fakeModel(1);
    const seen = await drive([reduceLROnPlateau({ patience: 0, log: (m) => messages.push(m) })], model, [{ loss: 1 }, { loss: 1 }]);
    expect(rates(seen)).toEqual([1, 1]);
    expect(messages).toEqual([
      "Learning rate reduction is conditioned on metric `val_loss` which is not available. Available metrics are: loss,learning_rate.",
      "Learning rate reduction is conditioned on metric `val_loss` which is not available. Available metrics are: loss,learning_rate.",
    ]);
    expect(model.optimizer.learningRate).toBe(1);
  });

  it("verbose 1 reports each reduction with the 1-based epoch", async () => {
    const messages: string[] = [];
    await drive([reduceLROnPlateau({ factor: 0.5, patience: 1, verbose: 1, log: (m) => messages.push(m) })], fakeModel(1), valLoss(1, 1, 1));
    expect(messages).toEqual(["Epoch 2: ReduceLROnPlateau reducing learning rate to 0.5.", "Epoch 3: ReduceLROnPlateau reducing learning rate to 0.25."]);
  });

  it("resets on train begin", async () => {
    const cb = reduceLROnPlateau({ factor: 0.5, patience: 2, cooldown: 3 });
    await drive([cb], fakeModel(1), valLoss(0.1, 1, 1));
    expect(cb.cooldownCounter).toBe(3);
    const model = fakeModel(1);
    await drive([cb], model, valLoss(5, 5));
    expect([cb.best, cb.wait, cb.cooldownCounter, model.optimizer.learningRate]).toEqual([5, 1, 0, 1]);
  });

  it("rejects factor >= 1 and bad counters; needs a model with an optimizer", () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof RaggedError ? e.code : "other";
      }
      return undefined;
    };
    expect(code(() => reduceLROnPlateau({ factor: 1 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => reduceLROnPlateau({ factor: 2 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => reduceLROnPlateau({ patience: -1 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => reduceLROnPlateau({ cooldown: 0.5 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => reduceLROnPlateau({ minLr: NaN }))).toBe("INVALID_ARGUMENT");
    expect(code(() => new ReduceLROnPlateau().onEpochEnd(0, { val_loss: 1 }))).toBe("INVALID_ARGUMENT");
    const uncompiled = new ReduceLROnPlateau();
    uncompiled.setModel({ ...fakeModel(1), optimizer: null });
    expect(code(() => uncompiled.onEpochEnd(0, { val_loss: 1 }))).toBe("NOT_COMPILED");
  });

  it("changes a real optimizer's rate during fit; History records learning_rate", async () => {
    const model = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 1 });
    model.compile({ loss: "mse", optimizer: "sgd" });
    const xs = [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]], [[0.7, 0.8], [0.9, 1.0], [1.1, 1.2]]];
    const ys = [[1], [0], [0.5]];
    const inject: Callback = { onEpochEnd: (_epoch, logs) => void (logs!.val_loss = 1) };
    const history = await model.fit(xs, ys, { epochs: 5, verbose: 0, callbacks: [inject, reduceLROnPlateau({ factor: 0.5, patience: 1 })] });
    expect(history.history.learning_rate).toEqual([0.01, 0.01, 0.005, 0.0025, 0.00125]);
    expect(model.optimizer?.learningRate).toBe(0.000625);
  });
});

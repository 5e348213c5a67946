import { describe, expect, it, vi } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { Tensor } from "../../core/tensor.js";
import { layers, sequential } from "../../index.js";
import { type Callback, CallbackList, type CallbackModel, type Logs } from "../callbacks.js";
import { EarlyStopping, earlyStopping } from "./early_stopping.js";

/** A model whose single weight is 10·(epoch + 1) at the end of each epoch, as if training moved it. */
function fakeModel(): CallbackModel & { weight: () => number } {
  let weights = [new Tensor([1], Float32Array.of(0))];
  return {
    stopTraining: false,
    optimizer: { learningRate: 0.01 },
    getWeights: () => weights.map((w) => new Tensor(w.shape, Float32Array.from(w.data))),
    setWeights: (ws) => void (weights = ws.map((w) => new Tensor(w.shape, Float32Array.from(w.data)))),
    weight: () => weights[0].data[0],
  };
}

/**
 * Drives callbacks as `runEpochs` does: setModel, onTrainBegin, then per epoch onEpochBegin,
 * "training" (the weight moves), onEpochEnd with that epoch's logs, until stopTraining; onTrainEnd.
 * @returns the number of epochs run.
 */
async function drive(callbacks: Callback[], model: CallbackModel, epochLogs: Logs[]): Promise<number> {
  const list = new CallbackList(callbacks);
  list.setModel(model);
  model.stopTraining = false;
  await list.trainBegin();
  let epoch = 0;
  for (; epoch < epochLogs.length && !model.stopTraining; epoch++) {
    await list.epochBegin(epoch);
    model.setWeights([new Tensor([1], Float32Array.of(10 * (epoch + 1)))]);
    await list.epochEnd(epoch, { ...epochLogs[epoch] });
  }
  await list.trainEnd();
  return epoch;
}

const valLoss = (...values: number[]): Logs[] => values.map((v) => ({ loss: 0, val_loss: v }));
const quiet = () => undefined;

describe("earlyStopping", () => {
  it("patience 2 on val_loss [1, 0.9, 0.95, 0.91, 0.8] stops after epoch 3 and restores epoch 1's weights", async () => {
    const model = fakeModel();
    const stop = earlyStopping({ patience: 2, restoreBestWeights: true });
    expect(await drive([stop], model, valLoss(1, 0.9, 0.95, 0.91, 0.8))).toBe(4);
    expect(model.stopTraining).toBe(true);
    expect(stop.stoppedEpoch).toBe(3);
    expect(stop.bestEpoch).toBe(1);
    expect(stop.best).toBe(0.9);
    expect(stop.wait).toBe(2);
    expect(model.weight()).toBe(20); // the weights at the end of epoch 1
  });

  it("keeps the last weights without restoreBestWeights", async () => {
    const model = fakeModel();
    const stop = earlyStopping({ patience: 2 });
    await drive([stop], model, valLoss(1, 0.9, 0.95, 0.91, 0.8));
    expect(stop.stoppedEpoch).toBe(3);
    expect(stop.bestWeights).toBeNull();
    expect(model.weight()).toBe(40);
  });

  it("restores the best weights also when training runs all its epochs (Keras 3 on_train_end)", async () => {
    const model = fakeModel();
    const stop = earlyStopping({ patience: 10, restoreBestWeights: true });
    expect(await drive([stop], model, valLoss(1, 0.5, 0.7))).toBe(3);
    expect(model.stopTraining).toBe(false);
    expect(stop.stoppedEpoch).toBe(0);
    expect(stop.bestEpoch).toBe(1);
    expect(model.weight()).toBe(20);
  });

  it("patience 0 stops at the first epoch without improvement; equal is not better", async () => {
    const stop = earlyStopping({ patience: 0 });
    expect(await drive([stop], fakeModel(), valLoss(1, 0.5, 0.5, 0.1))).toBe(3);
    expect(stop.stoppedEpoch).toBe(2);
    // The first watched value is always the best so far, even NaN; nothing improves on NaN.
    const nan = earlyStopping({ patience: 0, monitor: "loss" });
    expect(await drive([nan], fakeModel(), [{ loss: NaN }, { loss: 0.5 }, { loss: 0.1 }])).toBe(2);
    expect(nan.stoppedEpoch).toBe(1);
  });

  it("minDelta: a change smaller than |minDelta| is no improvement (the sign of minDelta is ignored)", async () => {
    for (const minDelta of [0.1, -0.1]) {
      const stop = earlyStopping({ patience: 1, minDelta });
      expect(await drive([stop], fakeModel(), valLoss(1, 0.95, 0.85))).toBe(2);
      expect(stop.stoppedEpoch).toBe(1);
      expect(stop.best).toBe(1);
    }
    const plain = earlyStopping({ patience: 1 });
    expect(await drive([plain], fakeModel(), valLoss(1, 0.95, 0.85))).toBe(3);
    expect(plain.best).toBe(0.85);
    // In max mode the value must rise by more than minDelta.
    const max = earlyStopping({ monitor: "val_accuracy", patience: 1, minDelta: 0.05 });
    const logs = [0.5, 0.56, 0.6].map((v) => ({ val_accuracy: v }));
    expect(await drive([max], fakeModel(), logs)).toBe(3);
    expect(max.stoppedEpoch).toBe(2);
    expect(max.best).toBe(0.56);
  });

  it("auto mode maximises names with acc/accuracy/auc and minimises the rest; explicit mode wins", async () => {
    const rising = [0.5, 0.6, 0.55, 0.7];
    const run = async (monitor: string, mode?: "min" | "max") => {
      const stop = earlyStopping({ monitor, patience: 1, mode });
      await drive([stop], fakeModel(), rising.map((v) => ({ [monitor]: v })));
      return stop.stoppedEpoch;
    };
    expect(await run("val_accuracy")).toBe(2);
    expect(await run("acc")).toBe(2);
    expect(await run("val_auc")).toBe(2);
    expect(await run("val_mae")).toBe(1);
    expect(await run("val_loss")).toBe(1);
    expect(await run("val_loss", "max")).toBe(2);
    expect(await run("val_accuracy", "min")).toBe(1);
  });

  it("baseline: wait restarts only on values that beat the baseline", async () => {
    const values = [1, 0.9, 0.95, 0.4, 0.45, 0.46, 0.47];
    const withBaseline = earlyStopping({ patience: 2, baseline: 0.5 });
    expect(await drive([withBaseline], fakeModel(), valLoss(...values))).toBe(3);
    expect(withBaseline.stoppedEpoch).toBe(2);
    const without = earlyStopping({ patience: 2 });
    expect(await drive([without], fakeModel(), valLoss(...values))).toBe(6);
    expect(without.stoppedEpoch).toBe(5);
    // Once an epoch beats the baseline, counting starts afresh from there.
    const beaten = earlyStopping({ patience: 2, baseline: 0.95, restoreBestWeights: true });
    const model = fakeModel();
    expect(await drive([beaten], model, valLoss(1, 0.9, 0.92, 0.93, 0.94))).toBe(4);
    expect(beaten.stoppedEpoch).toBe(3);
    expect(model.weight()).toBe(20);
  });

  it("baseline never beaten: weights still come from the best epoch", async () => {
    const model = fakeModel();
    const stop = earlyStopping({ patience: 3, baseline: 0.1, restoreBestWeights: true });
    expect(await drive([stop], model, valLoss(1, 0.8, 0.9, 0.85, 0.7))).toBe(3);
    expect(stop.stoppedEpoch).toBe(2);
    expect(stop.bestEpoch).toBe(1);
    expect(model.weight()).toBe(20);
  });

  it("startFromEpoch: epochs before it are not watched", async () => {
    const values = [1, 2, 3, 2.5, 2.6, 2.7];
    const model = fakeModel();
    const stop = earlyStopping({ patience: 0, startFromEpoch: 2, restoreBestWeights: true });
    expect(await drive([stop], model, valLoss(...values))).toBe(5);
    expect(stop.stoppedEpoch).toBe(4);
    expect(stop.bestEpoch).toBe(3);
    expect(model.weight()).toBe(40);
    const fromStart = earlyStopping({ patience: 0 });
    expect(await drive([fromStart], fakeModel(), valLoss(...values))).toBe(2);
    expect(fromStart.stoppedEpoch).toBe(1);
  });

  it("a missing monitor warns with the available names and does nothing", async () => {
    const messages: string[] = [];
    const model = fakeModel();
    const stop = earlyStopping({ patience: 0, restoreBestWeights: true, log: (m) => messages.push(m) });
    expect(await drive([stop], model, [{ loss: 1, mae: 2 }, { loss: 2 }, { loss: 3 }])).toBe(3);
    expect(messages).toEqual([
      "Early stopping conditioned on metric `val_loss` which is not available. Available metrics are: loss,mae",
      "Early stopping conditioned on metric `val_loss` which is not available. Available metrics are: loss",
      "Early stopping conditioned on metric `val_loss` which is not available. Available metrics are: loss",
    ]);
    expect(stop.best).toBeNull();
    expect(model.weight()).toBe(30);
  });

  it("warns through console.warn by default", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(quiet);
    try {
      await drive([earlyStopping()], fakeModel(), [{ loss: 1 }]);
      expect(warn).toHaveBeenCalledWith("Early stopping conditioned on metric `val_loss` which is not available. Available metrics are: loss");
    } finally {
      warn.mockRestore();
    }
  });

  it("verbose 1 says when it stopped and which epoch it restored (1-based, as Keras)", async () => {
    const messages: string[] = [];
    await drive([earlyStopping({ patience: 2, restoreBestWeights: true, verbose: 1, log: (m) => messages.push(m) })], fakeModel(), valLoss(1, 0.9, 0.95, 0.91));
    expect(messages).toEqual(["Epoch 4: early stopping", "Restoring model weights from the end of the best epoch: 2."]);
  });

  it("resets its counters on train begin, so an instance can be reused", async () => {
    const stop = earlyStopping({ patience: 1, restoreBestWeights: true });
    await drive([stop], fakeModel(), valLoss(1, 2));
    expect(stop.stoppedEpoch).toBe(1);
    const model = fakeModel();
    expect(await drive([stop], model, valLoss(5, 4, 3))).toBe(3);
    expect(stop.stoppedEpoch).toBe(0);
    expect(stop.best).toBe(3);
    expect(stop.bestEpoch).toBe(2);
    expect(model.weight()).toBe(30);
  });

  it("rejects bad options and a missing model with INVALID_ARGUMENT", () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof RaggedError ? e.code : "other";
      }
      return undefined;
    };
    expect(code(() => earlyStopping({ patience: -1 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => earlyStopping({ patience: 1.5 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => earlyStopping({ startFromEpoch: -2 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => earlyStopping({ minDelta: NaN }))).toBe("INVALID_ARGUMENT");
    expect(code(() => earlyStopping({ baseline: Infinity }))).toBe("INVALID_ARGUMENT");
    expect(code(() => earlyStopping({ mode: "maximum" as "max" }))).toBe("INVALID_ARGUMENT");
    expect(code(() => earlyStopping({ monitor: "" }))).toBe("INVALID_ARGUMENT");
    expect(code(() => new EarlyStopping().onEpochEnd(0, { val_loss: 1 }))).toBe("INVALID_ARGUMENT");
  });

  it("stops a real fit and restores the best weights (val_loss injected by an earlier callback)", async () => {
    const model = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 1 });
    model.compile({ loss: "mse", optimizer: "sgd" });
    const xs = [
      [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],
      [[0.7, 0.8]],
      [[0.9, 1.0], [1.1, 1.2]],
      [[-0.1, 0.5], [0.2, -0.3], [0.4, 0.1], [0.6, 0.2]],
    ];
    const ys = [[1], [0], [0.5], [0.2]];
    const fakeValLoss = [1, 0.9, 0.95, 0.91, 0.8, 0.7, 0.6];
    const inject: Callback = { onEpochEnd: (epoch, logs) => void (logs!.val_loss = fakeValLoss[epoch]) };
    const snapshots: Tensor[][] = [];
    const record: Callback = { onEpochEnd: () => void snapshots.push(model.getWeights()) };
    const stop = earlyStopping({ patience: 2, restoreBestWeights: true });
    const history = await model.fit(xs, ys, { epochs: 20, verbose: 0, callbacks: [inject, record, stop] });

    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(history.history.val_loss).toEqual([1, 0.9, 0.95, 0.91]);
    expect(stop.stoppedEpoch).toBe(3);
    expect(stop.bestEpoch).toBe(1);
    const data = (ws: Tensor[]) => ws.map((w) => Array.from(w.data));
    expect(data(model.getWeights())).toEqual(data(snapshots[1]));
    expect(data(model.getWeights())).not.toEqual(data(snapshots[3]));
  });
});

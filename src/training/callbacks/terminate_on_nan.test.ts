import { describe, expect, it, vi } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { Tensor } from "../../core/tensor.js";
import { SGD, layers, sequential } from "../../index.js";
import { type Callback, CallbackList, type CallbackModel, type Logs } from "../callbacks.js";
import { TerminateOnNaN, terminateOnNaN } from "./terminate_on_nan.js";

function fakeModel(): CallbackModel {
  return { stopTraining: false, optimizer: { learningRate: 0.01 }, getWeights: () => [new Tensor([1])], setWeights: () => undefined };
}

/** Drives callbacks through one epoch of batches as `runEpochs` does; returns the batches run and the hooks seen. */
async function driveEpoch(callbacks: Callback[], model: CallbackModel, batchLosses: number[]) {
  const events: string[] = [];
  const spy: Callback = { onEpochEnd: () => void events.push("epochEnd"), onTrainEnd: () => void events.push("trainEnd") };
  const list = new CallbackList([...callbacks, spy]);
  list.setModel(model);
  model.stopTraining = false;
  await list.trainBegin();
  await list.epochBegin(0);
  let step = 0;
  let logs: Logs = {};
  for (const loss of batchLosses) {
    await list.batchBegin(step, { size: 1 });
    logs = { loss };
    await list.batchEnd(step, logs);
    step++;
    if (model.stopTraining) break;
  }
  await list.epochEnd(0, logs);
  await list.trainEnd();
  return { step, events };
}

describe("terminateOnNaN", () => {
  it("sets stopTraining at the first NaN batch loss; the epoch and training still end normally", async () => {
    const messages: string[] = [];
    const model = fakeModel();
    const { step, events } = await driveEpoch([terminateOnNaN({ log: (m) => messages.push(m) })], model, [0.5, 0.4, NaN, 0.3]);
    expect(step).toBe(3);
    expect(model.stopTraining).toBe(true);
    expect(messages).toEqual(["Batch 2: Invalid loss, terminating training"]);
    expect(events).toEqual(["epochEnd", "trainEnd"]);
  });

  it("stops on +Infinity and -Infinity, not on finite losses or a missing loss", async () => {
    for (const bad of [Infinity, -Infinity]) {
      const model = fakeModel();
      expect((await driveEpoch([terminateOnNaN({ log: () => undefined })], model, [1, bad, 1])).step).toBe(2);
      expect(model.stopTraining).toBe(true);
    }
    const model = fakeModel();
    expect((await driveEpoch([terminateOnNaN()], model, [1e30, 0, -1])).step).toBe(3);
    const cb = terminateOnNaN();
    cb.setModel(model);
    cb.onBatchEnd(0, {});
    cb.onBatchEnd(0);
    expect(model.stopTraining).toBe(false);
  });

  it("prints through console.warn by default", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await driveEpoch([terminateOnNaN()], fakeModel(), [NaN]);
      expect(warn).toHaveBeenCalledWith("Batch 0: Invalid loss, terminating training");
    } finally {
      warn.mockRestore();
    }
  });

  it("raiseError: throws NON_FINITE at once, before other callbacks' clean-up", async () => {
    const model = fakeModel();
    const error = await driveEpoch([terminateOnNaN({ raiseError: true })], model, [1, NaN]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RaggedError);
    expect((error as RaggedError).code).toBe("NON_FINITE");
    expect((error as RaggedError).message).toContain("NaN or Inf loss encountered at batch 1. Loss value: NaN.");
    expect(model.stopTraining).toBe(false);
  });

  it("needs a model to stop", () => {
    expect(() => new TerminateOnNaN({ log: () => undefined }).onBatchEnd(0, { loss: NaN })).toThrow(RaggedError);
  });

  it("ends a real fit whose loss blows up (SGD with learningRate 1e30)", async () => {
    const model = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 1 });
    model.compile({ loss: "mse", optimizer: new SGD({ learningRate: 1e30 }) });
    const xs = [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]], [[1, 2]], [[3, 4]]];
    const messages: string[] = [];
    const losses: number[] = [];
    const history = await model.fit(xs, [[100], [0], [50], [-80]], {
      epochs: 10,
      batchSize: 1,
      shuffle: false,
      verbose: 0,
      callbacks: [{ onBatchEnd: (_batch, logs) => void losses.push(logs!.loss) }, terminateOnNaN({ log: (m) => messages.push(m) })],
    });
    expect(losses).toHaveLength(2);
    expect(Number.isFinite(losses[0])).toBe(true);
    expect(Number.isFinite(losses[1])).toBe(false);
    expect(messages).toEqual(["Batch 1: Invalid loss, terminating training"]);
    expect(history.epoch).toEqual([0]);
  });
});

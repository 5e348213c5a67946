import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { layers, sequential } from "../../node.js";
import { loadModel } from "../../node.js";
import type { Callback } from "../callbacks.js";
import { formatPath, modelCheckpoint } from "./model_checkpoint.js";

const dir = mkdtempSync(join(tmpdir(), "ragged-ckpt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model() {
  const m = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 1 });
  m.compile({ loss: "mse", optimizer: "adam" });
  return m;
}
const xs = [[[0.1, 0.2], [0.3, 0.1]], [[0.5, 0.4]]];
const ys = [[0.5], [0.2]];

describe("modelCheckpoint", () => {
  it("formats {epoch} and logged values", () => {
    expect(formatPath("ckpt-{epoch:03}-{val_loss:.2}", 7, { val_loss: 0.1234 })).toBe("ckpt-007-0.12");
    expect(formatPath("e{epoch}", 2, {})).toBe("e2");
  });

  it("with saveBestOnly saves exactly the improving epochs, and the saved model is the best one", async () => {
    const m = model();
    const fake = [0.9, 0.5, 0.7, 0.4, 0.6];
    let bestWeights: number[][] = [];
    const inject: Callback = {
      onEpochEnd: (epoch, logs) => {
        if (logs) logs.val_loss = fake[epoch];
        if (fake[epoch] === 0.4) bestWeights = m.getWeights().map((w) => Array.from(w.data));
      },
    };
    const path = `file://${join(dir, "best")}`;
    const ckpt = modelCheckpoint({ filepath: path, saveBestOnly: true });
    await m.fit(xs, ys, { epochs: 5, verbose: 0, callbacks: [inject, ckpt] });
    expect(ckpt.saved.length).toBe(3); // epochs 1, 2 and 4 improved
    expect(ckpt.best).toBe(0.4);
    const loaded = await loadModel(`${path}/model.json`);
    expect(loaded.getWeights().map((w) => Array.from(w.data))).toEqual(bestWeights);
  });

  it("without saveBestOnly saves every epoch at its own path", async () => {
    const m = model();
    const ckpt = modelCheckpoint({ filepath: `file://${join(dir, "every-{epoch:02}")}` });
    await m.fit(xs, ys, { epochs: 3, verbose: 0, callbacks: [ckpt] });
    expect(readdirSync(dir).filter((d) => d.startsWith("every-")).sort()).toEqual(["every-01", "every-02", "every-03"]);
  });

  it("warns and skips when the monitored value is missing", async () => {
    const messages: string[] = [];
    const ckpt = modelCheckpoint({ filepath: `file://${join(dir, "never")}`, saveBestOnly: true, log: (m) => messages.push(m) });
    await model().fit(xs, ys, { epochs: 1, verbose: 0, callbacks: [ckpt] });
    expect(ckpt.saved).toEqual([]);
    expect(messages[0]).toContain("val_loss");
  });
});

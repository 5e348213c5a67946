import { describe, expect, it } from "vitest";
import { ProgressBar } from "./bar.js";

function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  return { output: { isTTY, write: (s: string) => void chunks.push(s) }, chunks };
}

describe("ProgressBar", () => {
  it("writes Keras' finished-epoch line: 30/30 [====…] - 4s 137ms/step - loss: 0.6738", () => {
    let clock = 0;
    const { output, chunks } = recorder(false);
    const bar = new ProgressBar({ epochs: 10, steps: 30, output, verbose: 1, now: () => clock });
    bar.onEpochBegin(1);
    for (let b = 0; b < 30; b++) bar.onBatchEnd(b, { loss: 0.7 });
    clock = 4110;
    bar.onEpochEnd(1, { loss: 0.67381 });
    expect(chunks).toEqual(["Epoch 2/10\n", "30/30 [==============================] - 4s 137ms/step - loss: 0.6738\n"]);
  });

  it("redraws in place on a terminal, with an arrow head and an ETA", () => {
    let clock = 0;
    const { output, chunks } = recorder(true);
    const bar = new ProgressBar({ epochs: 1, steps: 30, output, verbose: 1, now: () => clock });
    bar.onEpochBegin(0);
    clock = 1000;
    bar.onBatchEnd(9, { loss: 0.5 });
    expect(chunks[1]).toBe("\r10/30 [=========>....................] - ETA: 2s - loss: 0.5000");
    clock = 3000;
    bar.onBatchEnd(29, { loss: 0.25 });
    bar.onEpochEnd(0, { loss: 0.25 });
    expect(chunks[chunks.length - 1]).toBe("\r30/30 [==============================] - 3s 100ms/step - loss: 0.2500\n");
  });

  it("verbose 2 writes only one line per epoch even on a terminal", () => {
    const { output, chunks } = recorder(true);
    const bar = new ProgressBar({ epochs: 1, steps: 3, output, verbose: 2, now: () => 0 });
    bar.onEpochBegin(0);
    for (let b = 0; b < 3; b++) bar.onBatchEnd(b, { loss: 1 });
    bar.onEpochEnd(0, { loss: 1 });
    expect(chunks.length).toBe(2);
    expect(chunks[1].startsWith("3/3 [")).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { layers, loadModel, memory, sequential } from "../index.js";

describe("userDefinedMetadata", () => {
  it("travels through save and load, beside ragged's own entries", async () => {
    const model = sequential([layers.lstm({ units: 2, inputShape: [null, 3], recurrentActivation: "hardSigmoid" }), layers.dense({ units: 2 })], { seed: 1 });
    const metadata = { ragged: { labels: ["a", "b"] }, mine: { note: "x" } };
    model.setUserDefinedMetadata(metadata);
    metadata.mine.note = "changed"; // the model keeps its own copy
    const handler = memory();
    await model.save(handler);
    const saved = (await handler.load()).userDefinedMetadata as Record<string, Record<string, unknown>>;
    expect(saved.mine).toEqual({ note: "x" });
    expect(saved.ragged.labels).toEqual(["a", "b"]);
    expect(saved.ragged.keras3HardSigmoid).toBeDefined(); // ragged's entry merged in
    const again = await loadModel(handler);
    expect(again.getUserDefinedMetadata()).toEqual(saved);
  });

  it("is absent unless set, and rejects what is not an object", () => {
    const model = sequential([layers.dense({ units: 1, inputShape: [null, 2] })]);
    expect(model.getUserDefinedMetadata()).toBeUndefined();
    expect(() => model.setUserDefinedMetadata([] as unknown as Record<string, unknown>)).toThrow(/plain JSON object/);
  });
});

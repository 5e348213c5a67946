/**
 * Bad input gets a clear error with a stable code, what was expected, what arrived and what to do.
 */
import { describe, expect, it } from "vitest";
import { RaggedError, layers, sequential } from "../src/index.js";

function model() {
  const m = sequential([layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })], { seed: 1 });
  m.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
  return m;
}

async function codeAndMessage(run: () => unknown): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(RaggedError);
    return { code: (e as RaggedError).code, message: (e as Error).message };
  }
  throw new Error("expected an error");
}

const ok = [[[1, 2, 3], [4, 5, 6]]];
const okY = [[[1, 0], [0, 1]]];

describe("bad input", () => {
  it("a step with the wrong number of features", async () => {
    const { code, message } = await codeAndMessage(() => model().fit([[[1, 2, 3]], [[1, 2, 3], [1, 2]]], [[[1, 0]], [[1, 0], [0, 1]]], { verbose: 0 }));
    expect(code).toBe("FEATURE_MISMATCH");
    expect(message).toContain("xs[1][1]");
    expect(message).toMatch(/Expected: 3 features per step/);
    expect(message).toMatch(/Received: 2/);
  });

  it("something that is not a list of steps", async () => {
    // @ts-expect-error: a number is not a sequence (the types say so too; this is the run-time check)
    const a = await codeAndMessage(() => model().fit([5], [[[1, 0]]], { verbose: 0 }));
    expect(a.code).toBe("BAD_SEQUENCE");
    expect(a.message).toContain("xs[0] is not a sequence");
    // @ts-expect-error: a string is not data
    const b = await codeAndMessage(() => model().fit("abc", okY, { verbose: 0 }));
    expect(b.code).toBe("BAD_INPUT");
    // @ts-expect-error: features are numbers
    const c = await codeAndMessage(() => model().predict([[["a", 1, 2]]]));
    expect(c.code).toBe("NON_FINITE");
    expect(c.message).toContain("xs[0][0][0]");
  });

  it("NaN or Infinity in input or targets", async () => {
    const a = await codeAndMessage(() => model().fit([[[1, NaN, 3]]], [[[1, 0]]], { verbose: 0 }));
    expect(a.code).toBe("NON_FINITE");
    expect(a.message).toContain("xs[0][0][1] is not a finite number");
    const b = await codeAndMessage(() => model().fit(ok, [[[1, 0], [Infinity, 0]]], { verbose: 0 }));
    expect(b.code).toBe("NON_FINITE");
    expect(b.message).toContain("ys[0][1][0]");
  });

  it("targets whose length differs from their sequence", async () => {
    const { code, message } = await codeAndMessage(() => model().fit(ok, [[[1, 0]]], { verbose: 0 }));
    expect(code).toBe("TARGET_MISMATCH");
    expect(message).toMatch(/ys\[0\] must have one target per step of xs\[0\][\s\S]*Expected: 2 steps[\s\S]*Received: 1 steps/);
    const wrongWidth = await codeAndMessage(() => model().fit(ok, [[[1, 0, 0], [0, 1, 0]]], { verbose: 0 }));
    expect(wrongWidth.code).toBe("TARGET_MISMATCH");
    const wrongCount = await codeAndMessage(() => model().fit(ok, [], { verbose: 0 }));
    expect(wrongCount.code).toBe("TARGET_MISMATCH");
  });

  it("unknown loss, optimizer and activation names", async () => {
    const loss = await codeAndMessage(() => model().compile({ loss: "crossEntropyish", optimizer: "adam" }));
    expect(loss.code).toBe("UNKNOWN_NAME");
    expect(loss.message).toContain('"crossEntropyish"');
    expect(loss.message).toContain("categoricalCrossentropy");
    const opt = await codeAndMessage(() => model().compile({ loss: "mse", optimizer: "adamm" }));
    expect(opt.code).toBe("UNKNOWN_NAME");
    expect(opt.message).toContain('"adamm"');
    const act = await codeAndMessage(() => layers.dense({ units: 2, activation: "sigmoidal" as never }));
    expect(act.code).toBe("UNKNOWN_NAME");
    expect(act.message).toContain('"sigmoidal"');
  });

  it("fit before compile", async () => {
    const m = sequential([layers.lstm({ units: 2, inputShape: [null, 3] })]);
    const { code, message } = await codeAndMessage(() => m.fit(ok, [[1, 0]], { verbose: 0 }));
    expect(code).toBe("NOT_COMPILED");
    expect(message).toContain("compile(");
  });

  it("bad options and shapes", async () => {
    expect((await codeAndMessage(() => model().fit(ok, okY, { batchSize: 0, verbose: 0 }))).code).toBe("INVALID_ARGUMENT");
    expect((await codeAndMessage(() => sequential([layers.dense({ units: 2 })]))).code).toBe("NOT_BUILT");
    expect((await codeAndMessage(() => layers.lstm({ units: 0 }))).code).toBe("INVALID_ARGUMENT");
    expect((await codeAndMessage(() => model().fitDataset([{ a: 1 } as never], { verbose: 0 }))).code).toBe("BAD_DATASET");
    const exhausted = await codeAndMessage(() => model().fitDataset([{ xs: ok, ys: okY }], { stepsPerEpoch: 2, verbose: 0 }));
    expect(exhausted.code).toBe("DATASET_EXHAUSTED");
    expect(exhausted.message).toContain("ran out after 1 batches");
  });
});

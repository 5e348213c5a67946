/**
 * Bad use of the layers gets a RaggedError with a stable code and a message that says what was
 * expected, what arrived and what to do (STYLE 3.6).
 */
import { describe, expect, it } from "vitest";
import { RaggedError, layers, sequential } from "../src/index.js";
import type { RNN } from "../src/layers/rnn/rnn.js";

async function codeAndMessage(run: () => unknown): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(RaggedError);
    return { code: (e as RaggedError).code, message: (e as Error).message };
  }
  throw new Error("expected an error");
}

describe("bad layer stacks", () => {
  it("a later layer whose inputShape disagrees with the output of the layer before it", async () => {
    const a = await codeAndMessage(() => sequential([layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.gru({ units: 2, inputShape: [null, 5] })]));
    expect(a.code).toBe("SHAPE_MISMATCH");
    expect(a.message).toMatch(/gru.*inputShape/);
    expect(a.message).toMatch(/Expected: .*4/);
    expect(a.message).toMatch(/Received: .*5/);
    expect(a.message).toMatch(/help: /);
    const b = await codeAndMessage(() => sequential([layers.lstm({ units: 4, inputShape: [null, 3] }), layers.dense({ units: 2, inputShape: [6] })]));
    expect(b.code).toBe("SHAPE_MISMATCH");
    // a matching inputShape on a later layer is fine
    expect(sequential([layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.gru({ units: 2, inputShape: [null, 4] })]).outputShape).toEqual([null, 2]);
  });

  it("a recurrent layer after a many-to-one layer (one vector per sequence)", async () => {
    const { code, message } = await codeAndMessage(() => sequential([layers.lstm({ units: 4, inputShape: [null, 3] }), layers.gru({ units: 2 })]));
    expect(code).toBe("SHAPE_MISMATCH");
    expect(message).toMatch(/needs sequences as input/);
    expect(message).toMatch(/returnSequences: true/);
  });

  it("bidirectional around a layer that is not recurrent", async () => {
    const { code, message } = await codeAndMessage(() => layers.bidirectional({ layer: layers.dense({ units: 3 }) as unknown as RNN }));
    expect(code).toBe("INVALID_ARGUMENT");
    expect(message).toMatch(/bidirectional needs a recurrent `layer`/);
    expect(message).toMatch(/Received: a Dense layer/);
    expect(message).toMatch(/help: wrap a recurrent layer/);
    const mode = await codeAndMessage(() => layers.bidirectional({ layer: layers.lstm({ units: 3 }), mergeMode: "max" as never }));
    expect(mode.code).toBe("INVALID_ARGUMENT");
    expect(mode.message).toMatch(/Expected: "concat", "sum", "mul" or "ave"/);
  });

  it("returnState inside a Sequential", async () => {
    const { code, message } = await codeAndMessage(() => sequential([layers.lstm({ units: 4, returnState: true, inputShape: [null, 3] })]));
    expect(code).toBe("UNSUPPORTED");
    expect(message).toMatch(/returnState: true, which a Sequential model cannot pass on/);
    expect(message).toMatch(/layer\.apply/);
  });

  it("masking or embedding(maskZero) anywhere but first", async () => {
    const { code, message } = await codeAndMessage(() => sequential([layers.dense({ units: 3, inputShape: [null, 3] }), layers.masking()]));
    expect(code).toBe("UNSUPPORTED");
    expect(message).toMatch(/must be the first layer/);
  });
});

describe("bad state", () => {
  it("a stateful layer without a fixed batch size", async () => {
    const { code, message } = await codeAndMessage(() => layers.lstm({ units: 4, stateful: true, inputShape: [null, 3] }));
    expect(code).toBe("INVALID_ARGUMENT");
    expect(message).toMatch(/stateful .* needs a fixed batch size/i);
    expect(message).toMatch(/batchInputShape/);
  });

  it("a stateful model fed another batch size", async () => {
    const model = sequential([layers.gru({ units: 4, stateful: true, returnSequences: true, batchInputShape: [2, null, 3] })], { seed: 1 });
    model.predict([[[1, 2, 3]], [[4, 5, 6]]]);
    const { code, message } = await codeAndMessage(() => model.predict([[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9]]]));
    expect(code).toBe("BATCH_MISMATCH");
    expect(message).toMatch(/built for batches of 2 sequences/);
    expect(message).toMatch(/Received: 3/);
    const layer = model.layers[0] as RNN;
    const viaApply = await codeAndMessage(() => layer.apply([[[1, 2, 3]]]));
    expect(viaApply.code).toBe("BATCH_MISMATCH");
  });

  it("an initialState of the wrong shape", async () => {
    const lstm = layers.lstm({ units: 3, returnState: true, inputShape: [null, 2] });
    const xs = [[[1, 2]], [[3, 4], [5, 6]]];
    const zeros = (rows: number, width: number) => Array.from({ length: rows }, () => new Array(width).fill(0));
    const oneState = await codeAndMessage(() => lstm.apply(xs, { initialState: [zeros(2, 3)] }));
    expect(oneState.code).toBe("SHAPE_MISMATCH");
    expect(oneState.message).toMatch(/Expected: 2 states \(\[h, c\]\), each 2 rows of 3 numbers/);
    const rows = await codeAndMessage(() => lstm.apply(xs, { initialState: [zeros(1, 3), zeros(2, 3)] }));
    expect(rows.code).toBe("SHAPE_MISMATCH");
    expect(rows.message).toMatch(/initialState\[0\]/);
    const width = await codeAndMessage(() => lstm.apply(xs, { initialState: [zeros(2, 3), zeros(2, 4)] }));
    expect(width.code).toBe("SHAPE_MISMATCH");
    expect(width.message).toMatch(/initialState\[1\]\[0\] must be 3 finite numbers/);
    const nan = await codeAndMessage(() => lstm.apply(xs, { initialState: [zeros(2, 3), [[0, 0, NaN], [0, 0, 0]]] }));
    expect(nan.code).toBe("SHAPE_MISMATCH");
  });

  it("dropout and recurrentDropout outside [0, 1)", async () => {
    expect((await codeAndMessage(() => layers.gru({ units: 2, recurrentDropout: 1 }))).code).toBe("INVALID_ARGUMENT");
    expect((await codeAndMessage(() => layers.simpleRNN({ units: 2, recurrentDropout: -0.2 }))).code).toBe("INVALID_ARGUMENT");
    expect((await codeAndMessage(() => layers.lstm({ units: 2, dropout: 1 }))).code).toBe("INVALID_ARGUMENT");
    expect((await codeAndMessage(() => layers.dropout({ rate: -0.1 }))).code).toBe("INVALID_ARGUMENT");
  });
});

describe("bad data for the layers", () => {
  const embeddingModel = () => {
    const m = sequential([layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputShape: [null] }), layers.gru({ units: 2 }), layers.dense({ units: 2, activation: "softmax" })], { seed: 2 });
    m.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
    return m;
  };

  for (const [bad, help] of [
    [5, /raise inputDim to the vocabulary size/],
    [-1, /token ids must be whole numbers ≥ 0/],
    [1.5, /token ids must be whole numbers ≥ 0/],
  ] as const) {
    it(`token id ${bad} in an embedding with inputDim 5`, async () => {
      const { code, message } = await codeAndMessage(() => embeddingModel().predict([[1, 2], [3, bad, 4]]));
      expect(code).toBe("BAD_INPUT");
      expect(message).toMatch(/xs\[1\]\[1\] is not a token id/);
      expect(message).toMatch(/Expected: integers in \[0, 5\)/);
      expect(message).toContain(`Received: ${bad}`);
      expect(message).toMatch(help);
      const fitting = await codeAndMessage(() => embeddingModel().fit([[1, 2], [3, bad, 4]], [[1, 0], [0, 1]], { verbose: 0 }));
      expect(fitting.code).toBe("BAD_INPUT");
    });
  }

  it("sample weights of the wrong length, or negative", async () => {
    const m = sequential([layers.lstm({ units: 3, returnSequences: true, inputShape: [null, 2] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })], { seed: 3 });
    m.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
    const xs = [[[1, 2], [3, 4]], [[5, 6]]];
    const ys = [[[1, 0], [0, 1]], [[1, 0]]];
    const count = await codeAndMessage(() => m.fit(xs, ys, { sampleWeight: [1], verbose: 0 }));
    expect(count.code).toBe("TARGET_MISMATCH");
    expect(count.message).toMatch(/sampleWeight must have one entry per sequence[\s\S]*Expected: 2[\s\S]*Received: 1/);
    const steps = await codeAndMessage(() => m.fit(xs, ys, { sampleWeight: [[1, 1, 1], [1]], verbose: 0 }));
    expect(steps.code).toBe("TARGET_MISMATCH");
    expect(steps.message).toMatch(/sampleWeight\[0\] has the wrong length[\s\S]*Expected: one number, or 2 per-step weights/);
    const negative = await codeAndMessage(() => m.fit(xs, ys, { sampleWeight: [1, -0.5], verbose: 0 }));
    expect(negative.code).toBe("INVALID_ARGUMENT");
    expect(negative.message).toMatch(/sampleWeight\[1\] must hold finite, non-negative numbers[\s\S]*Received: -0.5/);
    const evaluating = await codeAndMessage(() => m.evaluate(xs, ys, { sampleWeight: [[1, -1], [1]] }));
    expect(evaluating.code).toBe("INVALID_ARGUMENT");
  });

  it("input whose features do not match the first layer (masking, bidirectional)", async () => {
    const m = sequential([layers.masking({ inputShape: [null, 3] }), layers.bidirectional({ layer: layers.lstm({ units: 2 }) })], { seed: 4 });
    const { code, message } = await codeAndMessage(() => m.predict([[[1, 2, 3], [1, 2]]]));
    expect(code).toBe("FEATURE_MISMATCH");
    expect(message).toMatch(/xs\[0\]\[1\][\s\S]*Expected: 3 features per step/);
  });
});

/** The `--layers` mini-language: parsing, the shape rules, and its error messages (in process, no spawn). */
import { describe, expect, it } from "vitest";
import { buildLayers, parseLayerSpec } from "../../src/cli/layer_spec.js";
import { RaggedError, sequential } from "../../src/index.js";

const classify = (classes: number) => ({ kind: "classification" as const, classes });

function model(spec: string, context: Parameters<typeof buildLayers>[1]) {
  return sequential(buildLayers(parseLayerSpec(spec), context), { seed: 1 });
}

describe("--layers", () => {
  it("builds every kind, stacking recurrent layers and adding the output layer", () => {
    const m = model("masking:-1,bilstm:4,dropout:0.1,gru:3,simple_rnn:2", { features: 5, perStep: false, task: classify(3) });
    expect(m.layers.map((l) => l.className)).toEqual(["Masking", "Bidirectional", "Dropout", "GRU", "SimpleRNN", "Dense"]);
    expect(m.layerOutputShapes()).toEqual([
      [null, null, 5],
      [null, null, 8],
      [null, null, 8],
      [null, null, 3],
      [null, 2],
      [null, 3],
    ]);
    expect(m.inputShape).toEqual([null, null, 5]);
  });

  it("returns sequences from the last recurrent layer for per-step targets, and before a pool", () => {
    expect(model("lstm:4,dense:2:softmax", { features: 1, perStep: true, task: classify(2) }).outputShape).toEqual([null, null, 2]);
    const pooled = model("embedding:50:8,bigru:4,pool:max", { features: 1, perStep: false, task: { kind: "regression" } });
    expect(pooled.layers.map((l) => l.className)).toEqual(["Embedding", "Bidirectional", "GlobalMaxPooling1D", "Dense"]);
    expect(pooled.outputShape).toEqual([null, 1]);
    expect(pooled.predict([[3, 4, 0], [7]])).toHaveLength(2);
  });

  it("explains what is wrong, with the item and the syntax", () => {
    const error = (spec: string, context = { features: 2, perStep: false, task: classify(2) }) => {
      try {
        model(spec, context);
      } catch (e) {
        expect(e).toBeInstanceOf(RaggedError);
        return (e as RaggedError).message;
      }
      throw new Error(`no error for ${spec}`);
    };
    expect(error("lstm:8,dens:2")).toMatch(/item 2 "dens:2": unknown layer "dens"[\s\S]*did you mean "dense"\?/);
    expect(error("lstm:0")).toContain('UNITS must be a positive integer, not "0"');
    expect(error("lstm:4,dropout:1.5")).toContain("RATE must be a fraction in [0, 1)");
    expect(error("lstm:4,dense:2:swish")).toContain('unknown activation "swish"');
    expect(error("lstm:4,,dense:2")).toContain("empty item");
    expect(error("lstm")).toContain("missing argument");
    expect(error("lstm:4,masking")).toContain("masking must be the first layer");
    expect(error("embedding:10:4,lstm:4")).toContain("takes one token id per step, but the data has 2 features");
    expect(error("lstm:4,dense:3:softmax")).toContain("has 3 units, but the targets have 2 classes");
    expect(error("lstm:4,dense:2:relu")).toContain("needs softmax");
    expect(error("lstm:4,pool:avg", { features: 2, perStep: true, task: classify(2) })).toContain("targets are per step");
  });
});

/** The `--layers` mini-language: parsing, the shape rules, and its error messages (in process, no spawn). */
import { describe, expect, it } from "vitest";
import { LAYER_SYNTAX, buildLayers, parseLayerSpec } from "../../src/cli/layer_spec.js";
import { trainHelp } from "../../src/cli/commands/train.js";
import { RaggedError, sequential } from "../../src/index.js";
import { randomSequences } from "../harness.js";
import { Random } from "../../src/core/random.js";

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
    expect(error("lstm:4,spatial_dropout:1")).toContain("RATE must be a fraction in [0, 1)");
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

describe("--layers conv1d, maxpool, avgpool, batchnorm, layernorm, activation", () => {
  const regress = { kind: "regression" as const };

  it("parses each item to its settings, in any case, conv1d's PADDING and ACTIVATION in either order", () => {
    expect(parseLayerSpec("conv1d:16:5,Conv1D:8:3:causal:relu,conv1d:4:2:Hard_Sigmoid:VALID")).toEqual([
      { kind: "conv1d", filters: 16, kernel: 5, padding: "same", activation: null, text: "conv1d:16:5" },
      { kind: "conv1d", filters: 8, kernel: 3, padding: "causal", activation: "relu", text: "Conv1D:8:3:causal:relu" },
      { kind: "conv1d", filters: 4, kernel: 2, padding: "valid", activation: "hardSigmoid", text: "conv1d:4:2:Hard_Sigmoid:VALID" },
    ]);
    expect(parseLayerSpec("maxpool:2,avgpool:3,batchnorm,layernorm,activation:relu,activation:Softmax")).toEqual([
      { kind: "maxpool", size: 2, text: "maxpool:2" },
      { kind: "avgpool", size: 3, text: "avgpool:3" },
      { kind: "batchnorm", text: "batchnorm" },
      { kind: "layernorm", text: "layernorm" },
      { kind: "activation", activation: "relu", text: "activation:relu" },
      { kind: "activation", activation: "softmax", text: "activation:Softmax" },
    ]);
  });

  it("builds the LSTM-FCN-like stack conv1d → batchnorm → activation → bilstm, each layer with its config", () => {
    const m = model("conv1d:8:3,batchnorm,activation:relu,bilstm:4", { features: 2, perStep: false, task: classify(3) });
    expect(m.layers.map((l) => l.className)).toEqual(["Conv1D", "BatchNormalization", "Activation", "Bidirectional", "Dense"]);
    expect(m.inputShape).toEqual([null, null, 2]);
    expect(m.layers[0].getConfig()).toMatchObject({ filters: 8, kernelSize: [3], strides: [1], padding: "same", activation: "linear" });
    expect(m.layers[2].getConfig()).toEqual({ activation: "relu" });
    expect(m.layerOutputShapes()).toEqual([[null, null, 8], [null, null, 8], [null, null, 8], [null, 8], [null, 3]]);
    const probabilities = m.predict(randomSequences(new Random(1), [1, 5, 9], 2)) as number[][];
    expect(probabilities.map((p) => p.length)).toEqual([3, 3, 3]);
  });

  it("builds spatial_dropout:RATE (Keras' SpatialDropout1D) after an embedding, and the recurrent layer before one returns sequences", () => {
    const m = model("embedding:20:6,spatial_dropout:0.3,bilstm:4", { features: 1, perStep: false, task: classify(2) });
    expect(m.layers.map((l) => l.className)).toEqual(["Embedding", "SpatialDropout1D", "Bidirectional", "Dense"]);
    expect(m.layers[1].getConfig()).toEqual({ rate: 0.3 });
    const stacked = model("lstm:4,spatial_dropout:0.2,gru:3", { features: 2, perStep: false, task: classify(2) });
    expect(stacked.layerOutputShapes()[0]).toEqual([null, null, 4]);
    expect(parseLayerSpec("spatial_dropout:0.25")).toEqual([{ kind: "spatial_dropout", rate: 0.25, text: "spatial_dropout:0.25" }]);
  });

  it("builds windowed pooling (stride SIZE, the last partial window kept) and layer normalization", () => {
    const m = model("conv1d:4:3:causal:tanh,maxpool:2,layernorm,avgpool:3,gru:3", { features: 2, perStep: false, task: regress });
    expect(m.layers.map((l) => l.className)).toEqual(["Conv1D", "MaxPooling1D", "LayerNormalization", "AveragePooling1D", "GRU", "Dense"]);
    expect(m.layers[0].getConfig()).toMatchObject({ filters: 4, kernelSize: [3], padding: "causal", activation: "tanh" });
    expect(m.layers[1].getConfig()).toEqual({ poolSize: [2], strides: [2], padding: "same" });
    expect(m.layers[3].getConfig()).toEqual({ poolSize: [3], strides: [3], padding: "same" });
    expect(m.predict(randomSequences(new Random(2), [1, 2, 7], 2))).toHaveLength(3); // 1 step pools to 1 step, not 0
  });

  it("keeps one output per input step for per-step targets with same or causal conv1d, and no recurrent layer is needed", () => {
    const m = model("conv1d:6:3,batchnorm,activation:relu,conv1d:6:3:causal,dense:2:softmax", { features: 2, perStep: true, task: classify(2) });
    expect(m.outputShape).toEqual([null, null, 2]);
    const out = m.predict(randomSequences(new Random(3), [1, 4, 11], 2), { perStep: true });
    expect(out.map((steps) => steps.length)).toEqual([1, 4, 11]);
  });

  it("makes a recurrent layer return sequences when conv1d or windowed pooling follows it", () => {
    const m = model("lstm:4,conv1d:3:2,maxpool:2,pool:avg", { features: 2, perStep: false, task: regress });
    expect(m.layerOutputShapes()).toEqual([[null, null, 4], [null, null, 3], [null, null, 3], [null, 3], [null, 1]]);
    const last = model("conv1d:3:2,lstm:4,activation:tanh,batchnorm", { features: 2, perStep: false, task: regress });
    expect(last.layerOutputShapes()).toEqual([[null, null, 3], [null, 4], [null, 4], [null, 4], [null, 1]]);
  });

  it("lists every item's syntax in `ragged train --help`", () => {
    for (const syntax of Object.values(LAYER_SYNTAX)) expect(trainHelp).toContain(syntax);
    expect(trainHelp).toContain("--layers conv1d:64:5,batchnorm,activation:relu,bilstm:64");
  });

  it("refuses bad items with a coded error that names the item, what was expected and what arrived", () => {
    const failure = (spec: string, context = { features: 2, perStep: false, task: classify(2) }): RaggedError => {
      try {
        model(spec, context);
      } catch (e) {
        expect(e).toBeInstanceOf(RaggedError);
        return e as RaggedError;
      }
      throw new Error(`no error for ${spec}`);
    };
    const parsing = [
      ["conv1d:8", /item 1 "conv1d:8": missing argument/, /conv1d:FILTERS:KERNEL\[:PADDING\]\[:ACTIVATION\]/],
      ["lstm:4,conv1d:0:3", /item 2 "conv1d:0:3": FILTERS must be a positive integer, not "0"/, /conv1d:FILTERS:KERNEL/],
      ["conv1d:8:2.5", /KERNEL must be a positive integer, not "2.5"/, /conv1d:FILTERS:KERNEL/],
      ["conv1d:8:3:full", /unknown padding or activation "full"/, /PADDING same, causal, valid; ACTIVATION linear, relu/],
      ["conv1d:8:3:same:valid", /PADDING given twice/, /conv1d:FILTERS:KERNEL/],
      ["conv1d:8:3:relu:tanh", /ACTIVATION given twice/, /conv1d:FILTERS:KERNEL/],
      ["conv1d:8:3:same:relu:x", /too many arguments/, /conv1d:FILTERS:KERNEL/],
      ["maxpool:0", /SIZE must be a positive integer, not "0"/, /maxpool:SIZE/],
      ["avgpool", /missing argument/, /avgpool:SIZE/],
      ["batchnorm:0.9", /too many arguments/, /^batchnorm \(/],
      ["layernorm:1", /too many arguments/, /^layernorm \(/],
      ["activation", /missing argument/, /activation:ACTIVATION/],
      ["activation:swish", /unknown activation "swish"/, /one of linear, relu, tanh, sigmoid, softmax, hardSigmoid/],
    ] as const;
    for (const [spec, summary, expected] of parsing) {
      const e = failure(spec);
      expect(e.code, spec).toBe("INVALID_ARGUMENT");
      expect(e.message, spec).toMatch(summary);
      expect(e.expected, spec).toMatch(expected);
      expect(e.received, spec).toBe(JSON.stringify(spec.split(",").at(-1)));
    }
    const unknown = failure("conv1d:8:3,batch_norm,lstm:4");
    expect(unknown.code).toBe("UNKNOWN_NAME");
    expect(unknown.message).toMatch(/item 2 "batch_norm": unknown layer "batch_norm"[\s\S]*did you mean "batchnorm"\?/);
    expect(unknown.expected).toContain("conv1d, maxpool, avgpool, batchnorm, layernorm, activation");
    expect(failure("activaton:relu").help).toMatch(/^did you mean "activation"\?/);
  });

  it("refuses stacks that cannot fit the data's shape, saying what to do", () => {
    const failure = (spec: string, perStep: boolean): RaggedError => {
      try {
        model(spec, { features: 2, perStep, task: classify(2) });
      } catch (e) {
        expect(e).toBeInstanceOf(RaggedError);
        return e as RaggedError;
      }
      throw new Error(`no error for ${spec}`);
    };
    const cases = [
      ["conv1d:8:3,maxpool:2,lstm:4", true, /maxpool:2 changes the sequence lengths, but the targets are per step/, /drop maxpool\/avgpool/],
      ["conv1d:8:3:valid,lstm:4", true, /conv1d:8:3:valid changes the sequence lengths/, /padding same or causal/],
      ["conv1d:8:3,batchnorm", false, /conv1d:8:3 leaves one output per step, but the targets are one per sequence/, /add pool:avg or pool:max/],
      ["lstm:4,conv1d:8:3", false, /conv1d:8:3 leaves one output per step/, /add pool:avg/],
      ["lstm:4,pool:avg,conv1d:8:3", false, /conv1d:8:3 after pool:avg gets no sequence/, /put pool after the last/],
      ["batchnorm,activation:relu", false, /no recurrent, conv1d or pooling layer/, /add one, e.g. lstm:32/],
    ] as const;
    for (const [spec, perStep, summary, help] of cases) {
      const e = failure(spec, perStep);
      expect(e.code, spec).toBe("INVALID_ARGUMENT");
      expect(e.message, spec).toMatch(summary);
      expect(e.help, spec).toMatch(help);
    }
    // a kernel of 1 keeps the lengths even with valid padding
    expect(model("conv1d:4:1:valid,lstm:3", { features: 2, perStep: true, task: classify(2) }).outputShape).toEqual([null, null, 2]);
  });
});

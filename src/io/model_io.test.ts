import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { Random } from "../core/random.js";
import { layers, loadModel, memory, modelFromArtifacts, modelToArtifacts, sequential, type Sequential } from "../index.js";
import type { ModelArtifacts } from "./artifacts.js";

function seqs(seed: number, lengths: number[], features: number): number[][][] {
  const rng = new Random(seed);
  return lengths.map((n) => Array.from({ length: n }, () => Array.from({ length: features }, () => rng.uniformRange(-1, 1))));
}

function seedModel(seed = 1, recurrentActivation: "sigmoid" | "hardSigmoid" | "hardSigmoidTfjs" = "sigmoid"): Sequential {
  return sequential(
    [
      layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3], recurrentActivation }),
      layers.lstm({ units: 4, returnSequences: true, kernelInitializer: { name: "randomUniform", minval: -0.2, maxval: 0.2 } }),
      layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) }),
    ],
    { seed },
  );
}

const configs = (m: Sequential) => m.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() }));

async function roundTrip(m: Sequential): Promise<Sequential> {
  const mem = memory();
  await m.save(mem);
  return loadModel(mem);
}

function expectCode(fn: () => unknown, code: string, ...inMessage: string[]): RaggedError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RaggedError);
    expect((e as RaggedError).code, (e as Error).message).toBe(code);
    for (const s of inMessage) expect((e as Error).message).toContain(s);
    return e as RaggedError;
  }
  throw new Error(`expected ${code}`);
}

describe("save → load in memory", () => {
  it("gives bitwise-identical predictions, configs and summary", async () => {
    const model = seedModel(3);
    const again = await roundTrip(model);
    const xs = seqs(4, [5, 1, 9, 3], 3);
    expect(again.predict(xs)).toEqual(model.predict(xs));
    expect(configs(again)).toEqual(configs(model));
    expect(again.name).toBe(model.name);
    expect(again.summary({ print: () => undefined })).toBe(model.summary({ print: () => undefined }));
  });

  it("writes the TF.js layers-model artifacts: format, Keras class names, snake_case config, every field", () => {
    const model = seedModel(5);
    const a = modelToArtifacts(model);
    expect(a.format).toBe("layers-model");
    expect(a.convertedBy).toBeNull();
    const topo = a.modelTopology as { class_name: string; config: { layers: { class_name: string; config: Record<string, unknown> }[] }; keras_version: string; backend: string };
    expect(topo.class_name).toBe("Sequential");
    expect(topo.backend).toBe("tensor_flow.js");
    const [l0, l1, td] = topo.config.layers;
    expect(l0.class_name).toBe("LSTM");
    expect(l0.config).toMatchObject({
      name: model.layers[0].name,
      trainable: true,
      batch_input_shape: [null, null, 3],
      dtype: "float32",
      units: 6,
      activation: "tanh",
      recurrent_activation: "sigmoid",
      use_bias: true,
      kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } },
      recurrent_initializer: { class_name: "Orthogonal", config: { gain: 1, seed: null } },
      bias_initializer: { class_name: "Zeros", config: {} },
      unit_forget_bias: true,
      kernel_regularizer: null,
      recurrent_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      recurrent_constraint: null,
      bias_constraint: null,
      dropout: 0,
      recurrent_dropout: 0,
      return_sequences: true,
      return_state: false,
      go_backwards: false,
      stateful: false,
      unroll: false,
      implementation: 2,
    });
    expect(l1.config).not.toHaveProperty("batch_input_shape");
    expect(l1.config.kernel_initializer).toEqual({ class_name: "RandomUniform", config: { minval: -0.2, maxval: 0.2, seed: null } });
    expect(td.class_name).toBe("TimeDistributed");
    expect(td.config.layer).toMatchObject({ class_name: "Dense", config: { units: 2, activation: "sigmoid", use_bias: true, kernel_constraint: null } });
    const names = (a.weightSpecs ?? []).map((s) => s.name);
    const [n0, n1, n2] = model.layers.map((l) => l.name);
    expect(names).toEqual([`${n0}/kernel`, `${n0}/recurrent_kernel`, `${n0}/bias`, `${n1}/kernel`, `${n1}/recurrent_kernel`, `${n1}/bias`, `${n2}/kernel`, `${n2}/bias`]);
    expect((a.weightData as ArrayBuffer).byteLength).toBe(model.countParams() * 4);
  });

  it("keeps Keras 3's hard sigmoid apart from TF.js' (NOTE [ hard_sigmoid in saved files ])", async () => {
    for (const act of ["hardSigmoid", "hardSigmoidTfjs"] as const) {
      const model = seedModel(6, act);
      const a = modelToArtifacts(model);
      const l0 = (a.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0];
      expect(l0.config.recurrent_activation).toBe("hard_sigmoid");
      if (act === "hardSigmoid") expect(a.userDefinedMetadata).toEqual({ ragged: { keras3HardSigmoid: [`${model.layers[0].name}/recurrent_activation`] } });
      else expect(a.userDefinedMetadata).toBeUndefined();
      const again = modelFromArtifacts(a);
      expect((again.layers[0].getConfig() as { recurrentActivation: string }).recurrentActivation).toBe(act);
      const xs = seqs(7, [4, 2], 3);
      expect(again.predict(xs)).toEqual(model.predict(xs));
    }
  });

  it("weights move into a model built for another input length (ragged models are length-free)", async () => {
    const fixed = sequential([layers.lstm({ units: 5, inputShape: [12, 2] }), layers.dense({ units: 1 })], { seed: 8 });
    const free = sequential([layers.lstm({ units: 5, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 9 });
    free.setWeights(fixed.getWeights());
    const xs = seqs(10, [3, 12, 20], 2);
    expect(free.predict(xs)).toEqual(fixed.predict(xs));
    const again = await roundTrip(fixed);
    expect(again.predict(xs)).toEqual(fixed.predict(xs));
    expect(again.inputShape).toEqual([null, 12, 2]);
  });

  it("resuming from a save with includeOptimizer trains exactly as training straight through", async () => {
    for (const optimizer of ["adam", "sgd"] as const) {
      const xs = seqs(11, [4, 7, 2, 5, 3, 6], 3);
      const ys = xs.map((s) => s.map((step) => [step[0] > 0 ? 1 : 0, step[0] > 0 ? 0 : 1]));
      const make = () => {
        const m = seedModel(12);
        m.compile({ loss: "categoricalCrossentropy", optimizer });
        return m;
      };
      const fitArgs = { batchSize: 2, shuffle: false, verbose: 0 } as const;
      const straight = make();
      await straight.fit(xs, ys, { ...fitArgs, epochs: 5 });

      const first = make();
      await first.fit(xs, ys, { ...fitArgs, epochs: 2 });
      const mem = memory();
      await first.save(mem, { includeOptimizer: true });
      const specs = mem.artifacts?.weightSpecs ?? [];
      expect(specs.find((s) => s.name === "iter")).toEqual({ name: "iter", shape: [], dtype: "int32", group: "optimizer" });
      if (optimizer === "adam") expect(specs.some((s) => s.name === `${first.layers[0].name}/kernel/m` && s.group === "optimizer")).toBe(true);
      expect(mem.artifacts?.trainingConfig?.loss).toBe("categorical_crossentropy");
      const resumed = await loadModel(mem);
      expect(resumed.optimizer?.iterations).toBe(first.optimizer?.iterations);
      await resumed.fit(xs, ys, { ...fitArgs, epochs: 3 });
      const a = straight.getWeights();
      const b = resumed.getWeights();
      a.forEach((w, i) => expect(Array.from(b[i].data), `${optimizer} weight ${i}`).toEqual(Array.from(w.data)));
    }
  });
});

describe("load errors name the problem and never return a half-built model", () => {
  const base = () => modelToArtifacts(seedModel(20));
  const topo = (a: ModelArtifacts) => a.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };

  it("unknown layer class → UNKNOWN_NAME naming the class and the source", () => {
    const a = base();
    topo(a).config.layers[1].class_name = "ConvLSTM2D";
    expectCode(() => modelFromArtifacts(a, "my/model.json"), "UNKNOWN_NAME", "ConvLSTM2D", "my/model.json");
  });

  it("a field ragged does not implement → UNSUPPORTED naming it", () => {
    const a = base();
    topo(a).config.layers[0].config.kernel_constraint = { class_name: "MaxNorm", config: { max_value: 2 } };
    expectCode(() => modelFromArtifacts(a, "m.json"), "UNSUPPORTED", "kernelConstraint", "m.json");
  });

  it("a weight shape that disagrees with the topology → SHAPE_MISMATCH naming the weight", () => {
    const a = base();
    topo(a).config.layers[1].config.units = 5;
    expectCode(() => modelFromArtifacts(a, "m.json"), "SHAPE_MISMATCH", "/kernel", "m.json");
  });

  it("a weight missing from the manifest → SHAPE_MISMATCH naming it", () => {
    const a = base();
    const specs = a.weightSpecs ?? [];
    const last = specs.pop();
    a.weightData = (a.weightData as ArrayBuffer).slice(0, (a.weightData as ArrayBuffer).byteLength - 4 * (last?.shape.reduce((x, y) => x * y, 1) ?? 0));
    expectCode(() => modelFromArtifacts(a, "m.json"), "SHAPE_MISMATCH", String(last?.name));
  });

  it("truncated weight data → BAD_FILE with expected and received bytes", () => {
    const a = base();
    const n = (a.weightData as ArrayBuffer).byteLength;
    a.weightData = (a.weightData as ArrayBuffer).slice(0, n - 10);
    const e = expectCode(() => modelFromArtifacts(a, "w.bin"), "BAD_FILE", "w.bin", "truncated");
    expect(e.expected).toContain(String(n));
    expect(e.received).toContain(String(n - 10));
  });

  it("a non-float32 weight → UNSUPPORTED", () => {
    const a = base();
    (a.weightSpecs ?? [])[0].dtype = "int32";
    expectCode(() => modelFromArtifacts(a, "m.json"), "UNSUPPORTED", "dtype");
  });
});

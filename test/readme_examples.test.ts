/**
 * The README's API section, run: every call it shows works as shown (on small generated data).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  Adam, DEFAULT_MIN_SHARD_FLOPS, type Layer, type LayerValue, type SymbolicTensor, earlyStopping, exponentialDecay, input, layers, loadModel, modelCheckpoint, packLayout,
  model as functionalModel, reduceLROnPlateau, sequential, setMinShardFlops, terminateOnNaN, terminateWorkers,
} from "../src/node.js";
import { Random } from "../src/core/random.js";
import { checkLayerGradients, randomOneHot, randomSequences } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "ragged-readme-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("README API section", () => {
  it("the quick example: seed model, fit, fitDataset, predict, predictDataset, save, loadModel", async () => {
    const rng = new Random(1);
    const lengths = [3, 8, 5, 1, 12, 7];
    const xs = randomSequences(rng, lengths, 5);
    const ys = randomOneHot(rng, lengths, 2, true);
    const model = sequential([
      layers.lstm({ units: 32, returnSequences: true, inputShape: [null, 5] }),
      layers.lstm({ units: 8, returnSequences: true }),
      layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) }),
    ], { seed: 1 });
    expect(model.summary({ print: () => {} })).toContain("6,194");
    model.compile({ loss: "categoricalCrossentropy", optimizer: "adam", metrics: ["accuracy"] });
    const history = await model.fit(xs, ys, { epochs: 2, batchSize: 64, validationSplit: 0.3, verbose: 0 });
    expect(Object.keys(history.history)).toEqual(expect.arrayContaining(["loss", "accuracy", "val_loss", "val_accuracy"]));
    function* batches() {
      for (;;) yield { xs, ys };
    }
    await model.fitDataset(batches(), { stepsPerEpoch: 2, epochs: 1, verbose: 0 });
    const testXs = randomSequences(rng, [40, 2], 5);
    const out = model.predict(testXs) as number[][][];
    expect(out.map((o) => o.length)).toEqual([40, 2]);
    const all = await model.predictDataset([{ xs: testXs }, { xs: xs.slice(0, 2) }]);
    expect(all.length).toBe(4);
    await model.save(`file://${join(dir, "model")}`);
    const again = await loadModel(`file://${join(dir, "model", "model.json")}`);
    expect(again.predict(testXs)).toEqual(out);
  });

  it("the layers, losses, optimizers and callbacks it lists", async () => {
    const rng = new Random(2);
    const lengths = [4, 6, 2, 9, 3, 5, 7, 8];
    const ids = lengths.map((n) => Array.from({ length: n }, () => rng.int(1, 50)));
    const labels = lengths.map((n) => Array.from({ length: n }, () => rng.int(0, 3)));
    const model = sequential([
      layers.embedding({ inputDim: 50, outputDim: 8, maskZero: true }),
      layers.bidirectional({ layer: layers.lstm({ units: 6, returnSequences: true }), mergeMode: "concat" }),
      layers.gru({ units: 5, resetAfter: true, returnSequences: true }),
      layers.simpleRNN({ units: 4, activation: "tanh", returnSequences: true }),
      layers.dropout({ rate: 0.2 }),
      layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "softmax", kernelRegularizer: { l2: 1e-4 } }) }),
    ], { seed: 3 });
    model.compile({
      loss: { name: "sparseCategoricalCrossentropy", fromLogits: false },
      optimizer: { name: "adam", learningRate: 1e-3, clipnorm: 1 },
      metrics: ["accuracy"],
    });
    await model.fit(ids, labels, {
      epochs: 3, batchSize: 4, validationData: [ids.slice(0, 3), labels.slice(0, 3)], classWeight: { 0: 1, 1: 3 },
      callbacks: [earlyStopping({ patience: 5, restoreBestWeights: true }), modelCheckpoint({ filepath: `file://${join(dir, "best")}`, saveBestOnly: true }),
        reduceLROnPlateau({ factor: 0.5 }), terminateOnNaN(), { onEpochEnd: () => {} }],
      verbose: 0,
    });
    const { loss, accuracy } = model.evaluate(ids, labels, { returnDict: true });
    expect(loss).toBeGreaterThan(0);
    expect(accuracy).toBeGreaterThanOrEqual(0);
    const sched = new Adam({ learningRate: exponentialDecay({ initialLearningRate: 0.01, decaySteps: 100, decayRate: 0.9 }) });
    expect(sched.learningRate).toBeCloseTo(0.01, 8);
    const others = sequential([
      layers.masking({ maskValue: 0, inputShape: [null, 3] }),
      layers.lstm({ units: 4 }),
      layers.repeatVector({ n: "inputLength" }),
      layers.lstm({ units: 4, returnSequences: true }),
      layers.globalAveragePooling1D(),
    ]);
    expect(others.outputShape).toEqual([null, 4]);
    const pooled = sequential([layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.globalMaxPooling1D(), layers.repeatVector({ n: 10 })]);
    expect(pooled.outputShape).toEqual([null, 10, 4]);
    const convolved = sequential([ // the conv1d → batchNormalization → activation("relu") lines, as listed
      layers.conv1d({ filters: 32, kernelSize: 3, padding: "causal", dilationRate: 2, inputShape: [null, 3] }),
      layers.maxPooling1D({ poolSize: 2 }), layers.averagePooling1D({ poolSize: 3, strides: 1, padding: "same" }),
      layers.layerNormalization(), layers.batchNormalization({ momentum: 0.99 }),
      layers.activation({ activation: "relu" }),
    ], { seed: 4 });
    expect(convolved.layers.map((l) => l.className)).toEqual(["Conv1D", "MaxPooling1D", "AveragePooling1D", "LayerNormalization", "BatchNormalization", "Activation"]);
    const steps = convolved.predict(randomSequences(rng, [8, 5], 3), { perStep: true });
    expect(steps.map((s) => s.length)).toEqual([4, 2]); // max-pooled in windows of 2 (valid), each sequence at its own length
    expect(steps.flat(2).every((v) => v >= 0)).toBe(true); // after relu

    // the three attention lines, as listed, in one graph: decoder steps attend over encoder steps
    const encoderIn = input({ shape: [null, 3], name: "encoder_in" });
    const decoderIn = input({ shape: [null, 3], name: "decoder_in" });
    const encoderSteps = layers.lstm({ units: 8, returnSequences: true }).apply(encoderIn) as SymbolicTensor;
    const decoderSteps = layers.lstm({ units: 8, returnSequences: true }).apply(decoderIn) as SymbolicTensor;
    const luong = layers.attention({ useScale: true }).apply([decoderSteps, encoderSteps]) as SymbolicTensor; // Luong
    const [query, value, key] = [decoderSteps, encoderSteps, encoderSteps];
    const bahdanau = layers.additiveAttention({}).apply([query, value, key]) as SymbolicTensor; // Bahdanau
    const x = layers.concatenate().apply([luong, bahdanau]) as SymbolicTensor;
    const selfAttended = layers.multiHeadAttention({ numHeads: 4, keyDim: 16, useCausalMask: true }).apply(x) as SymbolicTensor; // self-attention
    const attending = functionalModel({ inputs: [encoderIn, decoderIn], outputs: selfAttended, seed: 5 });
    const [enc, dec] = [randomSequences(rng, [5, 2], 3), randomSequences(rng, [3, 6], 3)];
    const attended = attending.predict([enc, dec], { perStep: true });
    expect(attended.map((s) => s.length)).toEqual([3, 6]); // each decoder sequence at its own length
    expect(attended[0][0].length).toBe(16); // the concatenated width, projected back by the multi-head layer
    // "layer.call([query, value]) returns the scores as ragged matrices: scores[i] is Lq_i × Lk_i"
    const { scores } = layers.attention({}).call([dec, enc]);
    expect((scores as unknown as number[][][]).map((s) => [s.length, s[0].length])).toEqual([[3, 5], [6, 2]]);
  });
});

describe("README Functional models section", () => {
  it("runs the encoder–decoder example as written and prints what the README says", async () => {
    const { readFileSync, writeFileSync } = await import("node:fs");
    const { execFileSync } = await import("node:child_process");
    const { fileURLToPath, pathToFileURL } = await import("node:url");
    const root = fileURLToPath(new URL("..", import.meta.url));
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Functional models"));
    const code = section.split("```ts\n")[1].split("```")[0];
    const expected = /\/\/ (accuracy .*)$/m.exec(code)?.[1];
    expect(expected).toBeDefined();
    const entry = pathToFileURL(join(root, "src", "node.ts")).href;
    const file = join(dir, "functional_example.mts");
    writeFileSync(file, code.replace(/from "ragged(-rnn)?"/g, `from ${JSON.stringify(entry)}`));
    const out = execFileSync(join(root, "node_modules", ".bin", "tsx"), [file], { cwd: root, encoding: "utf8" });
    expect(out).toContain('Model: "seq2seq"');
    expect(out).toMatch(/Connected to/);
    expect(out.trim().split("\n").at(-1)).toBe(expected);
  }, 120_000);
});

describe("README Custom layers section", () => {
  // The section's two blocks as a user writes them: scale.ts (the layer) and main.ts (using it).
  const blocks = async () => {
    const { readFileSync, writeFileSync, mkdirSync } = await import("node:fs");
    const { fileURLToPath } = await import("node:url");
    const root = fileURLToPath(new URL("..", import.meta.url));
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Custom layers"), readme.indexOf("## In the browser"));
    const [layer, usage] = section.split("```ts\n").slice(1, 3).map((b) => b.split("```")[0]);
    const project = join(dir, "custom-layer");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "package.json"), '{ "type": "module" }\n'); // as the Install section's project
    writeFileSync(join(project, "scale.ts"), layer);
    writeFileSync(join(project, "main.ts"), usage);
    // For this process: the layer against these very sources (one Layer class), whatever "ragged-rnn" resolves to here.
    writeFileSync(join(project, "scale_here.ts"), layer.replace(/from "ragged-rnn"/g, `from ${JSON.stringify(join(root, "src", "node.ts"))}`));
    return { root, project, layer, usage };
  };

  it("runs as written: training through the layer lowers the loss, and the model saves and loads with it", async () => {
    const { readFileSync, writeFileSync } = await import("node:fs");
    const { execFileSync } = await import("node:child_process");
    const { pathToFileURL } = await import("node:url");
    const { root, project, usage } = await blocks();
    const entry = JSON.stringify(pathToFileURL(join(root, "src", "node.ts")).href);
    for (const file of ["scale.ts", "main.ts"]) {
      const path = join(project, file);
      writeFileSync(path, readFileSync(path, "utf8").replace(/from "ragged-rnn"/g, `from ${entry}`));
    }
    const expected = /\/\/ (true Scale true)$/m.exec(usage)?.[1];
    expect(expected).toBeDefined();
    const out = execFileSync(join(root, "node_modules", ".bin", "tsx"), [join(project, "main.ts")], { cwd: project, encoding: "utf8" });
    expect(out.trim().split("\n").at(-1)).toBe(expected);
  }, 120_000);

  it("its gradients equal central differences, on per-step and per-sequence values", async () => {
    const { pathToFileURL } = await import("node:url");
    const { project } = await blocks();
    const { Scale } = (await import(pathToFileURL(join(project, "scale_here.ts")).href)) as { Scale: new (args?: object) => Layer };
    const rng = new Random(4);
    const layout = packLayout([4, 1, 3]);
    const values: LayerValue[] = [
      { kind: "sequence", layout, width: 3, data: Float32Array.from({ length: layout.totalSteps * 3 }, () => rng.uniformRange(-2, 2)), mask: null },
      { kind: "vector", layout, width: 3, data: Float32Array.from({ length: layout.batch * 3 }, () => rng.uniformRange(-2, 2)) },
    ];
    for (const value of values) {
      const layer = new Scale();
      layer.build([null, null, 3], new Random(1));
      layer.weights[0].value.set([0.5, -1.5, 2]); // away from the initial all-ones, so a wrong index shows
      expect(checkLayerGradients(layer, value)).toBe(3 + value.data.length);
    }
  });

  it("a model with it asked to train on 2 threads trains on the calling thread, as threads: 1 does", async () => {
    const { pathToFileURL } = await import("node:url");
    const { project } = await blocks();
    const { Scale } = (await import(pathToFileURL(join(project, "scale_here.ts")).href)) as { Scale: new (args?: object) => Layer };
    const rng = new Random(6);
    const lengths = Array.from({ length: 48 }, (_, i) => 2 + (i % 9));
    const xs = randomSequences(rng, lengths, 2);
    const ys = lengths.map(() => [rng.uniformRange(-1, 1)]);
    const make = () => {
      const m = sequential([new Scale({ inputShape: [null, 2] }), layers.lstm({ units: 6 }), layers.dense({ units: 1 })], { seed: 9 });
      m.compile({ loss: "mse", optimizer: "adam" });
      return m;
    };
    setMinShardFlops(0); // so that any model would be split
    try {
      const one = make();
      const two = make();
      await one.fit(xs, ys, { epochs: 2, batchSize: 16, verbose: 0, threads: 1 });
      await two.fit(xs, ys, { epochs: 2, batchSize: 16, verbose: 0, threads: 2 });
      expect(two.getWeights().map((w) => Array.from(w.data))).toEqual(one.getWeights().map((w) => Array.from(w.data)));
      terminateWorkers(two);
    } finally {
      setMinShardFlops(DEFAULT_MIN_SHARD_FLOPS);
    }
  });
});

import { describe, expect, it } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { functionalFromKeras, functionalToKeras, type GraphSpec } from "./functional.js";

const isRnn = (c: string) => ["LSTM", "GRU", "SimpleRNN", "Bidirectional"].includes(c);
const lstm = { class_name: "LSTM", config: { name: "dec", units: 3 } };

/** What TF.js 4.22 writes for enc → LSTM(returnState) → dec LSTM(initialState), trimmed. */
const tfjsConfig = {
  name: "m",
  layers: [
    { name: "enc_in", class_name: "InputLayer", config: { batch_input_shape: [null, null, 4], dtype: "float32", sparse: false, name: "enc_in" }, inbound_nodes: [] },
    { name: "dec_in", class_name: "InputLayer", config: { batch_input_shape: [null, null, 5], dtype: "float32", sparse: false, name: "dec_in" }, inbound_nodes: [] },
    { name: "enc", class_name: "LSTM", config: { name: "enc", units: 3, return_state: true }, inbound_nodes: [[["enc_in", 0, 0, {}]]] },
    { name: "dec", ...lstm, inbound_nodes: [[["dec_in", 0, 0, {}], ["enc", 0, 1, {}], ["enc", 0, 2, {}]]] },
    { name: "shared", class_name: "Dense", config: { name: "shared", units: 2 }, inbound_nodes: [[["dec", 0, 0, {}]], [["enc", 0, 0, {}]]] },
  ],
  input_layers: [["enc_in", 0, 0], ["dec_in", 0, 0]],
  output_layers: [["shared", 0, 0], ["shared", 1, 0]],
};

function kt(layer: string, node: number, tensor: number) {
  return { class_name: "__keras_tensor__", config: { shape: [null, 3], dtype: "float32", keras_history: [layer, node, tensor] } };
}

describe("functional topology (Keras JSON)", () => {
  it("reads TF.js' graphs: initial states as extra node inputs, shared layers as several nodes", () => {
    const spec = functionalFromKeras(tfjsConfig, "model.json", isRnn);
    expect(spec.name).toBe("m");
    expect(spec.inputs).toEqual([{ layer: "enc_in", node: 0, tensor: 0 }, { layer: "dec_in", node: 0, tensor: 0 }]);
    const dec = spec.layers.find((l) => l.name === "dec")!;
    expect(dec.inboundNodes).toEqual([{ inputs: [{ layer: "dec_in", node: 0, tensor: 0 }, { layer: "enc", node: 0, tensor: 1 }, { layer: "enc", node: 0, tensor: 2 }], initialStateCount: 2 }]);
    const shared = spec.layers.find((l) => l.name === "shared")!;
    expect(shared.inboundNodes.map((n) => n.inputs[0].layer)).toEqual(["dec", "enc"]);
    expect(shared.inboundNodes.every((n) => n.initialStateCount === 0)).toBe(true);
  });

  it("writes what it reads, as TF.js writes it (class Model, kwargs {})", () => {
    const spec = functionalFromKeras(tfjsConfig, "model.json", isRnn);
    const topology = functionalToKeras(spec);
    expect(topology.class_name).toBe("Model");
    expect(topology.config).toEqual(tfjsConfig);
    const again = functionalFromKeras(JSON.parse(JSON.stringify(topology.config)), "again", isRnn);
    expect(again).toEqual(spec);
  });

  it("reads Keras 3's { args, kwargs } nodes with initial_state, merges and a single input reference", () => {
    const config = {
      name: "k3",
      layers: [
        { module: "keras.layers", class_name: "InputLayer", config: { batch_shape: [null, null, 5], dtype: "float32", name: "x" }, name: "x", inbound_nodes: [] },
        { class_name: "LSTM", config: { name: "enc", units: 3 }, name: "enc", inbound_nodes: [{ args: [kt("x", 0, 0)], kwargs: { training: false, mask: null } }] },
        { class_name: "LSTM", config: { name: "dec", units: 3 }, name: "dec", inbound_nodes: [{ args: [kt("x", 0, 0)], kwargs: { initial_state: [kt("enc", 0, 1), kt("enc", 0, 2)] } }] },
        { class_name: "Add", config: { name: "add" }, name: "add", inbound_nodes: [{ args: [[kt("enc", 0, 0), kt("dec", 0, 0)]], kwargs: {} }] },
      ],
      input_layers: ["x", 0, 0],
      output_layers: ["add", 0, 0],
    };
    const spec: GraphSpec = functionalFromKeras(config, "k3.json", isRnn);
    expect(spec.inputs).toEqual([{ layer: "x", node: 0, tensor: 0 }]);
    expect(spec.outputs).toEqual([{ layer: "add", node: 0, tensor: 0 }]);
    expect(spec.layers[2].inboundNodes[0]).toEqual({ inputs: [{ layer: "x", node: 0, tensor: 0 }, { layer: "enc", node: 0, tensor: 1 }, { layer: "enc", node: 0, tensor: 2 }], initialStateCount: 2 });
    expect(spec.layers[3].inboundNodes[0].inputs.map((r) => r.layer)).toEqual(["enc", "dec"]);
  });

  it("refuses malformed graphs with coded errors naming the problem", () => {
    const bad = (config: unknown) => {
      try {
        functionalFromKeras(config, "bad.json", isRnn);
      } catch (e) {
        expect(e).toBeInstanceOf(RaggedError);
        return `${(e as RaggedError).code}: ${(e as RaggedError).message.split("\n")[0]}`;
      }
      return "no error";
    };
    expect(bad({ name: "m", layers: [] })).toMatch(/^BAD_FILE: .*no layers list/);
    expect(bad({ ...tfjsConfig, output_layers: [["nowhere", 0, 0]] })).toMatch(/^BAD_FILE: .*"nowhere"/);
    expect(bad({ ...tfjsConfig, layers: [...tfjsConfig.layers, tfjsConfig.layers[0]] })).toMatch(/^BAD_FILE: .*two layers are named "enc_in"/);
    const node = (n: unknown) => ({ ...tfjsConfig, layers: [...tfjsConfig.layers.slice(0, 4), { ...tfjsConfig.layers[4], inbound_nodes: [n] }] });
    expect(bad(node([["dec", -1, 0, {}]]))).toMatch(/^BAD_FILE: .*tensor reference is malformed/);
    expect(bad(node("dec"))).toMatch(/^BAD_FILE: .*neither a list/);
    expect(bad(node([["dec", 0, 0, { constants: [] }]]))).toMatch(/^UNSUPPORTED: .*constants/);
    expect(bad(node({ args: [kt("dec", 0, 0)], kwargs: { initial_state: [kt("enc", 0, 1)] } }))).toMatch(/^BAD_FILE: .*initial_state given to a layer that takes none/);
    expect(bad({ ...tfjsConfig, input_layers: [] })).toMatch(/^BAD_FILE: .*no input_layers/);
  });
});

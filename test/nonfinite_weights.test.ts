/**
 * Issue 15, defects 1 and 8: a model whose weights are not finite is never saved or loaded silently,
 * and a layer too large to allocate is a coded error.
 */
import { describe, expect, it } from "vitest";
import { layers, loadModel, memory, RaggedError, sequential } from "../src/index.js";

function model() {
  return sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 2 })], { seed: 1 });
}

describe("non-finite weights (issue 15)", () => {
  it("save refuses a model with a NaN or Infinity weight, naming it (NON_FINITE)", async () => {
    for (const bad of [NaN, Infinity]) {
      const m = model();
      const w = m.getWeights();
      w[1].data[4] = bad;
      m.setWeights(w);
      const err = await m.save(memory()).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(RaggedError);
      expect((err as RaggedError).code).toBe("NON_FINITE");
      expect((err as Error).message).toContain("recurrent_kernel");
    }
  });

  it("loadModel refuses weight data holding NaN (BAD_FILE naming the weight)", async () => {
    const mem = memory();
    await model().save(mem);
    const artifacts = mem.artifacts!;
    const data = new Float32Array((artifacts.weightData as ArrayBuffer).slice(0));
    data[3] = NaN;
    const err = await loadModel(memory({ ...artifacts, weightData: data.buffer })).then(() => null, (e: unknown) => e);
    expect((err as RaggedError).code).toBe("BAD_FILE");
    expect((err as Error).message).toMatch(/kernel/);
    expect((err as Error).message).toMatch(/not finite|NaN/);
  });

  it("a layer too large to allocate is INVALID_ARGUMENT, not a RangeError", () => {
    let err: unknown = null;
    try {
      sequential([layers.lstm({ units: 100000, inputShape: [null, 2] })]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RaggedError);
    expect((err as RaggedError).code).toBe("INVALID_ARGUMENT");
    expect((err as Error).message).toContain("[100000, 400000]");
  });
});

describe("malformed weight manifests are BAD_FILE (issue 15, defect 8: found by fuzzing)", () => {
  async function loadEdited(edit: (json: { weightsManifest: { paths: unknown[]; weights: Record<string, unknown>[] }[] }) => void): Promise<unknown> {
    const { fileHandler, nodeFileOps } = await import("../src/node/file_handler.js");
    const { modelJSONFromArtifacts } = await import("../src/io/model_json.js");
    const mem = memory();
    await model().save(mem);
    const json = modelJSONFromArtifacts(mem.artifacts!, ["weights.bin"]) as unknown as Parameters<typeof edit>[0];
    edit(json);
    const bytes = new Uint8Array(mem.artifacts!.weightData as ArrayBuffer);
    const ops = { ...nodeFileOps, readFile: async (f: string) => (f.endsWith("model.json") ? new TextEncoder().encode(JSON.stringify(json)) : bytes) };
    return loadModel(fileHandler("/m/model.json", { ops })).then(() => null, (e: unknown) => e);
  }

  it("an entry without shape, a shape that is not a list of sizes, a path that is not a string", async () => {
    for (const edit of [
      (j: Parameters<Parameters<typeof loadEdited>[0]>[0]) => delete j.weightsManifest[0].weights[1].shape,
      (j: Parameters<Parameters<typeof loadEdited>[0]>[0]) => (j.weightsManifest[0].weights[0].shape = [2, "x"]),
      (j: Parameters<Parameters<typeof loadEdited>[0]>[0]) => (j.weightsManifest[0].weights[0].name = 7),
      (j: Parameters<Parameters<typeof loadEdited>[0]>[0]) => (j.weightsManifest[0].paths = [0.5]),
      (j: Parameters<Parameters<typeof loadEdited>[0]>[0]) => (j.weightsManifest[0].paths = ["weights.bin", {}]),
    ]) {
      const err = await loadEdited(edit);
      expect(err, String(edit)).toBeInstanceOf(RaggedError);
      expect((err as RaggedError).code).toBe("BAD_FILE");
    }
  });
});

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { layers, loadModel, sequential, type Sequential } from "../node.js";
import { type FileOps, fileHandler, nodeFileOps } from "./file_handler.js";

const root = mkdtempSync(path.join(tmpdir(), "ragged-io-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `m${n++}`);

function model(seed: number, units = 4): Sequential {
  return sequential(
    [
      layers.lstm({ units, returnSequences: true, inputShape: [null, 2] }),
      layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }),
    ],
    { seed },
  );
}

const xs = [[[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], [[-0.7, 0.8]]];

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(path.join(dir, f)).toString("base64")]));
}

async function expectLoadError(url: string, code: string, file: string): Promise<void> {
  const err = await loadModel(url).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RaggedError);
  expect((err as RaggedError).code, (err as Error).message).toBe(code);
  expect((err as Error).message).toContain(file);
}

describe("file:// handler", () => {
  it("round trip: model.json + weights.bin, identical predictions and configs", async () => {
    const dir = freshDir();
    const m = model(1);
    await m.save(`file://${dir}`);
    expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
    const json = JSON.parse(readFileSync(path.join(dir, "model.json"), "utf8"));
    expect(json.format).toBe("layers-model");
    expect(json.weightsManifest[0].paths).toEqual(["weights.bin"]);
    for (const url of [`file://${dir}/model.json`, `file://${dir}`]) {
      const again = await loadModel(url);
      expect(again.predict(xs)).toEqual(m.predict(xs));
      expect(again.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    }
  });

  it("saving again commits atomically through the other weights file and cleans up", async () => {
    const dir = freshDir();
    await model(1).save(`file://${dir}`);
    const second = model(2, 3);
    await second.save(`file://${dir}`);
    expect(readdirSync(dir).sort()).toEqual(["model.json", "weights-1.bin"]);
    expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(second.predict(xs));
    const third = model(3);
    await third.save(`file://${dir}`);
    expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
    expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(third.predict(xs));
  });

  for (const failAt of ["weights temp", "model temp", "weights rename", "model rename"] as const) {
    it(`a save failing at the ${failAt} step (disk full) leaves the previous model byte-identical and loadable`, async () => {
      const dir = freshDir();
      const old = model(4);
      await old.save(`file://${dir}`);
      const before = snapshot(dir);
      let writes = 0;
      let renames = 0;
      const full = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      const ops: FileOps = {
        ...nodeFileOps,
        async writeFile(file, data) {
          writes++;
          if ((failAt === "weights temp" && writes === 1) || (failAt === "model temp" && writes === 2)) {
            await nodeFileOps.writeFile(file, data.subarray(0, data.length >> 1)); // a partial write, then the failure
            throw full;
          }
          return nodeFileOps.writeFile(file, data);
        },
        async rename(from, to) {
          renames++;
          if ((failAt === "weights rename" && renames === 1) || (failAt === "model rename" && renames === 2)) throw full;
          return nodeFileOps.rename(from, to);
        },
      };
      const err = await model(5, 6).save(fileHandler(dir, { ops })).then(() => null, (e: unknown) => e);
      expect((err as RaggedError).code).toBe("IO_ERROR");
      expect((err as RaggedError).help).toBe("the disk is full");
      expect(snapshot(dir)).toEqual(before);
      expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(old.predict(xs));
    });
  }

  it("a child process killed while saving in a loop leaves a loadable model", async () => {
    const dir = freshDir();
    const old = model(6);
    await old.save(`file://${dir}`);
    const script = `
      import { layers, sequential } from ${JSON.stringify(path.resolve("src/node.ts"))};
      let i = 0;
      for (;;) {
        const m = sequential([layers.lstm({ units: 3 + (i % 5) * 7, inputShape: [null, 2] }), layers.dense({ units: 2 })], { seed: i++ });
        await m.save(${JSON.stringify(`file://${dir}`)});
        if (i === 1) process.stdout.write("saving\\n");
      }`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 200));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const loaded = await loadModel(`file://${dir}`);
    expect(loaded.predict(xs).length).toBe(2);
    await loaded.save(`file://${dir}`); // the next save clears the stray temporaries of the killed one
    expect(readdirSync(dir).filter((f) => f.startsWith(".")).length).toBe(0);
  });

  describe("corrupt files give their error code and name the file", () => {
    const prepared = async () => {
      const dir = freshDir();
      await model(7).save(`file://${dir}`);
      return { dir, json: path.join(dir, "model.json"), bin: path.join(dir, "weights.bin") };
    };

    it("missing model.json → IO_ERROR", async () => {
      const dir = freshDir();
      await expectLoadError(`file://${dir}/model.json`, "IO_ERROR", path.join(dir, "model.json"));
    });

    it("corrupt JSON → BAD_FILE", async () => {
      const { dir, json } = await prepared();
      writeFileSync(json, readFileSync(json, "utf8").slice(0, 100));
      await expectLoadError(`file://${dir}`, "BAD_FILE", json);
    });

    it("missing weights file → IO_ERROR", async () => {
      const { dir, bin } = await prepared();
      rmSync(bin);
      await expectLoadError(`file://${dir}`, "IO_ERROR", bin);
    });

    it("truncated weights → BAD_FILE with expected and received bytes", async () => {
      const { dir, bin } = await prepared();
      const bytes = readFileSync(bin);
      writeFileSync(bin, bytes.subarray(0, bytes.length - 7));
      await expectLoadError(`file://${dir}`, "BAD_FILE", "weights.bin");
      const err = (await loadModel(`file://${dir}`).catch((e: unknown) => e)) as RaggedError;
      expect(err.expected).toBe(`${bytes.length} bytes`);
      expect(err.received).toBe(`${bytes.length - 7} bytes`);
    });

    it("manifest/topology mismatch → SHAPE_MISMATCH naming the weight", async () => {
      const { dir, json } = await prepared();
      const j = JSON.parse(readFileSync(json, "utf8"));
      j.modelTopology.config.layers[0].config.units = 5;
      writeFileSync(json, JSON.stringify(j));
      await expectLoadError(`file://${dir}`, "SHAPE_MISMATCH", "/kernel");
      await expectLoadError(`file://${dir}`, "SHAPE_MISMATCH", json);
    });

    it("unknown layer class → UNKNOWN_NAME", async () => {
      const { dir, json } = await prepared();
      const j = JSON.parse(readFileSync(json, "utf8"));
      j.modelTopology.config.layers[0].class_name = "Conv2D";
      writeFileSync(json, JSON.stringify(j));
      await expectLoadError(`file://${dir}`, "UNKNOWN_NAME", "Conv2D");
      await expectLoadError(`file://${dir}`, "UNKNOWN_NAME", json);
    });
  });

  it("an unknown URL scheme is refused with the registered ones listed", async () => {
    await expect(loadModel("ftp://x/model.json")).rejects.toThrow(/file:\/\//);
    expect(existsSync(root)).toBe(true);
  });
});

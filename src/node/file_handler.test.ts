import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
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

  it("every save leaves model.json + weights.bin, whichever saved there before (one name for API and CLI)", async () => {
    const dir = freshDir();
    for (const [seed, units] of [[1, 4], [2, 3], [3, 4]]) {
      const m = model(seed, units);
      await m.save(`file://${dir}`);
      expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
      expect(JSON.parse(readFileSync(path.join(dir, "model.json"), "utf8")).weightsManifest[0].paths).toEqual(["weights.bin"]);
      expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(m.predict(xs));
    }
  });

  it("a directory saved by an earlier version (weights-1.bin) ends with weights.bin only", async () => {
    const dir = freshDir();
    await model(1).save(`file://${dir}`);
    const json = path.join(dir, "model.json");
    writeFileSync(path.join(dir, "weights-1.bin"), readFileSync(path.join(dir, "weights.bin")));
    rmSync(path.join(dir, "weights.bin"));
    writeFileSync(json, readFileSync(json, "utf8").replace('"weights.bin"', '"weights-1.bin"'));
    const old = await loadModel(`file://${dir}`);
    expect(old.predict(xs)).toEqual(model(1).predict(xs));
    const next = model(2, 3);
    await next.save(`file://${dir}`);
    expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
    expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(next.predict(xs));
  });

  it("without hard links (FileOps.link absent or failing) weights.bin is a second copy, same result", async () => {
    for (const link of [undefined, () => Promise.reject(Object.assign(new Error("EPERM: operation not permitted, link"), { code: "EPERM" }))]) {
      const dir = freshDir();
      await model(1).save(`file://${dir}`);
      const ops: FileOps = { ...nodeFileOps, link };
      const m = model(2, 3);
      await m.save(fileHandler(dir, { ops }));
      expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
      expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(m.predict(xs));
    }
  });

  // The save's file operations in order: write staging, write model temp, rename model (the commit),
  // syncDir, link, rename weights, syncDir, write model temp, rename model, syncDir, then clean-up.
  const failures = [
    { at: "the staging weights", op: "writeFile", nth: 1, committed: false },
    { at: "the first model.json", op: "writeFile", nth: 2, committed: false },
    { at: "the commit rename", op: "rename", nth: 1, committed: false },
    { at: "the weights.bin rename", op: "rename", nth: 2, committed: true },
    { at: "the final model.json", op: "writeFile", nth: 3, committed: true },
    { at: "the final rename", op: "rename", nth: 3, committed: true },
  ] as const;
  for (const { at, op, nth, committed } of failures) {
    it(`a save failing at ${at} (disk full) leaves ${committed ? "the new model loadable, tidied by the next save" : "the previous model byte-identical and loadable"}`, async () => {
      const dir = freshDir();
      const old = model(4);
      await old.save(`file://${dir}`);
      const before = snapshot(dir);
      const counts = { writeFile: 0, rename: 0 };
      const full = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      const ops: FileOps = {
        ...nodeFileOps,
        async writeFile(file, data) {
          if (op === "writeFile" && ++counts.writeFile === nth) {
            await nodeFileOps.writeFile(file, data.subarray(0, data.length >> 1)); // a partial write, then the failure
            throw full;
          }
          return nodeFileOps.writeFile(file, data);
        },
        async rename(from, to) {
          if (op === "rename" && ++counts.rename === nth) throw full;
          return nodeFileOps.rename(from, to);
        },
      };
      const fresh = model(5, 6);
      const err = await fresh.save(fileHandler(dir, { ops })).then(() => null, (e: unknown) => e);
      expect((err as RaggedError).code).toBe("IO_ERROR");
      expect((err as RaggedError).help).toBe("the disk is full");
      if (!committed) {
        expect((err as Error).message).toContain("the previous model");
        expect(snapshot(dir)).toEqual(before);
        expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(old.predict(xs));
        return;
      }
      expect((err as Error).message).toContain("the new model is saved and loads");
      expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(fresh.predict(xs));
      await fresh.save(`file://${dir}`);
      expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
      expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(fresh.predict(xs));
    });
  }

  it("a save killed before any of its file operations leaves a loadable model: the previous one up to the commit, the new one after", async () => {
    // A kill is simulated by an operation that never returns: nothing after it runs (no clean-up).
    const old = model(8);
    const fresh = model(9, 6);
    const seen: string[] = [];
    for (let k = 0; ; k++) {
      const dir = freshDir();
      await old.save(`file://${dir}`);
      let performed = 0;
      let committed = false;
      let killed = false;
      let onKill!: () => void;
      const kill = new Promise<false>((r) => (onKill = () => r(false)));
      const gate = <A extends unknown[], R>(name: string, f: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
        if (performed++ === k) {
          killed = true;
          seen.push(name);
          onKill();
          return new Promise<R>(() => {}); // never settles
        }
        const r = await f(...args);
        if (name === "rename" && args[1] === path.join(dir, "model.json")) committed = true;
        return r;
      };
      const ops: FileOps = {
        writeFile: gate("writeFile", nodeFileOps.writeFile), rename: gate("rename", nodeFileOps.rename), unlink: gate("unlink", nodeFileOps.unlink),
        readFile: gate("readFile", nodeFileOps.readFile), mkdir: gate("mkdir", nodeFileOps.mkdir), syncDir: gate("syncDir", nodeFileOps.syncDir),
        readdir: gate("readdir", nodeFileOps.readdir), link: gate("link", nodeFileOps.link!),
      };
      const saving = fresh.save(fileHandler(dir, { ops }));
      const finished = await Promise.race([saving.then(() => true), kill]);
      if (finished) {
        expect(killed).toBe(false);
        expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
        break;
      }
      expect(killed).toBe(true);
      const loaded = await loadModel(`file://${dir}`);
      expect(loaded.predict(xs), `killed at operation ${k} (${seen[seen.length - 1]})`).toEqual((committed ? fresh : old).predict(xs));
      // The next save (another process: the killed one's lock is removed, as a dead owner's lock is broken) tidies up.
      const copy = freshDir();
      cpSync(dir, copy, { recursive: true });
      rmSync(path.join(copy, ".ragged-save.lock"), { force: true });
      await loaded.save(`file://${copy}`);
      expect(readdirSync(copy).sort()).toEqual(["model.json", "weights.bin"]);
    }
    expect(seen).toContain("link");
    expect(seen.filter((name) => name === "rename").length).toBe(3);
  });

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

  it("load reads model.json again when the weights it named vanish under a newer model.json (a save finished meanwhile)", async () => {
    const dir = freshDir();
    const m = model(10);
    await m.save(`file://${dir}`);
    const json = path.join(dir, "model.json");
    const current = readFileSync(json);
    const stale = new TextEncoder().encode(current.toString("utf8").replace('"weights.bin"', '".weights.bin.tmp-1-0badc0de"'));
    let reads = 0;
    const ops: FileOps = { ...nodeFileOps, readFile: (file) => (file === json && reads++ === 0 ? Promise.resolve(stale) : nodeFileOps.readFile(file)) };
    const loaded = await loadModel(fileHandler(dir, { ops }));
    expect(loaded.predict(xs)).toEqual(m.predict(xs));
    expect(reads).toBe(3); // the stale text, the check that it changed, the new text
  });

  it("an unknown URL scheme is refused with the registered ones listed", async () => {
    await expect(loadModel("ftp://x/model.json")).rejects.toThrow(/file:\/\//);
    expect(existsSync(root)).toBe(true);
  });
});

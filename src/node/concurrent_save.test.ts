/**
 * Issue 15, defect 2: saves to one directory at once — two models in one process, or two processes
 * — serialise, so the directory always ends with one complete model (the last save to finish),
 * every save resolves, and none deletes another's files.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { layers, loadModel, sequential, type Sequential } from "../node.js";

const root = mkdtempSync(path.join(tmpdir(), "ragged-saves-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `m${n++}`);

function model(seed: number, units: number): Sequential {
  return sequential([layers.lstm({ units, inputShape: [null, 2] }), layers.dense({ units: 2 })], { seed });
}
const xs = [[[0.1, 0.2], [0.3, -0.4]], [[-0.7, 0.8]]];

describe("concurrent saves to one directory (issue 15, defect 2)", () => {
  it("two models saved at once, 40 times into fresh and into existing directories: all resolve, the last one wins intact", async () => {
    const a = model(1, 3);
    const b = model(2, 5);
    for (let k = 0; k < 40; k++) {
      const dir = k < 20 ? freshDir() : path.join(root, "shared");
      const order: string[] = [];
      await Promise.all([a.save(`file://${dir}`).then(() => order.push("a")), b.save(`file://${dir}`).then(() => order.push("b"))]);
      const loaded = await loadModel(`file://${dir}`);
      const last = order[1] === "a" ? a : b;
      expect(loaded.predict(xs)).toEqual(last.predict(xs));
      expect(readdirSync(dir).filter((f) => f.startsWith(".")).length).toBe(0);
    }
  });

  it("two processes saving different models in a loop into one directory: both finish, the model loads", async () => {
    const dir = freshDir();
    const child = (seed: number, units: number) => {
      const script = `
        import { layers, sequential } from ${JSON.stringify(path.resolve("src/node.ts"))};
        const m = sequential([layers.lstm({ units: ${units}, inputShape: [null, 2] }), layers.dense({ units: 2 })], { seed: ${seed} });
        for (let i = 0; i < 25; i++) await m.save(${JSON.stringify(`file://${dir}`)});`;
      const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      p.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
      return new Promise<{ code: number | null; stderr: string }>((resolve) => p.on("close", (code) => resolve({ code, stderr })));
    };
    const [one, two] = await Promise.all([child(1, 3), child(2, 5)]);
    expect(one).toEqual({ code: 0, stderr: "" });
    expect(two).toEqual({ code: 0, stderr: "" });
    const loaded = await loadModel(`file://${dir}`);
    const candidates = [model(1, 3), model(2, 5)].map((m) => JSON.stringify(m.predict(xs)));
    expect(candidates).toContain(JSON.stringify(loaded.predict(xs)));
    expect(readdirSync(dir).filter((f) => f.startsWith(".")).length).toBe(0);
  });

  it("a lock left by a killed process (its pid is gone) does not block the next save", async () => {
    const dir = freshDir();
    await model(1, 3).save(`file://${dir}`);
    writeFileSync(path.join(dir, ".ragged-save.lock"), "999999999 deadbeef\n");
    const m = model(3, 4);
    await m.save(`file://${dir}`);
    expect((await loadModel(`file://${dir}`)).predict(xs)).toEqual(m.predict(xs));
    expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
  });
});

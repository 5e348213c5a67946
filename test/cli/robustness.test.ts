/**
 * Issue 15 in the CLI: a NaN never saved or printed, a value beyond float32 refused, one train per
 * --out (a lock), --resume ≡ uninterrupted bit for bit after a real kill -9, paths that cannot be
 * written (/proc/x, /dev/full) fail fast with IO_ERROR and exit 1, stale temporaries are removed.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type LayersModel, layers, loadModel, Random, sequential } from "../../src/node.js";
import { jsonLines, ragged, tempDir, writeJsonl } from "./run.js";

const dir = tempDir();
const rng = new Random(3);
const records = Array.from({ length: 60 }, () => {
  const x = Array.from({ length: rng.int(1, 9) }, () => [rng.uniform(), rng.uniform() - 0.5]);
  return { x, y: x[0][0] > 0.5 ? "hi" : "lo" };
});
const data = writeJsonl(dir, "train.jsonl", records);

function weightBytes(m: LayersModel): string[] {
  return m.getWeights().map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString("base64"));
}

/** Starts `ragged` and resolves once stdout holds `marker`, with a handle to kill it. */
function startUntil(args: string[], marker: string): Promise<{ kill: () => Promise<void>; stdout: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const closed = new Promise((r) => child.once("close", r));
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      out += s;
      if (out.includes(marker)) resolve({ kill: async () => void (child.kill("SIGKILL"), await closed), stdout: () => out });
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} before "${marker}": ${out}\n${err}`)));
  });
}

describe("ragged CLI robustness (issue 15)", () => {
  it("--resume after a kill -9 ends with the same weights, bit for bit, as an uninterrupted run (dropout, shuffling, 2 threads)", async () => {
    const common = ["train", "--data", data, "--layers", "lstm:6,dropout:0.3,dense:2:softmax", "--batch-size", "8", "--seed", "5", "--json"];
    const straightDir = join(dir, "straight");
    const straight = await ragged([...common, "--epochs", "5", "--out", straightDir]);
    expect(straight.code, straight.stderr).toBe(0);
    const killedDir = join(dir, "killed");
    const run = await startUntil([...common, "--epochs", "5", "--out", killedDir], '"epoch":2');
    await run.kill();
    expect(existsSync(join(killedDir, "model.json"))).toBe(true);
    const resumed = await ragged(["train", "--data", data, "--resume", killedDir, "--epochs", "5", "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonLines(resumed.stdout).at(-1)?.epoch).toBe(5);
    expect(weightBytes(await loadModel(`file://${killedDir}`))).toEqual(weightBytes(await loadModel(`file://${straightDir}`)));
    const reseeded = await ragged(["train", "--data", data, "--resume", killedDir, "--epochs", "6", "--seed", "9"]);
    expect(reseeded.code).toBe(1);
    expect(reseeded.stderr).toMatch(/--seed/);
  });

  it("a second train writing the same --out is refused (LOCKED) while the first runs; a killed run's lock does not block", async () => {
    const out = join(dir, "busy");
    const first = await startUntil(["train", "--data", data, "--layers", "lstm:4", "--epochs", "400", "--out", out, "--json"], '"epoch":1');
    const second = await ragged(["train", "--data", data, "--layers", "lstm:4", "--epochs", "1", "--out", out]);
    await first.kill();
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("[LOCKED]");
    const third = await ragged(["train", "--data", data, "--layers", "lstm:4", "--epochs", "1", "--out", out]);
    expect(third.code, third.stderr).toBe(0);
  });

  it("a value beyond float32 in a training file: exit 1, NON_FINITE, nothing saved", async () => {
    const bad = writeJsonl(dir, "big.jsonl", [{ x: [[1, 1]], y: "a" }, { x: [[1e39, 1]], y: "b" }]);
    const r = await ragged(["train", "--data", bad, "--layers", "lstm:3", "--epochs", "1", "--out", join(dir, "big")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[NON_FINITE\][\s\S]*big\.jsonl:2[\s\S]*exceeds float32/);
    expect(existsSync(join(dir, "big", "model.json"))).toBe(false);
  });

  it("predict never prints null: a non-finite output is exit 1 NON_FINITE naming the line", async () => {
    const m = sequential([layers.simpleRNN({ units: 2, inputShape: [null, 1] }), layers.dense({ units: 1 })], { seed: 1 });
    const w = m.getWeights();
    w[2].data.fill(10); // bias: h = tanh(10) ≈ 1
    w[3].data.fill(3e38); // dense kernel: 2 × 3e38 overflows float32 to Infinity
    m.setWeights(w);
    const modelDir = join(dir, "overflowing");
    await m.save(`file://${modelDir}`);
    const input = writeJsonl(dir, "one.jsonl", [{ x: [[0.5]] }]);
    const r = await ragged(["predict", "--model", modelDir, "--data", input]);
    expect(r.stdout).not.toContain("null");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[NON_FINITE\][\s\S]*one\.jsonl:1/);
  });

  it("--layers lstm:99999 is a coded error (exit 1), not a RangeError", async () => {
    const r = await ragged(["train", "--data", data, "--layers", "lstm:99999", "--epochs", "1", "--out", join(dir, "huge")]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain("internal error");
  });

  it("--out /proc/x fails at once with IO_ERROR (it used to hang in a recursive mkdir)", async () => {
    const r = await ragged(["train", "--data", data, "--layers", "lstm:3", "--epochs", "1", "--out", "/proc/ragged-x/model"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[IO_ERROR]");
  });

  it("predict --out onto a device writes into it, never replaces it; a full device is IO_ERROR exit 1", async () => {
    const modelDir = join(dir, "small");
    expect((await ragged(["train", "--data", data, "--layers", "lstm:3", "--epochs", "1", "--out", modelDir])).code).toBe(0);
    if (existsSync("/dev/full")) {
      const r = await ragged(["predict", "--model", modelDir, "--data", data, "--out", "/dev/full"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("[IO_ERROR]");
      expect(r.stderr).not.toContain("    at ");
      expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
    }
    const devnull = await ragged(["predict", "--model", modelDir, "--data", data, "--out", "/dev/null"]);
    expect(devnull.code).toBe(0);
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true);
    // a temporary left by a predict killed with -9 is removed by the next predict to that path
    const out = join(dir, "pred.jsonl");
    writeFileSync(`${out}.tmp-999999999`, "half");
    const p = await ragged(["predict", "--model", modelDir, "--data", data, "--out", out]);
    expect(p.code).toBe(0);
    expect(existsSync(`${out}.tmp-999999999`)).toBe(false);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(records.length);
  });
});

/**
 * Issue 15, defect 3: N epochs, a checkpoint, a kill -9, then resume for M more epochs gives the
 * same weights, bit for bit, as N + M epochs straight through — shuffling and dropout included —
 * because the checkpoint holds the random stream's position (NOTE [ resumable random state ] in
 * io/training_state.ts).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kernels } from "../src/core/kernels/registry.js";
import { loadModel } from "../src/node.js";
import { type LayersModel, layers, sequential, type Sequential } from "../src/index.js";

const root = mkdtempSync(path.join(tmpdir(), "ragged-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The model and data of both runs; built the same way in the child (the source below). */
const SETUP = `
  const rng = (s => () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296))(7);
  const xs = Array.from({ length: 24 }, (_, i) => Array.from({ length: 2 + (i % 5) }, () => [rng() * 2 - 1, rng() * 2 - 1]));
  const ys = xs.map((s) => (s[0][0] > 0 ? 1 : 0));
  const make = () => {
    const m = sequential([layers.lstm({ units: 5, inputShape: [null, 2], recurrentDropout: 0.2 }), layers.dropout({ rate: 0.3 }), layers.dense({ units: 2, activation: "softmax" })], { seed: 11 });
    m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: "adam" });
    return m;
  };
  const fitArgs = { batchSize: 5, verbose: 0, threads: 1 };
`;
const EPOCHS = 6;

function setup(): { xs: number[][][]; ys: number[]; make: () => Sequential; fitArgs: { batchSize: number; verbose: 0; threads: number } } {
  return new Function("layers", "sequential", `${SETUP}; return { xs, ys, make, fitArgs };`)(layers, sequential);
}

function weightBytes(m: LayersModel): string[] {
  return m.getWeights().map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString("base64"));
}

describe("resume ≡ uninterrupted (issue 15, defect 3)", () => {
  it("a child killed after a checkpoint; loading it and training on matches the straight run bit for bit", async () => {
    const { xs, ys, make, fitArgs } = setup();
    const straight = make();
    await straight.fit(xs, ys, { ...fitArgs, epochs: EPOCHS });

    const dir = path.join(root, "api");
    // the child computes on the same kernels as this process (the no-SIMD suite runs the reference ones)
    const script = `
      ${kernels().name === "js" ? "WebAssembly.validate = () => false;" : ""}
      const { layers, sequential } = await import(${JSON.stringify(path.resolve("src/node.ts"))});
      ${SETUP}
      const m = make();
      const checkpoint = { onEpochEnd: async (epoch) => {
        m.setUserDefinedMetadata({ epochsDone: epoch + 1 });
        await m.save(${JSON.stringify(`file://${dir}`)}, { includeOptimizer: true });
        process.stdout.write("saved " + (epoch + 1) + "\\n");
        if (epoch + 1 === 3) await new Promise(() => {}); // wait here to be killed
      } };
      await m.fit(xs, ys, { ...fitArgs, epochs: ${EPOCHS}, callbacks: [checkpoint] });`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding("utf8").on("data", (s: string) => {
        out += s;
        if (out.includes("saved 3\n")) resolve();
      });
      child.on("exit", () => reject(new Error(`the child exited early: ${out}`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("close", r));
    expect(child.signalCode).toBe("SIGKILL");

    for (const attempt of [1, 2]) {
      // twice from the same checkpoint: the same result both times (the defect: 0.843 vs 0.900)
      const resumed = await loadModel(`file://${dir}`);
      const done = (resumed.getUserDefinedMetadata() as { epochsDone: number }).epochsDone;
      expect(done).toBe(3);
      await resumed.fit(xs, ys, { ...fitArgs, epochs: EPOCHS, initialEpoch: done });
      expect(weightBytes(resumed), `attempt ${attempt}`).toEqual(weightBytes(straight));
    }
    expect(existsSync(path.join(dir, "model.json"))).toBe(true);
    expect(readFileSync(path.join(dir, "model.json"), "utf8")).toContain('"randomState"');
  });

  it("the state is not written without includeOptimizer, and a fresh model's stream is unaffected", async () => {
    const { make } = setup();
    const { memory } = await import("../src/index.js");
    const mem = memory();
    await make().save(mem);
    expect(JSON.stringify(mem.artifacts?.userDefinedMetadata ?? {})).not.toContain("randomState");
  });
});

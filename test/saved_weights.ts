/**
 * Save / resume checks shared by the CMUdict examples' tests: run `save`, `resume` at a negligible
 * learning rate, and a fresh model, each saving to its own folder; returns the largest weight
 * difference of the resumed and of the fresh model from the saved one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel } from "../src/node.js";

export async function resumeDifferences(run: (folders: { save: string; resume?: string; fresh?: true }) => Promise<unknown>): Promise<{ resumed: number; fresh: number }> {
  const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), "ragged-resume-")));
  try {
    await run({ save: dirs[0] });
    await run({ resume: dirs[0], save: dirs[1] });
    await run({ fresh: true, save: dirs[2] });
    const [saved, resumed, fresh] = await Promise.all(dirs.map(async (d) => (await loadModel(`file://${d}/model.json`)).getWeights().map((w) => Array.from(w.data))));
    const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.map((w, i) => Math.max(...w.map((v, j) => Math.abs(v - b[i][j])))));
    return { resumed: maxDiff(saved, resumed), fresh: maxDiff(saved, fresh) };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

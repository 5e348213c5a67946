/** The `ragged` command, run as a user runs it (through tsx on the sources). */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

function ragged(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("ragged demo", () => {
  it("--json writes one parseable object per epoch on stdout and the summary on stderr", () => {
    const r = ragged(["demo", "--epochs", "2", "--steps", "2", "--batch-size", "16", "--json"]);
    expect(r.stderr).toContain("Total params: 6,194");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.length).toBe(2);
    const epochs = lines.map((l) => JSON.parse(l));
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of epochs) {
      expect(e.loss).toBeGreaterThan(0);
      expect(e.loss).toBeLessThan(1);
      expect(e.ms_per_step).toBeGreaterThan(0);
    }
  });

  it("prints the summary and a progress line per epoch when stdout is not a terminal", () => {
    const r = ragged(["demo", "--epochs", "1", "--steps", "3", "--batch-size", "8", "--length", "12"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/lstm(_\d+)? \(LSTM\)\s+\(None, None, 32\)\s+4864/);
    expect(r.stdout).toMatch(/\(TimeDistributed\)\s+\(None, None, 2\)\s+18/);
    expect(r.stdout).toContain("Epoch 1/1");
    expect(r.stdout).toMatch(/3\/3 \[==============================\] - \d+s \d+m?s\/step - loss: 0\.\d{4}/);
  });

  it("rejects a bad flag with exit code 1 and a message", () => {
    const r = ragged(["demo", "--epochs", "zero"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("expected an integer ≥ 1");
  });
});

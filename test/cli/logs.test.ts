/** `ragged train --csv FILE --tensorboard DIR`: the loggers from the command line. */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, ragged, tempDir, writeJsonl } from "./run.js";

function records(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({ x: Array.from({ length: 2 + (i % 6) }, (_, t) => [Math.sin(i * 3 + t), (t % 3) - 1]), y: i % 2 === 0 ? "even" : "odd" }));
}

describe("ragged train --csv / --tensorboard", () => {
  it("logs every epoch to CSV (continued by --resume) and to a TensorBoard run folder per run", async () => {
    const dir = tempDir();
    const data = writeJsonl(dir, "train.jsonl", records(24));
    const val = writeJsonl(dir, "val.jsonl", records(8));
    const csv = join(dir, "log.csv");
    const tb = join(dir, "tb");
    const model = join(dir, "model");
    const first = await ragged(["train", "--data", data, "--validation", val, "--layers", "gru:4", "--epochs", "2", "--out", model, "--json", "--csv", csv, "--tensorboard", tb]);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    const resumed = await ragged(["train", "--data", data, "--validation", val, "--resume", model, "--epochs", "3", "--json", "--csv", csv, "--tensorboard", tb]);
    expect(resumed.code).toBe(0);
    const epochs = [...jsonLines(first.stdout), ...jsonLines(resumed.stdout)];
    const lines = readFileSync(csv, "utf8").trimEnd().split("\r\n");
    expect(lines[0]).toBe("epoch,accuracy,loss,val_accuracy,val_loss");
    expect(lines).toHaveLength(4);
    lines.slice(1).forEach((line, i) => {
      const [epoch, accuracy, loss, valAccuracy, valLoss] = line.split(",").map(Number);
      expect(epoch).toBe(i);
      // the --json lines are rounded to 6 significant digits; the CSV has every digit
      expect({ accuracy, loss, val_accuracy: valAccuracy, val_loss: valLoss }).toEqual(
        Object.fromEntries(Object.entries(epochs[i]).filter(([k]) => k !== "epoch").map(([k]) => [k, expect.closeTo(epochs[i][k] as number, 5)])),
      );
    });
    const runs = readdirSync(tb).sort();
    expect(runs).toHaveLength(2);
    for (const run of runs) expect(readdirSync(join(tb, run)).sort()).toEqual(["train", "validation"]);
  }, 60_000);

  it("an unwritable log path is a coded error before training (exit 1, no stack trace)", async () => {
    const dir = tempDir();
    const data = writeJsonl(dir, "train.jsonl", records(6));
    const csv = await ragged(["train", "--data", data, "--layers", "gru:2", "--epochs", "1", "--out", join(dir, "m1"), "--csv", join(dir, "no", "such", "dir", "log.csv")]);
    expect(csv.code).toBe(1);
    expect(csv.stderr).toMatch(/^ragged: error \[IO_ERROR\]: csvLogger: cannot write/m);
    const tb = await ragged(["train", "--data", data, "--layers", "gru:2", "--epochs", "1", "--out", join(dir, "m2"), "--tensorboard", data]);
    expect(tb.code).toBe(1);
    expect(tb.stderr).toMatch(/^ragged: error \[IO_ERROR\]: tensorBoard: cannot write/m);
    expect(existsSync(join(dir, "m2", "model.json"))).toBe(false);
  }, 60_000);
});

/** `ragged --version` prints package.json's version; the help names both bin names. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ragged } from "./run.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { name: string; version: string; bin: Record<string, string> };

describe("ragged --version", () => {
  it("prints the package version, also as -V", async () => {
    expect(pkg.name).toBe("ragged-rnn");
    const long = await ragged(["--version"]);
    expect(long.code).toBe(0);
    expect(long.stdout.trim()).toBe(pkg.version);
    const short = await ragged(["-V"]);
    expect(short.stdout.trim()).toBe(pkg.version);
  });

  it("the ragged and ragged-rnn bins are one program, and the help says so", async () => {
    expect(pkg.bin.ragged).toBe(pkg.bin["ragged-rnn"]);
    const help = await ragged(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("ragged-rnn");
    expect(help.stdout).toContain("--version");
  });
});

// The committed wasm bytes (generated/ragged_wasm_bytes.ts) must be what the sources build to.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("the embedded wasm module", () => {
  it("matches a fresh build of src/core/wasm/assembly", () => {
    const script = fileURLToPath(new URL("./scripts/build_wasm.mjs", import.meta.url));
    const run = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
    expect(run.stderr + run.stdout).toContain("matches a fresh build");
    expect(run.status).toBe(0);
  });
});

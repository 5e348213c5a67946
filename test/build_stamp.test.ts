/**
 * The build stamp (scripts/build_stamp.mjs): `prepare` skips rebuilding only when dist/ holds every
 * output and the stamp is the hash of the sources as they are now — so the first `npx ragged demo`
 * in a fresh clone does not build a second time, and an edited source is never run stale.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs build script, without type declarations
import { inputFiles, OUTPUTS, staleReason, writeStamp } from "../scripts/build_stamp.mjs";

let root = "";
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = "";
});

function put(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** A project with sources, config and every output, built (stamped). */
function builtProject(): void {
  root = mkdtempSync(join(tmpdir(), "ragged-stamp-"));
  put("src/index.ts", "export const a = 1;\n");
  put("src/core/wasm/assembly/gemm.ts", "// kernel\n");
  put("src/core/wasm/build/ragged.wasm", "bytes");
  put("package.json", "{}\n");
  put("package-lock.json", "{}\n");
  put("tsconfig.build.json", "{}\n");
  for (const f of OUTPUTS as string[]) put(f, "// built\n");
  writeStamp(root);
}

describe("build stamp", () => {
  it("a fresh build's dist/ is current", () => {
    builtProject();
    expect(staleReason(root)).toBeNull();
  });

  it("is stale when a source, the lock file or a tsconfig changes, and when a source is added", () => {
    for (const [path, text] of [
      ["src/index.ts", "export const a = 2;\n"],
      ["src/core/wasm/assembly/gemm.ts", "// kernel, faster\n"],
      ["package-lock.json", '{"lockfileVersion": 3}\n'],
      ["tsconfig.build.json", '{"compilerOptions": {}}\n'],
      ["src/new_layer.ts", "export {};\n"],
    ]) {
      builtProject();
      put(path, text);
      expect(staleReason(root), path).toBe("the sources changed since the last build");
    }
  });

  it("is stale when an output or the stamp is missing; the wasm build directory is not an input", () => {
    builtProject();
    rmSync(join(root, "dist/browser/ragged.min.js"));
    expect(staleReason(root)).toBe("dist/browser/ragged.min.js is missing");
    builtProject();
    rmSync(join(root, "dist/.build-stamp"));
    expect(staleReason(root)).toBe("dist/.build-stamp is missing");
    builtProject();
    put("src/core/wasm/build/ragged.wasm", "other bytes");
    expect(staleReason(root)).toBeNull();
    expect(inputFiles(root)).not.toContain("src/core/wasm/build/ragged.wasm");
  });

  it("prepare builds unless the stamp matches, and every build writes the stamp", () => {
    const scripts = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")).scripts as Record<string, string>;
    expect(scripts.prepare).toBe("node scripts/build_stamp.mjs check || npm run build");
    expect(scripts.build.endsWith("&& node scripts/build_stamp.mjs write")).toBe(true);
  });
});

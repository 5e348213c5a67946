import { describe, expect, it } from "vitest";
import { loadRaggedWasm, preloadRaggedWasm, WasmArena, wasmSimdSupported } from "./loader.js";

describe("the wasm loader", () => {
  it("loads synchronously wherever SIMD validates, and the async preload agrees", async () => {
    expect(loadRaggedWasm() !== null).toBe(wasmSimdSupported());
    expect(await preloadRaggedWasm()).toBe(loadRaggedWasm() !== null);
  });

  it.runIf(wasmSimdSupported())("grows memory on commit and refuses layouts past the limit", () => {
    const wasm = loadRaggedWasm()!;
    const arena = new WasmArena(wasm);
    const at = arena.floats(3_000_000);
    expect(arena.commit()).toBe(true);
    expect(wasm.memory.buffer.byteLength).toBeGreaterThanOrEqual(at + 12_000_000);
    const huge = new WasmArena(wasm);
    huge.reserve(2 ** 31);
    expect(huge.commit()).toBe(false);
  });
});

/** test/setup/quiet_tfjs.ts: the TF.js Node banner is dropped, other warnings pass through. */
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";

const DOWNSTREAM = Symbol.for("ragged.test.consoleWarn");
const holder = globalThis as unknown as Record<symbol, (...args: unknown[]) => void>;
const original = holder[DOWNSTREAM];
afterEach(() => {
  holder[DOWNSTREAM] = original;
});

describe("quiet TF.js in tests", () => {
  it("a fresh TF.js cpu backend's first tensor prints no banner; other warnings still do", async () => {
    expect(typeof original).toBe("function"); // the setup file ran
    const seen: string[] = [];
    holder[DOWNSTREAM] = (...args: unknown[]) => void seen.push(args.map(String).join(" "));
    const cpu = tf.findBackendFactory("cpu");
    expect(cpu).not.toBeNull();
    tf.registerBackend("cpu-fresh-for-banner-test", cpu!);
    await tf.setBackend("cpu-fresh-for-banner-test");
    tf.tensor([1, 2, 3]).dispose(); // the backend's first write: where TF.js warns
    await tf.setBackend("cpu");
    tf.removeBackend("cpu-fresh-for-banner-test");
    console.warn("a real warning");
    expect(seen).toEqual(["a real warning"]);
  });
});

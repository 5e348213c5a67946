import { describe, expect, it } from "vitest";
import { crc32c, maskedCrc32c } from "./crc32c.js";

describe("crc32c", () => {
  it("gives the standard check value and TensorFlow's mask", () => {
    const digits = new TextEncoder().encode("123456789");
    expect(crc32c(digits)).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const crc = 0xe3069283;
    expect(maskedCrc32c(digits)).toBe((((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0);
  });
});

import { describe, expect, it } from "vitest";
import { AUTO_ID_ALPHABET, autoId } from "../../src/ids/auto-id.js";
import { AUTO_ID_LENGTH } from "../../src/limits.js";

describe("auto-ids", () => {
  it("are 20 characters of A-Z, a-z and 0-9, and differ", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => autoId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(AUTO_ID_LENGTH).toBe(20);
    expect(new Set(AUTO_ID_ALPHABET).size).toBe(62);
  });

  it("throw away bytes of 248 and up instead of folding them onto the first letters", () => {
    // 248 % 62 === 0 would give "A" under plain modulo; it must be skipped.
    const feed = [248, 255, 250, 0, 61, 62, 247];
    let i = 0;
    const id = autoId((bytes) => {
      for (let j = 0; j < bytes.length; j++) bytes[j] = feed[i++ % feed.length]!;
    });
    // Each round of the feed yields 0→A, 61→9, 62→A, 247→9 (247 % 62 = 61).
    expect(id).toBe("A9A9A9A9A9A9A9A9A9A9");
  });

  it("use every letter about equally often (no modulo bias)", () => {
    const counts = new Map<string, number>();
    const samples = 2000;
    for (let n = 0; n < samples; n++) for (const c of autoId()) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (samples * AUTO_ID_LENGTH) / 62;
    expect(counts.size).toBe(62);
    // With modulo bias the first 8 letters would come 5/4 as often as the rest.
    const first8 = [...AUTO_ID_ALPHABET.slice(0, 8)].reduce((s, c) => s + counts.get(c)!, 0) / 8;
    const rest = [...AUTO_ID_ALPHABET.slice(8)].reduce((s, c) => s + counts.get(c)!, 0) / 54;
    expect(first8 / rest).toBeGreaterThan(0.9);
    expect(first8 / rest).toBeLessThan(1.1);
    for (const n of counts.values()) expect(Math.abs(n - expected)).toBeLessThan(expected * 0.35);
  });

  it("fail loudly when the random source never gives a usable byte", () => {
    expect(() => autoId((bytes) => bytes.fill(255))).toThrow(/random source/);
  });
});

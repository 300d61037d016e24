import { describe, expect, it } from "vitest";
import { HASH_SEED_MAX, hash32, hash32Bytes } from "../../../src/routing/hash.js";

// Published MurmurHash3 x86_32 vectors. The empty-input and verification
// values come from SMHasher; the string vectors are the widely reproduced set
// used to cross-check ports of the reference C++ code.
const STRING_VECTORS: ReadonlyArray<readonly [text: string, seed: number, expected: number]> = [
  ["", 0, 0x00000000],
  ["", 1, 0x514e28b7],
  ["", 0xffffffff, 0x81f16f39],
  ["\0\0\0\0", 0, 0x2362f9de],
  ["a", 0x9747b28c, 0x7fa09ea6],
  ["ab", 0x9747b28c, 0x74875592],
  ["abc", 0x9747b28c, 0xc84a62dd],
  ["abcd", 0x9747b28c, 0xf0478627],
  ["aaaa", 0x9747b28c, 0x5a97808a],
  ["Hello, world!", 0x9747b28c, 0x24884cba],
  // Multi-byte UTF-8: each "π" is two bytes, so this checks the encoding step.
  ["ππππππππ", 0x9747b28c, 0xd58063c1],
  ["The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd],
];

/**
 * SMHasher's verification procedure: hash the prefixes key[0..i) of the bytes
 * 0,1,...,255 with seed 256 - i, concatenate the 256 little-endian results and
 * hash that buffer with seed 0. It exercises every tail length and many seeds.
 */
function smhasherVerificationValue(): number {
  const key = new Uint8Array(256);
  const hashes = new Uint8Array(256 * 4);
  const view = new DataView(hashes.buffer);
  for (let i = 0; i < 256; i++) {
    key[i] = i;
    view.setUint32(i * 4, hash32Bytes(key.subarray(0, i), 256 - i), true);
  }
  return hash32Bytes(hashes, 0);
}

describe("hash32 (MurmurHash3 x86_32)", () => {
  it.each(STRING_VECTORS)("hash32(%j, %i) matches the published vector", (text, seed, expected) => {
    expect(hash32(text, seed)).toBe(expected);
  });

  it("matches SMHasher's verification value 0xB0F57EE3", () => {
    expect(smhasherVerificationValue()).toBe(0xb0f57ee3);
  });

  it("defaults the seed to 0", () => {
    expect(hash32("The quick brown fox jumps over the lazy dog")).toBe(0x2e4ff723);
  });

  it("returns the same unsigned 32-bit value on every call", () => {
    for (let i = 0; i < 1000; i++) {
      const text = `users/${i}`;
      const first = hash32(text);
      expect(hash32(text)).toBe(first);
      expect(Number.isInteger(first)).toBe(true);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThanOrEqual(0xffffffff);
    }
  });

  it("hashes text exactly as it hashes the text's UTF-8 bytes", () => {
    const text = "naïve café 日本 🎉";
    expect(hash32(text, 7)).toBe(hash32Bytes(new TextEncoder().encode(text), 7));
  });

  it("rejects seeds that are not unsigned 32-bit integers", () => {
    expect(() => hash32("x", -1)).toThrow(RangeError);
    expect(() => hash32("x", HASH_SEED_MAX + 1)).toThrow(RangeError);
    expect(() => hash32("x", 1.5)).toThrow(RangeError);
    expect(() => hash32("x", Number.NaN)).toThrow(RangeError);
  });
});

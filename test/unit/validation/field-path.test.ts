import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatFieldPath, parseFieldPath } from "../../../src/validation/field-path.js";
import { FIELD_PATH_LENGTH_MAX, FIELD_PATH_SEGMENTS_MAX } from "../../../src/limits.js";

describe("field paths", () => {
  it.each([
    ["a", ["a"]],
    ["address.city", ["address", "city"]],
    ["_x.y_1", ["_x", "y_1"]],
    ["`first name`.x", ["first name", "x"]],
    ["`a.b`", ["a.b"]],
    ["`back\\`tick`", ["back`tick"]],
    ["`ключ`", ["ключ"]],
    ["`😀`.`k😀`", ["😀", "k😀"]],
  ])("parses %j", (text, segments) => {
    expect(parseFieldPath(text)).toEqual({ ok: true, path: segments });
  });

  it.each([
    ["", /empty/],
    ["a..b", /offset 2/],
    ["a.", /ends with a dot/],
    [".a", /offset 0/],
    ["1a", /offset 0/],
    ["a b", /offset 1/],
    ["a'b", /offset 1/],
    ["$x", /"\$"/],
    ["``", /empty quoted segment/],
    ["`abc", /unterminated/],
    ["`a\\nb`", /bad escape/],
    ["`a\u0007`", /control character/],
    ["a;DROP TABLE documents", /offset 1/],
    ["`\ud800`", /lone UTF-16 surrogate \(U\+D800 at offset 1\)/],
    ["a.`x\ude00`", /lone UTF-16 surrogate \(U\+DE00 at offset 4\)/],
    ["\udfff", /lone UTF-16 surrogate \(U\+DFFF at offset 0\)/],
  ])("refuses %j and says where", (text, message) => {
    const parsed = parseFieldPath(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it("refuses paths over the length and segment limits", () => {
    expect(parseFieldPath("a".repeat(FIELD_PATH_LENGTH_MAX + 1)).ok).toBe(false);
    expect(parseFieldPath(Array(FIELD_PATH_SEGMENTS_MAX).fill("a").join(".")).ok).toBe(true);
    expect(parseFieldPath(Array(FIELD_PATH_SEGMENTS_MAX + 1).fill("a").join(".")).ok).toBe(false);
  });

  it("formatting then parsing gives back the same segments", () => {
    const segment = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        expect(parseFieldPath(formatFieldPath(segments))).toEqual({ ok: true, path: segments });
      }),
    );
  });
});

import { describe, expect, it } from "vitest";
import { encodeDocumentData } from "../../../src/validation/document-data.js";
import { DOCUMENT_BYTES_MAX, DOCUMENT_DEPTH_MAX, FIELD_NAME_BYTES_MAX } from "../../../src/limits.js";

function nested(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) node = { n: node };
  return node;
}

describe("document data", () => {
  it("encodes a document and counts its UTF-8 bytes", () => {
    const data = { name: "Åse", tags: ["a"], n: null };
    const out = encodeDocumentData(data);
    expect(out).toEqual({ ok: true, value: { json: '{"name":"Åse","tags":["a"],"n":null}', bytes: 37, data } });
    // Data without a -0 is stored as given: no copy.
    expect(out.ok && out.value.data).toBe(data);
  });

  it("gives the data as stored: a -0 anywhere is 0, as the JSON text says", () => {
    const out = encodeDocumentData({ v: -0, list: [1, -0], map: { z: -0 } });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.value.json).toBe('{"v":0,"list":[1,0],"map":{"z":0}}');
    const stored = out.value.data as { v: number; list: number[]; map: { z: number } };
    expect([stored.v, stored.list[1], stored.map.z].every((n) => Object.is(n, 0))).toBe(true);
  });

  it("measures size in UTF-8 bytes, not characters", () => {
    const chars = Math.floor(DOCUMENT_BYTES_MAX / 2); // 2 bytes each in UTF-8
    const out = encodeDocumentData({ s: "é".repeat(chars) });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.kind).toBe("resource_exhausted");
  });

  it("allows the deepest nesting and refuses one more level", () => {
    expect(encodeDocumentData(nested(DOCUMENT_DEPTH_MAX) as never).ok).toBe(true);
    const out = encodeDocumentData(nested(DOCUMENT_DEPTH_MAX + 1) as never);
    expect(out).toMatchObject({ ok: false, kind: "invalid_argument" });
  });

  it("counts arrays as nesting too", () => {
    let node: unknown = 1;
    for (let i = 0; i < DOCUMENT_DEPTH_MAX; i++) node = [node];
    expect(encodeDocumentData({ a: node } as never)).toMatchObject({ ok: false, kind: "invalid_argument" });
  });

  it("refuses a hostile 100,000-level document without overflowing the stack", () => {
    let node: unknown = 1;
    for (let i = 0; i < 100_000; i++) node = { n: node };
    expect(encodeDocumentData(node as never)).toMatchObject({ ok: false, kind: "invalid_argument" });
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
  ])("refuses %s", (_name, value) => {
    expect(encodeDocumentData({ deep: { x: value } })).toMatchObject({ ok: false, kind: "invalid_argument", message: /deep\.x/ });
  });

  it("refuses strings and field names with a lone UTF-16 surrogate, naming the field", () => {
    const lone = { ok: false, kind: "invalid_argument" };
    expect(encodeDocumentData({ s: "\ud800x" })).toMatchObject({ ...lone, message: /^field s is a string that holds a lone UTF-16 surrogate \(U\+D800 at offset 0\)/ });
    expect(encodeDocumentData({ a: { b: ["ok", "x\udc00"] } })).toMatchObject({ ...lone, message: /^field a\.b\[1\] is a string that holds .*U\+DC00 at offset 1/ });
    expect(encodeDocumentData({ k: { "\ud800": 1 } })).toMatchObject({ ...lone, message: /^field name "\\ud800" under k holds a lone UTF-16 surrogate/ });
    expect(encodeDocumentData({ list: [{ "\ude00\ud83d": 1 }] })).toMatchObject({ ...lone, message: /^field name "\\ude00\\ud83d" under list\[0\] holds/ });
  });

  it("stores well-formed astral characters, in values and names alike", () => {
    expect(encodeDocumentData({ "😀": "😀x", k: ["\ud83d\ude00"] }).ok).toBe(true);
  });

  it("refuses empty and overlong field names", () => {
    expect(encodeDocumentData({ "": 1 })).toMatchObject({ ok: false, message: /empty field name/ });
    expect(encodeDocumentData({ ["k".repeat(FIELD_NAME_BYTES_MAX + 1)]: 1 })).toMatchObject({ ok: false, message: /FIELD_NAME_BYTES_MAX/ });
    expect(encodeDocumentData({ ["k".repeat(FIELD_NAME_BYTES_MAX)]: 1 }).ok).toBe(true);
  });
});

/**
 * Property tests: patches and projections over documents and masks built
 * from names JavaScript gives meaning to. Whatever the names, a masked path
 * reads back exactly what the patch (or the source, for a projection) holds
 * there, every object stays a plain object, and no built-in changes.
 * fast-check prints the seed and the shrunk counterexample of a failure.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { applyPatch, getPath } from "../../../src/storage/patch.js";
import { project } from "../../../src/storage/projection.js";
import { diffGlobals, HOSTILE_KEYS, snapshotGlobals } from "../../support/global-snapshot.js";

const key = fc.constantFrom(...HOSTILE_KEYS, "a", "b");

// Documents are generated as JSON text and parsed, so `__proto__` is an own key, as on the wire.
const { object: objectText } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.integer().map(String), fc.constant("null"), fc.constant('"s"'), tie("object"), tie("array")),
  object: fc
    .uniqueArray(fc.tuple(key, tie("value")), { selector: (e) => e[0], maxLength: 4 })
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`),
  array: fc.array(tie("value"), { maxLength: 3 }).map((values) => `[${values.join(",")}]`),
}));
const doc = objectText.map((text) => JSON.parse(text) as JsonObject);
const paths = fc.uniqueArray(fc.array(key, { minLength: 1, maxLength: 3 }), { selector: (p) => p.join("\u0000"), minLength: 1, maxLength: 4 });

function expectPlain(value: JsonValue | undefined): void {
  if (typeof value !== "object" || value === null) return;
  expect(Object.getPrototypeOf(value)).toBe(Array.isArray(value) ? Array.prototype : Object.prototype);
  for (const child of Object.values(value)) expectPlain(child);
}

const sameJson = (a: JsonValue | undefined, b: JsonValue | undefined) => expect(JSON.stringify(a)).toBe(JSON.stringify(b));

describe("with names such as __proto__ and constructor", () => {
  it("a projection holds exactly the source's value at each path that is not inside another", () => {
    const before = snapshotGlobals();
    fc.assert(
      fc.property(doc, paths, (source, mask) => {
        const out = project(source, mask);
        expectPlain(out);
        for (const p of mask) {
          const nested = mask.some((q) => q !== p && q.length < p.length && q.every((s, i) => s === p[i]));
          if (!nested) sameJson(getPath(out, p), getPath(source, p));
        }
      }),
      { numRuns: 1500 },
    );
    expect(diffGlobals(before, snapshotGlobals())).toEqual([]);
  });

  it("a masked update sets or removes exactly the masked paths, keeps the rest, and changes neither input", () => {
    const before = snapshotGlobals();
    fc.assert(
      fc.property(doc, doc, paths, (current, source, mask) => {
        const patch = project(source, mask);
        const [currentText, patchText] = [JSON.stringify(current), JSON.stringify(patch)];
        const out = applyPatch(current, patch, mask);
        expect([JSON.stringify(current), JSON.stringify(patch)]).toEqual([currentText, patchText]);
        if (!out.ok) {
          expect(out.message).toMatch(/overlap/);
          return;
        }
        expectPlain(out.data);
        for (const p of mask) sameJson(getPath(out.data, p), getPath(patch, p));
        // Top-level fields no mask path starts at are untouched.
        for (const k of Object.keys(current)) if (!mask.some((p) => p[0] === k)) sameJson(getPath(out.data, [k]), current[k]);
      }),
      { numRuns: 1500 },
    );
    expect(diffGlobals(before, snapshotGlobals())).toEqual([]);
  });
});

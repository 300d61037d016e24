/**
 * Patches and projections keep field names that JavaScript gives meaning to
 * (`__proto__`, `constructor`, ...) as ordinary fields: never a prototype
 * change, never a lost field, never an inherited method read as a value.
 */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "@bufbuild/protobuf";
import { applyPatch, getPath } from "../../../src/storage/patch.js";
import { project } from "../../../src/storage/projection.js";
import { HOSTILE_KEYS } from "../../support/global-snapshot.js";

// JSON.parse, like protobuf-es, makes `__proto__` an own data property.
const json = (text: string) => JSON.parse(text) as JsonObject;

function expectPlain(value: unknown): void {
  if (Array.isArray(value)) return value.forEach(expectPlain);
  if (typeof value !== "object" || value === null) return;
  // A user's object must stay a plain object: anything else loses fields and cannot cross Workers RPC.
  expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  Object.values(value).forEach(expectPlain);
}

describe.each(HOSTILE_KEYS)("a field named %s", (key) => {
  const k = JSON.stringify(key);

  it("is set by a masked update, nested, and read back", () => {
    const out = applyPatch(json(`{"x":1}`), json(`{${k}:{"z":1}}`), [[key, "z"]]);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(JSON.stringify(out.data)).toBe(`{"x":1,${k}:{"z":1}}`);
    expectPlain(out.data);
    expect(getPath(out.data, [key, "z"])).toBe(1);
  });

  it("is replaced and removed by a masked update like any field", () => {
    const current = json(`{${k}:{"z":1,"w":2},"x":1}`);
    const set = applyPatch(current, json(`{${k}:{"z":5}}`), [[key, "z"]]);
    expect(set.ok && JSON.stringify(set.data)).toBe(`{${k}:{"z":5,"w":2},"x":1}`);
    const removed = applyPatch(current, {}, [[key]]);
    expect(removed.ok && JSON.stringify(removed.data)).toBe(`{"x":1}`);
  });

  it("is merged by an unmasked update", () => {
    const out = applyPatch(json(`{"x":1}`), json(`{${k}:[{${k}:2}]}`), null);
    expect(out.ok && JSON.stringify(out.data)).toBe(`{"x":1,${k}:[{${k}:2}]}`);
    if (out.ok) expectPlain(out.data);
  });

  it("is kept by a projection that names it, at any depth", () => {
    const doc = json(`{"a":{${k}:{${k}:7,"b":1}},${k}:3,"c":4}`);
    const out = project(doc, [[key], ["a", key, key]]);
    expect(JSON.stringify(out)).toBe(`{${k}:3,"a":{${k}:{${k}:7}}}`);
    expectPlain(out);
  });

  it("is missing, not inherited, where the document has no such field", () => {
    expect(getPath({ a: 1 }, [key])).toBeUndefined();
    expect(project({ a: 1 }, [[key], [key, "x"]])).toEqual({});
    const out = applyPatch({ a: 1 }, {}, [[key, "x"]]);
    expect(out.ok && JSON.stringify(out.data)).toBe(`{"a":1}`);
  });
});

describe("hostile paths", () => {
  it("a projection of __proto__.polluted writes nothing onto Object.prototype", () => {
    const out = project(json(`{"__proto__":{"polluted":"yes"}}`), [["__proto__", "polluted"]]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"polluted":"yes"}}`);
    expect(project({ a: 1 }, [["__proto__", "polluted"]])).toEqual({});
    expect(Object.hasOwn(Object.prototype, "polluted")).toBe(false);
  });

  it("a masked update of constructor.prototype.x changes no constructor", () => {
    const out = applyPatch({}, json(`{"constructor":{"prototype":{"x":1}}}`), [["constructor", "prototype", "x"]]);
    expect(out.ok && JSON.stringify(out.data)).toBe(`{"constructor":{"prototype":{"x":1}}}`);
    expect(Object.hasOwn(Object.prototype, "x")).toBe(false);
  });
});

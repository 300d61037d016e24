/** The shard's write check: which method and documents a write rule sees, and what refuses. */
import { describe, expect, it } from "vitest";
import { readCheckAt, writeCheck } from "../../../src/rules/write-guard.js";

const guard = (source: string, readSource?: string) => ({
  rules: [{ collection: "posts", source }],
  readRules: readSource === undefined ? [] : [{ collection: "posts", source: readSource }],
  authJson: JSON.stringify({ sub: "alice" }),
});

describe("writeCheck", () => {
  it("gives create, update and delete, with the stored and proposed documents", () => {
    const seen = writeCheck(guard("request.method == 'create' && resource == null && request.resource.data.n == 1"))!;
    expect(seen({ op: "set", collection: "posts", id: "p", data: { n: 1 } }, null)).toBeNull();
    expect(seen({ op: "set", collection: "posts", id: "p", data: { n: 1 } }, { n: 0 })).toMatch(/refuses this update/);
    const update = writeCheck(guard("request.method == 'update' && resource.data.n == 1 && request.resource.data == {'n': 1, 'm': 2}"))!;
    expect(update({ op: "update", collection: "posts", id: "p", data: { m: 2 }, mask: [["m"]] }, { n: 1 })).toBeNull();
    const del = writeCheck(guard("request.method == 'delete' && request.resource == null && resource.data.owner == request.auth.sub"))!;
    expect(del({ op: "delete", collection: "posts", id: "p" }, { owner: "alice" })).toBeNull();
    expect(del({ op: "delete", collection: "posts", id: "p" }, { owner: "bob" })).toBe("the write rule of collection posts refuses this delete");
    // A delete of a missing document: the rule sees resource == null and refuses here.
    expect(del({ op: "delete", collection: "posts", id: "p" }, null)).toMatch(/refuses/);
  });

  it("checks only the collections it names, and nothing without a guard", () => {
    const check = writeCheck(guard("false"))!;
    expect(check({ op: "set", collection: "other", id: "p", data: {} }, null)).toBeNull();
    expect(writeCheck(null)).toBeNull();
    expect(writeCheck({ rules: [], authJson: "{}" })).toBeNull();
  });

  it("reads claims that would not survive structured cloning as objects", () => {
    const check = writeCheck({ rules: [{ collection: "posts", source: "request.auth['__proto__'] == 'x'" }], authJson: '{"__proto__":"x"}' })!;
    expect(check({ op: "set", collection: "posts", id: "p", data: {} }, null)).toBeNull();
  });
});

describe("readCheckAt", () => {
  it("judges a transaction's validated reads, a missing document with resource == null", () => {
    const check = readCheckAt(guard("true", "resource != null && resource.data.owner == request.auth.sub"))!;
    expect(check({ collection: "posts", id: "p" }, { owner: "alice" })).toBeNull();
    expect(check({ collection: "posts", id: "p" }, { owner: "bob" })).toMatch(/read rule/);
    expect(check({ collection: "posts", id: "p" }, null)).toMatch(/read rule/);
    expect(readCheckAt(guard("true"))).toBeNull();
  });
});

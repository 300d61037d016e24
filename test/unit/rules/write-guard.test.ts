/** The shard's write check: which method and documents a write rule sees, and what refuses. */
import { describe, expect, it } from "vitest";
import { dependsOnStored, readCheckAt, writeCheck } from "../../../src/rules/write-guard.js";

const guard = (source: string, readSource?: string) => ({
  rules: [{ collection: "posts", source }],
  readRules: readSource === undefined ? [] : [{ collection: "posts", source: readSource }],
  authJson: JSON.stringify({ sub: "alice" }),
});

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0, 123);

describe("writeCheck", () => {
  it("gives create, update and delete, with the stored and proposed documents", () => {
    const seen = writeCheck(guard("request.method == 'create' && resource == null && request.resource.data.n == 1"))!;
    expect(seen({ op: "set", collection: "posts", id: "p", data: { n: 1 } }, null, NOW)).toBeNull();
    // The refusal names the operation sent, never `request.method`, which says whether a document is stored.
    expect(seen({ op: "set", collection: "posts", id: "p", data: { n: 1 } }, { n: 0 }, NOW)).toBe("the write rule of collection posts refuses this set");
    expect(seen({ op: "set", collection: "posts", id: "p", data: { n: 2 } }, null, NOW)).toBe("the write rule of collection posts refuses this set");
    const update = writeCheck(guard("request.method == 'update' && resource.data.n == 1 && request.resource.data == {'n': 1, 'm': 2}"))!;
    expect(update({ op: "update", collection: "posts", id: "p", data: { m: 2 }, mask: [["m"]] }, { n: 1 }, NOW)).toBeNull();
    const del = writeCheck(guard("request.method == 'delete' && request.resource == null && resource.data.owner == request.auth.sub"))!;
    expect(del({ op: "delete", collection: "posts", id: "p" }, { owner: "alice" }, NOW)).toBeNull();
    expect(del({ op: "delete", collection: "posts", id: "p" }, { owner: "bob" }, NOW)).toBe("the write rule of collection posts refuses this delete");
    // A delete of a missing document: the rule sees resource == null and refuses here.
    expect(del({ op: "delete", collection: "posts", id: "p" }, null, NOW)).toMatch(/refuses/);
  });

  it("sees the document after the write's field transforms", () => {
    // The rule caps a counter: it must judge the incremented value, not the stored one or the patch.
    const capped = writeCheck(guard("request.resource.data.n <= 10 && request.resource.data.at == '2026-11-30T12:00:00.123Z'"))!;
    const inc = (by: number) => ({ op: "update" as const, collection: "posts", id: "p", data: {}, mask: null, transforms: [{ path: ["n"], kind: "increment" as const, operand: by }, { path: ["at"], kind: "server_timestamp" as const }] });
    expect(capped(inc(1), { n: 9 }, NOW)).toBeNull();
    expect(capped(inc(2), { n: 9 }, NOW)).toMatch(/refuses this update/);
    expect(capped(inc(1), { n: 9 }, NOW + 1)).toMatch(/refuses this update/);
  });

  it("checks only the collections it names, and nothing without a guard", () => {
    const check = writeCheck(guard("false"))!;
    expect(check({ op: "set", collection: "other", id: "p", data: {} }, null, NOW)).toBeNull();
    expect(writeCheck(null)).toBeNull();
    expect(writeCheck({ rules: [], authJson: "{}" })).toBeNull();
  });

  it("reads claims that would not survive structured cloning as objects", () => {
    const check = writeCheck({ rules: [{ collection: "posts", source: "request.auth['__proto__'] == 'x'" }], authJson: '{"__proto__":"x"}' })!;
    expect(check({ op: "set", collection: "posts", id: "p", data: {} }, null, NOW)).toBeNull();
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

describe("writeCheck with the read rule of the written collection", () => {
  const POSTS_READ = "resource.data.owner == request.auth.sub || resource.data.public == true";
  const POSTS_WRITE = "(resource == null || resource.data.owner == request.auth.sub) && (request.resource == null || request.resource.data.owner == request.auth.sub)";
  const check = writeCheck({ rules: [{ collection: "posts", source: POSTS_WRITE }], writeReadRules: [{ collection: "posts", source: POSTS_READ }], authJson: JSON.stringify({ sub: "alice" }) })!;
  const bobs = { owner: "bob" };

  it("refuses an update, a delete or a precondition on a hidden document in the same words as on a missing one", () => {
    const writes = [
      { op: "delete" as const, collection: "posts", id: "p" },
      { op: "update" as const, collection: "posts", id: "p", data: { owner: "alice" }, mask: null },
      { op: "set" as const, collection: "posts", id: "p", data: { owner: "alice" }, precondition: { exists: true } },
      { op: "set" as const, collection: "posts", id: "p", data: { owner: "alice" }, precondition: { version: 3 } },
    ];
    for (const write of writes) {
      const hidden = check(write, bobs, NOW);
      expect(hidden, write.op).toMatch(/^the read rule of collection posts refuses this (delete|update|set)/);
      expect(check(write, null, NOW)).toBe(hidden);
      expect(check(write, { owner: "alice" }, NOW)).toBeNull();
    }
  });

  it("leaves creates and plain sets to the write rule (a create must reach a missing document)", () => {
    for (const write of [
      { op: "create" as const, collection: "posts", id: "p", data: { owner: "alice" } },
      { op: "set" as const, collection: "posts", id: "p", data: { owner: "alice" } },
      { op: "set" as const, collection: "posts", id: "p", data: { owner: "alice" }, precondition: { exists: false } },
    ]) {
      expect(dependsOnStored(write)).toBe(false);
      expect(check(write, null, NOW)).toBeNull();
      expect(check(write, bobs, NOW)).toMatch(/^the write rule of collection posts refuses this (create|set)$/);
    }
  });
});

/**
 * The TypeScript SDK, imported the way users import it (the built package
 * @impossibledb/client), against the real Worker started by the harness.
 */
import { Code, ConnectError, ImpossibleDBClient } from "@impossibledb/client";
import { describe, expect, it } from "vitest";
import { uniqueCollection, workerUrl } from "./env.js";

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded; it should have failed");
}

describe("TypeScript SDK against the Worker", () => {
  // No base URL given: the client takes IMPOSSIBLEDB_URL, as the harness sets it.
  const db = new ImpossibleDBClient();

  it("finds the Worker through IMPOSSIBLEDB_URL", () => {
    expect(db.baseUrl).toBe(workerUrl());
  });

  it("puts, gets, creates, updates and deletes documents", async () => {
    const users = db.collection<{ name: string; email?: string; age?: number }>(uniqueCollection("sdk_crud"));
    const put = await users.put("alice", { name: "Alice", email: "alice@example.com" });
    expect(put.version).toBeGreaterThan(0n);
    expect(put.createTime).toBeInstanceOf(Date);

    const alice = await users.get("alice");
    expect(alice?.data).toEqual({ name: "Alice", email: "alice@example.com" });
    expect(alice?.version).toBe(put.version);
    expect(await users.get("nobody")).toBeNull();

    expect((await failure(users.create("alice", { name: "Impostor" }))).code).toBe(Code.AlreadyExists);
    const bob = await users.create("bob", { name: "Bob", age: 40 });

    const older = await users.update("bob", { age: 41 }, { mask: ["age"], precondition: { version: bob.version } });
    expect(older.data).toEqual({ name: "Bob", age: 41 });
    // The same precondition again is stale now: refused, and nothing changes.
    expect((await failure(users.update("bob", { age: 99 }, { precondition: { version: bob.version } }))).code).toBe(Code.FailedPrecondition);
    expect((await users.get("bob"))?.data.age).toBe(41);

    expect((await users.get("alice", { select: ["email"] }))?.data).toEqual({ email: "alice@example.com" });
    expect(await users.delete("alice")).toBe(true);
    expect(await users.delete("alice")).toBe(false);
    expect(await users.get("alice")).toBeNull();
  });

  it("lists page by page and all at once, in id order", async () => {
    const items = db.collection(uniqueCollection("sdk_list"));
    const ids = Array.from({ length: 23 }, (_, i) => `item${String(i).padStart(2, "0")}`);
    const batch = items.batch();
    ids.forEach((id, i) => batch.set(id, { i }));
    const outcomes = await batch.commit();
    expect(outcomes.every((o) => o.ok)).toBe(true);

    const first = await items.list({ pageSize: 10 });
    expect(first.documents.map((d) => d.id)).toEqual(ids.slice(0, 10));
    const second = await items.list({ pageSize: 10, pageToken: first.nextPageToken });
    expect(second.documents.map((d) => d.id)).toEqual(ids.slice(10, 20));

    const all: string[] = [];
    for await (const doc of items.listAll()) all.push(doc.id);
    expect(all).toEqual(ids);

    const many = await items.getMany(["item03", "missing", "item07"]);
    expect(many.map((d) => d?.data ?? null)).toEqual([{ i: 3 }, null, { i: 7 }]);
  });

  it("reports each write of a batch, and applies none of a failing write's shard", async () => {
    const things = db.collection(uniqueCollection("sdk_batch"));
    await things.put("taken", { v: 1 });
    const outcomes = await things.batch().create("taken", { v: 2 }).set("fresh", { v: 3 }).commit();
    expect(outcomes[0]).toMatchObject({ ok: false, code: Code.AlreadyExists });
    expect((await things.get("taken"))?.data).toEqual({ v: 1 });
    // "fresh" was applied unless it shares a shard with "taken" (then ABORTED).
    const fresh = await things.get("fresh");
    expect(outcomes[1]?.ok ? fresh?.data : outcomes[1]?.code).toEqual(outcomes[1]?.ok ? { v: 3 } : Code.Aborted);
  });

  it("refuses bad input with INVALID_ARGUMENT, without retrying", async () => {
    let retries = 0;
    const counting = new ImpossibleDBClient({ onRetry: () => void (retries += 1) });
    expect((await failure(counting.collection("9-not-a-name").get("x"))).code).toBe(Code.InvalidArgument);
    expect(retries).toBe(0);
  });
});

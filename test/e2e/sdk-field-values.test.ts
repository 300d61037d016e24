/**
 * FieldValue in the TypeScript SDK (the built package, as users import it)
 * against the real Worker: increments and the other transforms in update,
 * put, create, batches and transactions, and many clients incrementing one
 * document at once without losing an update.
 */
import { Code, ConnectError, FieldValue, ImpossibleDBClient } from "@impossibledb/client";
import { describe, expect, it } from "vitest";
import { uniqueCollection } from "./env.js";

describe("FieldValue against the Worker", () => {
  const db = new ImpossibleDBClient();

  it("increments, bounds, stamps and edits arrays in update, put and create", async () => {
    const counters = db.collection(uniqueCollection("fv"));
    await counters.create("c", { n: FieldValue.increment(5), tags: FieldValue.arrayUnion("a"), at: FieldValue.serverTimestamp() });
    const updated = await counters.update("c", { n: FieldValue.increment(-2), tags: FieldValue.arrayUnion("b", "a"), best: FieldValue.maximum(9), low: FieldValue.minimum(4) });
    expect(updated.data).toMatchObject({ n: 3, tags: ["a", "b"], best: 9, low: 4 });
    expect(typeof updated.data.at).toBe("string");
    const stamped = await counters.update("c", { at: FieldValue.serverTimestamp(), tags: FieldValue.arrayRemove("a") });
    expect(stamped.data.at).toBe(stamped.updateTime?.toISOString());
    expect(stamped.data.tags).toEqual(["b"]);
    const put = await counters.put("c", { fresh: true, n: FieldValue.increment(1) });
    expect(put.data).toEqual({ fresh: true, n: 1 });
  });

  it("applies FieldValues in batches and transactions", async () => {
    const name = uniqueCollection("fv_batch");
    const c = db.collection(name);
    await c.put("a", { n: 1 });
    const outcomes = await c.batch().update("a", { n: FieldValue.increment(10) }).set("b", { n: FieldValue.increment(2) }).commit();
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    // Each outcome carries the values its FieldValues produced.
    expect(outcomes.map((o) => o.result?.transformResults)).toEqual([[11], [2]]);
    await db.runTransaction(async (tx) => {
      const a = await tx.get(name, "a");
      tx.update(name, "a", { n: FieldValue.increment(100), seen: a!.data.n as number });
      tx.update(name, "b", { n: FieldValue.increment(100) });
    });
    expect((await c.getMany(["a", "b"])).map((d) => d?.data)).toEqual([{ n: 111, seen: 11 }, { n: 102 }]);
  });

  it("many clients incrementing one document lose no update", async () => {
    const c = db.collection(uniqueCollection("fv_hot"));
    await c.put("hot", { n: 0 });
    const clients = Array.from({ length: 8 }, () => new ImpossibleDBClient());
    const N = 200;
    await Promise.all(Array.from({ length: N }, (_, i) => clients[i % clients.length]!.collection(c.name).update("hot", { n: FieldValue.increment(1) })));
    expect((await c.get("hot"))?.data.n).toBe(N);
  });

  it("bad transforms are INVALID_ARGUMENT and change nothing", async () => {
    const c = db.collection(uniqueCollection("fv_bad"));
    await c.put("d", { n: 1 });
    const err = await c.update("d", { n: FieldValue.increment(1) }, { mask: ["n.x"] }).then(
      () => null,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.InvalidArgument);
    expect((await c.get("d"))?.data).toEqual({ n: 1 });
  });
});

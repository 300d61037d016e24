/**
 * The SDK's queries and transactions against the real Worker: QueryService
 * (execute, page, stream, select, aggregate) and TransactionService
 * (commit, conflicts retried by runTransaction).
 */
import { avg, Code, ConnectError, count, ImpossibleDBClient, sum } from "@impossibledb/client";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueCollection } from "./env.js";

const db = new ImpossibleDBClient();

describe("queries", () => {
  const people = db.collection<{ name: string; age: number; status: string; team: string }>(uniqueCollection("sdk_query"));
  const ages = [15, 22, 35, 41, 19, 60, 28, 33, 50, 24];

  beforeAll(async () => {
    const batch = people.batch();
    ages.forEach((age, i) => batch.set(`p${i}`, { name: `P${i}`, age, status: i % 3 === 0 ? "away" : "active", team: i % 2 === 0 ? "red" : "blue" }));
    expect((await batch.commit()).every((o) => o.ok)).toBe(true);
  });

  const expected = () =>
    ages
      .map((age, i) => ({ id: `p${i}`, age, status: i % 3 === 0 ? "away" : "active", team: i % 2 === 0 ? "red" : "blue" }))
      .filter((p) => p.age > 21 && p.status === "active")
      .sort((a, b) => b.age - a.age);

  it("filters, sorts, skips and limits", async () => {
    const docs = await people.query().where("age", ">", 21).where("status", "==", "active").sort("age", "desc").offset(1).limit(3).execute();
    expect(docs.map((d) => d.id)).toEqual(expected().slice(1, 4).map((p) => p.id));
  });

  it("pages with tokens and streams the same documents", async () => {
    const q = () => people.query().where("age", ">", 21).where("status", "==", "active").sort("age", "desc");
    const first = await q().page({ pageSize: 2 });
    const second = await q().page({ pageSize: 2, pageToken: first.nextPageToken });
    expect([...first.documents, ...second.documents].map((d) => d.id)).toEqual(expected().slice(0, 4).map((p) => p.id));
    const streamed: string[] = [];
    for await (const doc of q().stream()) streamed.push(doc.id);
    expect(streamed).toEqual(expected().map((p) => p.id));
  });

  it("returns only selected fields", async () => {
    const [doc] = await people.query().where("age", "==", 60).select("name").execute();
    expect(doc?.data).toEqual({ name: "P5" });
  });

  it("aggregates, grouped and not", async () => {
    const [all] = await people.query().aggregate({ n: count(), total: sum("age"), mean: avg("age") });
    expect(all?.values).toEqual({ n: ages.length, total: ages.reduce((a, b) => a + b, 0), mean: ages.reduce((a, b) => a + b, 0) / ages.length });
    const byTeam = await people.query().aggregate({ n: count() }, { groupBy: ["team"] });
    expect(byTeam).toEqual([
      { key: ["blue"], values: { n: 5 } },
      { key: ["red"], values: { n: 5 } },
    ]);
  });

  it("refuses a filter on a malformed field path with INVALID_ARGUMENT", async () => {
    const err = await people.query().where("a..b", "==", 1).execute().catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
  });
});

describe("transactions", () => {
  it("commits reads and writes across collections atomically", async () => {
    const accounts = uniqueCollection("sdk_tx_accounts");
    const log = uniqueCollection("sdk_tx_log");
    await db.collection(accounts).put("a", { balance: 100 });
    const tx = db.createTransaction();
    const a = await tx.get<{ balance: number }>(accounts, "a");
    tx.update(accounts, "a", { balance: (a?.data.balance ?? 0) - 30 }).write(log, "entry1", { amount: 30 });
    const out = await tx.commit();
    expect(out.results).toHaveLength(2);
    expect((await db.collection(accounts).get("a"))?.data.balance).toBe(70);
    expect((await db.collection(log).get("entry1"))?.data).toEqual({ amount: 30 });
  });

  it("aborts a commit whose read changed, and applies none of its writes", async () => {
    const docs = db.collection(uniqueCollection("sdk_tx_conflict"));
    await docs.put("x", { v: 1 });
    const tx = db.createTransaction();
    await tx.get(docs.name, "x");
    await docs.put("x", { v: 2 }); // someone else writes what the transaction read
    tx.write(docs.name, "x", { v: 3 }).write(docs.name, "y", { v: 3 });
    const err = await tx.commit().catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Aborted);
    expect((await docs.get("x"))?.data).toEqual({ v: 2 });
    expect(await docs.get("y")).toBeNull();
  });

  it("runTransaction retries conflicting increments until each has applied once", async () => {
    const counters = db.collection<{ n: number }>(uniqueCollection("sdk_tx_counter"));
    await counters.put("c", { n: 0 });
    const workers = 4;
    await Promise.all(
      Array.from({ length: workers }, () =>
        db.runTransaction(
          async (tx) => {
            const c = await tx.get<{ n: number }>(counters.name, "c");
            tx.write(counters.name, "c", { n: (c?.data.n ?? 0) + 1 });
          },
          { attemptsMax: 20 },
        ),
      ),
    );
    expect((await counters.get("c"))?.data.n).toBe(workers);
  });
});

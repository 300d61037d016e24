/**
 * Against the real server: a transaction that read a document twice, with
 * another client's write in between, must not commit a write computed from
 * the first read (the lost update found by outside testing). The SDK sends
 * every version it read, and the server aborts.
 */
import { Code, ConnectError, ImpossibleDBClient } from "@impossibledb/client";
import { describe, expect, it } from "vitest";
import { uniqueCollection } from "./env.js";

const db = new ImpossibleDBClient();
const other = new ImpossibleDBClient();

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded; it should have failed");
}

describe("a transaction that read one document at two versions", () => {
  it("aborts instead of overwriting the write it saw in between (get, get)", async () => {
    const accounts = db.collection<{ balance: number }>(uniqueCollection("readset_get"));
    await accounts.put("a", { balance: 100 });
    const tx = db.createTransaction();
    const first = await tx.get<{ balance: number }>(accounts.name, "a");
    await other.collection(accounts.name).put("a", { balance: 50 });
    const second = await tx.get<{ balance: number }>(accounts.name, "a");
    expect([first?.data.balance, second?.data.balance]).toEqual([100, 50]);
    tx.update(accounts.name, "a", { balance: first!.data.balance - 10 });
    expect((await failure(tx.commit())).code).toBe(Code.Aborted);
    expect((await accounts.get("a"))?.data).toEqual({ balance: 50 });
  });

  it("aborts when the second version came from a queued read()", async () => {
    const docs = db.collection(uniqueCollection("readset_read"));
    await docs.put("x", { v: 1 });
    const tx = db.createTransaction();
    await tx.get(docs.name, "x");
    await other.collection(docs.name).put("x", { v: 2 });
    tx.read(docs.name, "x").write(docs.name, "x", { v: 3 });
    expect((await failure(tx.commit())).code).toBe(Code.Aborted);
    expect((await docs.get("x"))?.data).toEqual({ v: 2 });
  });

  it("aborts when a document it saw missing was created before it read it again", async () => {
    const docs = db.collection(uniqueCollection("readset_created"));
    const tx = db.createTransaction();
    expect(await tx.get(docs.name, "n")).toBeNull();
    await other.collection(docs.name).put("n", { by: "other" });
    expect((await tx.get(docs.name, "n"))?.data).toEqual({ by: "other" });
    tx.write(docs.name, "n", { by: "tx" });
    expect((await failure(tx.commit())).code).toBe(Code.Aborted);
    expect((await docs.get("n"))?.data).toEqual({ by: "other" });
  });

  it("runTransaction retries it and applies the change to the value the other client wrote", async () => {
    const accounts = db.collection<{ balance: number }>(uniqueCollection("readset_retry"));
    await accounts.put("a", { balance: 100 });
    let runs = 0;
    await db.runTransaction(async (tx) => {
      runs += 1;
      const first = await tx.get<{ balance: number }>(accounts.name, "a");
      if (runs === 1) await other.collection(accounts.name).put("a", { balance: 50 });
      await tx.get(accounts.name, "a");
      tx.update(accounts.name, "a", { balance: first!.data.balance - 10 });
    });
    expect(runs).toBe(2);
    expect((await accounts.get("a"))?.data).toEqual({ balance: 40 });
  });
});

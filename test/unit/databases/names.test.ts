/**
 * Database ids, resource names, object names and the scope carried by
 * transaction ids.
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SCOPE,
  databaseIdFromName,
  databaseIdProblem,
  decodeScope,
  encodeScope,
  isDatabaseId,
  newDatabaseUid,
  objectName,
  type DatabaseScope,
} from "../../../src/databases/names.js";
import { DATABASE_ID_LENGTH_MAX } from "../../../src/limits.js";
import { DEVELOPMENT_PAGE_TOKEN_KEY } from "../../../src/pagination/page-token.js";
import { createTransactionToken, transactionScopeOf, verifyTransactionToken } from "../../../src/sync/tx-token.js";

const orders: DatabaseScope = { id: "orders", uid: "k3j2abc", placement: { locationHint: "weur" } };

describe("database ids", () => {
  it("follows the grammar: a lowercase letter, then lowercase letters, digits or '-', up to DATABASE_ID_LENGTH_MAX", () => {
    for (const ok of ["a", "default", "orders-eu-1", "a".repeat(DATABASE_ID_LENGTH_MAX)]) expect(isDatabaseId(ok)).toBe(true);
    for (const bad of ["", "1a", "-a", "A", "a_b", "a.b", "a/b", "a b", "é", "a".repeat(DATABASE_ID_LENGTH_MAX + 1)]) expect(isDatabaseId(bad)).toBe(false);
    expect(databaseIdProblem("Bad", "database_id")).toMatch(/database_id "Bad" is not a database id: 1 to 63 characters/);
    expect(databaseIdProblem("x".repeat(500), "f")!.length).toBeLessThan(250);
  });

  it("reads ids from AIP resource names databases/{id}", () => {
    expect(databaseIdFromName("databases/orders")).toBe("orders");
    for (const bad of ["orders", "databases/", "databases/Orders", "databases/a/b", "database/orders"]) expect(databaseIdFromName(bad)).toBeUndefined();
  });
});

describe("object names", () => {
  it("keeps the default database's names exactly as before databases existed", () => {
    expect(objectName(DEFAULT_SCOPE, "shard-3")).toBe("shard-3");
    expect(objectName(DEFAULT_SCOPE, "coordinator-0")).toBe("coordinator-0");
    expect(objectName(DEFAULT_SCOPE, "shard-manager")).toBe("shard-manager");
  });

  it("names other databases' objects under the database and its incarnation", () => {
    expect(objectName(orders, "shard-3")).toBe("databases/orders/k3j2abc/shard-3");
    expect(objectName({ ...orders, uid: "other" }, "shard-3")).not.toBe(objectName(orders, "shard-3"));
  });

  it("makes a fresh uid per creation", () => {
    const uids = new Set(Array.from({ length: 100 }, () => newDatabaseUid(1_700_000_000_000)));
    expect(uids.size).toBe(100);
    for (const uid of uids) expect(uid).toMatch(/^[0-9a-z]{1,32}$/);
  });
});

describe("scopes in transaction ids", () => {
  it("round-trips a scope and keeps default's empty", () => {
    expect(encodeScope(DEFAULT_SCOPE)).toBe("");
    expect(decodeScope("")).toEqual(DEFAULT_SCOPE);
    expect(decodeScope(encodeScope(orders))).toEqual(orders);
    const eu: DatabaseScope = { id: "eu-db", uid: "x1", placement: { jurisdiction: "eu" } };
    expect(decodeScope(encodeScope(eu))).toEqual(eu);
    for (const bad of ["a", "a/b/c", "default/u//", "Bad/u//", "a/u/x/y/z", "a/U!//"]) expect(decodeScope(bad)).toBeUndefined();
  });

  it("binds a transaction id to its database", async () => {
    const key = DEVELOPMENT_PAGE_TOKEN_KEY;
    const inOrders = await createTransactionToken(key, Date.now() + 60_000, false, { scope: orders });
    expect(transactionScopeOf(inOrders.id)).toEqual(orders);
    expect(await verifyTransactionToken(key, inOrders.id, Date.now(), false, orders)).toMatchObject({ ok: true, token: { scope: orders } });
    expect(await verifyTransactionToken(key, inOrders.id, Date.now())).toMatchObject({ ok: false, kind: "invalid_argument", message: expect.stringMatching(/another database than default/) });
    // orders deleted and created again: the id is of the earlier one (it said "another database than orders").
    expect(await verifyTransactionToken(key, inOrders.id, Date.now(), false, { ...orders, uid: "later" })).toEqual({
      ok: false,
      kind: "failed_precondition",
      message: "transaction belongs to an earlier database named orders, deleted since (this orders was created again): nothing of it can commit here; begin a new transaction",
    });
    // Expired as well: the database is what it says first.
    expect(await verifyTransactionToken(key, (await createTransactionToken(key, Date.now() - 1, false, { scope: orders })).id, Date.now(), false, { ...orders, uid: "later" })).toMatchObject({ kind: "failed_precondition" });

    const inDefault = await createTransactionToken(key, Date.now() + 60_000, false);
    expect(transactionScopeOf(inDefault.id)).toEqual(DEFAULT_SCOPE);
    expect(await verifyTransactionToken(key, inDefault.id, Date.now(), false, orders)).toMatchObject({ ok: false, message: expect.stringMatching(/another database than orders/) });
    expect(await verifyTransactionToken(key, inDefault.id, Date.now())).toMatchObject({ ok: true });
  });
});

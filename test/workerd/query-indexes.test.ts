import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { AdminService, IndexField_Direction, Index_State } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const query = connectClient(QueryService);
const admin = connectClient(AdminService);

async function fill(collection: string, from: number, count: number): Promise<void> {
  await db.batchWriteDocuments({
    writes: Array.from({ length: count }, (_, k) => {
      const i = from + k;
      return { ref: { collection, id: `o${String(i).padStart(4, "0")}` }, operation: { case: "set" as const, value: { status: i % 2 ? "open" : "closed", total: i % 50, n: i } } };
    }),
  });
}

describe("secondary indexes", () => {
  it("are built on every shard, backfilled, kept up to date, used by queries and dropped", async () => {
    await fill("orders", 0, 200);
    const created = await admin.createIndex({
      index: { collection: "orders", fields: [{ field: "status" }, { field: "total", direction: IndexField_Direction.DESCENDING }] },
    });
    const index = created.index!;
    expect(index.state).toBe(Index_State.READY);
    expect(index.id).toMatch(/^i[0-9a-f]{16}$/);
    // Creating the same index again is idempotent and gives the same id.
    expect((await admin.createIndex({ index: { collection: "orders", fields: [{ field: "status" }, { field: "total", direction: IndexField_Direction.DESCENDING }] } })).index!.id).toBe(index.id);
    expect((await admin.getIndex({ collection: "orders", id: index.id })).index!.fields.map((f) => f.field)).toEqual(["status", "total"]);
    expect((await admin.listIndexes({ collection: "orders" })).indexes.map((i) => i.id)).toEqual([index.id]);
    expect((await admin.listIndexes({ collection: "other" })).indexes).toEqual([]);

    await fill("orders", 200, 40); // written after the index exists
    const q = { collection: "orders", filter: 'status = "open" AND total >= 45', orderBy: [{ field: "total", direction: Order_Direction.DESCENDING }], limit: 10 };
    const res = await query.runQuery({ query: q, explain: true });
    const expected = Array.from({ length: 240 }, (_, i) => i)
      .filter((i) => i % 2 === 1 && i % 50 >= 45)
      .sort((a, b) => (b % 50) - (a % 50) || (a < b ? 1 : -1))
      .slice(0, 10)
      .map((i) => `o${String(i).padStart(4, "0")}`);
    expect(res.documents.map((d) => d.id)).toEqual(expected);
    const queried = res.plan!.shards.filter((s) => !s.pruned);
    expect(queried.every((s) => s.index === index.id), JSON.stringify(queried.map((s) => s.sqlPlan))).toBe(true);
    // The index bounds the reads: each shard reads about what it returns, not the whole collection.
    const rowsRead = queried.reduce((n, s) => n + Number(s.rowsRead), 0);
    expect(rowsRead).toBeLessThan(240 / 2);

    await admin.deleteIndex({ collection: "orders", id: index.id });
    await expectCode(admin.getIndex({ collection: "orders", id: index.id }), Code.NotFound);
    await expectCode(admin.deleteIndex({ collection: "orders", id: index.id }), Code.NotFound);
    const after = await query.runQuery({ query: q, explain: true });
    expect(after.documents.map((d) => d.id)).toEqual(expected);
    expect(after.plan!.shards.every((s) => s.index === "")).toBe(true);
  });

  it("an index serves a range filter and a sort on the same field without sorting every match", async () => {
    await fill("ranged", 0, 400);
    const created = await admin.createIndex({ index: { collection: "ranged", fields: [{ field: "status" }, { field: "total" }] } });
    const q = { collection: "ranged", filter: 'status = "open" AND total >= 10', orderBy: [{ field: "total", direction: Order_Direction.DESCENDING }], limit: 5 };
    const res = await query.runQuery({ query: q, explain: true });
    const expected = Array.from({ length: 400 }, (_, i) => i)
      .filter((i) => i % 2 === 1 && i % 50 >= 10)
      .sort((a, b) => (b % 50) - (a % 50) || b - a)
      .slice(0, 5)
      .map((i) => `o${String(i).padStart(4, "0")}`);
    expect(res.documents.map((d) => d.id)).toEqual(expected);
    const queried = res.plan!.shards.filter((s) => !s.pruned);
    for (const shard of queried) {
      expect(shard.index).toBe(created.index!.id);
      // Walked backwards, the index gives (total DESC, id DESC) itself: no sort step.
      expect(shard.sqlPlan).not.toMatch(/TEMP B-TREE/);
    }
    // Each shard stops after the few rows it may return (index entry and row
    // per document), instead of reading all ~160 matches.
    const rowsRead = queried.reduce((n, s) => n + Number(s.rowsRead), 0);
    expect(rowsRead).toBeLessThanOrEqual(queried.length * (q.limit + 1) * 2);
  });

  it("refuses fields SQL cannot spell safely, duplicates and the id", async () => {
    for (const field of ["`it's`", '`say "hi"`', "`back\\\\slash`"]) {
      await expectCode(admin.createIndex({ index: { collection: "orders", fields: [{ field }] } }), Code.InvalidArgument, /cannot be indexed/);
    }
    await expectCode(admin.createIndex({ index: { collection: "orders", fields: [{ field: "a" }, { field: "a" }] } }), Code.InvalidArgument, /indexed twice/);
    await expectCode(admin.createIndex({ index: { collection: "orders", fields: [{ field: "__id__" }] } }), Code.InvalidArgument, /indexed already/);
    await expectCode(admin.createIndex({ index: { collection: "orders", fields: [{ field: "a..b" }] } }), Code.InvalidArgument, /index.fields\[0\].field/);
    await expectCode(admin.createIndex({ index: { collection: "__x", fields: [{ field: "a" }] } }), Code.InvalidArgument);
    await expectCode(admin.getIndex({ collection: "orders", id: "'; DROP TABLE documents; --" }), Code.NotFound);
    // A quoted name SQL can spell is fine.
    const ok = await admin.createIndex({ index: { collection: "orders", fields: [{ field: "`first name`" }] } });
    expect(ok.index!.fields[0]!.field).toBe("`first name`");
  });
});

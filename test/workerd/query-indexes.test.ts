import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { AdminService, IndexField_Direction, Index_State } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { Aggregation_Function, FieldFilter_Operator, Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
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

/** Documents for the equality tests: 800 over 8 shards, `u` 0..99 (8 each), `s` its string, `status` 2 in 3 "active". */
const EQ_DOCS = Array.from({ length: 800 }, (_, i) => ({
  id: `e${String(i).padStart(4, "0")}`,
  data: { u: i % 100, s: `s${i % 100}`, status: i % 3 === 0 ? "inactive" : "active", lastName: `n${i % 37}` },
}));

async function fillEq(collection: string): Promise<void> {
  for (let i = 0; i < EQ_DOCS.length; i += 400) {
    await db.batchWriteDocuments({
      writes: EQ_DOCS.slice(i, i + 400).map((d) => ({ ref: { collection, id: d.id }, operation: { case: "set" as const, value: d.data } })),
    });
  }
}

const idsWhere = (keep: (d: (typeof EQ_DOCS)[number]["data"]) => boolean) => EQ_DOCS.filter((d) => keep(d.data)).map((d) => d.id);
const num = (value: number) => ({ kind: { case: "numberValue" as const, value } });

/** The shards a plan queried, each of which must have used `indexId`; their rows read in total. */
function indexedRowsRead(plan: { shards: Array<{ pruned: boolean; index: string; sqlPlan: string; rowsRead: bigint }> }, indexId: string): number {
  const queried = plan.shards.filter((s) => !s.pruned);
  expect(queried.length).toBeGreaterThan(0);
  for (const shard of queried) expect(shard.index, shard.sqlPlan).toBe(indexId);
  return queried.reduce((n, s) => n + Number(s.rowsRead), 0);
}

describe("equality and IN filters use an index whose leading fields they pin (report: eqix2)", () => {
  // Without the fix every shard chose its primary key (collection, id) and
  // read the whole collection (800 rows and more) for each of these.
  it("a number equality, a string equality and an equality sorted on its own field", async () => {
    await fillEq("eqix");
    const onU = (await admin.createIndex({ index: { collection: "eqix", fields: [{ field: "u" }] } })).index!.id;
    const onS = (await admin.createIndex({ index: { collection: "eqix", fields: [{ field: "s" }] } })).index!.id;

    const byNumber = await query.runQuery({ query: { collection: "eqix", filter: "u = 42" }, explain: true });
    expect(byNumber.documents.map((d) => d.id)).toEqual(idsWhere((d) => d.u === 42));
    // Eight matches: an index entry and a row each, not the collection.
    expect(indexedRowsRead(byNumber.plan!, onU)).toBeLessThanOrEqual(8 * 2 + 8);

    const byString = await query.runQuery({ query: { collection: "eqix", filter: 's = "s42"' }, explain: true });
    expect(byString.documents.map((d) => d.id)).toEqual(idsWhere((d) => d.s === "s42"));
    expect(indexedRowsRead(byString.plan!, onS)).toBeLessThanOrEqual(8 * 2 + 8);

    const sorted = await query.runQuery({
      query: { collection: "eqix", filter: "u = 7", orderBy: [{ field: "u", direction: Order_Direction.DESCENDING }], limit: 3 },
      explain: true,
    });
    // Sorted descending on the pinned field, the id runs descending too.
    expect(sorted.documents.map((d) => d.id)).toEqual(idsWhere((d) => d.u === 7).reverse().slice(0, 3));
    expect(indexedRowsRead(sorted.plan!, onU)).toBeLessThanOrEqual(8 * 2 + 8);
    // The pinned field's key drops out of the ORDER BY, so the index gives the order: no sort step.
    for (const shard of sorted.plan!.shards.filter((s) => !s.pruned)) expect(shard.sqlPlan).not.toMatch(/TEMP B-TREE/);
  });

  it("IN, structured or as AIP-160's OR of equalities, and a page walk", async () => {
    await fillEq("eqin");
    const onU = (await admin.createIndex({ index: { collection: "eqin", fields: [{ field: "u" }] } })).index!.id;
    const values = [3, 42, 77];
    const expected = idsWhere((d) => values.includes(d.u));
    const where = { filterType: { case: "fieldFilter" as const, value: { field: "u", op: FieldFilter_Operator.IN, value: { kind: { case: "listValue" as const, value: { values: values.map(num) } } } } } };
    const structured = await query.runQuery({ query: { collection: "eqin", where }, explain: true });
    expect(structured.documents.map((d) => d.id)).toEqual(expected);
    // The IN's values are looked up in order and the matches sorted by id:
    // a few rows per match (index entry, row, sort) on each shard, far from the collection.
    expect(indexedRowsRead(structured.plan!, onU)).toBeLessThanOrEqual(expected.length * 4);

    const text = await query.runQuery({ query: { collection: "eqin", filter: "(u = 3 OR u = 42 OR u = 77)" }, explain: true });
    expect(text.documents.map((d) => d.id)).toEqual(expected);
    expect(indexedRowsRead(text.plan!, onU)).toBeLessThanOrEqual(expected.length * 4);

    // Pages resume after their cursor through the same index and return every match once.
    const walked: string[] = [];
    let pageToken = "";
    do {
      const page = await query.runQuery({ query: { collection: "eqin", where }, pageSize: 5, pageToken });
      walked.push(...page.documents.map((d) => d.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(walked).toEqual(expected);
  });

  it("a two-field index serves an equality on its first field alone, with and without a sort on its second", async () => {
    await fillEq("eqtwo");
    const index = (await admin.createIndex({ index: { collection: "eqtwo", fields: [{ field: "status" }, { field: "lastName" }] } })).index!.id;
    const all = await query.runQuery({ query: { collection: "eqtwo", filter: 'status = "inactive"' }, explain: true });
    const inactive = idsWhere((d) => d.status === "inactive");
    expect(all.documents.map((d) => d.id)).toEqual(inactive.slice(0, all.documents.length));
    expect(all.documents.length).toBeGreaterThan(0);
    expect(indexedRowsRead(all.plan!, index)).toBeLessThan(EQ_DOCS.length);

    const q = { collection: "eqtwo", filter: 'status = "active"', orderBy: [{ field: "lastName" }], limit: 4 };
    const sorted = await query.runQuery({ query: q, explain: true });
    const expected = EQ_DOCS.filter((d) => d.data.status === "active")
      .sort((a, b) => (a.data.lastName < b.data.lastName ? -1 : a.data.lastName > b.data.lastName ? 1 : a.id < b.id ? -1 : 1))
      .slice(0, 4)
      .map((d) => d.id);
    expect(sorted.documents.map((d) => d.id)).toEqual(expected);
    // Each shard walks (status, lastName) in order and stops after the few rows it may return.
    expect(indexedRowsRead(sorted.plan!, index)).toBeLessThanOrEqual(8 * (q.limit + 1) * 2);
    for (const shard of sorted.plan!.shards.filter((s) => !s.pruned)) expect(shard.sqlPlan).not.toMatch(/TEMP B-TREE/);

    // Aggregations read through the index too.
    const counted = await query.runAggregationQuery({
      query: { collection: "eqtwo", filter: 'status = "inactive"' },
      aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }, { alias: "names", function: Aggregation_Function.COUNT, field: "lastName" }],
      explain: true,
    });
    expect(counted.groups[0]!.results.n!.kind.value).toBe(inactive.length);
    expect(indexedRowsRead(counted.plan!, index)).toBeLessThanOrEqual(inactive.length * 2 + 8);
  });

  it("leaves the primary key to a filter that pins the id, and a mixed-type IN to SQLite", async () => {
    await fillEq("eqid");
    await admin.createIndex({ index: { collection: "eqid", fields: [{ field: "u" }] } });
    const pinned = await query.runQuery({ query: { collection: "eqid", filter: '__id__ = "e0042" AND u = 42' }, explain: true });
    expect(pinned.documents.map((d) => d.id)).toEqual(["e0042"]);
    for (const shard of pinned.plan!.shards.filter((s) => !s.pruned)) expect(shard.sqlPlan).toMatch(/PRIMARY KEY \(collection=\? AND id=\?\)/);
    const mixed = { filterType: { case: "fieldFilter" as const, value: { field: "u", op: FieldFilter_Operator.IN, value: { kind: { case: "listValue" as const, value: { values: [num(5), { kind: { case: "stringValue" as const, value: "5" } }] } } } } } };
    const res = await query.runQuery({ query: { collection: "eqid", where: mixed } });
    expect(res.documents.map((d) => d.id)).toEqual(idsWhere((d) => d.u === 5));
  });
});

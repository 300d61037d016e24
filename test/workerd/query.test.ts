import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { Aggregation_Function, CompositeFilter_Operator, FieldFilter_Operator, Order_Direction, type Query } from "../../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { QuerySchema } from "../../gen/impossibledb/v1/query_pb.js";
import { runQueryPage } from "../../src/query/executor.js";
import { MATCH_ALL } from "../../src/query/expression.js";
import { connectClient, expectCode, rawFetch } from "./helpers.js";
import { stubCluster } from "./query-cluster.js";

const db = connectClient(CollectionService);
const query = connectClient(QueryService);
type QueryInit = MessageInitShape<typeof QuerySchema>;

async function fill(collection: string, docs: Array<{ id: string; data: Record<string, unknown> }>): Promise<void> {
  for (let i = 0; i < docs.length; i += 250) {
    await db.batchWriteDocuments({
      writes: docs.slice(i, i + 250).map((d) => ({ ref: { collection, id: d.id }, operation: { case: "set" as const, value: d.data as never } })),
    });
  }
}

const num = (value: number) => ({ kind: { case: "numberValue" as const, value } });
const str = (value: string) => ({ kind: { case: "stringValue" as const, value } });
const list = (...values: Array<ReturnType<typeof str>>) => ({ kind: { case: "listValue" as const, value: { values } } });
const field = (f: string, op: FieldFilter_Operator, value?: ReturnType<typeof num> | ReturnType<typeof str> | ReturnType<typeof list>) => ({
  filterType: { case: "fieldFilter" as const, value: { field: f, op, value } },
});

async function ids(q: QueryInit, pageSize = 100): Promise<string[]> {
  const out: string[] = [];
  let pageToken = "";
  do {
    const page = await query.runQuery({ query: q, pageSize, pageToken });
    out.push(...page.documents.map((d) => d.id));
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return out;
}

describe("RunQuery", () => {
  it("a page walk returns every match exactly once while documents are being added", async () => {
    const docs = Array.from({ length: 90 }, (_, i) => ({ id: `w${String(i).padStart(3, "0")}`, data: { score: i % 17, kind: "x" } }));
    await fill("walk", docs);
    const q: QueryInit = { collection: "walk", filter: 'kind = "x"', orderBy: [{ field: "score", direction: Order_Direction.DESCENDING }] };
    const seen: string[] = [];
    let pageToken = "";
    let round = 0;
    do {
      const page = await query.runQuery({ query: q, pageSize: 8, pageToken });
      seen.push(...page.documents.map((d) => d.id));
      pageToken = page.nextPageToken;
      // New matches land before and after the walk's position on every shard.
      await fill("walk", [
        { id: `new-hi-${round}`, data: { score: 100, kind: "x" } },
        { id: `new-lo-${round}`, data: { score: -1, kind: "x" } },
      ]);
      round++;
    } while (pageToken !== "");
    expect(new Set(seen).size).toBe(seen.length);
    for (const d of docs) expect(seen).toContain(d.id);
    // Sort order holds across pages: scores never increase.
    const scores = seen.filter((id) => id.startsWith("w")).map((id) => docs.find((d) => d.id === id)!.data.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it("limit spans pages, offset applies once, select projects", async () => {
    await fill("paged", Array.from({ length: 30 }, (_, i) => ({ id: `p${String(i).padStart(2, "0")}`, data: { n: i, secret: "s", tag: { a: i } } })));
    const q: QueryInit = { collection: "paged", orderBy: [{ field: "n" }], offset: 5, limit: 12, select: { fieldPaths: ["n", "tag.a"] } };
    expect(await ids(q, 5)).toEqual(Array.from({ length: 12 }, (_, i) => `p${String(i + 5).padStart(2, "0")}`));
    const page = await query.runQuery({ query: q, pageSize: 1 });
    expect(page.documents[0]!.data).toEqual({ n: 5, tag: { a: 5 } });
  });

  it("mixed types sort in the documented order, and ranges stay within a type", async () => {
    const values: unknown[] = [{ m: 1 }, [1, 2], "b", "a", 10, -2.5, true, false, null];
    await fill("mixed", [...values.map((v, i) => ({ id: `v${i}`, data: { v } })), { id: "missing", data: {} }]);
    expect(await ids({ collection: "mixed", orderBy: [{ field: "v" }] })).toEqual(["missing", "v8", "v7", "v6", "v5", "v4", "v3", "v2", "v1", "v0"]);
    expect(await ids({ collection: "mixed", filter: "v > -100" })).toEqual(["v4", "v5"]);
    expect(await ids({ collection: "mixed", filter: 'v >= "a"', orderBy: [{ field: "v", direction: Order_Direction.DESCENDING }] })).toEqual(["v2", "v3"]);
    expect(await ids({ collection: "mixed", filter: "NOT v:*" })).toEqual(["missing"]);
  });

  it("pins document ids to prune shards, and Explain says so", async () => {
    await fill("pinned", Array.from({ length: 40 }, (_, i) => ({ id: `k${i}`, data: { i } })));
    const res = await query.runQuery({ query: { collection: "pinned", where: field("__id__", FieldFilter_Operator.IN, list(str("k3"), str("k7"))) }, explain: true });
    expect(res.documents.map((d) => d.id)).toEqual(["k3", "k7"]);
    const plan = res.plan!;
    expect(plan.shardsTotal).toBe(8);
    expect(plan.shardsQueried).toBeLessThanOrEqual(2);
    expect(plan.shards.filter((s) => s.pruned)).toHaveLength(8 - plan.shardsQueried);
    for (const s of plan.shards.filter((x) => x.pruned)) expect(s.rowsRead).toBe(0n);
    expect(plan.shards.filter((s) => !s.pruned).every((s) => s.sqlPlan.includes("PRIMARY KEY"))).toBe(true);
  });

  it("a page token only continues its own query and refuses tampering", async () => {
    await fill("tokens", Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, data: { i } })));
    const q: QueryInit = { collection: "tokens", orderBy: [{ field: "i" }] };
    const { nextPageToken } = await query.runQuery({ query: q, pageSize: 2 });
    expect(nextPageToken).not.toBe("");
    await expectCode(query.runQuery({ query: { ...q, filter: "i > 0" }, pageToken: nextPageToken }), Code.InvalidArgument, /different request/);
    const [body, mac] = nextPageToken.split(".") as [string, string];
    await expectCode(query.runQuery({ query: q, pageToken: `${body.slice(0, -2)}AA.${mac}` }), Code.InvalidArgument, /page_token is invalid/);
    // A different page size is fine.
    const next = await query.runQuery({ query: q, pageSize: 3, pageToken: nextPageToken });
    expect(next.documents.map((d) => d.id)).toEqual(["t2", "t3", "t4"]);
  });
});

describe("StreamQuery", () => {
  it("streams every match in order, then the plan", async () => {
    await fill("stream", Array.from({ length: 130 }, (_, i) => ({ id: `s${String(i).padStart(3, "0")}`, data: { g: i % 4 } })));
    const got: string[] = [];
    let plan = null;
    for await (const msg of query.streamQuery({ query: { collection: "stream", filter: "g = 1", orderBy: [{ field: "__id__", direction: Order_Direction.DESCENDING }] }, explain: true })) {
      if (msg.result.case === "document") got.push(msg.result.value.id);
      else plan = msg.result.value;
    }
    const want = Array.from({ length: 130 }, (_, i) => i).filter((i) => i % 4 === 1).map((i) => `s${String(i).padStart(3, "0")}`).reverse();
    expect(got).toEqual(want);
    expect(plan!.rowsReturned).toBe(BigInt(want.length));
  });
});

describe("RunAggregationQuery", () => {
  it("counts, sums, averages and finds extremes by group", async () => {
    await fill("sales", [
      { id: "a", data: { region: "north", amount: 10, item: "x" } },
      { id: "b", data: { region: "north", amount: 5.5, item: "y" } },
      { id: "c", data: { region: "south", amount: 7, item: "x" } },
      { id: "d", data: { region: "south", amount: "n/a" } },
      { id: "e", data: { amount: 1 } },
    ]);
    const res = await query.runAggregationQuery({
      query: { collection: "sales" },
      groupBy: ["region"],
      aggregations: [
        { alias: "n", function: Aggregation_Function.COUNT },
        { alias: "total", function: Aggregation_Function.SUM, field: "amount" },
        { alias: "mean", function: Aggregation_Function.AVG, field: "amount" },
        { alias: "least", function: Aggregation_Function.MIN, field: "amount" },
        { alias: "items", function: Aggregation_Function.COUNT, field: "item" },
      ],
    });
    const plainGroups = res.groups.map((g) => ({
      key: g.key.map((k) => k.kind.value),
      results: Object.fromEntries(Object.entries(g.results).map(([k, v]) => [k, v.kind.value])),
    }));
    expect(plainGroups).toEqual([
      { key: [0], results: { n: 1, total: 1, mean: 1, least: 1, items: 0 } },
      { key: ["north"], results: { n: 2, total: 15.5, mean: 7.75, least: 5.5, items: 2 } },
      { key: ["south"], results: { n: 2, total: 7, mean: 7, least: 7, items: 1 } },
    ]);
    await expectCode(
      query.runAggregationQuery({ query: { collection: "sales", limit: 3 }, aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }] }),
      Code.InvalidArgument,
      /order_by, limit, offset and select/,
    );
    await expectCode(
      query.runAggregationQuery({ query: { collection: "sales" }, aggregations: [{ alias: "s", function: Aggregation_Function.SUM }] }),
      Code.InvalidArgument,
      /field is required/,
    );
  });
});

describe("numbers are one value everywhere (reports: snowflake ids, 1.7e308)", () => {
  it("a large whole number written through the API matches itself in ==, IN, != and COUNT, indexed or not", async () => {
    const id = 175928847299117063; // as a user types it; JSON and Struct carry the double 175928847299117056
    await fill("snow", [
      { id: "m1", data: { authorId: id } },
      { id: "m2", data: { authorId: 2 ** 63 } },
      { id: "m3", data: { authorId: 2.4129826171182034e-300 } },
      { id: "m4", data: { authorId: 1 } },
    ]);
    const stored = await db.getDocument({ ref: { collection: "snow", id: "m1" } });
    const echoed = stored.document!.data as { authorId: number };
    expect(echoed.authorId).toBe(id);
    for (const indexed of [false, true]) {
      if (indexed) await connectClient(AdminService).createIndex({ index: { collection: "snow", fields: [{ field: "authorId" }] } });
      expect(await ids({ collection: "snow", filter: "authorId = 175928847299117063" })).toEqual(["m1"]);
      expect(await ids({ collection: "snow", filter: `authorId = ${echoed.authorId}` })).toEqual(["m1"]);
      expect(await ids({ collection: "snow", where: field("authorId", FieldFilter_Operator.EQUAL, num(id)) })).toEqual(["m1"]);
      const inList = { kind: { case: "listValue" as const, value: { values: [num(id), num(2 ** 63)] } } };
      expect((await ids({ collection: "snow", where: field("authorId", FieldFilter_Operator.IN, inList as never) })).sort()).toEqual(["m1", "m2"]);
      expect((await ids({ collection: "snow", filter: "authorId = 175928847299117063 OR authorId = 9223372036854775808" })).sort()).toEqual(["m1", "m2"]);
      expect((await ids({ collection: "snow", filter: "authorId != 175928847299117063" })).sort()).toEqual(["m2", "m3", "m4"]);
      expect(await ids({ collection: "snow", filter: "authorId = 2.4129826171182034e-300" })).toEqual(["m3"]);
      // Ordered page walks of one document a page end, with every document once.
      expect(await ids({ collection: "snow", orderBy: [{ field: "authorId" }] }, 1)).toEqual(["m3", "m4", "m1", "m2"]);
      const count = await query.runAggregationQuery({
        query: { collection: "snow", filter: "authorId = 175928847299117063" },
        aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }],
      });
      expect(count.groups[0]!.results.n!.kind.value).toBe(1);
    }
  });

  it("!= and NOT_IN match only fields holding a value other than null, and a NOT_IN listing null matches nothing (Firestore's rule), indexed or not, in COUNT too", async () => {
    await fill("ne", [
      { id: "n", data: { v: null } },
      { id: "one", data: { v: 1 } },
      { id: "two", data: { v: 2 } },
      { id: "miss", data: { w: 1 } },
    ]);
    const nul = { kind: { case: "nullValue" as const, value: 0 } };
    const listOf = (...values: unknown[]) => ({ kind: { case: "listValue" as const, value: { values } } }) as never;
    const sortedIds = async (q: QueryInit) => (await ids(q)).sort();
    for (const indexed of [false, true]) {
      if (indexed) await connectClient(AdminService).createIndex({ index: { collection: "ne", fields: [{ field: "v" }] } });
      expect(await sortedIds({ collection: "ne", where: field("v", FieldFilter_Operator.NOT_EQUAL, num(1)) })).toEqual(["two"]);
      expect(await sortedIds({ collection: "ne", filter: "v != 1" })).toEqual(["two"]);
      expect(await sortedIds({ collection: "ne", where: field("v", FieldFilter_Operator.NOT_EQUAL, nul as never) })).toEqual(["one", "two"]);
      expect(await sortedIds({ collection: "ne", where: field("v", FieldFilter_Operator.NOT_IN, listOf(num(1))) })).toEqual(["two"]);
      expect(await sortedIds({ collection: "ne", where: field("v", FieldFilter_Operator.NOT_IN, listOf(nul)) })).toEqual([]);
      expect(await sortedIds({ collection: "ne", where: field("v", FieldFilter_Operator.NOT_IN, listOf(num(1), nul)) })).toEqual([]);
      // == null and IN with null still match the null field; NOT of != gives back null and missing.
      expect(await sortedIds({ collection: "ne", where: field("v", FieldFilter_Operator.EQUAL, nul as never) })).toEqual(["n"]);
      expect(await sortedIds({ collection: "ne", where: field("v", FieldFilter_Operator.IN, listOf(nul, num(2))) })).toEqual(["n", "two"]);
      expect(await sortedIds({ collection: "ne", filter: "NOT v != 1" })).toEqual(["miss", "n", "one"]);
      const count = await query.runAggregationQuery({
        query: { collection: "ne", where: field("v", FieldFilter_Operator.NOT_EQUAL, num(1)) },
        aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }],
      });
      expect(count.groups[0]!.results.n!.kind.value).toBe(1);
    }
  });

  it("AVG of values near the double's limit is exact; a SUM beyond it is OUT_OF_RANGE, not null", async () => {
    await fill("huge", [
      { id: "h1", data: { v: 1.7e308 } },
      { id: "h2", data: { v: 1.7e308 } },
    ]);
    const avg = await query.runAggregationQuery({ query: { collection: "huge" }, aggregations: [{ alias: "mean", function: Aggregation_Function.AVG, field: "v" }] });
    expect(avg.groups[0]!.results.mean!.kind.value).toBe(1.7e308);
    await expectCode(
      query.runAggregationQuery({ query: { collection: "huge" }, aggregations: [{ alias: "total", function: Aggregation_Function.SUM, field: "v" }] }),
      Code.OutOfRange,
      /SUM for "total" is beyond the range of a double/,
    );
    await fill("huge", [{ id: "h3", data: { v: -1.7e308 } }]);
    const back = await query.runAggregationQuery({ query: { collection: "huge" }, aggregations: [{ alias: "total", function: Aggregation_Function.SUM, field: "v" }] });
    expect(back.groups[0]!.results.total!.kind.value).toBe(1.7e308);
  });
});

describe("filters as large as the limits allow (report: ~95 terms answered INTERNAL)", () => {
  it("long OR and AND lists, 100-filter composites, deep nesting and long IN lists all answer exactly", async () => {
    await fill("wide", Array.from({ length: 40 }, (_, i) => ({ id: `w${String(i).padStart(2, "0")}`, data: { a: i, s: `v${i}` } })));
    const all = Array.from({ length: 40 }, (_, i) => `w${String(i).padStart(2, "0")}`);
    const sorted = async (q: QueryInit) => (await ids(q)).sort();
    // 95 ORed terms: every document with a < 95.
    expect(await sorted({ collection: "wide", filter: Array.from({ length: 95 }, (_, i) => `a = ${i}`).join(" OR ") })).toEqual(all);
    // 100 ANDed != terms: none of 0..99, so no document.
    expect(await sorted({ collection: "wide", filter: Array.from({ length: 100 }, (_, i) => `a != ${i}`).join(" AND ") })).toEqual([]);
    // A structured composite at its proto limit of 100 filters.
    const composite = (op: CompositeFilter_Operator, n: number, make: (i: number) => ReturnType<typeof field>) => ({
      filterType: { case: "compositeFilter" as const, value: { op, filters: Array.from({ length: n }, (_, i) => make(i)) } },
    });
    expect(await sorted({ collection: "wide", where: composite(CompositeFilter_Operator.OR, 100, (i) => field("a", FieldFilter_Operator.EQUAL, num(i))) })).toEqual(all);
    expect(await sorted({ collection: "wide", where: composite(CompositeFilter_Operator.AND, 100, (i) => field("a", FieldFilter_Operator.NOT_EQUAL, num(i + 5))) })).toEqual(all.slice(0, 5));
    // 19 levels, alternating AND and OR, 21 terms a level.
    let nested = "a = 0";
    for (let level = 1; level < 19; level++) {
      const terms = Array.from({ length: 20 }, (_, i) => `a ${level % 2 === 0 ? "=" : "!="} ${level * 100 + i}`);
      nested = `(${nested}) ${level % 2 === 0 ? "OR" : "AND"} ${terms.join(level % 2 === 0 ? " OR " : " AND ")}`;
    }
    expect(await sorted({ collection: "wide", filter: nested })).toEqual(["w00"]);
    // IN lists of 100 values, on numbers and strings, and ARRAY_CONTAINS_ANY-style lists.
    const list = (values: Array<ReturnType<typeof num> | ReturnType<typeof str>>) => ({ kind: { case: "listValue" as const, value: { values } } });
    expect(await sorted({ collection: "wide", where: field("a", FieldFilter_Operator.IN, list(Array.from({ length: 100 }, (_, i) => num(i))) as never) })).toEqual(all);
    expect(await sorted({ collection: "wide", where: field("s", FieldFilter_Operator.NOT_IN, list(Array.from({ length: 100 }, (_, i) => str(`v${i}`))) as never) })).toEqual([]);
    // Aggregations take the same filters.
    const counted = await query.runAggregationQuery({
      query: { collection: "wide", filter: Array.from({ length: 95 }, (_, i) => `a = ${i}`).join(" OR ") },
      aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }],
    });
    expect(counted.groups[0]!.results.n!.kind.value).toBe(40);
  });
});

describe("limits", () => {
  it("offset past QUERY_OFFSET_MAX is InvalidArgument", async () => {
    await expectCode(query.runQuery({ query: { collection: "any", offset: 10_001 } }), Code.InvalidArgument, /QUERY_OFFSET_MAX/);
  });

  it("a field sorted or grouped twice is InvalidArgument naming both places (it was accepted, the second key never deciding)", async () => {
    const twice = [
      { field: "year", direction: Order_Direction.ASCENDING },
      { field: "title", direction: Order_Direction.ASCENDING },
      { field: "year", direction: Order_Direction.DESCENDING },
    ];
    await expectCode(
      query.runQuery({ query: { collection: "any", orderBy: twice } }),
      Code.InvalidArgument,
      /^query\.order_by\[2\]\.field: year is already at query\.order_by\[0\]\.field; a field sorts once/,
    );
    await expectCode(
      query.runAggregationQuery({ query: { collection: "any" }, aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }], groupBy: ["region", "region"] }),
      Code.InvalidArgument,
      /^group_by\[1\]: region is already at group_by\[0\]; a field groups once$/,
    );
    // A field and a field inside it are different keys.
    expect((await query.runQuery({ query: { collection: "any", orderBy: [{ field: "m" }, { field: "m.x" }] } })).documents).toEqual([]);
  });

  it("a query past its rows-read budget is ResourceExhausted", async () => {
    const c = stubCluster("budget", 2);
    await c.put("big", Array.from({ length: 60 }, (_, i) => ({ id: `b${i}`, data: { v: i } })));
    const spec = { collection: "big", filter: MATCH_ALL, order: [{ path: ["v"], descending: false }], limit: null, offset: 0, select: null };
    const deadline = { atMs: Date.now() + 10_000, now: () => Date.now() };
    await expect(runQueryPage(c.shards, spec, 5, null, { deadline, explain: false, rowsReadMax: 20 })).rejects.toMatchObject({ kind: "resource_exhausted" });
    const ok = await runQueryPage(c.shards, spec, 5, null, { deadline, explain: false, rowsReadMax: 200 });
    expect(ok.documents).toHaveLength(5);
  });

  it("a query past its deadline is DeadlineExceeded", async () => {
    const c = stubCluster("late", 1);
    const spec = { collection: "x", filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null };
    await expect(runQueryPage(c.shards, spec, 5, null, { deadline: { atMs: 0, now: () => 1 }, explain: false })).rejects.toMatchObject({ kind: "deadline_exceeded" });
  });
});

describe("compression", () => {
  // buf curl and other Connect clients ask for gzip; a response over the
  // compression threshold must be gzipped exactly once (the runtime must not
  // encode Connect's already-compressed body a second time).
  it("a large answer reaches a gzip-accepting client readable (never gzipped twice)", async () => {
    await fill("gz", Array.from({ length: 20 }, (_, i) => ({ id: `g${i}`, data: { text: "x".repeat(100), i } })));
    const res = await rawFetch("/impossibledb.v1.QueryService/RunQuery", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Encoding": "gzip" },
      body: JSON.stringify({ query: { collection: "gz", filter: "i >= 0" } }),
    });
    expect(res.status).toBe(200);
    // HTTP compression is left to the platform; whatever it chose, fetch
    // undoes one declared Content-Encoding, so a second layer would not parse.
    expect(res.headers.get("Content-Encoding") ?? "identity").not.toMatch(/,/);
    expect((JSON.parse(await res.text()) as { documents: unknown[] }).documents).toHaveLength(20);
  });
});

describe("bad and hostile input", () => {
  it("malformed filters are InvalidArgument and say where", async () => {
    const bad: Array<[string, RegExp]> = [
      ["age >", /expected a value .* at offset 5/],
      ["age ~ 3", /unexpected character "~" at offset 4/],
      ['status = active', /bare word "active"; quote strings at offset 9/],
      ["(a = 1", /expected "\)" .* at offset 6/],
      ["a = 1 OR", /expected a field path, found the end of the filter at offset 8/],
      ["a..b = 1", /bad field path: .* at offset 0/],
      ['a = "unterminated', /unterminated string at offset 4/],
      ["a = 1e999", /number 1e999 is out of range: it is too large for a double \(the largest is about 1\.8e308\) at offset 4/],
      ["a = \u0001", /control character U\+0001 at offset 4/],
    ];
    for (const [filter, message] of bad) {
      await expectCode(query.runQuery({ query: { collection: "h", filter } }), Code.InvalidArgument, message);
    }
    await expectCode(query.runQuery({ query: { collection: "h", where: field("a", FieldFilter_Operator.LESS_THAN, list(str("x"))) } }), Code.InvalidArgument, /where.field_filter.value: < takes a value with an order of its own \(null, a boolean, a number, a timestamp, a string, bytes, a reference or a geo point\), not an array/);
    await expectCode(query.runQuery({ query: { collection: "h", where: field("a", FieldFilter_Operator.IN, str("x")) } }), Code.InvalidArgument, /where.field_filter.value: IN takes a list/);
    await expectCode(query.runQuery({ query: { collection: "h", where: field("a b", FieldFilter_Operator.EQUAL, str("x")) } }), Code.InvalidArgument, /where.field_filter.field: unexpected " " at offset 1/);
    await expectCode(query.runQuery({ query: { collection: "h", orderBy: [{ field: "`it's`" }] } }), Code.InvalidArgument, /cannot sort on/);
  });

  it("quotes, $, .., SQL fragments, unicode and long names are data, never SQL", async () => {
    const hostile = ["it's", 'say "hi"', "$", "..", "a.b", "[0]", "x'); DROP TABLE documents; --", "\\", "名前", "😀", "*", "%_"];
    const data = Object.fromEntries(hostile.map((k, i) => [k, i]));
    await fill("hostile", [{ id: "h1", data: { ...data, plain: 1 } }, { id: "h2", data: { plain: 2 } }]);
    for (const [i, key] of hostile.entries()) {
      const path = "`" + key.replace(/[\\`]/g, (c) => "\\" + c) + "`";
      expect(await ids({ collection: "hostile", filter: `${path} = ${i}` }), key).toEqual(["h1"]);
      expect(await ids({ collection: "hostile", where: field(path, FieldFilter_Operator.EXISTS) }), key).toEqual(["h1"]);
      expect(await ids({ collection: "hostile", filter: `NOT ${path}:*` }), key).toEqual(["h2"]);
    }
    // Values are bound, never spliced.
    expect(await ids({ collection: "hostile", where: field("plain", FieldFilter_Operator.EQUAL, str("1' OR '1'='1")) })).toEqual([]);
    const long = "`" + "x".repeat(1400) + "`";
    expect(await ids({ collection: "hostile", filter: `${long}:*` })).toEqual([]);
    await expectCode(query.runQuery({ query: { collection: "hostile", filter: `\`${"y".repeat(1600)}\` = 1` } }), Code.InvalidArgument, /FIELD_PATH_LENGTH_MAX/);
    // Statements stay under the Durable Object's 100 KB: sort keys that cannot fit are refused,
    // and filter parts that do not fit are checked in JavaScript instead.
    // Sixteen sort paths of 600 characters fit (each is spelled seven times: its type rank from the
    // document and, for typed values, their keys; its value from the document or the keys of numbers
    // and typed values).
    const longPath = (i: number) => `\`${String(i).padStart(2, "0")}${"p".repeat(600)}\``;
    // Three segments of 490 three-byte characters: about 4.4 KB of UTF-8 per path.
    const widePath = (i: number) => [0, 1, 2].map((j) => `\`${i}${j}${"名".repeat(488)}\``).join(".");
    expect(await ids({ collection: "hostile", orderBy: Array.from({ length: 16 }, (_, i) => ({ field: longPath(i) })) })).toEqual(["h1", "h2"]);
    await expectCode(
      query.runQuery({ query: { collection: "hostile", orderBy: Array.from({ length: 16 }, (_, i) => ({ field: widePath(i) })) } }),
      Code.InvalidArgument,
      /too long to query together/,
    );
    const absent = Array.from({ length: 40 }, (_, i) => field(widePath(i), FieldFilter_Operator.EXISTS, { kind: { case: "boolValue" as const, value: false } } as never));
    const where = { filterType: { case: "compositeFilter" as const, value: { op: CompositeFilter_Operator.AND, filters: [...absent, field("plain", FieldFilter_Operator.EQUAL, num(2))] } } };
    expect(await ids({ collection: "hostile", where })).toEqual(["h2"]);
    // Nothing was harmed.
    expect((await db.getDocument({ ref: { collection: "hostile", id: "h2" } })).document!.data).toEqual({ plain: 2 });
  });
});

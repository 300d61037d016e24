/**
 * Typed values end to end inside workerd: every Firestore value type
 * written and read over Connect JSON, Connect binary and gRPC-Web (the
 * typed form exact, the Struct form in its documented JSON form), buf
 * curl's JSON, typed filters served by an index, page walks, integer sums,
 * transforms, transactions, a typed geo point in a geo search, and the
 * refusals.
 */
import { describe, expect, it } from "vitest";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { ValueSchema, type Value } from "../../gen/impossibledb/v1/document_pb.js";
import { Aggregation_Function, FieldFilter_Operator, Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { connectClient, expectCode, grpcWebClient, rawFetch } from "./helpers.js";

type KindInit = NonNullable<MessageInitShape<typeof ValueSchema>["kind"]>;
const v = (kind: KindInit): Value => create(ValueSchema, { kind } as MessageInitShape<typeof ValueSchema>);
const int = (n: bigint) => v({ case: "integerValue", value: n });
const ts = (seconds: bigint, nanos = 0) => v({ case: "timestampValue", value: { seconds, nanos } });

/** One field of every type, at the edges. */
const EVERY_TYPE: Record<string, Value> = {
  nul: v({ case: "nullValue", value: 0 }),
  yes: v({ case: "booleanValue", value: true }),
  max: int(2n ** 63n - 1n),
  min: int(-(2n ** 63n)),
  past53: int(2n ** 53n + 1n),
  dbl: v({ case: "doubleValue", value: 0.1 }),
  micro: ts(-1n, 999_999_000), // 1969-12-31T23:59:59.999999Z
  first: ts(-62135596800n),
  text: v({ case: "stringValue", value: "é😀" }),
  empty: v({ case: "bytesValue", value: new Uint8Array() }),
  blob: v({ case: "bytesValue", value: new Uint8Array([0, 255, 7]) }),
  ref: v({ case: "referenceValue", value: { collection: "users", id: "u-1" } }),
  geo: v({ case: "geoPointValue", value: { latitude: -33.8688, longitude: 151.2093 } }),
  list: v({ case: "arrayValue", value: { values: [int(1n), ts(0n), v({ case: "arrayValue", value: { values: [] } })] } }),
  nested: v({ case: "mapValue", value: { fields: { deep: int(-5n), at: ts(1n, 1000) } } }),
};

const JSON_FORM = {
  nul: null,
  yes: true,
  max: 9223372036854775807,
  min: -9223372036854775808,
  past53: 9007199254740992,
  dbl: 0.1,
  micro: "1969-12-31T23:59:59.999999Z",
  first: "0001-01-01T00:00:00.000000Z",
  text: "é😀",
  empty: "",
  blob: "AP8H",
  ref: "users/u-1",
  geo: { latitude: -33.8688, longitude: 151.2093 },
  list: [1, "1970-01-01T00:00:00.000000Z", []],
  nested: { deep: -5, at: "1970-01-01T00:00:01.000001Z" },
};

const clients = {
  "Connect JSON": () => connectClient(CollectionService),
  "Connect binary": () => connectClient(CollectionService, { binary: true }),
  "gRPC-Web": () => grpcWebClient(CollectionService),
};

describe("typed values", () => {
  it("round-trip every type exactly over Connect JSON, Connect binary and gRPC-Web", async () => {
    for (const [writer, make] of Object.entries(clients)) {
      const id = writer.replace(/\W/g, "-");
      const written = await make().setDocument({ ref: { collection: "typed", id }, fields: EVERY_TYPE });
      expect(written.document!.fields, writer).toEqual(EVERY_TYPE);
      for (const [reader, read] of Object.entries(clients)) {
        const got = await read().getDocument({ ref: { collection: "typed", id } });
        expect(got.document!.fields, `${writer} -> ${reader}`).toEqual(EVERY_TYPE);
        expect(got.document!.data, `${writer} -> ${reader}: JSON form`).toEqual(JSON_FORM);
      }
    }
  });

  it("take buf curl's JSON (protobuf JSON of Value) and leave JSON-only documents without fields", async () => {
    const body = {
      ref: { collection: "typed", id: "curl" },
      fields: { n: { integerValue: "9223372036854775807" }, at: { timestampValue: "2026-11-30T15:04:05.123456Z" }, b: { bytesValue: "aGk=" } },
    };
    const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const doc = ((await res.json()) as { document: { fields: unknown; data: unknown } }).document;
    expect(doc.fields).toEqual(body.fields);
    expect(doc.data).toEqual({ n: 9223372036854775807, at: "2026-11-30T15:04:05.123456Z", b: "aGk=" });
    const plain = await connectClient(CollectionService).setDocument({ ref: { collection: "typed", id: "plain" }, data: { n: 5 } });
    expect(plain.document!.fields).toEqual({});
  });

  it("filter, sort and page exactly on integers past 2^53 and on timestamps, served by an index", async () => {
    const col = connectClient(CollectionService);
    const base = 2n ** 53n;
    for (let i = 0; i < 12; i++) {
      await col.setDocument({ ref: { collection: "events", id: `e${String(i).padStart(2, "0")}` }, fields: { seq: int(base + BigInt(i % 4)), at: ts(1_700_000_000n + BigInt(11 - i), 1000 * i) } });
    }
    // A double of 2^53 equals the integer 2^53 (they compare as numbers) and nothing else.
    await col.setDocument({ ref: { collection: "events", id: "double" }, data: { seq: 2 ** 53 } });
    const admin = connectClient(AdminService);
    const index = await admin.createIndex({ index: { collection: "events", fields: [{ field: "seq" }, { field: "at" }] } });
    const query = connectClient(QueryService);
    const eq = (value: Value) => ({ filterType: { case: "fieldFilter" as const, value: { field: "seq", op: FieldFilter_Operator.EQUAL, typedValue: value } } });
    const exact = await query.runQuery({ query: { collection: "events", where: eq(int(base + 1n)), orderBy: [{ field: "at" }] }, explain: true });
    expect(exact.documents.map((d) => d.id)).toEqual(["e09", "e05", "e01"]);
    expect(exact.plan!.shards.filter((s) => !s.pruned).every((s) => s.index === index.index!.id)).toBe(true);
    const atBase = await query.runQuery({ query: { collection: "events", where: eq(int(base)), orderBy: [{ field: "at" }] } });
    expect(new Set(atBase.documents.map((d) => d.id))).toEqual(new Set(["double", "e00", "e04", "e08"]));
    // A range on timestamps, descending, walked one page at a time.
    const range = { filterType: { case: "fieldFilter" as const, value: { field: "at", op: FieldFilter_Operator.GREATER_THAN_OR_EQUAL, typedValue: ts(1_700_000_005n) } } };
    const ids: string[] = [];
    let pageToken = "";
    do {
      const page = await query.runQuery({ query: { collection: "events", where: range, orderBy: [{ field: "at", direction: Order_Direction.DESCENDING }] }, pageSize: 2, pageToken });
      ids.push(...page.documents.map((d) => d.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(ids).toEqual(["e00", "e01", "e02", "e03", "e04", "e05", "e06"]);
  });

  it("sum integers exactly as an integer, and take MIN/MAX of timestamps", async () => {
    const col = connectClient(CollectionService);
    for (const [id, n] of [["a", 2n ** 62n], ["b", 2n ** 62n], ["c", -1n]] as const) {
      await col.setDocument({ ref: { collection: "sums", id }, fields: { n: int(n), at: ts(BigInt(id.charCodeAt(0)), 5000) } });
    }
    const res = await connectClient(QueryService).runAggregationQuery({
      query: { collection: "sums" },
      aggregations: [
        { alias: "total", function: Aggregation_Function.SUM, field: "n" },
        { alias: "first", function: Aggregation_Function.MIN, field: "at" },
        { alias: "mean", function: Aggregation_Function.AVG, field: "n" },
        { alias: "count", function: Aggregation_Function.COUNT },
      ],
    });
    expect(res.groups[0]!.typedResults["count"]).toEqual(int(3n));
    expect(res.groups[0]!.results["count"]!.kind).toEqual({ case: "numberValue", value: 3 });
    const g = res.groups[0]!;
    expect(g.typedResults["total"]).toEqual(int(2n ** 63n - 1n));
    expect(g.typedResults["first"]).toEqual(ts(97n, 5000));
    expect(g.typedResults["mean"]!.kind.case).toBe("doubleValue");
    // Past int64 the sum is the exact total rounded once to a double.
    await col.setDocument({ ref: { collection: "sums", id: "d" }, fields: { n: int(1n) } });
    const over = await connectClient(QueryService).runAggregationQuery({ query: { collection: "sums" }, aggregations: [{ alias: "total", function: Aggregation_Function.SUM, field: "n" }] });
    expect(over.groups[0]!.typedResults["total"]).toEqual(v({ case: "doubleValue", value: 2 ** 63 }));
  });

  it("increment integers as integers, refuse int64 overflow, and write typed server timestamps", async () => {
    const col = connectClient(CollectionService);
    await col.setDocument({ ref: { collection: "counters", id: "c" }, fields: { n: int(2n ** 53n) } });
    const inc = await col.updateDocument({
      ref: { collection: "counters", id: "c" },
      patch: {},
      transforms: [
        { fieldPath: "n", transformType: { case: "typedIncrement", value: int(1n) } },
        { fieldPath: "at", transformType: { case: "typedServerTimestamp", value: {} } },
      ],
    });
    expect(inc.document!.fields["n"]).toEqual(int(2n ** 53n + 1n));
    expect(inc.typedTransformResults[0]).toEqual(int(2n ** 53n + 1n));
    expect(inc.document!.fields["at"]!.kind.case).toBe("timestampValue");
    await expectCode(
      col.updateDocument({ ref: { collection: "counters", id: "c" }, patch: {}, transforms: [{ fieldPath: "n", transformType: { case: "typedIncrement", value: int(2n ** 63n - 1n) } }] }),
      Code.OutOfRange,
      /leaves int64/,
    );
    expect((await col.getDocument({ ref: { collection: "counters", id: "c" } })).document!.fields["n"]).toEqual(int(2n ** 53n + 1n));
    // A whole JSON-form increment keeps a typed integer an exact integer, as MongoDB's $inc keeps a long.
    await col.setDocument({ ref: { collection: "counters", id: "json" }, fields: { n: int(2n ** 60n), m: int(-(2n ** 63n)) } });
    const res = await rawFetch("/impossibledb.v1.CollectionService/UpdateDocument", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"ref":{"collection":"counters","id":"json"},"patch":{},"transforms":[{"fieldPath":"n","increment":1}]}',
    });
    expect(res.status).toBe(200);
    expect((await col.getDocument({ ref: { collection: "counters", id: "json" } })).document!.fields["n"]).toEqual(int(2n ** 60n + 1n));
    await expectCode(
      col.updateDocument({ ref: { collection: "counters", id: "json" }, patch: {}, transforms: [{ fieldPath: "m", transformType: { case: "increment", value: { kind: { case: "numberValue", value: -1 } } } }] }),
      Code.OutOfRange,
      /-9223372036854775808 \+ -1 leaves int64/,
    );
    expect((await col.getDocument({ ref: { collection: "counters", id: "json" } })).document!.fields["m"]).toEqual(int(-(2n ** 63n)));
    // Array union and removal with typed elements; an integer equals the double of its value.
    await col.setDocument({ ref: { collection: "counters", id: "tags" }, data: { seen: [5, "x"] } });
    const union = await col.updateDocument({
      ref: { collection: "counters", id: "tags" },
      patch: {},
      transforms: [{ fieldPath: "seen", transformType: { case: "typedAppendMissingElements", value: { values: [int(5n), int(2n ** 60n), ts(0n)] } } }],
    });
    expect(union.document!.fields["seen"]).toEqual(v({ case: "arrayValue", value: { values: [v({ case: "doubleValue", value: 5 }), v({ case: "stringValue", value: "x" }), int(2n ** 60n), ts(0n)] } }));
    const removed = await col.updateDocument({
      ref: { collection: "counters", id: "tags" },
      patch: {},
      transforms: [{ fieldPath: "seen", transformType: { case: "typedRemoveAllFromArray", value: { values: [int(5n), ts(0n)] } } }],
    });
    expect(removed.document!.fields["seen"]).toEqual(v({ case: "arrayValue", value: { values: [v({ case: "stringValue", value: "x" }), int(2n ** 60n)] } }));
  });

  it("treat a typed value as a leaf for masks, patches and transforms: a path through it replaces it, as through a number", async () => {
    const col = connectClient(CollectionService);
    const ref = { collection: "leaves", id: "l" };
    await col.setDocument({ ref, fields: { n: int(5n), t: ts(0n), keep: int(1n) } });
    const inc = await col.updateDocument({ ref, patch: {}, transforms: [{ fieldPath: "n.x", transformType: { case: "increment", value: { kind: { case: "numberValue", value: 1 } } } }] });
    expect(inc.document!.data).toMatchObject({ n: { x: 1 }, keep: 1 });
    const masked = await col.updateDocument({ ref, patch: { data: { t: { y: 2 } }, updateMask: { fieldPaths: ["t.y"] } } });
    expect(masked.document!.data).toEqual({ n: { x: 1 }, t: { y: 2 }, keep: 1 });
    expect(masked.document!.fields["keep"]).toEqual(int(1n));
    // Reading through one finds nothing.
    const projected = await col.getDocument({ ref, mask: { fieldPaths: ["keep.z", "n.x"] } });
    expect(projected.document!.data).toEqual({ n: { x: 1 } });
  });

  it("commit typed writes in a two-shard transaction and read them back in one", async () => {
    const tx = connectClient(TransactionService);
    const ids = Array.from({ length: 8 }, (_, i) => `t${i}`);
    await tx.commitBatch({ writes: ids.map((id, i) => ({ ref: { collection: "txtyped", id }, operation: { case: "setFields" as const, value: { fields: { n: int(BigInt(i) + 2n ** 60n) } } } })) });
    const begin = await tx.beginTransaction({});
    const read = await tx.getDocuments({ transaction: begin.transaction, refs: ids.map((id) => ({ collection: "txtyped", id })) });
    expect(read.reads.map((r) => r.document?.fields["n"])).toEqual(ids.map((_, i) => int(BigInt(i) + 2n ** 60n)));
    await tx.rollback({ transaction: begin.transaction });
  });

  it("find a typed geo point with a geo search", async () => {
    const admin = connectClient(AdminService);
    await admin.createSearchIndex({ index: { collection: "places", geoField: "at" } });
    const col = connectClient(CollectionService);
    await col.setDocument({ ref: { collection: "places", id: "opera" }, fields: { at: v({ case: "geoPointValue", value: { latitude: -33.8568, longitude: 151.2153 } }) } });
    await col.setDocument({ ref: { collection: "places", id: "far" }, fields: { at: v({ case: "geoPointValue", value: { latitude: 51.5, longitude: 0 } }) } });
    // A {lat, lng} map whose coordinates are typed integers is a point too (integers are numbers).
    await col.setDocument({ ref: { collection: "places", id: "intmap" }, fields: { at: v({ case: "mapValue", value: { fields: { lat: int(-34n), lng: int(151n) } } }) } });
    const res = await connectClient(QueryService).runQuery({ query: { collection: "places", search: { near: { center: { latitude: -33.8688, longitude: 151.2093 }, radiusMeters: 5000 } } } });
    expect(res.documents.map((d) => d.id)).toEqual(["opera"]);
    const wide = await connectClient(QueryService).runQuery({ query: { collection: "places", search: { near: { center: { latitude: -33.8688, longitude: 151.2093 }, radiusMeters: 50_000 } } } });
    expect(wide.documents.map((d) => d.id)).toEqual(["opera", "intmap"]);
  });

  it("refuse impossible dates in Connect JSON and tag-shaped maps in JSON filter values (never INTERNAL, never another instant)", async () => {
    const post = (method: string, body: unknown) =>
      rawFetch(`/impossibledb.v1.${method}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    for (const at of ["2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T12:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T23:60:00Z"]) {
      const res = await post("CollectionService/SetDocument", { ref: { collection: "typed", id: "impossible" }, fields: { at: { timestampValue: at } } });
      expect(res.status, at).toBe(400);
      const error = (await res.json()) as { code: string; message: string };
      expect(error, at).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("fields.at.timestamp_value: ") });
      expect(error.message).toContain("is not a real date and time");
    }
    // Leap days and the last microsecond of a day are real.
    expect((await post("CollectionService/SetDocument", { ref: { collection: "typed", id: "leap" }, fields: { at: { timestampValue: "2024-02-29T23:59:59.999999Z" } } })).status).toBe(200);
    await expectCode(connectClient(CollectionService).getDocument({ ref: { collection: "typed", id: "impossible" } }), Code.NotFound);
    // The same guard covers a filter's typed operand.
    const q = await post("QueryService/RunQuery", { query: { collection: "typed", where: { fieldFilter: { field: "at", op: "OPERATOR_EQUAL", typedValue: { timestampValue: "2026-02-30T00:00:00Z" } } } } });
    expect(q.status).toBe(400);
    for (const value of [{ "\u0001bytes": "!!" }, { "\u0001int": "abc" }, { "\u0001int": "5" }, { "\u0001geo": [1] }]) {
      const res = await post("QueryService/RunQuery", { query: { collection: "typed", where: { fieldFilter: { field: "n", op: "OPERATOR_EQUAL", value } } } });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(((await res.json()) as { code: string; message: string }).message).toMatch(/control character/);
    }
  });

  it("refuse both forms at once, sub-microsecond timestamps and bad typed operands, storing nothing", async () => {
    const col = connectClient(CollectionService);
    const ref = { collection: "typed", id: "refused" };
    await expectCode(col.setDocument({ ref, data: { a: 1 }, fields: { a: int(1n) } }), Code.InvalidArgument, /data or fields, not both/);
    await expectCode(col.setDocument({ ref, fields: { t: ts(0n, 1) } }), Code.InvalidArgument, /fields\.t has 1 nanoseconds/);
    // (Connect JSON cannot even spell such a timestamp; binary can, and the server refuses it.)
    await expectCode(connectClient(CollectionService, { binary: true }).setDocument({ ref, fields: { t: ts(253402300800n) } }), Code.InvalidArgument, /outside 0001-01-01/);
    await expectCode(col.setDocument({ ref, data: { n: { "\u0001int": "5" } } }), Code.InvalidArgument, /control character/);
    await expectCode(col.getDocument({ ref }), Code.NotFound);
    const query = connectClient(QueryService);
    await expectCode(
      query.runQuery({ query: { collection: "typed", where: { filterType: { case: "fieldFilter", value: { field: "a", op: FieldFilter_Operator.LESS_THAN, typedValue: v({ case: "arrayValue", value: { values: [] } }) } } } } }),
      Code.InvalidArgument,
      /not an array/,
    );
    await expectCode(
      query.runQuery({ query: { collection: "typed", where: { filterType: { case: "fieldFilter", value: { field: "a", op: FieldFilter_Operator.EQUAL, value: { kind: { case: "numberValue", value: 1 } }, typedValue: int(1n) } } } } }),
      Code.InvalidArgument,
      /value or typed_value, not both/,
    );
  });
});

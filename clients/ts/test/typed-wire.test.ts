/**
 * Typed values on every SDK path, against services served in memory: what
 * each write sends (the typed form only when the data holds a typed value,
 * else `data` exactly as before), what each read returns (Document.fields
 * decoded, else `data`), typed where() operands, typed transforms, typed
 * aggregation and transform results, and the client options `timestamps`
 * and `values`.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { DocumentSchema, type Document, type Value, type Write } from "../src/gen/impossibledb/v1/document_pb.js";
import { type FieldFilter } from "../src/gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../src/gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../src/gen/impossibledb/v1/transaction_service_pb.js";
import { count, DocumentReference, FieldValue, GeoPoint, ImpossibleDBClient, max, sum, Timestamp, type ImpossibleDBClientOptions } from "../src/node.js";
import { encodeValue } from "../src/value-codec.js";
import { FakeListenServer } from "./fake-listen.js";

type Sent = { rpc: string; data?: JsonObject; fields?: Record<string, Value>; write?: Write; filter?: FieldFilter; transforms?: unknown[] };

/** A document the fake server holds in both forms, as the real one answers a typed document. */
const TYPED_DOC = {
  collection: "users",
  id: "alice",
  version: 3n,
  data: { n: 9223372036854775807, at: "1969-12-31T23:59:59.999999Z", plain: 1.5, bytes: "AAH/", who: "users/bob", where: { latitude: 1, longitude: 2 } },
  fields: {
    n: { kind: { case: "integerValue", value: 2n ** 63n - 1n } },
    at: { kind: { case: "timestampValue", value: { seconds: -1n, nanos: 999_999_000 } } },
    plain: { kind: { case: "doubleValue", value: 1.5 } },
    bytes: { kind: { case: "bytesValue", value: new Uint8Array([0, 1, 255]) } },
    who: { kind: { case: "referenceValue", value: { collection: "users", id: "bob" } } },
    where: { kind: { case: "geoPointValue", value: { latitude: 1, longitude: 2 } } },
  },
} as const;

const JSON_DOC = { collection: "users", id: "carol", version: 1n, data: { n: 5, at: "2026-01-01T00:00:00Z" } };

/** A client whose services record every request and answer with TYPED_DOC or JSON_DOC. */
function fakeClient(options: ImpossibleDBClientOptions = {}) {
  const sent: Sent[] = [];
  const answer = (id: string | undefined): Document => create(DocumentSchema, id === "carol" ? JSON_DOC : TYPED_DOC);
  const transport = createRouterTransport((router) => {
    router.service(CollectionService, {
      setDocument: (req) => (sent.push({ rpc: "set", data: req.data, fields: req.fields, transforms: req.transforms }), { document: answer(req.ref?.id) }),
      createDocument: (req) => (sent.push({ rpc: "create", data: req.data, fields: req.fields, transforms: req.transforms }), { document: answer(req.ref?.id) }),
      addDocument: (req) => (sent.push({ rpc: "add", data: req.data, fields: req.fields }), { document: answer("alice") }),
      updateDocument: (req) => (sent.push({ rpc: "update", data: req.patch?.data, fields: req.patch?.fields, transforms: req.transforms }), { document: answer(req.ref?.id) }),
      getDocument: (req) => ({ document: answer(req.ref?.id) }),
      batchGetDocuments: (req) => ({ results: req.refs.map((r) => ({ found: true, document: answer(r.id) })) }),
      listDocuments: () => ({ documents: [answer("alice"), answer("carol")] }),
      batchWriteDocuments: (req) => {
        for (const write of req.writes) sent.push({ rpc: "batch", write });
        return {
          statuses: req.writes.map(() => ({ code: 0 })),
          results: req.writes.map((w) => ({
            ref: w.ref,
            version: 1n,
            transformResults: w.transforms.map(() => ({ kind: { case: "numberValue" as const, value: 9223372036854775807 } })),
            typedTransformResults: w.transforms.map(() => ({ kind: { case: "integerValue" as const, value: 2n ** 63n - 1n } })),
          })),
        };
      },
    });
    router.service(QueryService, {
      runQuery: (req) => {
        const where = req.query?.where?.filterType;
        if (where?.case === "fieldFilter") sent.push({ rpc: "query", filter: where.value });
        return { documents: [answer("alice")], hits: [] };
      },
      async *streamQuery() {
        yield { result: { case: "document" as const, value: answer("alice") } };
      },
      runAggregationQuery: () => ({
        groups: [
          {
            key: [{ kind: { case: "stringValue" as const, value: "1970-01-01T00:00:00.000000Z" } }],
            typedKey: [{ kind: { case: "timestampValue" as const, value: { seconds: 0n, nanos: 0 } } }],
            results: { total: { kind: { case: "numberValue" as const, value: 2 ** 63 } }, n: { kind: { case: "numberValue" as const, value: 2 } }, top: { kind: { case: "numberValue" as const, value: 3 } } },
            typedResults: { total: { kind: { case: "integerValue" as const, value: 2n ** 63n - 1n } }, n: { kind: { case: "integerValue" as const, value: 2n } }, top: { kind: { case: "integerValue" as const, value: 3n } } },
          },
        ],
      }),
    });
    router.service(TransactionService, {
      getDocuments: (req) => ({ transaction: req.newTransaction === undefined ? "" : "tx", reads: req.refs.map((r) => ({ version: 3n, document: answer(r.id) })) }),
      commit: (req) => {
        for (const write of req.writes) sent.push({ rpc: "commit", write });
        return { results: req.writes.map((w) => ({ ref: w.ref, version: 1n })) };
      },
    });
  });
  return { db: new ImpossibleDBClient({ transport, retry: false, ...options }), sent };
}

/** TYPED_DOC's data as the SDK should return it by default. */
function expectNatural(data: unknown): void {
  const d = data as Record<string, unknown>;
  expect(d["n"]).toBe(2n ** 63n - 1n);
  expect(d["at"]).toEqual(new Date("1969-12-31T23:59:59.999Z"));
  expect(d["plain"]).toBe(1.5);
  expect(d["bytes"]).toEqual(new Uint8Array([0, 1, 255]));
  expect(d["who"]).toBeInstanceOf(DocumentReference);
  expect((d["who"] as DocumentReference).path).toBe("users/bob");
  expect(d["where"]).toEqual(new GeoPoint(1, 2));
}

const TYPED_DATA = { n: 2n ** 53n + 1n, nested: { list: [1, new Date(0), [new Uint8Array(0)]] } };
const JSON_DATA = { n: 1, nested: { list: [1, "x", [true, null]] } };

describe("writes send the typed form only for data that holds a typed value", () => {
  const single = {
    put: (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").put("alice", data),
    create: (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").create("alice", data),
    add: (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").add(data),
    update: (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").update("alice", data),
  };
  for (const [name, call] of Object.entries(single)) {
    it(`${name}: typed data goes as fields, JSON data as data (unchanged)`, async () => {
      const { db, sent } = fakeClient();
      await call(db, TYPED_DATA as unknown as JsonObject);
      await call(db, JSON_DATA);
      expect(sent[0]!.data).toBeUndefined();
      expect(sent[0]!.fields?.["n"]?.kind).toEqual({ case: "integerValue", value: 2n ** 53n + 1n });
      const list = sent[0]!.fields?.["nested"]?.kind.value as { fields: Record<string, Value> };
      expect(list.fields["list"]).toEqual(create(DocumentSchema, { fields: { x: encodeValue([1, new Date(0), [new Uint8Array(0)]]) } }).fields["x"]);
      expect(sent[1]!.data).toEqual(JSON_DATA);
      expect(sent[1]!.fields).toEqual({});
    });
  }

  const batched = {
    "batch set": [(db: ImpossibleDBClient, d: JsonObject) => db.collection("users").batch().set("alice", d).commit(), "set", "setFields"],
    "batch create": [(db: ImpossibleDBClient, d: JsonObject) => db.collection("users").batch().create("alice", d).commit(), "create", "createFields"],
    "batch update": [(db: ImpossibleDBClient, d: JsonObject) => db.collection("users").batch().update("alice", d).commit(), "update", "update"],
    "transaction write": [(db: ImpossibleDBClient, d: JsonObject) => db.createTransaction().write("users", "alice", d).commit(), "set", "setFields"],
    "transaction create": [(db: ImpossibleDBClient, d: JsonObject) => db.createTransaction().create("users", "alice", d).commit(), "create", "createFields"],
    "transaction update": [(db: ImpossibleDBClient, d: JsonObject) => db.createTransaction().update("users", "alice", d).commit(), "update", "update"],
  } as const;
  for (const [name, [call, jsonCase, typedCase]] of Object.entries(batched)) {
    it(`${name}: typed data goes as ${typedCase}, JSON data as ${jsonCase} (unchanged)`, async () => {
      const { db, sent } = fakeClient();
      await call(db, TYPED_DATA as unknown as JsonObject);
      await call(db, JSON_DATA);
      const [typed, json] = sent.map((s) => s.write!.operation);
      expect(typed?.case).toBe(typedCase);
      expect(json?.case).toBe(jsonCase);
      const typedFields = typed?.case === "update" ? typed.value.fields : (typed?.value as { fields: Record<string, Value> }).fields;
      expect(typedFields["n"]?.kind).toEqual({ case: "integerValue", value: 2n ** 53n + 1n });
      if (typed?.case === "update") expect(typed.value.data).toBeUndefined();
      const jsonData = json?.case === "update" ? json.value.data : json?.value;
      expect(jsonData).toEqual(JSON_DATA);
      if (json?.case === "update") expect(json.value.fields).toEqual({});
    });
  }

  it("a typed value out of range refuses the write with a RangeError naming the field, and sends nothing", async () => {
    const { db, sent } = fakeClient();
    await expect(db.collection("users").put("alice", { a: { n: 2n ** 63n } } as unknown as JsonObject)).rejects.toThrow(/users\/alice: field "a\.n" is 9223372036854775808n/);
    await expect(db.collection("users").put("alice", { at: new Date("+010000-01-01T00:00:00Z") } as unknown as JsonObject)).rejects.toThrow(RangeError);
    expect(() => db.collection("users").batch().set("alice", { n: -(2n ** 63n) - 1n } as unknown as JsonObject)).toThrow(RangeError);
    expect(sent).toEqual([]);
  });

  it("a field named __proto__ (as JSON.parse makes it) stays a field in the typed form", async () => {
    const { db, sent } = fakeClient();
    const data = JSON.parse('{"__proto__": {"x": 1}, "n": 1}') as Record<string, unknown>;
    data["n"] = 1n;
    await db.collection("users").put("alice", data as JsonObject);
    expect(Object.keys(sent[0]!.fields!).sort()).toEqual(["__proto__", "n"]);
    expect(Object.getPrototypeOf(sent[0]!.fields)).toBe(Object.prototype);
  });

  it("an update mask goes with a typed patch", async () => {
    const seen: unknown[] = [];
    const transport = createRouterTransport((router) =>
      router.service(CollectionService, {
        updateDocument: (req) => (seen.push(req.patch?.updateMask?.fieldPaths), { document: create(DocumentSchema, JSON_DOC) }),
      }),
    );
    await new ImpossibleDBClient({ transport }).collection("users").update("alice", { at: new Date(0) }, { mask: ["at", "gone"] });
    expect(seen).toEqual([["at", "gone"]]);
  });
});

describe("reads decode Document.fields into JavaScript's types, else use data", () => {
  it("get, getMany, list, query pages, streams, transaction reads and write answers", async () => {
    const { db } = fakeClient();
    const users = db.collection("users");
    expectNatural((await users.get("alice"))!.data);
    const [typed, json] = await users.getMany(["alice", "carol"]);
    expectNatural(typed!.data);
    expect(json!.data).toEqual(JSON_DOC.data);
    expectNatural((await users.list()).documents[0]!.data);
    expect((await users.list()).documents[1]!.data).toEqual(JSON_DOC.data);
    expectNatural((await users.query().where("n", "==", 1).execute())[0]!.data);
    for await (const doc of users.query().stream()) expectNatural(doc.data);
    expectNatural((await users.put("alice", { x: 1 })).data);
    const tx = db.createTransaction();
    expectNatural((await tx.get("users", "alice"))!.data);
    const outcome = await db.createTransaction().read("users", "alice").commit();
    expectNatural(outcome.reads[0]!.data);
  });

  it('timestamps: "timestamp" returns Timestamps with their microseconds', async () => {
    const { db } = fakeClient({ timestamps: "timestamp" });
    const at = (await db.collection("users").get("alice"))!.data["at"];
    expect(at).toBeInstanceOf(Timestamp);
    expect((at as Timestamp).toISOString()).toBe("1969-12-31T23:59:59.999999Z");
  });

  it('values: "json" returns the JSON form, as before typed values', async () => {
    const { db } = fakeClient({ values: "json" });
    expect((await db.collection("users").get("alice"))!.data).toEqual(TYPED_DOC.data);
    const [group] = await db.collection("users").query().aggregate({ total: sum("n") }, { groupBy: ["at"] });
    expect(group).toEqual({ key: ["1970-01-01T00:00:00.000000Z"], values: { total: 2 ** 63, n: 2, top: 3 } });
  });

  it("refuses option values it does not know", () => {
    expect(() => new ImpossibleDBClient({ timestamps: "micros" as "date" })).toThrow(/the option timestamps must be "date" or "timestamp", got "micros"/);
    expect(() => new ImpossibleDBClient({ values: "raw" as "json" })).toThrow(TypeError);
    // A JavaScript caller's `url` connected to 127.0.0.1:8787 without a word.
    expect(() => new ImpossibleDBClient({ url: "http://db.example" } as never)).toThrow(/unknown option "url"; did you mean baseUrl\?/);
  });

  it("a reference read back is a handle of the reading client: its listener and get() work", async () => {
    const { db } = fakeClient();
    const who = (await db.collection("users").get("alice"))!.data["who"] as DocumentReference;
    expect((await who.get())!.id).toBe("alice"); // the fake answers every get with TYPED_DOC
    expect(JSON.stringify({ who })).toBe('{"who":"users/bob"}');
  });
});

describe("listeners decode typed documents and keep them in the server's order", () => {
  it("sorted by an integer field past 2^53, with a double among them", async () => {
    const server = new FakeListenServer();
    const transport = createRouterTransport((router) => router.service(QueryService, { listen: (req, ctx) => server.listen(req, ctx) }));
    const db = new ImpossibleDBClient({ transport, timestamps: "timestamp" });
    const int = (n: bigint) => ({ n: { kind: { case: "integerValue" as const, value: n } }, at: { kind: { case: "timestampValue" as const, value: { seconds: 0n, nanos: 1000 } } } });
    server.commit([
      { id: "a", data: {}, fields: int(2n ** 53n + 1n) },
      { id: "b", data: { n: 2 ** 53 } },
      { id: "c", data: {}, fields: int(-(2n ** 63n)) },
    ]);
    const controller = new AbortController();
    let snapshots = 0;
    for await (const snap of db.collection(server.collection).query().sort("n", "desc").listen({ signal: controller.signal })) {
      snapshots += 1;
      expect(snap.docs.map((d) => d.id)).toEqual(["a", "b", "c"]);
      expect(snap.docs.map((d) => d.data["n"])).toEqual([2n ** 53n + 1n, 2 ** 53, -(2n ** 63n)]);
      expect((snap.docs[0]!.data["at"] as Timestamp).toISOString()).toBe("1970-01-01T00:00:00.000001Z");
      controller.abort();
    }
    expect(snapshots).toBe(1);
  });
});

describe("where() with typed operands sends typed_value; JSON operands send value", () => {
  const cases: { what: string; op: "==" | "in" | "array-contains-any" | ">"; value: unknown; kind: string }[] = [
    { what: "a bigint", op: ">", value: 2n ** 53n + 1n, kind: "integerValue" },
    { what: "a Date", op: ">", value: new Date(0), kind: "timestampValue" },
    { what: "a Timestamp", op: "==", value: new Timestamp(0, 1), kind: "timestampValue" },
    { what: "bytes", op: "==", value: new Uint8Array([1]), kind: "bytesValue" },
    { what: "a GeoPoint", op: "==", value: new GeoPoint(1, 2), kind: "geoPointValue" },
    { what: "a reference", op: "==", value: "ref", kind: "referenceValue" },
    { what: "an IN list with one Date", op: "in", value: ["x", new Date(0)], kind: "arrayValue" },
    { what: "an array-contains-any list of bigints", op: "array-contains-any", value: [1n, 2n], kind: "arrayValue" },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const { db, sent } = fakeClient();
      const value = c.value === "ref" ? db.collection("users").doc("bob") : c.value;
      await db.collection("users").query().where("f", c.op, value as never).execute();
      expect(sent[0]!.filter!.value).toBeUndefined();
      expect(sent[0]!.filter!.typedValue?.kind.case).toBe(c.kind);
    });
  }

  it("a JSON operand, a list of JSON values included, sends value as before", async () => {
    const { db, sent } = fakeClient();
    await db.collection("users").query().where("f", "in", [1, "x", null]).execute();
    expect(sent[0]!.filter!.typedValue).toBeUndefined();
    expect(sent[0]!.filter!.value?.kind.case).toBe("listValue");
  });
});

describe("FieldValue with typed operands sends the typed transforms", () => {
  it("bigint increment, maximum, minimum; typed server timestamp; typed array elements", async () => {
    const { db, sent } = fakeClient();
    await db.collection("users").update("alice", {
      a: FieldValue.increment(5n),
      b: FieldValue.maximum(-(2n ** 63n)),
      c: FieldValue.minimum(2n ** 63n - 1n),
      d: FieldValue.serverTimestamp({ typed: true }),
      e: FieldValue.arrayUnion("x", new Date(0)),
      f: FieldValue.arrayRemove(new GeoPoint(0, 0)),
      g: FieldValue.increment(5),
      h: FieldValue.serverTimestamp(),
      i: FieldValue.arrayUnion("x", 1),
    });
    const kinds = (sent[0]!.transforms as { transformType: { case: string; value: unknown } }[]).map((t) => t.transformType.case);
    expect(kinds).toEqual(["typedIncrement", "typedMaximum", "typedMinimum", "typedServerTimestamp", "typedAppendMissingElements", "typedRemoveAllFromArray", "increment", "serverTimestamp", "appendMissingElements"]);
    const first = (sent[0]!.transforms as { transformType: { value: Value } }[])[0]!.transformType.value;
    expect(first.kind).toEqual({ case: "integerValue", value: 5n });
  });

  it("refuses a bigint operand outside int64 and a bad typed element", () => {
    expect(() => FieldValue.increment(2n ** 63n)).toThrow(RangeError);
    expect(() => FieldValue.maximum(-(2n ** 63n) - 1n)).toThrow(/outside the 64-bit signed integers/);
    expect(() => FieldValue.arrayUnion(new Date(NaN))).toThrow(/FieldValue.arrayUnion element 0: the value is an invalid Date/);
  });

  it("typed transform results decode: an integer sum is a bigint", async () => {
    const { db } = fakeClient();
    const [outcome] = await db.collection("users").batch().update("alice", { n: FieldValue.increment(1n) }).commit();
    expect(outcome!.result!.transformResults).toEqual([2n ** 63n - 1n]);
  });
});

describe("geo queries take GeoPoints", () => {
  it("near() and within() accept a GeoPoint where they take { lat, lng }", () => {
    const { db } = fakeClient();
    const near = db.collection("places").query().near(new GeoPoint(48.5, 2.25), 100).toProto();
    expect(near.search?.near?.center).toEqual({ latitude: 48.5, longitude: 2.25 });
    const box = db.collection("places").query().within({ low: new GeoPoint(-1, -2), high: { lat: 1, lng: 2 } }).toProto();
    expect(box.search?.within?.region).toEqual({ case: "box", value: { low: { latitude: -1, longitude: -2 }, high: { latitude: 1, longitude: 2 } } });
  });
});

describe("aggregations decode typed results and keys", () => {
  it("sum of integers is an exact bigint, max keeps its type, count stays a number, keys are typed", async () => {
    const { db } = fakeClient();
    const [group] = await db.collection("users").query().aggregate({ total: sum("n"), n: count(), top: max("n") }, { groupBy: ["at"] });
    expect(group!.values).toEqual({ total: 2n ** 63n - 1n, n: 2, top: 3n });
    expect(group!.key).toEqual([new Date(0)]);
  });
});

/**
 * Values the wire cannot carry exactly are refused with a TypeError naming
 * the document and the field, on every SDK path that sends data: put,
 * create, update, batches, transactions and query operands. Nothing is sent
 * when a value is refused.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../src/node.js";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../src/gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../src/gen/impossibledb/v1/transaction_service_pb.js";

/**
 * A document as the server returns it when JSON, buf curl or any client
 * stored whole doubles past 2^53: `{"n": 1e18}`, the snowflake id
 * 175928847299117063 (stored as the double 175928847299117056), 2^53,
 * int64's minimum, 2^64, and far beyond. The wire carries each exactly.
 */
const STORED_ELSEWHERE = {
  e18: 1e18,
  snowflake: 175928847299117056,
  two53: 2 ** 53,
  int64Min: -(2 ** 63),
  two64: 2 ** 64,
  huge: 1.7e308,
  e21: 1e21,
  avogadro: 6.02214076e23,
  max: Number.MAX_VALUE,
  negMax: -Number.MAX_VALUE,
  past2To64: 2 ** 65,
  nested: { list: [1e300, 1e17] },
};

/** A client whose services record what reached them and answer minimally. */
function recordingClient() {
  const sent: { rpc: string; data: unknown }[] = [];
  const doc = (ref: { collection: string; id: string } | undefined, data: JsonObject | undefined) => ({ collection: ref?.collection, id: ref?.id, data, version: 1n });
  const transport = createRouterTransport((router) => {
    router.service(CollectionService, {
      getDocument: (req) => ({ document: doc(req.ref, { ...STORED_ELSEWHERE }) }),
      setDocument(req) {
        sent.push({ rpc: "set", data: req.data });
        return { document: doc(req.ref, req.data) };
      },
      createDocument(req) {
        sent.push({ rpc: "create", data: req.data });
        return { document: doc(req.ref, req.data) };
      },
      updateDocument(req) {
        sent.push({ rpc: "update", data: req.patch?.data });
        return { document: doc(req.ref, req.patch?.data) };
      },
      batchWriteDocuments(req) {
        sent.push({ rpc: "batch", data: req.writes.length });
        return { statuses: req.writes.map(() => ({ code: 0 })), results: req.writes.map((w) => ({ ref: w.ref, version: 1n })) };
      },
    });
    router.service(QueryService, {
      runQuery(req) {
        const f = req.query?.where?.filterType;
        sent.push({ rpc: "query", data: f?.case === "fieldFilter" && f.value.value !== undefined ? toJson(ValueSchema, f.value.value) : undefined });
        return { documents: [] };
      },
    });
    router.service(TransactionService, {
      // Each read finds a document another client stored with whole doubles far beyond 2^53.
      getDocuments: (req) => ({ transaction: req.newTransaction === undefined ? "" : "tx", reads: req.refs.map((ref) => ({ version: 1n, document: doc(ref, { ...STORED_ELSEWHERE }) })) }),
      commit(req) {
        sent.push({ rpc: "commit", data: req.writes.length });
        return { results: [] };
      },
    });
  });
  return { db: new ImpossibleDBClient({ transport, retry: false }), sent };
}

class Money {
  constructor(readonly cents: number) {}
}

const cycle: Record<string, unknown> = { name: "loop" };
cycle["self"] = { again: cycle };

/** Each bad value, where it sits in the document, and what the error must say. */
const BAD: { what: string; data: Record<string, unknown>; message: RegExp }[] = [
  { what: "an invalid Date", data: { profile: { born: new Date("not a date") } }, message: /users\/alice: field "profile\.born" is an invalid Date \(its time is NaN\)/ },
  { what: "undefined in a map", data: { a: { b: undefined } }, message: /users\/alice: field "a\.b" is undefined; leave the field out, or store null/ },
  { what: "undefined in an array", data: { tags: ["x", undefined] }, message: /users\/alice: field "tags\[1\]" is undefined/ },
  { what: "NaN", data: { score: NaN }, message: /field "score" is NaN; only finite numbers/ },
  { what: "Infinity", data: { list: [1, Infinity] }, message: /field "list\[1\]" is Infinity/ },
  { what: "-Infinity", data: { x: -Infinity }, message: /field "x" is -Infinity/ },
  { what: "a function", data: { f: () => 1 }, message: /field "f" is a function/ },
  { what: "a symbol", data: { s: Symbol("s") }, message: /field "s" is a symbol/ },
  { what: "a Map", data: { m: new Map([["a", 1]]) }, message: /field "m" is a Map; only plain objects, arrays/ },
  { what: "a Set", data: { s: new Set([1]) }, message: /field "s" is a Set/ },
  { what: "a RegExp", data: { r: /x/ }, message: /field "r" is a RegExp/ },
  { what: "a typed array other than Uint8Array", data: { bytes: new Int8Array([1, 2]) }, message: /field "bytes" is a Int8Array; bytes are stored from a Uint8Array/ },
  { what: "an ArrayBuffer", data: { bytes: new ArrayBuffer(2) }, message: /field "bytes" is a ArrayBuffer; bytes are stored from a Uint8Array/ },
  { what: "a class instance", data: { price: new Money(5) }, message: /field "price" is a Money/ },
  { what: "a cycle", data: cycle, message: /field "self\.again" refers back to an object that contains it \(a cycle\)/ },
  { what: "a symbol key", data: { nested: { [Symbol("k")]: 1, ok: 2 } }, message: /field "nested" has symbol keys; field names must be strings/ },
  { what: "a lone surrogate in a string", data: { s: "ok\uD83D" }, message: /field "s" is a string with a lone UTF-16 surrogate/ },
  { what: "a lone surrogate in a field name", data: { m: { "\uDE00x": 1 } }, message: /has a name with a lone UTF-16 surrogate/ },
  { what: "a sparse array hole", data: { xs: [1, , 3] }, message: /field "xs\[1\]" is a hole in a sparse array/ },
  { what: "an odd key in the path", data: { "a.b": { c: new Date(NaN) } }, message: /field "\[\\"a\.b\\"\]\.c" is an invalid Date/ },
];

const send = {
  put: (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").put("alice", data),
  create: (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").create("alice", data),
  update: (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").update("alice", data),
  "batch set": (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").batch().set("alice", data).commit(),
  "batch create": (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").batch().create("alice", data).commit(),
  "batch update": (db: ImpossibleDBClient, data: JsonObject) => db.collection("users").batch().update("alice", data).commit(),
  "transaction write": (db: ImpossibleDBClient, data: JsonObject) => db.createTransaction().write("users", "alice", data).commit(),
  "transaction create": (db: ImpossibleDBClient, data: JsonObject) => db.createTransaction().create("users", "alice", data).commit(),
  "transaction update": (db: ImpossibleDBClient, data: JsonObject) => db.createTransaction().update("users", "alice", data).commit(),
  runTransaction: (db: ImpossibleDBClient, data: JsonObject) => db.runTransaction((tx) => void tx.write("users", "alice", data)),
};

async function thrown(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error("the call succeeded; it should have thrown");
}

describe("values the wire cannot carry exactly", () => {
  for (const [path, call] of Object.entries(send)) {
    describe(`through ${path}`, () => {
      for (const bad of BAD) {
        it(`refuses ${bad.what} with a TypeError naming the field, and sends nothing`, async () => {
          const { db, sent } = recordingClient();
          const err = await thrown(() => call(db, bad.data as JsonObject));
          expect(err).toBeInstanceOf(TypeError);
          expect((err as TypeError).message).toMatch(bad.message);
          expect(sent).toEqual([]);
        });
      }
    });
  }

  it("refuses a batch as soon as a bad write is added, before commit()", () => {
    const { db } = recordingClient();
    const batch = db.collection("users").batch().set("bob", { ok: true });
    expect(() => batch.set("alice", { born: new Date(NaN) } as unknown as JsonObject)).toThrow(/users\/alice: field "born" is an invalid Date/);
  });

  it("refuses a document that is not a plain object", async () => {
    const { db } = recordingClient();
    const err = await thrown(() => db.collection("users").put("alice", new Map() as unknown as JsonObject));
    expect((err as TypeError).message).toMatch(/users\/alice: the document data is a Map; it must be a plain object/);
  });

  it("refuses nesting past VALUE_DEPTH_MAX instead of overflowing the stack", async () => {
    const { db } = recordingClient();
    let deep: JsonObject = { leaf: 1 };
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    const err = await thrown(() => db.collection("users").put("alice", deep));
    expect((err as TypeError).message).toMatch(/is nested more than VALUE_DEPTH_MAX \(64\) levels deep/);
  });

  describe("whole doubles past 2^53, which the wire carries exactly", () => {
    // A document the server returns with such a number (stored from JSON,
    // buf curl or another client) must be writable back unchanged through
    // every path: a number is a double, and the SDK sends it as one.
    const huge = STORED_ELSEWHERE;
    for (const [path, call] of Object.entries(send)) {
      it(`are sent through ${path}`, async () => {
        const { db, sent } = recordingClient();
        await call(db, huge as JsonObject);
        expect(sent).toHaveLength(1);
        // set, create and update record the data itself; batches and commits record a count.
        const data = sent[0]?.data;
        if (typeof data === "object") expect(data).toEqual(huge);
      });
    }

    it("pass through a read-modify-write in runTransaction", async () => {
      const { db, sent } = recordingClient();
      await db.runTransaction(async (tx) => {
        const read = await tx.get("users", "alice");
        expect(read?.data).toEqual(huge);
        tx.write("users", "alice", { ...read!.data, seen: 1 });
      });
      expect(sent).toEqual([{ rpc: "commit", data: 1 }]);
    });

    it("a document read with get is written back unchanged with put", async () => {
      const { db, sent } = recordingClient();
      const read = await db.collection("users").get("alice");
      expect(read?.data).toEqual(huge);
      await db.collection("users").put("alice", read!.data);
      expect(sent).toEqual([{ rpc: "set", data: huge }]);
      expect((sent[0]!.data as { snowflake: number }).snowflake).toBe(175928847299117056);
    });

    it("a snowflake id written as a number literal is sent as its double: exact ids are bigints", async () => {
      const { db, sent } = recordingClient();
      await db.collection("users").put("alice", { id: 175928847299117063 });
      expect(sent).toEqual([{ rpc: "set", data: { id: 175928847299117056 } }]);
    });
  });

  it("sends exactly what it was given when every value can travel", async () => {
    const { db, sent } = recordingClient();
    const shared = { city: "Oslo" };
    const data = {
      s: "text",
      emoji: "😀 ✓ é",
      "😀": "astral key",
      t: true,
      n: null,
      safe: Number.MAX_SAFE_INTEGER,
      negSafe: -Number.MAX_SAFE_INTEGER,
      frac: 0.1,
      tiny: 5e-324,
      list: [1, "two", [3], { four: 4 }],
      home: shared,
      work: shared, // the same object twice is not a cycle
      nullProto: Object.assign(Object.create(null) as Record<string, JsonValue>, { k: "v" }),
    };
    await db.collection("users").put("alice", data as JsonObject);
    expect(sent).toEqual([{ rpc: "set", data: JSON.parse(JSON.stringify(data)) }]);
  });
});

describe("query operands", () => {
  const operands: { what: string; value: unknown; message: RegExp }[] = [
    { what: "an invalid Date", value: new Date(NaN), message: /query on users: where\("born", ">", value\): the value is an invalid Date/ },
    { what: "NaN", value: NaN, message: /the value is NaN/ },
    { what: "an invalid Date inside an IN list", value: ["2020", new Date(NaN)], message: /field "\[1\]" is an invalid Date/ },
    { what: "undefined", value: undefined, message: /the value is undefined; ">" needs one/ },
  ];
  for (const bad of operands) {
    it(`refuses ${bad.what} in where() with a TypeError, and sends nothing`, () => {
      const { db, sent } = recordingClient();
      expect(() => db.collection("users").query().where("born", ">", bad.value as JsonValue)).toThrow(TypeError);
      expect(() => db.collection("users").query().where("born", ">", bad.value as JsonValue)).toThrow(bad.message);
      expect(sent).toEqual([]);
    });
  }

  for (const value of [2 ** 53, 1e18, 175928847299117056, -(2 ** 63), 2 ** 64, 1.7e308, 1e21, 6.02214076e23, Number.MAX_VALUE, -Number.MAX_VALUE]) {
    it(`sends the whole double ${value} in where() exactly`, async () => {
      const { db, sent } = recordingClient();
      await db.collection("users").query().where("huge", "==", value).execute();
      expect(sent).toEqual([{ rpc: "query", data: value }]);
    });
  }

  it("sends a good operand exactly, and exists() without one", async () => {
    const { db, sent } = recordingClient();
    await db.collection("users").query().where("n", "==", Number.MAX_SAFE_INTEGER).execute();
    await db.collection("users").query().where("n", "exists").execute();
    expect(sent).toEqual([
      { rpc: "query", data: Number.MAX_SAFE_INTEGER },
      { rpc: "query", data: undefined },
    ]);
  });
});

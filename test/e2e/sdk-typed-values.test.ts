/**
 * Typed values through the TypeScript SDK (the built package) against the
 * real Worker, over each transport the SDK speaks: Connect with binary
 * protobuf (the SDK's default), Connect with JSON, gRPC-Web, and gRPC
 * through the front door. Every type round-trips exactly (int64 edges,
 * timestamps before 1970, at the microsecond and at the ends of the range,
 * empty bytes, references, geo points, nested arrays and maps), in single
 * writes, batches and transactions; a typed filter selects by type and
 * exact value; SUM over integers is exact; a bigint increment stays an
 * integer; and a JSON-only document reads as it always did.
 */
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { DocumentReference, FieldValue, GeoPoint, ImpossibleDBClient, Timestamp, count, max, sum, type DocumentData, type TypedValue } from "@impossibledb/client";
import { describe, expect, it } from "vitest";
import { grpcTarget, uniqueCollection, workerUrl } from "./env.js";

/** Each transport, by name and by the tag its collections carry (so the runs never share a collection). */
const TRANSPORTS: Record<string, { tag: string; transport: () => Transport }> = {
  "Connect binary": { tag: "cb", transport: () => createConnectTransport({ baseUrl: workerUrl(), httpVersion: "1.1", useBinaryFormat: true }) },
  "Connect JSON": { tag: "cj", transport: () => createConnectTransport({ baseUrl: workerUrl(), httpVersion: "1.1", useBinaryFormat: false }) },
  "gRPC-Web": { tag: "gw", transport: () => createGrpcWebTransport({ baseUrl: workerUrl(), httpVersion: "1.1" }) },
  gRPC: { tag: "g", transport: () => createGrpcTransport({ baseUrl: `http://${grpcTarget()}` }) },
};

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** One document with every type, at its edges. */
function everyType(db: ImpossibleDBClient): DocumentData {
  return {
    nothing: null,
    yes: true,
    double: 0.1,
    wholeDouble: 5,
    max: INT64_MAX,
    min: INT64_MIN,
    negMax: -INT64_MAX,
    past53: 2n ** 53n + 1n,
    micros: new Timestamp(1_764_515_045n, 123_456),
    before1970: new Timestamp(-1, 999_999),
    year1: new Timestamp(-62_135_596_800n, 0),
    year9999: new Timestamp(253_402_300_799n, 999_999),
    date: new Date("1969-07-20T20:17:40.123Z"),
    text: "héllo 😀",
    noBytes: new Uint8Array(0),
    bytes: new Uint8Array([0, 1, 127, 128, 255]),
    ref: db.collection("people").doc("ada"),
    geo: new GeoPoint(-33.8688, 151.2093),
    list: [1n, [new Timestamp(0, 1), { deep: new Uint8Array([7]) }], new GeoPoint(90, -180), "x", 2.5],
    map: { nested: { n: -1n, at: new Date(0), refs: [db.collection("people").doc("bob")] } },
  };
}

/** A value spelled out with its JavaScript type, to compare exactly across clients. */
function spelled(value: TypedValue | undefined): unknown {
  if (typeof value === "bigint") return { int: value.toString() };
  if (typeof value === "number") return { double: value };
  if (value instanceof Date) return { timestamp: Timestamp.fromDate(value).toISOString() };
  if (value instanceof Timestamp) return { timestamp: value.toISOString() };
  if (value instanceof Uint8Array) return { bytes: [...value] };
  if (value instanceof GeoPoint) return { geo: [value.latitude, value.longitude] };
  if (value instanceof DocumentReference) return { ref: value.path };
  if (Array.isArray(value)) return value.map(spelled);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, spelled(v)]));
  return value;
}

for (const [name, { tag, transport }] of Object.entries(TRANSPORTS)) {
  describe(`typed values over ${name}`, () => {
    const collection = (label: string) => uniqueCollection(`${label}_${tag}`);
    const db = new ImpossibleDBClient({ transport: transport(), timestamps: "timestamp" });
    const dated = new ImpossibleDBClient({ transport: transport() });

    it("round-trips every type through put, get, create, batch, transaction, list and query", async () => {
      const c = db.collection(collection("typed_rt"));
      const doc = everyType(db);
      const put = await c.put("put", doc);
      expect(spelled(put.data)).toEqual(spelled(doc));
      expect(spelled((await c.get("put"))!.data)).toEqual(spelled(doc));
      await c.create("created", doc);
      await c.batch().set("batched", doc).commit();
      await db.runTransaction((tx) => void tx.write(c.name, "tx", doc));
      const got = await c.getMany(["created", "batched", "tx"]);
      for (const g of got) expect(spelled(g!.data)).toEqual(spelled(doc));
      const listed = (await c.list()).documents;
      expect(listed.map((d) => d.id)).toEqual(["batched", "created", "put", "tx"]);
      for (const d of listed) expect(spelled(d.data)).toEqual(spelled(doc));
      const read = await db.runTransaction((tx) => tx.get(c.name, "tx"));
      expect(spelled(read!.data)).toEqual(spelled(doc));
      const streamed: unknown[] = [];
      for await (const d of c.query().stream()) streamed.push(spelled(d.data));
      expect(streamed).toEqual(listed.map(() => spelled(doc)));
    });

    it("reads timestamps as Dates by default, rounded down to the millisecond", async () => {
      const c = dated.collection(collection("typed_dates"));
      await c.put("d", { at: new Timestamp(-1, 999_999), when: new Date("2026-11-30T15:04:05.123Z") });
      const data = (await c.get("d"))!.data;
      expect(data["at"]).toEqual(new Date("1969-12-31T23:59:59.999Z"));
      expect(data["when"]).toEqual(new Date("2026-11-30T15:04:05.123Z"));
    });

    it("updates with a typed patch, under a mask and merged", async () => {
      const c = db.collection(collection("typed_update"));
      await c.put("u", { keep: 1, n: 1n });
      await c.update("u", { n: INT64_MAX, at: new Timestamp(0, 7) });
      await c.update("u", { map: { b: new Uint8Array([1]) } }, { mask: ["map.b", "keep"] });
      expect(spelled((await c.get("u"))!.data)).toEqual(spelled({ n: INT64_MAX, at: new Timestamp(0, 7), map: { b: new Uint8Array([1]) } }));
    });

    it("filters with typed operands: integers past 2^53 exactly, timestamps before 1970, bytes, references, IN lists", async () => {
      const c = db.collection(collection("typed_filter"));
      const refs = [db.collection("people").doc("ada"), db.collection("people").doc("bob")];
      await c
        .batch()
        .set("a", { n: 2n ** 53n, at: new Timestamp(-1, 0), b: new Uint8Array([1]), who: refs[0]! })
        .set("b", { n: 2n ** 53n + 1n, at: new Timestamp(-1, 1), b: new Uint8Array([1, 0]), who: refs[1]! })
        .set("c", { n: "9007199254740993", at: "1969-12-31T23:59:59.000001Z", b: "AQA=", who: "people/bob" })
        .set("d", { n: 1e300 })
        .commit();
      const ids = async (q: ReturnType<typeof c.query>) => (await q.execute()).map((d) => d.id);
      // Integers and doubles compare as numbers.
      expect(await ids(c.query().where("n", ">", 2n ** 53n))).toEqual(["b", "d"]);
      expect(await ids(c.query().where("n", "==", 2n ** 53n + 1n))).toEqual(["b"]);
      expect(await ids(c.query().where("at", ">", new Timestamp(-1, 0)))).toEqual(["b"]);
      expect(await ids(c.query().where("at", "<", new Date(0)))).toEqual(["a", "b"]);
      expect(await ids(c.query().where("b", "==", new Uint8Array([1, 0])))).toEqual(["b"]);
      expect(await ids(c.query().where("who", "==", refs[1]!))).toEqual(["b"]);
      expect(await ids(c.query().where("n", "in", [2n ** 53n, "9007199254740993"]))).toEqual(["a", "c"]);
      // Sorted by n, the server's order: 2^53 < 2^53+1 < 1e300 < the string.
      expect(await ids(c.query().sort("n"))).toEqual(["a", "b", "d", "c"]);
    });

    it("sums integers exactly, keeps MIN/MAX typed, and counts as a number", async () => {
      const c = db.collection(collection("typed_sum"));
      await c
        .batch()
        .set("a", { n: 2n ** 62n, g: "x", at: new Timestamp(5, 1) })
        .set("b", { n: 2n ** 62n - 2n, g: "x", at: new Timestamp(5, 2) })
        .set("c", { n: 1n, g: "x", at: new Timestamp(-5, 0) })
        .commit();
      const [group] = await c.query().aggregate({ total: sum("n"), top: max("at"), n: count() });
      expect(group!.values["total"]).toBe(INT64_MAX);
      expect(group!.values["n"]).toBe(3);
      expect(spelled(group!.values["top"])).toEqual(spelled(new Timestamp(5, 2)));
    });

    it("increments an integer by a bigint exactly, bounds it by bigints, and stamps a typed server timestamp", async () => {
      const c = db.collection(collection("typed_fv"));
      await c.put("f", { n: 2n ** 53n, hi: 1n, lo: 1n });
      const [outcome] = await c.batch().update("f", { n: FieldValue.increment(1n), hi: FieldValue.maximum(INT64_MAX), lo: FieldValue.minimum(INT64_MIN), at: FieldValue.serverTimestamp({ typed: true }) }).commit();
      expect(outcome!.ok).toBe(true);
      expect(outcome!.result!.transformResults.slice(0, 3)).toEqual([2n ** 53n + 1n, INT64_MAX, INT64_MIN]);
      const data = (await c.get("f"))!.data;
      expect([data["n"], data["hi"], data["lo"]]).toEqual([2n ** 53n + 1n, INT64_MAX, INT64_MIN]);
      expect(data["at"]).toBeInstanceOf(Timestamp);
      expect((data["at"] as Timestamp).toDate()).toEqual(outcome!.result!.updateTime);
      // An integer sum outside int64 changes nothing.
      const [over] = await c.batch().update("f", { hi: FieldValue.increment(1n) }).commit();
      expect(over!.ok).toBe(false);
      expect((await c.get("f"))!.data["hi"]).toBe(INT64_MAX);
    });

    it("arrayUnion and arrayRemove with typed elements send the typed transforms", async () => {
      const c = db.collection(collection("typed_arr"));
      await c.put("f", { tags: [1n, "x"] });
      await c.update("f", { tags: FieldValue.arrayUnion(new Uint8Array([1]), 2n, 1n) });
      expect(spelled((await c.get("f"))!.data["tags"])).toEqual(spelled([1n, "x", new Uint8Array([1]), 2n]));
      await c.update("f", { tags: FieldValue.arrayRemove(1n, new Uint8Array([1])) });
      expect(spelled((await c.get("f"))!.data["tags"])).toEqual(spelled(["x", 2n]));
    });

    it("listeners decode typed documents and keep them in the server's order of numbers", async () => {
      const c = db.collection(collection("typed_listen"));
      await c.batch().set("a", { n: 2n ** 53n + 1n, at: new Timestamp(0, 1) }).set("b", { n: 2 ** 53 - 1 }).set("c", { n: -(2n ** 63n) }).commit();
      const controller = new AbortController();
      const seen: string[][] = [];
      for await (const snap of c.query().sort("n", "desc").listen({ signal: controller.signal })) {
        seen.push(snap.docs.map((d) => d.id));
        if (seen.length === 1) {
          expect(snap.docs.map((d) => d.data["n"])).toEqual([2n ** 53n + 1n, 2 ** 53 - 1, -(2n ** 63n)]);
          expect(spelled(snap.docs[0]!.data["at"])).toEqual(spelled(new Timestamp(0, 1)));
          await c.put("d", { n: INT64_MAX });
        } else {
          expect(snap.docChanges.map((ch) => [ch.type, ch.doc.id, ch.doc.data["n"]])).toEqual([["added", "d", INT64_MAX]]);
          controller.abort();
        }
      }
      expect(seen).toEqual([
        ["a", "b", "c"],
        ["d", "a", "b", "c"],
      ]);
    });

    it("leaves JSON-only documents as they were: numbers are doubles, text stays text", async () => {
      const c = db.collection(collection("typed_json"));
      const plain = { n: 5, at: "2026-11-30T00:00:00Z", list: [1, "a", null], map: { x: true } };
      await c.put("p", plain);
      expect((await c.get("p"))!.data).toEqual(plain);
      const [group] = await c.query().aggregate({ total: sum("n") });
      expect(group!.values["total"]).toBe(5);
    });

    it('values: "json" reads a typed document in its JSON form', async () => {
      const c = db.collection(collection("typed_jsonform"));
      await c.put("j", { n: 2n ** 53n + 1n, at: new Timestamp(0, 1), b: new Uint8Array([255]), who: db.collection("people").doc("ada"), geo: new GeoPoint(1, 2) });
      const json = new ImpossibleDBClient({ transport: transport(), values: "json" });
      expect((await json.collection(c.name).get("j"))!.data).toEqual({
        n: 9007199254740992,
        at: "1970-01-01T00:00:00.000001Z",
        b: "/w==",
        who: "people/ada",
        geo: { latitude: 1, longitude: 2 },
      });
    });
  });
}

/**
 * Field names that JavaScript gives meaning to (`__proto__`, `constructor`,
 * `toString`, ...) are ordinary field names on every path, through the
 * Connect API (JSON and binary) to real Durable Objects and back: stored,
 * read, listed, queried, masked, projected, grouped and aggregated exactly,
 * in transactions and batches too. And no request changes a global object
 * of the isolate, whatever names it uses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromJson, toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { env } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { Aggregation_Function, FieldFilter_Operator, Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { shardStub } from "../../src/shards/shard-client.js";
import { diffGlobals, HOSTILE_KEYS, snapshotGlobals } from "../support/global-snapshot.js";
import { connectClient, grpcWebClient, rawFetch } from "./helpers.js";

const clients = {
  json: { db: connectClient(CollectionService), query: connectClient(QueryService), tx: connectClient(TransactionService) },
  binary: {
    db: connectClient(CollectionService, { binary: true }),
    query: connectClient(QueryService, { binary: true }),
    tx: connectClient(TransactionService, { binary: true }),
  },
};
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));

// JSON.parse, like protobuf-es, makes `__proto__` an own data property; an object literal would set the prototype.
const json = (text: string) => JSON.parse(text) as JsonObject;

/** JSON text with map keys sorted, so data compares exactly whatever the key order and whatever the keys. */
function canonical(value: JsonValue | undefined): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function idsOnTwoShards(collection: string, prefix: string): [string, string] {
  const first = `${prefix}0`;
  for (let i = 1; ; i++) if (router.shardFor(collection, `${prefix}${i}`) !== router.shardFor(collection, first)) return [first, `${prefix}${i}`];
}

async function postJson(service: string, method: string, body: string): Promise<{ status: number; body: string }> {
  const res = await rawFetch(`/impossibledb.v1.${service}/${method}`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  return { status: res.status, body: await res.text() };
}

let before: ReturnType<typeof snapshotGlobals>;
beforeAll(() => {
  before = snapshotGlobals();
});

describe("the reported request", () => {
  it("UpdateDocument of __proto__.z under a mask stores the field, once, and answers with it", async () => {
    const { db } = clients.json;
    const set = await db.setDocument({ ref: { collection: "proto", id: "r1" }, data: { x: 1 } });
    const res = await postJson(
      "CollectionService",
      "UpdateDocument",
      '{"ref":{"collection":"proto","id":"r1"},"patch":{"data":{"__proto__":{"z":1}},"updateMask":{"fieldPaths":["__proto__.z"]}}}',
    );
    expect(res.status, res.body).toBe(200);
    const after = (await db.getDocument({ ref: { collection: "proto", id: "r1" } })).document!;
    expect(canonical(after.data)).toBe('{"__proto__":{"z":1},"x":1}');
    expect(after.version).toBe(set.document!.version + 1n);
    expect(canonical((JSON.parse(res.body) as { document: { data: JsonObject } }).document.data)).toBe('{"__proto__":{"z":1},"x":1}');
  });

  it("SetDocument and GetDocument keep a nested __proto__ over gRPC-Web too", async () => {
    const grpcWeb = grpcWebClient(CollectionService);
    const data = json('{"__proto__":{"__proto__":{"z":[{"__proto__":1}]}},"x":1}');
    const set = await grpcWeb.setDocument({ ref: { collection: "proto", id: "gw" }, data });
    expect(canonical(set.document!.data)).toBe(canonical(data));
    expect(canonical((await grpcWeb.getDocument({ ref: { collection: "proto", id: "gw" }, mask: { fieldPaths: ["__proto__.__proto__.z"] } })).document!.data)).toBe(
      '{"__proto__":{"__proto__":{"z":[{"__proto__":1}]}}}',
    );
  });
});

describe.each(Object.keys(clients) as Array<keyof typeof clients>)("over Connect %s", (protocol) => {
  const { db, query, tx } = clients[protocol];

  describe.each(HOSTILE_KEYS)("a field named %s", (key) => {
    const k = JSON.stringify(key);
    const collection = `hk_${protocol}`;
    const id = `${protocol}-${key}`;
    const ref = { collection, id };
    const data = json(`{${k}:{${k}:1,"n":2},"arr":[{${k}:{${k}:"deep"}}],"m":{"a":{"b":{${k}:true}}}}`);

    it("round-trips through set, get, list and a read mask", async () => {
      const set = await db.setDocument({ ref, data });
      expect(canonical(set.document!.data)).toBe(canonical(data));
      expect(canonical((await db.getDocument({ ref })).document!.data)).toBe(canonical(data));
      const listed = await db.listDocuments({ collection, pageSize: 100 });
      expect(canonical(listed.documents.find((d) => d.id === id)!.data)).toBe(canonical(data));
      const masked = await db.getDocument({ ref, mask: { fieldPaths: [`${key}.${key}`, `m.a.b.${key}`] } });
      expect(canonical(masked.document!.data)).toBe(canonical(json(`{${k}:{${k}:1},"m":{"a":{"b":{${k}:true}}}}`)));
    });

    it("is set, replaced and removed by masked updates, deep in maps", async () => {
      const v0 = (await db.setDocument({ ref, data })).document!.version;
      const up = await db.updateDocument({ ref, patch: { data: json(`{${k}:{"n":3},"m":{"a":{${k}:{${k}:0}}}}`), updateMask: { fieldPaths: [`${key}.n`, `m.a.${key}.${key}`] } } });
      const expected = json(`{${k}:{${k}:1,"n":3},"arr":[{${k}:{${k}:"deep"}}],"m":{"a":{"b":{${k}:true},${k}:{${k}:0}}}}`);
      expect(canonical(up.document!.data)).toBe(canonical(expected));
      expect(up.document!.version).toBe(v0 + 1n);
      const removed = await db.updateDocument({ ref, patch: { data: {}, updateMask: { fieldPaths: [key] } } });
      expect(canonical(removed.document!.data)).toBe(canonical(json(`{"arr":[{${k}:{${k}:"deep"}}],"m":{"a":{"b":{${k}:true},${k}:{${k}:0}}}}`)));
      expect(canonical((await db.getDocument({ ref })).document!.data)).toBe(canonical(removed.document!.data));
    });

    it("is filtered on (structured, with a map operand, and AIP-160), selected, grouped and aggregated", async () => {
      const qc = `hkq_${protocol}_${key.replace(/[^A-Za-z0-9]/g, "")}`;
      await db.batchWriteDocuments({
        writes: [
          { ref: { collection: qc, id: "a" }, operation: { case: "set", value: json(`{${k}:{${k}:1,"n":2},"m":{${k}:{"x":[1]}}}`) } },
          { ref: { collection: qc, id: "b" }, operation: { case: "set", value: json(`{${k}:{${k}:1,"n":5},"m":{"other":1}}`) } },
          { ref: { collection: qc, id: "c" }, operation: { case: "set", value: json(`{"n":7}`) } },
        ],
      });
      const operand = fromJson(ValueSchema, json(`{${k}:{"x":[1]}}`));
      const byMap = await query.runQuery({
        query: { collection: qc, where: { filterType: { case: "fieldFilter", value: { field: "m", op: FieldFilter_Operator.EQUAL, value: operand } } }, select: { fieldPaths: [`${key}.n`] } },
      });
      expect(byMap.documents.map((d) => [d.id, canonical(d.data)])).toEqual([["a", canonical(json(`{${k}:{"n":2}}`))]]);
      const byText = await query.runQuery({ query: { collection: qc, filter: `${key}.${key} = 1 AND ${key}.n > 3`, select: { fieldPaths: [key] } } });
      expect(byText.documents.map((d) => [d.id, canonical(d.data)])).toEqual([["b", canonical(json(`{${k}:{${k}:1,"n":5}}`))]]);
      const present = await query.runQuery({ query: { collection: qc, filter: `${key}:*` } });
      expect(present.documents.map((d) => d.id)).toEqual(["a", "b"]);
      const agg = await query.runAggregationQuery({
        query: { collection: qc },
        groupBy: [`${key}.${key}`, "m"],
        aggregations: [{ alias: key, function: Aggregation_Function.SUM, field: `${key}.n` }],
      });
      // The alias is the hostile name too, so the results map must keep it as its own key.
      expect(agg.groups.every((g) => Object.keys(g.results).join() === key)).toBe(true);
      // Group keys are maps here, one of them keyed by `key`; maps tie in the order, so compare as a set.
      const groups = agg.groups.map((g) => [canonical(g.key.map((v) => toJson(ValueSchema, v))), canonical(toJson(ValueSchema, g.results[key]!))]);
      expect(groups.sort()).toEqual(
        [
          [canonical([null, null]), "0"],
          [canonical([1, json(`{${k}:{"x":[1]}}`)]), "2"],
          [canonical([1, { other: 1 }]), "5"],
        ].sort(),
      );
    });

    it("is written by transactions across shards, CommitBatch and BatchWriteDocuments", async () => {
      const tc = `hkt_${protocol}`;
      const [a, b] = idsOnTwoShards(tc, `${key.replace(/[^A-Za-z0-9]/g, "")}-`);
      await db.setDocument({ ref: { collection: tc, id: b }, data: json(`{${k}:{"keep":1}}`) });
      const { transaction } = await tx.beginTransaction({});
      const committed = await tx.commit({
        transaction,
        returnDocuments: true,
        writes: [
          { ref: { collection: tc, id: a }, operation: { case: "set", value: data } },
          { ref: { collection: tc, id: b }, operation: { case: "update", value: { data: json(`{${k}:{${k}:9}}`), updateMask: { fieldPaths: [`${key}.${key}`] } } } },
        ],
      });
      expect(canonical(committed.results[0]!.document!.data)).toBe(canonical(data));
      expect(canonical(committed.results[1]!.document!.data)).toBe(canonical(json(`{${k}:{"keep":1,${k}:9}}`)));
      const read = await db.batchGetDocuments({ refs: [{ collection: tc, id: a }, { collection: tc, id: b }] });
      expect(read.results.map((r) => canonical(r.document!.data))).toEqual([canonical(data), canonical(json(`{${k}:{"keep":1,${k}:9}}`))]);
      const batch = await tx.commitBatch({
        returnDocuments: true,
        writes: [{ ref: { collection: tc, id: a }, operation: { case: "update", value: { data: json(`{${k}:[{${k}:1}]}`), updateMask: { fieldPaths: [key] } } } }],
      });
      expect(canonical(batch.results[0]!.document!.data)).toBe(canonical(json(`{${k}:[{${k}:1}],"arr":[{${k}:{${k}:"deep"}}],"m":{"a":{"b":{${k}:true}}}}`)));
      const written = await db.batchWriteDocuments({
        returnDocuments: true,
        writes: [{ ref: { collection: tc, id: b }, operation: { case: "update", value: { data: json(`{${k}:{"keep":2}}`), updateMask: { fieldPaths: [`${key}.keep`] } } } }],
      });
      expect(canonical(written.results[0]!.document!.data)).toBe(canonical(json(`{${k}:{"keep":2,${k}:9}}`)));
    });
  });
});

// The platform fact the fix rests on (src/json/own-keys.ts): Workers RPC
// clones an own `__proto__` key intact, both ways. (It refuses, with
// DataCloneError, any object whose prototype is not Object.prototype,
// null-prototype objects included: seen in a probe, not kept as a test
// because workerd also reports that refusal as an uncaught error, which
// fails the run whatever the test awaits.)
describe("Workers RPC", () => {
  const shard = createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard).shards[0]!;
  const write = (id: string, data: JsonObject) => shardStub(env, shard).write([{ op: "set", collection: "rpc", id, data }]);

  it("carries an own __proto__ key to a shard and back", async () => {
    const out = await write("own", json(`{"__proto__":{"a":1},"m":[{"__proto__":null}]}`));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const data = out.results[0]!.document!.data;
    expect(Object.hasOwn(data, "__proto__")).toBe(true);
    expect(canonical(data)).toBe('{"__proto__":{"a":1},"m":[{"__proto__":null}]}');
  });
});

describe("the other read paths", () => {
  it("an index and a sort on __proto__.n, StreamQuery, ExportDocuments and transactional reads keep __proto__", async () => {
    const { db, query, tx } = clients.json;
    const admin = connectClient(AdminService);
    const docs = [3, 1, 2].map((n) => ({ id: `s${n}`, data: json(`{"__proto__":{"n":${n},"constructor":"c${n}"}}`) }));
    await db.batchWriteDocuments({ writes: docs.map((d) => ({ ref: { collection: "protoidx", id: d.id }, operation: { case: "set" as const, value: d.data } })) });
    const index = (await admin.createIndex({ index: { collection: "protoidx", fields: [{ field: "__proto__.n" }] } })).index!;
    const sorted = await query.runQuery({
      query: { collection: "protoidx", filter: "__proto__.n >= 2", orderBy: [{ field: "__proto__.n", direction: Order_Direction.DESCENDING }] },
      explain: true,
    });
    expect(sorted.documents.map((d) => [d.id, canonical(d.data)])).toEqual([
      ["s3", canonical(docs[0]!.data)],
      ["s2", canonical(docs[2]!.data)],
    ]);
    const answering = sorted.plan!.shards.filter((s) => !s.pruned && s.rowsReturned > 0n);
    expect(answering.length).toBeGreaterThan(0);
    expect(answering.every((s) => s.index === index.id), JSON.stringify(answering.map((s) => s.sqlPlan))).toBe(true);
    const streamed: string[] = [];
    for await (const res of query.streamQuery({ query: { collection: "protoidx", orderBy: [{ field: "__proto__.n" }], select: { fieldPaths: ["__proto__.constructor"] } } })) {
      if (res.result.case === "document") streamed.push(canonical(res.result.value.data));
    }
    expect(streamed).toEqual([1, 2, 3].map((n) => `{"__proto__":{"constructor":"c${n}"}}`));
    const exported: string[] = [];
    for await (const batch of admin.exportDocuments({ collection: "protoidx", batchSize: 2 })) exported.push(...batch.documents.map((d) => canonical(d.data)));
    expect(exported.sort()).toEqual(docs.map((d) => canonical(d.data)).sort());
    const { transaction } = await tx.beginTransaction({});
    const { reads } = await tx.getDocuments({ transaction, refs: docs.map((d) => ({ collection: "protoidx", id: d.id })) });
    expect(reads.map((r) => canonical(r.document!.data))).toEqual(docs.map((d) => canonical(d.data)));
    await tx.rollback({ transaction });
  });
});

describe("global objects", () => {
  it("are unchanged by requests that name the prototype chain in masks, selects, filters and group-by", async () => {
    const { db, query, tx } = clients.json;
    const ref = { collection: "pollute", id: "p1" };
    await db.setDocument({ ref, data: json(`{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`) });
    const paths = ["__proto__.polluted", "constructor.prototype.polluted", "__proto__.toString", "a.__proto__.polluted", "__proto__.__proto__.polluted"];
    for (const path of paths) {
      await db.getDocument({ ref, mask: { fieldPaths: [path] } });
      await db.updateDocument({ ref, patch: { data: json(`{"__proto__":{"polluted":"yes"}}`), updateMask: { fieldPaths: ["__proto__.polluted"] } } });
      await db.updateDocument({ ref: { collection: "pollute", id: "p2" }, patch: { data: {}, updateMask: { fieldPaths: [path] } } }).catch(() => undefined);
      await query.runQuery({ query: { collection: "pollute", filter: `${path} = "yes"`, select: { fieldPaths: [path] } } });
      await query.runAggregationQuery({ query: { collection: "pollute" }, groupBy: [path], aggregations: [{ alias: "n", function: Aggregation_Function.MAX, field: path }] });
      await tx.commitBatch({ writes: [{ ref, operation: { case: "update", value: { data: {}, updateMask: { fieldPaths: [path] } } } }] });
      await db.listDocuments({ collection: "pollute", pageSize: 10, mask: { fieldPaths: [path] } });
    }
    expect(diffGlobals(before, snapshotGlobals())).toEqual([]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});

// A polluted Object.prototype would break every later test in this isolate: undo additions even after a failure.
afterAll(() => {
  for (const key of Reflect.ownKeys(Object.prototype)) {
    if (!before.has(`Object.prototype.${String(key)}`)) delete (Object.prototype as Record<PropertyKey, unknown>)[key];
  }
});

/**
 * Live resharding through the whole stack: StartResharding / GetResharding /
 * CancelResharding over Connect, the copy, catch-up and cutover on real
 * shards, while clients write, read, commit transactions and walk queries.
 * The invariants checked are those of src/routing/README.md, "Live
 * resharding": no acknowledged write lost, no document duplicated or
 * resurrected, versions kept, every query and list walk exactly once.
 */
import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { AdminService, Resharding_Phase, Resharding_State, type Resharding } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { Aggregation_Function } from "../../gen/impossibledb/v1/query_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { connectClient, expectCode } from "./helpers.js";

const admin = (database: string) => connectClient(AdminService, { database });
const docs = (database: string) => connectClient(CollectionService, { database });
const queries = (database: string) => connectClient(QueryService, { database });
const txs = (database: string) => connectClient(TransactionService, { database });
const ref = (collection: string, id: string) => ({ collection, id });

async function freshDatabase(id: string): Promise<string> {
  await connectClient(AdminService).createDatabase({ databaseId: id, database: { placement: {} } });
  return id;
}

/** Polls GetResharding until the operation is no longer running (or `timeoutMs` passes). */
async function awaitDone(database: string, timeoutMs = 60_000): Promise<Resharding> {
  const start = Date.now();
  for (;;) {
    const { resharding } = await admin(database).getResharding({});
    if (resharding !== undefined && resharding.state !== Resharding_State.RUNNING) return resharding;
    if (Date.now() - start > timeoutMs) throw new Error(`resharding still running after ${timeoutMs} ms: ${JSON.stringify(resharding?.phase)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every document of `collection` by a ListDocuments walk, asserting no id appears twice. */
async function listAll(database: string, collection: string, pageSize = 37): Promise<Map<string, { version: bigint; data: unknown }>> {
  const seen = new Map<string, { version: bigint; data: unknown }>();
  let pageToken = "";
  do {
    const page = await docs(database).listDocuments({ collection, pageSize, pageToken });
    for (const d of page.documents) {
      expect(seen.has(d.id), `${d.id} listed twice`).toBe(false);
      seen.set(d.id, { version: d.version, data: d.data });
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return seen;
}

async function seed(database: string, collection: string, count: number): Promise<Map<string, bigint>> {
  const versions = new Map<string, bigint>();
  for (let i = 0; i < count; i += 100) {
    const writes = Array.from({ length: Math.min(100, count - i) }, (_, j) => ({
      ref: ref(collection, `d${i + j}`),
      operation: { case: "set" as const, value: { n: i + j, tag: (i + j) % 7 } },
    }));
    const res = await docs(database).batchWriteDocuments({ writes });
    res.results.forEach((r, j) => versions.set(`d${i + j}`, r.version));
  }
  return versions;
}

describe("live resharding", () => {
  it("grows 8 to 12 shards: every document readable once, with its version, and spread over the new shards", async () => {
    const db = await freshDatabase("grow-plain");
    const versions = await seed(db, "items", 600);
    const started = await admin(db).startResharding({ shardCount: 12 });
    expect(started.resharding!.state).toBe(Resharding_State.RUNNING);
    expect(started.resharding!.sourceShardCount).toBe(8);
    expect(started.resharding!.targetShardCount).toBe(12);
    const done = await awaitDone(db);
    expect(done.errors).toEqual([]);
    expect(done.state).toBe(Resharding_State.SUCCEEDED);
    expect(done.phase).toBe(Resharding_Phase.DONE);
    expect(done.targetRoutingVersion).toBe(done.sourceRoutingVersion + 1n);
    expect(done.documentsTotal).toBe(600n);
    // About a third of the documents move (4 of 12 shards are new).
    expect(Number(done.documentsCopied)).toBeGreaterThan(100);
    expect(Number(done.documentsCopied)).toBeLessThan(320);

    const table = (await admin(db).getRoutingTable({})).table!;
    expect(table.shards.map((s) => s.id)).toEqual(Array.from({ length: 12 }, (_, i) => `shard-${i}`));
    expect(table.version).toBe(done.targetRoutingVersion);
    const listed = await listAll(db, "items");
    expect(listed.size).toBe(600);
    for (const [id, version] of versions) expect(listed.get(id)?.version, id).toBe(version);
    const shards = (await admin(db).listShards({})).shards;
    expect(shards).toHaveLength(12);
    expect(shards.reduce((sum, s) => sum + Number(s.documentCount), 0)).toBe(600);
    for (const s of shards) expect(Number(s.documentCount), s.id).toBeGreaterThan(10);

    // Reads, writes with preconditions, queries and aggregations work on the new table.
    const got = await docs(db).getDocument({ ref: ref("items", "d5") });
    expect(got.document!.version).toBe(versions.get("d5"));
    const updated = await docs(db).setDocument({ ref: ref("items", "d5"), data: { n: 5, tag: 99 }, precondition: { condition: { case: "version", value: versions.get("d5")! } } });
    expect(updated.document!.version > versions.get("d5")!).toBe(true);
    const q = await queries(db).runQuery({ query: { collection: "items", filter: "tag = 3", pageSize: 1000 } });
    expect(q.documents.map((d) => d.id).sort()).toEqual([...versions.keys()].filter((id) => Number(id.slice(1)) % 7 === 3).sort());
    const count = await queries(db).runAggregationQuery({ query: { collection: "items" }, aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }] });
    expect(count.groups[0]!.results["n"]!.kind.value).toBe(600);
  });
});

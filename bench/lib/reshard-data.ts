/**
 * The resharding benchmark's data: loading the YCSB records before the
 * move (BatchWriteDocuments, timed), and checking them after it, from the
 * client's side and the server's:
 *
 * - the routing table has the target shard count, at the version the
 *   resharding published;
 * - ListShards's document counts sum to the records loaded (the load only
 *   updates, so it creates nothing), i.e. no shard still counts a moved
 *   document;
 * - a ListDocuments walk of the collection returns every record exactly
 *   once;
 * - every record the load wrote reads back at the newest version a write
 *   acknowledged (no acknowledged write lost, none resurrected).
 */
import { createClient, type Transport } from "@connectrpc/connect";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { COLLECTION } from "../config.js";
import { createDocument } from "./document.js";
import { createRandom, recordId } from "./keys.js";

/** Documents per ListDocuments page while walking (the API's maximum). */
const WALK_PAGE_SIZE = 1_000;
/** Documents per BatchGetDocuments call while reading back (the API's maximum). */
const READ_BACK_BATCH_MAX = 500;
/** Examples of each kind of failure kept for the report. */
const EXAMPLES_MAX = 5;

/** Writes records 0..recordCount-1 in batches, `concurrency` batches in flight; returns the seconds it took. */
export async function loadRecords(transport: Transport, options: { recordCount: number; batchSize: number; concurrency: number; seed: number }): Promise<number> {
  const client = createClient(CollectionService, transport);
  const random = createRandom(options.seed);
  const t0 = performance.now();
  let next = 0;
  const loader = async () => {
    while (next < options.recordCount) {
      const from = next;
      next = Math.min(options.recordCount, from + options.batchSize);
      const writes = [];
      for (let n = from; n < next; n++) writes.push({ ref: { collection: COLLECTION, id: recordId(n) }, operation: { case: "set" as const, value: createDocument(random) } });
      const { statuses } = await client.batchWriteDocuments({ writes });
      const failed = statuses.find((s) => s.code !== 0);
      if (failed !== undefined) throw new Error(`loading: a batch write failed: code ${failed.code}: ${failed.message}`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loader));
  return (performance.now() - t0) / 1000;
}

export interface DataCheck {
  readonly routingShards: number;
  readonly routingVersion: number;
  readonly shardDocumentCounts: ReadonlyArray<{ id: string; documents: number }>;
  readonly shardDocumentSum: number;
  readonly walked: number;
  readonly walkDuplicates: number;
  readonly walkMissing: number;
  readonly walkUnexpected: number;
  readonly readBack: number;
  readonly readBackWrong: number;
  /** Every failure found, in words; empty when the data is right. */
  readonly failures: readonly string[];
}

export async function checkData(
  transport: Transport,
  expected: { recordCount: number; shards: number; routingVersion: number; ackedVersions: ReadonlyMap<number, number> },
): Promise<DataCheck> {
  const admin = createClient(AdminService, transport);
  const failures: string[] = [];
  const { table } = await admin.getRoutingTable({});
  const routingShards = table?.shards.length ?? 0;
  const routingVersion = Number(table?.version ?? 0);
  if (routingShards !== expected.shards) failures.push(`the routing table has ${routingShards} shards, not ${expected.shards}`);
  if (routingVersion !== expected.routingVersion) failures.push(`the routing table is at version ${routingVersion}, not the ${expected.routingVersion} the resharding published`);
  const { shards } = await admin.listShards({});
  const shardDocumentCounts = shards.map((s) => ({ id: s.id, documents: Number(s.documentCount) }));
  const shardDocumentSum = shardDocumentCounts.reduce((sum, s) => sum + s.documents, 0);
  if (shardDocumentSum !== expected.recordCount) failures.push(`ListShards counts ${shardDocumentSum} documents over ${shards.length} shards, not the ${expected.recordCount} loaded`);
  const walk = await walkCollection(transport, expected.recordCount);
  if (walk.duplicates + walk.missing + walk.unexpected > 0) {
    failures.push(`a ListDocuments walk returned ${walk.walked} documents: ${walk.duplicates} twice, ${walk.missing} records missing, ${walk.unexpected} unknown ids (e.g. ${walk.examples.join(", ")})`);
  }
  const back = await readBack(transport, expected.ackedVersions);
  if (back.wrong.length > 0) failures.push(`${back.wrong.length} of ${back.read} written records do not read back at their newest acknowledged version (e.g. ${back.wrong.slice(0, EXAMPLES_MAX).join("; ")})`);
  return {
    routingShards,
    routingVersion,
    shardDocumentCounts,
    shardDocumentSum,
    walked: walk.walked,
    walkDuplicates: walk.duplicates,
    walkMissing: walk.missing,
    walkUnexpected: walk.unexpected,
    readBack: back.read,
    readBackWrong: back.wrong.length,
    failures,
  };
}

async function walkCollection(transport: Transport, recordCount: number) {
  const client = createClient(CollectionService, transport);
  const seen = new Uint8Array(recordCount);
  const examples: string[] = [];
  let walked = 0;
  let duplicates = 0;
  let unexpected = 0;
  let pageToken = "";
  // Bounded: a walk longer than twice the records is itself a failure.
  for (let page = 0; page < (2 * recordCount) / WALK_PAGE_SIZE + 2; page++) {
    const res = await client.listDocuments({ collection: COLLECTION, pageSize: WALK_PAGE_SIZE, pageToken, mask: { fieldPaths: ["field0"] } });
    for (const doc of res.documents) {
      walked++;
      const n = /^user(\d{10})$/.test(doc.id) ? Number(doc.id.slice(4)) : -1;
      if (n < 0 || n >= recordCount) {
        unexpected++;
        if (examples.length < EXAMPLES_MAX) examples.push(`unknown ${doc.id}`);
      } else if (seen[n]! > 0) {
        duplicates++;
        if (examples.length < EXAMPLES_MAX) examples.push(`${doc.id} twice`);
      } else {
        seen[n] = 1;
      }
    }
    pageToken = res.nextPageToken;
    if (pageToken === "") break;
  }
  if (pageToken !== "") throw new Error(`the ListDocuments walk did not end after ${walked} documents`);
  const missing = seen.reduce((sum, s) => sum + (s === 0 ? 1 : 0), 0);
  if (missing > 0) for (let n = 0; n < recordCount && examples.length < EXAMPLES_MAX; n++) if (seen[n] === 0) examples.push(`${recordId(n)} missing`);
  return { walked, duplicates, missing, unexpected, examples };
}

async function readBack(transport: Transport, acked: ReadonlyMap<number, number>) {
  const client = createClient(CollectionService, transport);
  const wrong: string[] = [];
  let read = 0;
  let pending = [...acked.keys()].map((n) => ({ collection: COLLECTION, id: recordId(n) }));
  while (pending.length > 0) {
    const refs = pending.slice(0, READ_BACK_BATCH_MAX);
    const res = await client.batchGetDocuments({ refs });
    if (res.results.length === 0) throw new Error("BatchGetDocuments answered nothing");
    for (const r of res.results) {
      read++;
      const want = acked.get(Number(r.ref!.id.slice(4)))!;
      const got = r.found ? Number(r.document!.version) : null;
      if (got !== want) wrong.push(`${r.ref!.id}: version ${got ?? "(missing)"}, acknowledged ${want}`);
    }
    pending = [...res.unreadRefs, ...pending.slice(READ_BACK_BATCH_MAX)];
  }
  return { read, wrong };
}

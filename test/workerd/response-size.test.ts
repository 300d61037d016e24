/**
 * Every answer fits what a gRPC client accepts by default (4 MiB): writes
 * of large documents answer versions and times rather than the documents,
 * pages of large documents end early with a token, batch gets answer a
 * prefix and name the rest, and an aggregation too large to send is
 * refused with RESOURCE_EXHAUSTED. Sizes are measured as the binary
 * protobuf a gRPC client would receive.
 */
import { toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import {
  BatchGetDocumentsResponseSchema,
  BatchWriteDocumentsResponseSchema,
  CollectionService,
  ListDocumentsResponseSchema,
} from "../../gen/impossibledb/v1/collection_service_pb.js";
import { ExportDocumentsResponseSchema } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { QueryService, RunQueryResponseSchema } from "../../gen/impossibledb/v1/query_service_pb.js";
import { Aggregation_Function } from "../../gen/impossibledb/v1/query_pb.js";
import {
  CommitBatchResponseSchema,
  CommitResponseSchema,
  GetDocumentsResponseSchema,
  TransactionService,
} from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { GRPC_MESSAGE_BYTES_DEFAULT_MAX, RESPONSE_BYTES_MAX } from "../../src/limits.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService, { binary: true });
const queries = connectClient(QueryService, { binary: true });
const tx = connectClient(TransactionService, { binary: true });
const admin = connectClient(AdminService, { binary: true });

/** A document of about 1 MB (under the 1 MiB limit). */
const big = (n: number) => ({ n, blob: `${n}`.padEnd(1_000_000, "x") });
const ids = (count: number) => Array.from({ length: count }, (_, i) => `d${String(i).padStart(2, "0")}`);
const setWrites = (collection: string, list: string[]) =>
  list.map((id) => ({ ref: { collection, id }, operation: { case: "set" as const, value: big(Number(id.slice(1))) } }));

/** Asserts a response would reach a default gRPC client: under 4 MiB encoded. */
function expectFitsGrpcDefault<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): number {
  const bytes = toBinary(schema, message).length;
  expect(bytes).toBeLessThan(GRPC_MESSAGE_BYTES_DEFAULT_MAX);
  return bytes;
}

async function writeBig(collection: string, count: number): Promise<string[]> {
  const list = ids(count);
  // Six per batch: 6 MB, under BATCH_BYTES_MAX.
  for (let i = 0; i < list.length; i += 6) {
    const res = await db.batchWriteDocuments({ writes: setWrites(collection, list.slice(i, i + 6)) });
    expect(res.statuses.every((s) => s.code === 0)).toBe(true);
  }
  return list;
}

// Megabytes cross the Worker and its objects; a shared machine needs more than the default 5 s.
describe("writes of large documents", { timeout: 60_000 }, () => {
  it("BatchWriteDocuments of six 1 MB documents answers versions and times, not the documents", async () => {
    const list = ids(6);
    const res = await db.batchWriteDocuments({ writes: setWrites("bw", list) });
    expectFitsGrpcDefault(BatchWriteDocumentsResponseSchema, res);
    expect(res.statuses.map((s) => s.code)).toEqual(list.map(() => 0));
    expect(res.results.map((r) => [r.ref?.id, r.version > 0n, r.updateTime !== undefined, r.document])).toEqual(list.map((id) => [id, true, true, undefined]));
    expect(res.documentsOmitted).toBe(false);
    const back = await db.getDocument({ ref: { collection: "bw", id: list[5]! } });
    expect(back.document?.version).toBe(res.results[5]!.version);
    expect(back.document?.data).toEqual(big(5));
  });

  it("with return_documents, returns the documents that fit and says some were left out", async () => {
    const list = ids(6);
    const res = await db.batchWriteDocuments({ writes: setWrites("bwdocs", list), returnDocuments: true });
    expect(expectFitsGrpcDefault(BatchWriteDocumentsResponseSchema, res)).toBeLessThan(RESPONSE_BYTES_MAX + 64 * 1024);
    const withDocs = res.results.filter((r) => r.document !== undefined);
    expect(withDocs.length).toBeGreaterThanOrEqual(1);
    expect(withDocs.length).toBeLessThan(6);
    expect(withDocs[0]!.document?.data).toEqual(big(0));
    expect(res.documentsOmitted).toBe(true);
    expect(res.results.every((r) => r.version > 0n)).toBe(true);

    const small = await db.batchWriteDocuments({ writes: [{ ref: { collection: "bwdocs", id: "s" }, operation: { case: "set", value: { a: 1 } } }], returnDocuments: true });
    expect(small.results[0]?.document?.data).toEqual({ a: 1 });
    expect(small.documentsOmitted).toBe(false);
  });

  it("CommitBatch and Commit answer without documents unless asked", async () => {
    const list = ids(6);
    const batch = await tx.commitBatch({ writes: setWrites("cb", list) });
    expectFitsGrpcDefault(CommitBatchResponseSchema, batch);
    expect(batch.results.map((r) => [r.version > 0n, r.document])).toEqual(list.map(() => [true, undefined]));

    const { transaction } = await tx.beginTransaction({});
    const committed = await tx.commit({ transaction, writes: setWrites("commit", list) });
    expectFitsGrpcDefault(CommitResponseSchema, committed);
    expect(committed.results.map((r) => [r.version > 0n, r.document])).toEqual(list.map(() => [true, undefined]));

    const asked = await tx.commitBatch({ writes: setWrites("cb2", list), returnDocuments: true });
    expectFitsGrpcDefault(CommitBatchResponseSchema, asked);
    expect(asked.results[0]?.document?.data).toEqual(big(0));
    expect(asked.documentsOmitted).toBe(true);
  });
});

describe("reads of many large documents", { timeout: 60_000 }, () => {
  it("ListDocuments pages end at the byte limit and the tokens walk every document once", async () => {
    const list = await writeBig("list", 10);
    const seen: string[] = [];
    let token = "";
    for (let pages = 0; pages < 20; pages++) {
      const page = await db.listDocuments({ collection: "list", pageSize: 1000, pageToken: token });
      expect(expectFitsGrpcDefault(ListDocumentsResponseSchema, page)).toBeLessThan(RESPONSE_BYTES_MAX + 64 * 1024);
      expect(page.documents.length).toBeGreaterThan(0);
      seen.push(...page.documents.map((d) => d.id));
      token = page.nextPageToken;
      if (token === "") break;
    }
    expect(seen).toEqual(list);
  });

  it("RunQuery pages end at the byte limit and continue with the token", async () => {
    const list = await writeBig("query", 10);
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    for (; pages < 20; pages++) {
      const page = await queries.runQuery({ query: { collection: "query", filter: "n >= 0", orderBy: [{ field: "n" }] }, pageSize: 1000, pageToken: token });
      expectFitsGrpcDefault(RunQueryResponseSchema, page);
      seen.push(...page.documents.map((d) => d.id));
      token = page.nextPageToken;
      if (token === "") break;
    }
    expect(seen).toEqual(list);
    expect(pages).toBeGreaterThan(1);
  });

  it("RunQuery with a limit counts the documents of short pages", async () => {
    await writeBig("qlimit", 6);
    const first = await queries.runQuery({ query: { collection: "qlimit", orderBy: [{ field: "n" }], limit: 5 }, pageSize: 1000 });
    expect(first.documents.length).toBeLessThan(5);
    const seen = first.documents.map((d) => d.id);
    let token = first.nextPageToken;
    while (token !== "") {
      const page = await queries.runQuery({ query: { collection: "qlimit", orderBy: [{ field: "n" }], limit: 5 }, pageSize: 1000, pageToken: token });
      seen.push(...page.documents.map((d) => d.id));
      token = page.nextPageToken;
    }
    expect(seen).toEqual(ids(5));
  });

  it("BatchGetDocuments answers a prefix within the limit and names the unread refs", async () => {
    const list = await writeBig("bget", 12);
    const refs = [...list, "missing"].map((id) => ({ collection: "bget", id }));
    const first = await db.batchGetDocuments({ refs });
    expect(expectFitsGrpcDefault(BatchGetDocumentsResponseSchema, first)).toBeLessThan(RESPONSE_BYTES_MAX + 64 * 1024);
    expect(first.results.length).toBeGreaterThan(0);
    expect(first.results.length).toBeLessThan(refs.length);
    expect(first.results.map((r) => r.ref?.id)).toEqual(list.slice(0, first.results.length));
    expect(first.unreadRefs.map((r) => r.id)).toEqual([...list, "missing"].slice(first.results.length));
    // Asking again for the unread refs, until none are left, reads them all.
    const found = first.results.map((r) => [r.ref?.id, r.found]);
    let rest = first.unreadRefs;
    while (rest.length > 0) {
      const next = await db.batchGetDocuments({ refs: rest });
      expectFitsGrpcDefault(BatchGetDocumentsResponseSchema, next);
      found.push(...next.results.map((r) => [r.ref?.id, r.found]));
      rest = next.unreadRefs;
    }
    expect(found).toEqual([...list.map((id) => [id, true]), ["missing", false]]);
  });

  it("GetDocuments in a transaction answers a prefix and names the unread refs", async () => {
    const list = await writeBig("txget", 6);
    const { transaction } = await tx.beginTransaction({});
    const res = await tx.getDocuments({ transaction, refs: list.map((id) => ({ collection: "txget", id })) });
    expectFitsGrpcDefault(GetDocumentsResponseSchema, res);
    expect(res.reads.length).toBeGreaterThan(0);
    expect(res.reads.length + res.unreadRefs.length).toBe(6);
    expect(res.unreadRefs.map((r) => r.id)).toEqual(list.slice(res.reads.length));
  });

  it("ExportDocuments sends each batch within the limit", async () => {
    const list = await writeBig("export", 8);
    const seen: string[] = [];
    for await (const msg of admin.exportDocuments({ collection: "export", batchSize: 1000 })) {
      expectFitsGrpcDefault(ExportDocumentsResponseSchema, msg);
      seen.push(...msg.documents.map((d) => d.id));
    }
    expect(seen).toEqual(list);
  });

  it("RunAggregationQuery refuses groups that would not fit, with RESOURCE_EXHAUSTED", async () => {
    await db.batchWriteDocuments({
      writes: ids(5).map((id, i) => ({ ref: { collection: "agg", id }, operation: { case: "set", value: { k: `${i}`.padEnd(900_000, "k") } } })),
    });
    await expectCode(
      queries.runAggregationQuery({ query: { collection: "agg" }, aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }], groupBy: ["k"] }),
      Code.ResourceExhausted,
      /RESPONSE_BYTES_MAX/,
    );
  });
});

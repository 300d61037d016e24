/**
 * QueryService.Listen end to end inside workerd: snapshots, added /
 * modified / removed changes for documents, collections, filters and limit
 * windows, a cross-shard transaction's changes in one message, resume
 * tokens (exactly the missed changes), retention (OUT_OF_RANGE) and bad
 * requests.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { DocumentChange_Type, ListenResponseSchema, QueryService, type ListenRequest, type ListenResponse } from "../../gen/impossibledb/v1/query_service_pb.js";
import { toBinary } from "@bufbuild/protobuf";
import { GRPC_MESSAGE_BYTES_DEFAULT_MAX, RESUME_TOKEN_LENGTH_MAX } from "../../src/limits.js";
import { create } from "@bufbuild/protobuf";
import { ListenRequestSchema as ListenRequestDesc } from "../../gen/impossibledb/v1/query_service_pb.js";
import { listenTargetFrom, tokenScope } from "../../src/services/listen-service.js";
import { pageTokenKey } from "../../src/services/list-documents.js";
import { decodePageToken, encodePageToken, RESUME_TOKEN } from "../../src/pagination/page-token.js";
import { FILTER_SEMANTICS_VERSION } from "../../src/query/expression.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListenRequestSchema } from "../../gen/impossibledb/v1/query_service_pb.js";
import { connectClient, expectCode, grpcWebClient } from "./helpers.js";
import { trimChangeLog } from "../../src/watch/change-log.js";

const db = connectClient(CollectionService);
const query = connectClient(QueryService);
const queryWeb = grpcWebClient(QueryService);
const tx = connectClient(TransactionService);
const admin = connectClient(AdminService);

/** A running listener: every message so far, and a way to wait for more. */
interface Listener {
  readonly messages: ListenResponse[];
  readonly done: Promise<unknown>;
  /** Waits until `predicate` holds for the messages so far (or fails after `timeoutMs`). */
  until(predicate: (messages: ListenResponse[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): void;
}

const running: Listener[] = [];
afterEach(() => {
  for (const l of running.splice(0)) l.stop();
});

function start(req: MessageInitShape<typeof ListenRequestSchema>, client = query): Listener {
  const controller = new AbortController();
  const messages: ListenResponse[] = [];
  let wake: () => void = () => {};
  let failure: unknown = null;
  const done = (async () => {
    try {
      for await (const m of client.listen(req, { signal: controller.signal })) {
        messages.push(m);
        wake();
      }
    } catch (err) {
      if (!controller.signal.aborted) failure = err;
      wake();
    }
  })();
  const listener: Listener = {
    messages,
    done,
    async until(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (failure !== null) throw failure;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`listener timed out; messages: ${JSON.stringify(messages.map(describeMessage))}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 200));
        });
      }
    },
    stop: () => controller.abort(),
  };
  running.push(listener);
  return listener;
}

function describeMessage(m: ListenResponse): unknown {
  return { changes: m.changes.map((c) => `${DocumentChange_Type[c.type]} ${c.document?.id} v${c.document?.version}`), current: m.current, token: m.resumeToken !== "" };
}

/** The changes after the initial snapshot, as "TYPE id". */
function changesAfterCurrent(messages: readonly ListenResponse[]): string[] {
  const at = messages.findIndex((m) => m.current);
  return messages.slice(at + 1).flatMap((m) => m.changes.map((c) => `${DocumentChange_Type[c.type]} ${c.document?.id}`));
}

/**
 * The changes after the snapshot grouped by document, each in arrival
 * order: Listen orders changes per document (documents on different shards
 * may arrive in either order).
 */
function perDocument(messages: readonly ListenResponse[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const change of changesAfterCurrent(messages)) {
    const [type, id] = change.split(" ") as [string, string];
    (out[id] ??= []).push(type);
  }
  return out;
}

function snapshotIds(messages: readonly ListenResponse[]): string[] {
  const at = messages.findIndex((m) => m.current);
  return messages.slice(0, at + 1).flatMap((m) => m.changes.map((c) => c.document!.id));
}

const set = (collection: string, id: string, data: Record<string, unknown>) =>
  db.setDocument({ ref: { collection, id }, data: data as never });

describe("Listen", { timeout: 30_000 }, () => {
  it("a collection: the snapshot in id order, then added, modified and removed in commit order", async () => {
    await set("lc", "a", { n: 1 });
    await set("lc", "b", { n: 2 });
    const l = start({ target: { case: "query", value: { collection: "lc" } } });
    await l.until((m) => m.some((x) => x.current));
    expect(snapshotIds(l.messages)).toEqual(["a", "b"]);
    const current = l.messages.find((m) => m.current)!;
    expect(current.resumeToken).not.toBe("");
    await set("lc", "c", { n: 3 });
    await set("lc", "a", { n: 10 });
    await db.deleteDocument({ ref: { collection: "lc", id: "b" } });
    await l.until((m) => changesAfterCurrent(m).length >= 3);
    expect(perDocument(l.messages)).toEqual({ c: ["ADDED"], a: ["MODIFIED"], b: ["REMOVED"] });
    const modified = l.messages.flatMap((m) => m.changes).find((c) => c.type === DocumentChange_Type.MODIFIED)!;
    expect(modified.document!.data).toEqual({ n: 10 });
    const removed = l.messages.flatMap((m) => m.changes).find((c) => c.type === DocumentChange_Type.REMOVED)!;
    expect(removed.document!.data).toEqual({ n: 2 });
  });

  it("a transaction across shards arrives whole, in one message, with its id", async () => {
    const l = start({ target: { case: "query", value: { collection: "ltx" } } });
    await l.until((m) => m.some((x) => x.current));
    const ids = Array.from({ length: 12 }, (_, i) => `acct-${i}`);
    const { results } = await tx.commitBatch({
      writes: ids.map((id) => ({ ref: { collection: "ltx", id }, operation: { case: "set" as const, value: { balance: 100 } } })),
    });
    expect(results.length).toBe(12);
    await l.until((m) => changesAfterCurrent(m).length >= 12);
    const withChanges = l.messages.filter((m) => !m.current && m.changes.length > 0);
    expect(withChanges.length).toBe(1);
    expect(withChanges[0]!.changes.map((c) => c.document!.id).sort()).toEqual([...ids].sort());
    const txIds = new Set(withChanges[0]!.changes.map((c) => c.transactionId));
    expect(txIds.size).toBe(1);
    expect([...txIds][0]).not.toBe("");
    // The writes did span shards, so the message really joined parts.
    const routing = await admin.getRoutingTable({});
    expect(routing.table!.shards.length).toBeGreaterThan(1);
  });

  it("a resume token from before the null rule of != (FILTER_SEMANTICS_VERSION) is OUT_OF_RANGE, so the listener starts over and drops what no longer matches", async () => {
    await db.batchWriteDocuments({ writes: [["a", 1], ["b", 2], ["c", null]].map(([id, v]) => ({ ref: { collection: "lsem", id: id as string }, operation: { case: "set" as const, value: { v } as never } })) });
    const req = { target: { case: "query" as const, value: { collection: "lsem", filter: "v != 1" } } };
    const l = start(req);
    await l.until((m) => m.some((x) => x.current && x.resumeToken !== ""));
    const token = l.messages.find((m) => m.current)!.resumeToken;
    // The same token as the code before it signed it: no filter semantics version.
    const key = pageTokenKey(env);
    const scope = await tokenScope(listenTargetFrom(create(ListenRequestDesc, req)).target);
    const decoded = await decodePageToken(key, scope, token, RESUME_TOKEN);
    expect(decoded.ok).toBe(true);
    const payload = (decoded as { payload: { r: number; p: Record<string, number>; f?: number } }).payload;
    expect(payload.f).toBe(FILTER_SEMANTICS_VERSION);
    const old = await encodePageToken(key, scope, { r: payload.r, p: payload.p });
    const resumed = start({ ...req, resumeToken: old });
    await expectCode(resumed.until(() => false, 5_000), Code.OutOfRange, /earlier filter semantics/);
    // The current token still resumes.
    const again = start({ ...req, resumeToken: token });
    await again.until((m) => m.some((x) => x.current));
  });

  it("a transaction of 7 MB arrives in messages within a gRPC client's 4 MiB, with a resume token only after its last change (and the snapshot of it likewise)", { timeout: 60_000 }, async () => {
    const l = start({ target: { case: "query", value: { collection: "lbig" } } });
    await l.until((m) => m.some((x) => x.current));
    const text = "x".repeat(900_000);
    const ids = Array.from({ length: 8 }, (_, i) => `big-${i}`);
    await tx.commitBatch({ writes: ids.map((id) => ({ ref: { collection: "lbig", id }, operation: { case: "set" as const, value: { text } } })) });
    await l.until((m) => changesAfterCurrent(m).length >= 8, 30_000);
    const after = l.messages.slice(l.messages.findIndex((m) => m.current) + 1).filter((m) => m.changes.length > 0 || m.resumeToken !== "");
    const withChanges = after.filter((m) => m.changes.length > 0);
    expect(withChanges.length).toBeGreaterThan(1);
    for (const m of l.messages) expect(toBinary(ListenResponseSchema, m).length).toBeLessThanOrEqual(GRPC_MESSAGE_BYTES_DEFAULT_MAX);
    // No resume token before the transaction's last change: a listener applying at tokens sees it at once.
    const lastChange = after.findLastIndex((m) => m.changes.length > 0);
    expect(after.slice(0, lastChange).every((m) => m.resumeToken === "")).toBe(true);
    await l.until((m) => m.slice(m.findIndex((x) => x.current) + 1).some((x) => x.resumeToken !== "" && changesAfterCurrent(m).length >= 8));
    expect(new Set(withChanges.flatMap((m) => m.changes.map((c) => c.transactionId))).size).toBe(1);
    expect(changesAfterCurrent(l.messages).sort()).toEqual(ids.map((id) => `ADDED ${id}`).sort());
    // A new listener's snapshot of the same documents is cut the same way, `current` on its last message only.
    const fresh = start({ target: { case: "query", value: { collection: "lbig" } } });
    await fresh.until((m) => m.some((x) => x.current), 30_000);
    const snapshot = fresh.messages.slice(0, fresh.messages.findIndex((m) => m.current) + 1);
    expect(snapshot.length).toBeGreaterThan(1);
    expect(snapshot.flatMap((m) => m.changes.map((c) => c.document!.id)).sort()).toEqual([...ids].sort());
    for (const m of snapshot) expect(toBinary(ListenResponseSchema, m).length).toBeLessThanOrEqual(GRPC_MESSAGE_BYTES_DEFAULT_MAX);
    expect(snapshot.slice(0, -1).every((m) => m.resumeToken === "" && !m.current)).toBe(true);
  });

  it("a transaction across shards that writes a collection named like an Object method (toString) on one shard commits, and its listener hears it", async () => {
    const l = start({ target: { case: "query", value: { collection: "toString" } } });
    await l.until((m) => m.some((x) => x.current));
    // One document in `toString` (one shard) and twelve in another collection (several shards): a two-phase commit.
    const others = Array.from({ length: 12 }, (_, i) => ({ ref: { collection: "lproto", id: `o-${i}` }, operation: { case: "set" as const, value: { n: i } } }));
    const { results } = await tx.commitBatch({
      writes: [{ ref: { collection: "toString", id: "x" }, operation: { case: "set" as const, value: { n: 1 } } }, ...others],
    });
    expect(results.length).toBe(13);
    await l.until((m) => changesAfterCurrent(m).length >= 1);
    expect(changesAfterCurrent(l.messages)).toEqual(["ADDED x"]);
  });

  it("a filter: documents entering and leaving it are added and removed", async () => {
    await set("lf", "x", { status: "active" });
    await set("lf", "y", { status: "idle" });
    const l = start({ target: { case: "query", value: { collection: "lf", filter: 'status = "active"' } } });
    await l.until((m) => m.some((x) => x.current));
    expect(snapshotIds(l.messages)).toEqual(["x"]);
    await set("lf", "y", { status: "active" }); // enters
    await set("lf", "x", { status: "active", n: 1 }); // stays, changes
    await set("lf", "x", { status: "idle" }); // leaves
    await set("lf", "z", { status: "idle" }); // never in
    await db.deleteDocument({ ref: { collection: "lf", id: "y" } }); // leaves by deletion
    await l.until((m) => changesAfterCurrent(m).length >= 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(perDocument(l.messages)).toEqual({ y: ["ADDED", "REMOVED"], x: ["MODIFIED", "REMOVED"] });
  });

  it("a limit window: what enters and leaves the first N in query order", async () => {
    for (const [id, score] of [["p", 10], ["q", 20], ["r", 30], ["s", 40]] as const) await set("lw", id, { score });
    const l = start({
      target: { case: "query", value: { collection: "lw", orderBy: [{ field: "score", direction: 2 }], limit: 2 } },
    });
    await l.until((m) => m.some((x) => x.current));
    expect(snapshotIds(l.messages)).toEqual(["s", "r"]);
    await set("lw", "p", { score: 50 }); // p enters at the top, r leaves
    await l.until((m) => changesAfterCurrent(m).length >= 2);
    expect(changesAfterCurrent(l.messages).sort()).toEqual(["ADDED p", "REMOVED r"]);
    await db.deleteDocument({ ref: { collection: "lw", id: "s" } }); // s leaves, r comes back
    await l.until((m) => changesAfterCurrent(m).length >= 4);
    expect(changesAfterCurrent(l.messages).slice(2).sort()).toEqual(["ADDED r", "REMOVED s"]);
    await set("lw", "q", { score: 21 }); // below the window: nothing
    await set("lw", "p", { score: 51 }); // inside the window: modified
    await l.until((m) => changesAfterCurrent(m).length >= 5);
    expect(changesAfterCurrent(l.messages).slice(4)).toEqual(["MODIFIED p"]);
  });

  it("one document, over gRPC-Web too", async () => {
    const l = start({ target: { case: "document", value: { collection: "ld", id: "one" } } }, queryWeb);
    await l.until((m) => m.some((x) => x.current));
    expect(snapshotIds(l.messages)).toEqual([]);
    await set("ld", "other", { n: 0 });
    await set("ld", "one", { n: 1 });
    await set("ld", "one", { n: 2 });
    await db.deleteDocument({ ref: { collection: "ld", id: "one" } });
    await l.until((m) => changesAfterCurrent(m).length >= 3);
    expect(changesAfterCurrent(l.messages)).toEqual(["ADDED one", "MODIFIED one", "REMOVED one"]);
  });

  it("resumes after a disconnect with exactly the changes it missed", async () => {
    await set("lr", "a", { n: 0 });
    const first = start({ target: { case: "query", value: { collection: "lr" } } });
    await first.until((m) => m.some((x) => x.current));
    await set("lr", "b", { n: 1 });
    await first.until((m) => changesAfterCurrent(m).length >= 1 && m.at(-1)!.resumeToken !== "");
    const token = first.messages.at(-1)!.resumeToken;
    first.stop();
    await set("lr", "c", { n: 2 });
    await set("lr", "a", { n: 3 });
    await db.deleteDocument({ ref: { collection: "lr", id: "b" } });
    const second = start({ target: { case: "query", value: { collection: "lr" } }, resumeToken: token });
    await second.until((m) => m.flatMap((x) => x.changes).length >= 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(second.messages[0]!.current).toBe(true);
    expect(second.messages[0]!.changes).toEqual([]);
    // Order is guaranteed per document (these three live on different
    // shards, whose feeds answer in any order); each change exactly once.
    expect(second.messages.flatMap((m) => m.changes.map((c) => `${DocumentChange_Type[c.type]} ${c.document?.id}`)).sort()).toEqual([
      "ADDED c",
      "MODIFIED a",
      "REMOVED b",
    ]);
  });

  it("resumes a limit window from its token exactly", async () => {
    for (const [id, score] of [["a", 1], ["b", 2], ["c", 3]] as const) await set("lrw", id, { score });
    const target = { case: "query" as const, value: { collection: "lrw", orderBy: [{ field: "score" }], limit: 2 } };
    const first = start({ target });
    await first.until((m) => m.some((x) => x.current));
    expect(snapshotIds(first.messages)).toEqual(["a", "b"]);
    const token = first.messages.find((m) => m.current)!.resumeToken;
    first.stop();
    await set("lrw", "a", { score: 10 }); // a leaves, c enters
    const second = start({ target, resumeToken: token });
    await second.until((m) => m.flatMap((x) => x.changes).length >= 2);
    expect(second.messages.flatMap((m) => m.changes.map((c) => `${DocumentChange_Type[c.type]} ${c.document?.id}`)).sort()).toEqual([
      "ADDED c",
      "REMOVED a",
    ]);
  });

  it("a token older than the change log's retention answers OUT_OF_RANGE", async () => {
    const first = start({ target: { case: "query", value: { collection: "lold" } } });
    await first.until((m) => m.some((x) => x.current));
    const token = first.messages.find((m) => m.current)!.resumeToken;
    first.stop();
    for (let i = 0; i < 20; i++) await set("lold", `d${i}`, { i });
    // Trim every shard as its alarm would two days from now.
    const { table } = await admin.getRoutingTable({});
    for (const shard of table!.shards) {
      await runInDurableObject(env.SHARD.get(env.SHARD.idFromName(shard.id)), (_o, state) =>
        state.storage.transactionSync(() => trimChangeLog(state.storage.sql, Date.now() + 49 * 3600_000, { retentionMs: 48 * 3600_000, bytesMax: 1 << 30 })),
      );
    }
    const second = start({ target: { case: "query", value: { collection: "lold" } }, resumeToken: token });
    await expectCode(second.until(() => false, 5_000), Code.OutOfRange, /retention/);
  });

  it("refuses bad requests with precise codes", async () => {
    await expectCode(start({}).until(() => false), Code.InvalidArgument);
    await expectCode(
      start({ target: { case: "query", value: { collection: "lc" } }, resumeToken: "bogus.token" }).until(() => false),
      Code.InvalidArgument,
      /resume_token/,
    );
    await expectCode(start({ target: { case: "query", value: { collection: "lc", offset: 3 } } }).until(() => false), Code.InvalidArgument, /offset/);
    // A token of one target does not resume another.
    const l = start({ target: { case: "query", value: { collection: "lc" } } });
    await l.until((m) => m.some((x) => x.current));
    const token = l.messages.find((m) => m.current)!.resumeToken;
    await expectCode(
      start({ target: { case: "query", value: { collection: "lf" } }, resumeToken: token }).until(() => false),
      Code.InvalidArgument,
      /resume_token/,
    );
  });
});

export type { ListenRequest };

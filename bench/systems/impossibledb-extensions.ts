/**
 * ImpossibleDB's transactions and queries, through its public RPC on the same
 * transport as the point operations: TransactionService (CommitBatch for a
 * blind two-document write; GetDocuments that begins the transaction
 * (new_transaction) + Commit with the read set for a transfer, as the SDKs
 * do), QueryService and AdminService.CreateIndex; and
 * its change notifications (QueryService.Listen) for the listen phase.
 */
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import type { JsonObject } from "@bufbuild/protobuf";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { IndexField_Direction } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { Aggregation_Function, Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { DocumentChange_Type, QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { COLLECTION } from "../config.js";
import { BANK_COLLECTION, LISTEN_COLLECTION, ORDERS_COLLECTION, type ListenDriver, type OpenListener, type QueryDriver, type ReceivedChange, type TxDriver } from "./extensions.js";
import type { Document } from "./types.js";

/** Attempts a transfer makes before it gives up (each retry follows an ABORTED). */
export const TRANSFER_ATTEMPTS_MAX = 200;
/** Longest pause between attempts, milliseconds (random, doubling from 1 ms). */
const RETRY_PAUSE_MS_MAX = 64;
/** Documents per BatchGetDocuments / BatchWriteDocuments call (the API's maximum). */
const BATCH_DOCS_MAX = 500;

/** A google.protobuf.Value message (aggregation keys and results are not unboxed) as a plain number or string. */
const scalar = (v: { kind: { case: string | undefined; value?: unknown } } | undefined) => v?.kind.value as number | string | undefined;

export const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(RETRY_PAUSE_MS_MAX, 2 ** attempt)));

export function createImpossibleDbTx(transport: Transport): TxDriver {
  const tx = createClient(TransactionService, transport);
  const docs = createClient(CollectionService, transport);
  const ref = (collection: string, id: string) => ({ collection, id });
  const set = (collection: string, id: string, data: JsonObject) => ({ ref: ref(collection, id), operation: { case: "set" as const, value: data } });
  return {
    async commitPair([a, da], [b, db]) {
      await tx.commitBatch({ writes: [set(COLLECTION, a, da), set(COLLECTION, b, db)] });
    },
    async loadAccounts(ids, balance) {
      const { statuses } = await docs.batchWriteDocuments({ writes: ids.map((id) => set(BANK_COLLECTION, id, { balance })) });
      const failed = statuses.find((s) => s.code !== 0);
      if (failed !== undefined) throw new Error(`loading accounts: code ${failed.code}: ${failed.message}`);
    },
    transfer: (from, to, amount) => transferOnce(tx, from, to, amount, "first-read"),
    async audit(ids) {
      // One read-only transaction: one snapshot of every account, in reads of at most 500.
      // The first read begins it (new_transaction) and names its id.
      let transaction = "";
      let total = 0;
      for (let i = 0; i < ids.length; i += BATCH_DOCS_MAX) {
        const refs = ids.slice(i, i + BATCH_DOCS_MAX).map((id) => ref(BANK_COLLECTION, id));
        const res = await tx.getDocuments(transaction === "" ? { newTransaction: { readOnly: true }, refs } : { transaction, refs });
        transaction ||= res.transaction;
        for (const r of res.reads) total += Number((r.document?.data as JsonObject | undefined)?.["balance"]);
      }
      await tx.commit({ transaction });
      return { total, aborts: 0 };
    },
    async totalBalance(ids) {
      let total = 0;
      for (let i = 0; i < ids.length; i += BATCH_DOCS_MAX) {
        const { results } = await docs.batchGetDocuments({ refs: ids.slice(i, i + BATCH_DOCS_MAX).map((id) => ref(BANK_COLLECTION, id)) });
        for (const r of results) {
          if (!r.found) throw new Error(`account ${r.ref?.id} is missing`);
          total += Number((r.document?.data as JsonObject | undefined)?.["balance"]);
        }
      }
      return total;
    },
  };
}

/**
 * How a transfer begins its transaction: `first-read`, its GetDocuments
 * carries new_transaction (two round trips, as the SDKs do); `begin-call`,
 * a BeginTransaction call first (three round trips: the form before
 * new_transaction, kept as bench/tx.ts's baseline).
 */
export type TransferBegin = "first-read" | "begin-call";

/**
 * Moves `amount` between two bank accounts in one read-write transaction,
 * retrying after ABORTED as the SDK's runTransaction does: each retry names
 * the attempt before it (retry_of), so it keeps its first attempt's priority
 * and locks its reads. Returns the attempts that aborted.
 */
export async function transferOnce(tx: Client<typeof TransactionService>, from: string, to: string, amount: number, begin: TransferBegin): Promise<number> {
  const ref = (id: string) => ({ collection: BANK_COLLECTION, id });
  const set = (id: string, data: JsonObject) => ({ ref: ref(id), operation: { case: "set" as const, value: data } });
  let previous = "";
  for (let attempt = 0; attempt < TRANSFER_ATTEMPTS_MAX; attempt++) {
    let transaction = "";
    try {
      const refs = [ref(from), ref(to)];
      let res;
      if (begin === "begin-call") {
        transaction = (await tx.beginTransaction({ options: { retryOf: previous } })).transaction;
        previous = transaction;
        res = await tx.getDocuments({ transaction, refs });
      } else {
        res = await tx.getDocuments({ newTransaction: { retryOf: previous }, refs });
        transaction = res.transaction;
      }
      previous = transaction;
      const [a, b] = res.reads;
      if (a?.document === undefined || b?.document === undefined) throw new Error(`account ${from} or ${to} is missing`);
      const balanceOf = (d: typeof a) => Number((d.document?.data as JsonObject | undefined)?.["balance"]);
      await tx.commit({
        transaction,
        writes: [set(from, { balance: balanceOf(a) - amount }), set(to, { balance: balanceOf(b) + amount })],
        reads: [
          { ref: ref(from), version: a.version },
          { ref: ref(to), version: b.version },
        ],
      });
      return attempt;
    } catch (err) {
      if (!(err instanceof ConnectError && err.code === Code.Aborted)) throw err;
      // Releases the read locks a retry took, before the next attempt reads
      // (a read that began a transaction and failed left no id to name).
      if (transaction !== "") await tx.rollback({ transaction }).catch(() => undefined);
      await pause(attempt);
    }
  }
  throw new Error(`transfer ${from} -> ${to} aborted ${TRANSFER_ATTEMPTS_MAX} times`);
}

export function createImpossibleDbQuery(transport: Transport): QueryDriver {
  const docs = createClient(CollectionService, transport);
  const query = createClient(QueryService, transport);
  const admin = createClient(AdminService, transport);
  const top10Query = (indexed: boolean, status: string, minTotal: number) => {
    const [s, t] = indexed ? ["status", "total"] : ["ustatus", "utotal"];
    return {
      collection: ORDERS_COLLECTION,
      filter: `${s} = ${JSON.stringify(status)} AND ${t} >= ${minTotal}`,
      orderBy: [{ field: t, direction: Order_Direction.DESCENDING }],
      limit: 10,
    };
  };
  const countRequest = (status: string, explain: boolean) => ({
    query: { collection: ORDERS_COLLECTION, filter: `status = ${JSON.stringify(status)}` },
    aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }],
    explain,
  });
  const groupRequest = (explain: boolean) => ({
    query: { collection: ORDERS_COLLECTION },
    aggregations: [
      { alias: "n", function: Aggregation_Function.COUNT },
      { alias: "sum", function: Aggregation_Function.SUM, field: "total" },
    ],
    groupBy: ["region"],
    explain,
  });
  return {
    async load(entries) {
      const { statuses } = await docs.batchWriteDocuments({
        writes: entries.map(([id, d]) => ({ ref: { collection: ORDERS_COLLECTION, id }, operation: { case: "set" as const, value: { ...d } } })),
      });
      const failed = statuses.find((s) => s.code !== 0);
      if (failed !== undefined) throw new Error(`loading the query set: code ${failed.code}: ${failed.message}`);
    },
    async createIndex() {
      await admin.createIndex({
        index: {
          collection: ORDERS_COLLECTION,
          fields: [
            { field: "status", direction: IndexField_Direction.ASCENDING },
            { field: "total", direction: IndexField_Direction.ASCENDING },
          ],
        },
      });
    },
    async top10(indexed, status, minTotal) {
      const { documents } = await query.runQuery({ query: top10Query(indexed, status, minTotal), pageSize: 10 });
      const field = indexed ? "total" : "utotal";
      return documents.map((d) => [d.id, Number((d.data as JsonObject | undefined)?.[field])] as const);
    },
    async count(status) {
      const { groups } = await query.runAggregationQuery(countRequest(status, false));
      return Number(scalar(groups[0]?.results["n"]) ?? 0);
    },
    async groupBy() {
      const { groups } = await query.runAggregationQuery(groupRequest(false));
      return groups
        .map((g) => [String(scalar(g.key[0])), Number(scalar(g.results["n"])), Number(scalar(g.results["sum"]))] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    },
    async explain(which, status, minTotal) {
      const plan =
        which === "count"
          ? (await query.runAggregationQuery(countRequest(status, true))).plan
          : which === "group-by"
            ? (await query.runAggregationQuery(groupRequest(true))).plan
            : (await query.runQuery({ query: top10Query(which === "top10-indexed", status, minTotal), pageSize: 10, explain: true })).plan;
      const shards = plan?.shards ?? [];
      return {
        rowsRead: shards.reduce((sum, s) => sum + Number(s.rowsRead), 0),
        rowsReadPerShard: shards.map((s) => Number(s.rowsRead)),
        indexes: [...new Set(shards.map((s) => s.index || "(none)"))],
        sqlPlan: shards[0]?.sqlPlan ?? "",
      };
    },
  };
}

/** How long a new listener may take to send its snapshot and be current, ms. */
const LISTENER_CURRENT_TIMEOUT_MS = 60_000;

/**
 * ImpossibleDB's change notifications: SetDocument and GetDocument on
 * LISTEN_COLLECTION over `transport`, and QueryService.Listen on the whole
 * collection over `listenTransport`, whose agent must allow one socket per
 * open listener (each server stream holds an HTTP/1.1 connection).
 */
export function createImpossibleDbListen(transport: Transport, listenTransport: Transport): ListenDriver {
  const docs = createClient(CollectionService, transport);
  const listener = createClient(QueryService, listenTransport);
  const ref = (id: string) => ({ collection: LISTEN_COLLECTION, id });
  return {
    async write(id, data) {
      await docs.setDocument({ ref: ref(id), data });
    },
    async read(id) {
      await docs.getDocument({ ref: ref(id) });
    },
    open(onChanges) {
      const controller = new AbortController();
      let failure: unknown = null;
      let current = false;
      return new Promise<OpenListener>((resolve, reject) => {
        const timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`a listener was not current within ${LISTENER_CURRENT_TIMEOUT_MS} ms`));
        }, LISTENER_CURRENT_TIMEOUT_MS);
        const ended = (async () => {
          try {
            for await (const message of listener.listen({ target: { case: "query", value: { collection: LISTEN_COLLECTION } } }, { signal: controller.signal })) {
              const receivedMs = performance.now();
              if (!current) {
                // Everything up to and including the message marked current is the snapshot.
                if (!message.current) continue;
                current = true;
                clearTimeout(timer);
                resolve({ close, get failure() { return failure; } });
                continue;
              }
              const changes: ReceivedChange[] = [];
              for (const change of message.changes) {
                if (change.type === DocumentChange_Type.REMOVED || change.document === undefined) continue;
                changes.push({ id: change.document.id, data: (change.document.data ?? {}) as Document });
              }
              if (changes.length > 0) onChanges(changes, receivedMs);
            }
            if (!controller.signal.aborted) failure = new Error("a listener's stream ended without being cancelled");
          } catch (err) {
            if (!controller.signal.aborted) failure = err;
            if (!current) {
              clearTimeout(timer);
              reject(err);
            }
          }
        })();
        async function close() {
          controller.abort();
          await ended;
        }
      });
    },
  };
}

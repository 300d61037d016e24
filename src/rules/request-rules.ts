/**
 * The rules of one RPC, as services apply them: the caller (caller.ts), the
 * database's compiled rules (rules-cache.ts), and the form each path needs:
 * a per-document check for point reads in the Worker, a ShardReadRule for
 * queries and listings, a ShardWriteGuard for writes checked in the shard.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { envOf } from "../server/context.js";
import { ruleCallerOf } from "./caller.js";
import { shardReadRule, type ShardReadRule } from "./read-rule.js";
import { currentRules } from "./rules-cache.js";
import type { ShardWriteGuard } from "./write-guard.js";

/** True when the caller may read `doc`. */
export type ReadCheck = (doc: { collection: string; id: string; data: JsonObject }) => boolean;

const READ_ALL: ReadCheck = () => true;

/**
 * The check of point reads (GetDocument, BatchGetDocuments, a transaction's
 * reads): a document the caller may not read is answered as missing.
 */
export async function pointReadCheck(ctx: HandlerContext): Promise<ReadCheck> {
  const caller = ruleCallerOf(ctx);
  if (caller === null) return READ_ALL;
  const rules = await currentRules(envOf(ctx));
  if (rules.size === 0) return READ_ALL;
  const request = { auth: caller.auth, method: "get" as const };
  return (doc) => {
    const rule = rules.get(doc.collection)?.read ?? null;
    return rule === null || rule.allows({ request, resource: { id: doc.id, data: doc.data } });
  };
}

/**
 * Refuses ListCollections to a caller bound by read rules: its answer names
 * every collection with a count of all its documents, which would tell the
 * caller about documents the rules hide. PERMISSION_DENIED, naming the way
 * out (an admin key, or a query per collection, which the rules filter).
 */
export async function assertMayListCollections(ctx: HandlerContext): Promise<void> {
  const caller = ruleCallerOf(ctx);
  if (caller === null) return;
  const rules = await currentRules(envOf(ctx));
  for (const collection of rules.keys()) {
    if (rules.get(collection)?.read != null) {
      throw new ConnectError(
        "ListCollections counts every document of every collection, and this database has read rules that hide some from you; ask an admin of the database, or query the collections you know (queries return what the rules let you read)",
        Code.PermissionDenied,
      );
    }
  }
}

/**
 * Refuses DeleteCollection to a caller any rule of `collection` binds.
 * Deleting a collection whole would pass by its write rule document by
 * document, and would delete (and count, in its answer) documents its read
 * rule hides, telling the caller about them; the same reason ListCollections
 * is refused. PERMISSION_DENIED, naming the rule and the way out; the
 * refusal depends only on the rules and the caller, never on the documents.
 */
export async function assertMayDeleteCollection(ctx: HandlerContext, collection: string): Promise<void> {
  const caller = ruleCallerOf(ctx);
  if (caller === null) return;
  const rules = (await currentRules(envOf(ctx))).get(collection);
  const bound = [rules?.read != null ? "read" : null, rules?.write != null ? "write" : null].filter((k) => k !== null);
  if (bound.length === 0) return;
  throw new ConnectError(
    `collection ${collection} has a ${bound.join(" and a ")} rule that ${bound.length === 1 ? "binds" : "bind"} you: DeleteCollection would delete, and count, documents the rules keep from you; only an admin of the database may delete it whole (or delete the documents you may write one by one)`,
    Code.PermissionDenied,
  );
}

/** The read rule a query or listing of `collection` carries to its shards, or null. */
export async function queryReadRule(ctx: HandlerContext, collection: string): Promise<ShardReadRule | null> {
  const caller = ruleCallerOf(ctx);
  if (caller === null) return null;
  const rule = (await currentRules(envOf(ctx))).get(collection)?.read ?? null;
  return rule === null ? null : shardReadRule(rule, caller.auth, "list");
}

/**
 * The rules a batch of writes to `writeCollections` carries to its shards,
 * with the read rules of `readCollections` (a transaction's validated
 * reads) and of `writeCollections` (an update, a delete or a precondition
 * must reach a document the caller may read: write-guard.ts), or null when
 * none applies.
 */
export async function writeGuardOf(ctx: HandlerContext, writeCollections: Iterable<string>, readCollections: Iterable<string> = []): Promise<ShardWriteGuard | null> {
  const caller = ruleCallerOf(ctx);
  if (caller === null) return null;
  const rules = await currentRules(envOf(ctx));
  const pick = (collections: Iterable<string>, kind: "read" | "write") => {
    const picked = new Map<string, string>();
    for (const collection of collections) {
      const rule = rules.get(collection)?.[kind] ?? null;
      if (rule !== null) picked.set(collection, rule.source);
    }
    return [...picked].map(([collection, source]) => ({ collection, source }));
  };
  const writeList = [...writeCollections];
  const writes = pick(writeList, "write");
  const reads = pick(readCollections, "read");
  const writeReads = pick(writeList, "read");
  if (writes.length === 0 && reads.length === 0 && writeReads.length === 0) return null;
  return { rules: writes, readRules: reads, writeReadRules: writeReads, authJson: JSON.stringify(caller.auth) };
}

/**
 * The check of a transaction's reads (GetDocuments): unlike a plain get, a
 * refused read fails the call with PERMISSION_DENIED, for a missing
 * document too when the rule refuses `resource == null`; the answer never
 * says whether the document exists. (Answering "missing" would not do: the
 * commit validates each read's version, and would reveal the document.)
 */
export async function transactionReadCheck(ctx: HandlerContext): Promise<(ref: { collection: string; id: string }, doc: { data: JsonObject } | null) => boolean> {
  const caller = ruleCallerOf(ctx);
  if (caller === null) return () => true;
  const rules = await currentRules(envOf(ctx));
  const request = { auth: caller.auth, method: "get" as const };
  return (ref, doc) => {
    const rule = rules.get(ref.collection)?.read ?? null;
    return rule === null || rule.allows({ request, resource: doc === null ? null : { id: ref.id, data: doc.data } });
  };
}

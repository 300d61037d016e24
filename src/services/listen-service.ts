/**
 * QueryService.Listen: checks the request, resolves a resume token, runs
 * the listener of src/watch/listen.ts against the real shards and turns its
 * messages into ListenResponse.
 *
 * Resume tokens are signed like page tokens (pagination/page-token.ts) and
 * scoped to the listener's target, so a token only resumes the listener
 * that issued it. A token holds the routing version and one change-log
 * position per shard the target reads.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { DocumentChange_Type, DocumentChangeSchema, type DocumentChange, type ListenRequest, type ListenResponse } from "../../gen/impossibledb/v1/query_service_pb.js";
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { decodePageToken, encodePageToken, RESUME_TOKEN } from "../pagination/page-token.js";
import { querySpecFrom } from "../query/query-spec.js";
import { queryReadRule } from "../rules/request-rules.js";
import { envOf } from "../server/context.js";
import { currentRouting } from "../shards/routing-cache.js";
import { movedEpochOf, movedMessage } from "../routing/shard-epoch.js";
import { readFromShard } from "../shards/shard-client.js";
import { untilUnblocked } from "../sync/intent-resolver.js";
import { listen, targetShards, type ListenShards } from "../watch/listen.js";
import { FILTER_SEMANTICS_VERSION } from "../query/expression.js";
import { reauthorizeKey } from "../auth/principal.js";
import { AUTH_CACHE_TTL_MS } from "../auth/limits.js";
import type { ListenTarget, ViewChange } from "../watch/listen-view.js";
import { refFrom, toDocument } from "./convert.js";
import { DocumentSchema, type Document } from "../../gen/impossibledb/v1/document_pb.js";
import { listenMessageRuns } from "./listen-messages.js";
import { encodedBytes } from "./response-budget.js";
import type { StoredDocument } from "../storage/types.js";
import { pageTokenKey } from "./list-documents.js";
import { scopeOf } from "../databases/database-env.js";
import { databaseKey } from "../databases/names.js";

/** The shards of the current routing table, as a listener reaches them. */
export async function routedListenShards(env: Env): Promise<ListenShards> {
  const { router, table } = await currentRouting(env);
  return {
    // Changes decoded once per isolate are keyed by it: never shared across databases.
    scope: databaseKey(scopeOf(env)),
    shards: table.shards,
    routingVersion: table.version,
    shardFor: (collection, id) => router.shardFor(collection, id),
    head: (shard) => readFromShard(env, shard, (s) => s.changeHead(table.version)),
    snapshot: (shard, req) => untilUnblocked(env, shard, () => readFromShard(env, shard, (s) => s.listenSnapshot(req, table.version))),
    window: (shard, collection, afterSeq, throughSeq) => readFromShard(env, shard, (s) => s.changesWindow(collection, afterSeq, throughSeq, table.version)),
    changes: (shard, collection, id, afterSeq, waitMs) => readFromShard(env, shard, (s) => s.changes(collection, id, afterSeq, waitMs, table.version)),
  };
}

/** The validated target of a Listen request, with the fields to return (null for all). */
export function listenTargetFrom(req: ListenRequest): { target: ListenTarget; select: ReadonlyArray<readonly string[]> | null } {
  switch (req.target.case) {
    case "document": {
      const ref = refFrom(req.target.value, "document");
      return { target: { kind: "document", collection: ref.collection, id: ref.id }, select: null };
    }
    case "query": {
      if (req.target.value.search !== undefined) throw new FailureError("invalid_argument", "query.search is not supported by Listen; use RunQuery or StreamQuery");
      const spec = querySpecFrom(req.target.value);
      if (spec.offset !== 0) throw new FailureError("invalid_argument", "query.offset is not supported by Listen; use a limit");
      return {
        target: { kind: "query", collection: spec.collection, filter: spec.filter, order: spec.order, limit: spec.limit },
        select: spec.select,
      };
    }
    default:
      throw new FailureError("invalid_argument", "a document or a query is required");
  }
}

/** The scope of a target's resume tokens: a digest of the target. */
export async function tokenScope(target: ListenTarget): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(target))));
  return `listen:${[...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

interface TokenPayload {
  /** Routing version. */
  readonly r: number;
  /** Shard -> position. */
  readonly p: Record<string, number>;
  /** The filter semantics the listener's result was computed under (FILTER_SEMANTICS_VERSION; absent before version 2). */
  readonly f?: number;
}

async function decodeResumeToken(env: Env, scope: string, token: string, routingVersion: number): Promise<Map<string, number>> {
  // Refusals in the token's own words: invalid, another listener's, or
  // made in another database (or an earlier one of this name), as page tokens say.
  const decoded = await decodePageToken(pageTokenKey(env), scope, token, RESUME_TOKEN);
  if (!decoded.ok) throw new FailureError(decoded.kind, decoded.message);
  const payload = decoded.payload as Partial<TokenPayload>;
  if (typeof payload.r !== "number" || typeof payload.p !== "object" || payload.p === null) {
    throw new FailureError("invalid_argument", "resume_token is invalid");
  }
  // The client's view was computed under other matching rules: continuing would never remove a document
  // that no longer matches (a null field under `!=`). A fresh snapshot does; the SDKs take it by themselves.
  if ((payload.f ?? 1) !== FILTER_SEMANTICS_VERSION) {
    throw new FailureError("out_of_range", "resume_token was issued under earlier filter semantics (!= and NOT_IN now leave out null, as Firestore's do); listen again without it");
  }
  // A token from a newer table than this Worker's copy: the routing retry
  // (server/routing-retry.ts) fetches that table and runs the call again.
  if (payload.r > routingVersion) throw new Error(movedMessage(payload.r));
  if (payload.r !== routingVersion) {
    throw new FailureError("out_of_range", "resume_token was issued under another routing table (the database was resharded); listen again without it");
  }
  const positions = new Map<string, number>();
  for (const [shard, position] of Object.entries(payload.p)) {
    if (!Number.isSafeInteger(position) || (position as number) < 0) throw new FailureError("invalid_argument", "resume_token is invalid");
    positions.set(shard, position as number);
  }
  return positions;
}

/** The most resume tokens kept signed per isolate (listeners of one target at one point share one). */
const SIGNED_TOKENS_MAX = 1024;
const signedTokens = new Map<string, string>();

/**
 * Signs a resume token, once per target and positions (an HMAC per message
 * per listener was a measured cost with many listeners). Only finished
 * strings are kept: a Worker may not await a promise another request made.
 */
async function signResumeToken(env: Env, scope: string, payload: TokenPayload): Promise<string> {
  // The same target at the same positions in another database is another
  // token (signed with that database's key).
  const key = `${databaseKey(scopeOf(env))}|${scope}|${payload.r}|${JSON.stringify(payload.p)}`;
  const known = signedTokens.get(key);
  if (known !== undefined) return known;
  const token = await encodePageToken(pageTokenKey(env), scope, payload);
  if (signedTokens.size >= SIGNED_TOKENS_MAX) signedTokens.delete(signedTokens.keys().next().value!);
  signedTokens.set(key, token);
  return token;
}

/** Wire documents by stored document, for listeners that return whole documents: converted once however many listeners send it. */
const wireDocuments = new WeakMap<StoredDocument, Document>();

function wireOf(doc: StoredDocument, select: ReadonlyArray<readonly string[]> | null): Document {
  if (select !== null) return toDocument(doc, select);
  let wire = wireDocuments.get(doc);
  if (wire === undefined) wireDocuments.set(doc, (wire = toDocument(doc)));
  return wire;
}

/** Encoded sizes of wire documents, measured once however many listeners send them. */
const wireBytes = new WeakMap<Document, number>();

/** A change's binary protobuf size in bytes (its document's, measured once, plus the change's own fields). */
function changeBytes(change: DocumentChange): number {
  const doc = change.document!;
  let bytes = wireBytes.get(doc);
  if (bytes === undefined) wireBytes.set(doc, (bytes = encodedBytes(DocumentSchema, doc)));
  // Type, the transaction id and the framing of both fields and of the change in its list.
  return bytes + change.transactionId.length + 32;
}

const TYPES: Record<ViewChange["type"], DocumentChange_Type> = {
  added: DocumentChange_Type.ADDED,
  modified: DocumentChange_Type.MODIFIED,
  removed: DocumentChange_Type.REMOVED,
};

/** Runs Listen for one request. */
export async function* runListen(req: ListenRequest, ctx: HandlerContext): AsyncGenerator<ListenResponse> {
  const env = envOf(ctx);
  const parsed = listenTargetFrom(req);
  const select = parsed.select;
  // Resume tokens are scoped to the target without the rule: a listener resumes under the rules of its new start.
  const scope = await tokenScope(parsed.target);
  const target: ListenTarget = { ...parsed.target, rule: await queryReadRule(ctx, parsed.target.collection) };
  const shards = await routedListenShards(env);
  const resume = req.resumeToken === "" ? null : await decodeResumeToken(env, scope, req.resumeToken, shards.routingVersion);
  const watched = new Set(targetShards(shards, target));
  // A stream lives as long as its client: its credential is checked again
  // every AUTH_CACHE_TTL_MS between messages, so a revoked or expired key
  // does not keep a stream it opened (the stream ends UNAUTHENTICATED).
  const reauthorize = ctx.values.get(reauthorizeKey);
  let checkedAtMs = Date.now();
  let sent = false;
  try {
    for await (const message of listen(shards, target, resume, { signal: ctx.signal })) {
      if (reauthorize !== undefined && Date.now() - checkedAtMs >= AUTH_CACHE_TTL_MS) {
        await reauthorize();
        checkedAtMs = Date.now();
      }
      let resumeToken = "";
      if (message.positions !== null) {
        const p: Record<string, number> = {};
        for (const [shard, position] of message.positions) if (watched.has(shard)) p[shard] = position;
        resumeToken = await signResumeToken(env, scope, { r: shards.routingVersion, p, f: FILTER_SEMANTICS_VERSION });
      }
      const changes = message.changes.map((c) =>
        create(DocumentChangeSchema, { type: TYPES[c.type], document: wireOf(c.document, select), transactionId: c.txId ?? "" }),
      );
      // Past RESPONSE_BYTES_MAX the changes go in several messages, the token and flag on the last (listen-messages.ts).
      const runs = listenMessageRuns(changes, changeBytes);
      for (const [i, run] of runs.entries()) {
        const last = i === runs.length - 1;
        yield { $typeName: "impossibledb.v1.ListenResponse", changes: run, current: last && message.current, resumeToken: last ? resumeToken : "" };
      }
      sent = true;
    }
    // The listen loop ends when the call's signal does: the client went
    // away, or the call's deadline (Connect-Timeout-Ms, grpc-timeout)
    // passed. The stream must then end with that reason, never as if it
    // had finished (OK): a listener never ends on its own.
    if (ctx.signal.aborted) throw ConnectError.from(ctx.signal.reason, Code.Canceled);
  } catch (err) {
    // The database was resharded under an open stream: its positions name
    // the old table's shards, so it cannot go on. OUT_OF_RANGE tells the
    // client to listen again from a fresh snapshot (the SDKs do, and show
    // only the difference). Before anything was sent the routing retry
    // (server/routing-retry.ts) runs the call again instead.
    if (sent && movedEpochOf(err) !== null) {
      throw new FailureError("out_of_range", "the database was resharded while this stream was open; listen again without a resume_token");
    }
    throw err;
  }
}

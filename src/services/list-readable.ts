/**
 * ListDocuments for a caller bound by the collection's read rule: the
 * listing runs as a query in id order through the query engine, so the
 * rule is pushed into each shard's SQL (or evaluated there per document)
 * and a page holds only documents the caller may read, as full as any
 * other page. Page tokens are those of listings (the last id), so a walk
 * may continue across a change of rules.
 */
import { DocumentSchema, type Document } from "../../gen/impossibledb/v1/document_pb.js";
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { PAGE_SIZE_MAX, RESPONSE_BYTES_MAX } from "../limits.js";
import { decodePageToken, encodePageToken } from "../pagination/page-token.js";
import { runQueryPage, type QuerySpec } from "../query/executor.js";
import { MATCH_ALL } from "../query/expression.js";
import type { ShardReadRule } from "../rules/read-rule.js";
import type { StoredDocument } from "../storage/types.js";
import { toDocument } from "./convert.js";
import { pageTokenKey, type ListPage } from "./list-documents.js";
import { routedQueryShards } from "./query-shards.js";
import type { Deadline } from "../query/fan-out.js";
import { encodedBytes } from "./response-budget.js";

/** One page of `collection` holding only what `rule` allows, continuing from `pageToken`. */
export async function listReadablePage(env: Env, collection: string, pageSize: number, pageToken: string, mask: ReadonlyArray<readonly string[]> | null, rule: ShardReadRule, deadline: Deadline): Promise<ListPage> {
  if (pageSize < 1 || pageSize > PAGE_SIZE_MAX) throw new FailureError("invalid_argument", `page_size must be 1 to ${PAGE_SIZE_MAX}`);
  const scope = `list:${collection}`;
  let afterId: string | null = null;
  if (pageToken !== "") {
    const decoded = await decodePageToken(pageTokenKey(env), scope, pageToken);
    if (!decoded.ok) throw new FailureError(decoded.kind, decoded.message);
    if (typeof decoded.payload !== "string") throw new FailureError("invalid_argument", "page_token is invalid");
    afterId = decoded.payload;
  }
  const spec: QuerySpec = { collection, filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null, rule };
  const wire = new Map<StoredDocument, Document>();
  const wireOf = (d: StoredDocument): Document => {
    let doc = wire.get(d);
    if (doc === undefined) wire.set(d, (doc = toDocument(d, mask)));
    return doc;
  };
  const state = afterId === null ? null : { after: { keys: [], id: afterId }, returned: 0 };
  const page = await runQueryPage(await routedQueryShards(env), spec, pageSize, state, {
    deadline,
    explain: false,
    pageBytes: { max: RESPONSE_BYTES_MAX, sizeOf: (d) => encodedBytes(DocumentSchema, wireOf(d)) },
  });
  const nextPageToken = page.next === null ? "" : await encodePageToken(pageTokenKey(env), scope, page.next.after.id);
  return { documents: page.documents.map(wireOf), nextPageToken };
}

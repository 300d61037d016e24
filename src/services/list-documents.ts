/**
 * Listing a collection across shards in id order: each shard returns its
 * next ids after the cursor, and the Worker merges them and keeps the first
 * page. The page token carries the last id returned, so a walk returns every
 * document that exists throughout it exactly once, even while others are
 * added or removed.
 *
 * A shard's reply ends at SHARD_REPLY_BYTES_MAX, so it may hold fewer ids
 * than asked while it has more; the merged page then stops at the smallest
 * last id among such shards (ids past it may be missing from the merge).
 * The page also stops when its encoded documents reach RESPONSE_BYTES_MAX,
 * so it fits a default gRPC client.
 */
import type { Document } from "../../gen/impossibledb/v1/document_pb.js";
import { DocumentSchema } from "../../gen/impossibledb/v1/document_pb.js";
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { PAGE_SIZE_MAX } from "../limits.js";
import { tokenKey } from "../databases/database-env.js";
import { decodePageToken, encodePageToken } from "../pagination/page-token.js";
import { currentRouting } from "../shards/routing-cache.js";
import { readFromShard } from "../shards/shard-client.js";
import type { StoredDocument } from "../storage/types.js";
import { untilUnblocked } from "../sync/intent-resolver.js";
import { mergeShardPages } from "../pagination/merge-shard-pages.js";
import { toDocument } from "./convert.js";
import { createResponseBudget, encodedBytes } from "./response-budget.js";

/** One merged page, in the wire's form. */
export interface ListPage {
  readonly documents: Document[];
  readonly nextPageToken: string;
}

/** The key page tokens (and transaction ids) of `env`'s database are signed with; see `tokenKey`. */
export function pageTokenKey(env: Env): string {
  return tokenKey(env);
}

/**
 * Lists one page of `collection`, continuing from `pageToken` when given,
 * each document projected to `mask` when given.
 */
export async function listPage(env: Env, collection: string, pageSize: number, pageToken: string, mask: ReadonlyArray<readonly string[]> | null = null): Promise<ListPage> {
  if (pageSize < 1 || pageSize > PAGE_SIZE_MAX) throw new FailureError("invalid_argument", `page_size must be 1 to ${PAGE_SIZE_MAX}`);
  const scope = `list:${collection}`;
  let afterId: string | null = null;
  if (pageToken !== "") {
    const decoded = await decodePageToken(pageTokenKey(env), scope, pageToken);
    if (!decoded.ok) throw new FailureError(decoded.kind, decoded.message);
    if (typeof decoded.payload !== "string") throw new FailureError("invalid_argument", "page_token is invalid");
    afterId = decoded.payload;
  }
  const { router, table } = await currentRouting(env);
  const pages = await Promise.all(
    router.allShards().map(async (shard) => {
      const page = await untilUnblocked(env, shard, () => readFromShard(env, shard, (s) => s.list(collection, afterId, pageSize, table.version)));
      if (!page.ok) throw new Error("invariant broken: a list fails only when blocked");
      return page;
    }),
  );
  const merged = mergeShardPages(pages, pageSize);
  const budget = createResponseBudget();
  const documents: Document[] = [];
  let last: StoredDocument | undefined;
  for (const doc of merged.documents) {
    const wire = toDocument(doc, mask);
    if (!budget.tryTake(encodedBytes(DocumentSchema, wire))) break;
    documents.push(wire);
    last = doc;
  }
  const more = merged.more || documents.length < merged.documents.length;
  const nextPageToken = more && last !== undefined ? await encodePageToken(pageTokenKey(env), scope, last.id) : "";
  return { documents, nextPageToken };
}

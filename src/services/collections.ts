/**
 * Whole collections behind CollectionService: listing them across shards
 * with their document counts, and deleting one in bounded steps.
 */
import { create } from "@bufbuild/protobuf";
import { CollectionInfoSchema, type CollectionInfo } from "../../gen/impossibledb/v1/collection_service_pb.js";
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import {
  COLLECTIONS_PAGE_SIZE_DEFAULT,
  COLLECTIONS_PAGE_SIZE_MAX,
  DELETE_COLLECTION_BATCH_SIZE_DEFAULT,
  DELETE_COLLECTION_BATCH_SIZE_MAX,
} from "../limits.js";
import { decodePageToken, encodePageToken } from "../pagination/page-token.js";
import { mergeCollectionPages } from "../pagination/merge-collections.js";
import { currentRouting } from "../shards/routing-cache.js";
import { readFromShard, writeToShard } from "../shards/shard-client.js";
import { untilUnblocked } from "../sync/intent-resolver.js";
import { pageTokenKey } from "./list-documents.js";

/** The scope page tokens of ListCollections are signed for. */
const COLLECTIONS_TOKEN_SCOPE = "collections";

/** One page of collections, in the wire's form. */
export interface CollectionsPage {
  readonly collections: CollectionInfo[];
  readonly nextPageToken: string;
}

/** Lists one page of the collections that hold documents, with summed counts. */
export async function listCollectionsPage(env: Env, pageSize: number, pageToken: string): Promise<CollectionsPage> {
  const size = pageSize === 0 ? COLLECTIONS_PAGE_SIZE_DEFAULT : pageSize;
  if (!Number.isInteger(size) || size < 1 || size > COLLECTIONS_PAGE_SIZE_MAX) {
    throw new FailureError("invalid_argument", `page_size must be 0 to ${COLLECTIONS_PAGE_SIZE_MAX}`);
  }
  let afterName: string | null = null;
  if (pageToken !== "") {
    const decoded = await decodePageToken(pageTokenKey(env), COLLECTIONS_TOKEN_SCOPE, pageToken);
    if (!decoded.ok) throw new FailureError(decoded.kind, decoded.message);
    if (typeof decoded.payload !== "string") throw new FailureError("invalid_argument", "page_token is invalid");
    afterName = decoded.payload;
  }
  const { table } = await currentRouting(env);
  // A shard holding write intents in the page's range answers Blocked: the
  // transactions are settled (applied or aborted) and the page asked again.
  const pages = await Promise.all(table.shards.map((shard) => untilUnblocked(env, shard, () => readFromShard(env, shard, (s) => s.collections(afterName, size, table.version)))));
  const merged = mergeCollectionPages(pages, size);
  const last = merged.collections[merged.collections.length - 1];
  const nextPageToken = merged.more && last !== undefined ? await encodePageToken(pageTokenKey(env), COLLECTIONS_TOKEN_SCOPE, last.name) : "";
  return {
    collections: merged.collections.map((c) => create(CollectionInfoSchema, { name: c.name, approximateDocumentCount: BigInt(c.documentCount) })),
    nextPageToken,
  };
}

/** The progress of one DeleteCollection step. */
export interface DeleteStepResult {
  readonly deletedCount: bigint;
  readonly done: boolean;
}

/**
 * Deletes up to `batchSize` documents of `collection` on every shard, in
 * parallel; done when no shard has any left. A shard blocked by
 * transaction locks settles them first, as a write does.
 */
export async function deleteCollectionStep(env: Env, collection: string, batchSize: number): Promise<DeleteStepResult> {
  const size = batchSize === 0 ? DELETE_COLLECTION_BATCH_SIZE_DEFAULT : batchSize;
  if (!Number.isInteger(size) || size < 1 || size > DELETE_COLLECTION_BATCH_SIZE_MAX) {
    throw new FailureError("invalid_argument", `batch_size must be 0 to ${DELETE_COLLECTION_BATCH_SIZE_MAX}`);
  }
  const { table } = await currentRouting(env);
  const steps = await Promise.all(
    table.shards.map((shard) => untilUnblocked(env, shard, () => writeToShard(env, shard, (s) => s.deleteCollection(collection, size, table.version)))),
  );
  const deleted = steps.reduce((sum, s) => sum + s.deleted, 0);
  return { deletedCount: BigInt(deleted), done: steps.every((s) => !s.more) };
}

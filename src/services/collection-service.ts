/**
 * CollectionService: single-document reads and writes, batches, and listing.
 * Each call routes documents to shards with the cached routing table and
 * talks to the shards over Workers RPC. Answers that carry many documents
 * stay within RESPONSE_BYTES_MAX (response-budget.ts): batch gets answer a
 * prefix and name the unread refs, lists end pages early, and batch writes
 * echo documents only when asked.
 */
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  BatchGetResultSchema,
  type CollectionService,
} from "../../gen/impossibledb/v1/collection_service_pb.js";
import { WriteResultSchema, WriteStatusSchema, type WriteResult, type WriteStatus } from "../../gen/impossibledb/v1/document_pb.js";
import { Code } from "@connectrpc/connect";
import type { Env } from "../env.js";
import { FailureError, codeOf } from "../errors.js";
import { PAGE_SIZE_DEFAULT, RESPONSE_BYTES_MAX, ROUTING_MOVED_RETRIES_MAX, SHARD_REPLY_BYTES_MAX } from "../limits.js";
import { envOf } from "../server/context.js";
import { awaitRouting, currentRouting } from "../shards/routing-cache.js";
import { movedEpochOf } from "../routing/shard-epoch.js";
import type { ShardRouter } from "../routing/router.js";
import { readFromShard, writeToShard } from "../shards/shard-client.js";
import type { AppliedWrite, ShardWrite, ShardWriteOutcome, StoredDocument } from "../storage/types.js";
import { untilUnblocked } from "../sync/intent-resolver.js";
import { collectionFrom, dataOrFields, patchDataOrFields, maskFrom, preconditionFrom, refFrom, shardWritesFrom, toDocument, transformResultsOf, transformsFrom, withTransforms } from "./convert.js";
import type { FieldTransformSpec } from "../storage/transforms.js";
import { createWithAutoId } from "../ids/create-with-auto-id.js";
import { deleteCollectionStep, listCollectionsPage } from "./collections.js";
import { listPage } from "./list-documents.js";
import { createResponseBudget, encodedBytes, fittingPrefix } from "./response-budget.js";
import { batchGetResultBytesMax } from "./wire-bound.js";
import { assertMayDeleteCollection, assertMayListCollections, pointReadCheck, queryReadRule, writeGuardOf } from "../rules/request-rules.js";
import type { ShardWriteGuard } from "../rules/write-guard.js";
import { listReadablePage } from "./list-readable.js";
import { queryDeadline } from "./query-shards.js";

/** Creates the CollectionService implementation. */
export function createCollectionService(): ServiceImpl<typeof CollectionService> {
  return {
    async getDocument(req, ctx) {
      const env = envOf(ctx);
      const ref = refFrom(req.ref, "ref");
      const mask = maskFrom(req.mask, "mask");
      const { router } = await currentRouting(env);
      const [doc] = await readDocs(env, router.shardFor(ref.collection, ref.id), [ref]);
      // A document the caller's read rule refuses is answered as a missing one.
      if (doc === undefined || doc === null || !(await pointReadCheck(ctx))(doc)) throw new FailureError("not_found", `document ${ref.collection}/${ref.id} does not exist`);
      return { document: toDocument(doc, mask) };
    },

    async batchGetDocuments(req, ctx) {
      const env = envOf(ctx);
      const refs = req.refs.map((r, i) => refFrom(r, `refs[${i}]`));
      const mask = maskFrom(req.mask, "mask");
      const readable = await pointReadCheck(ctx);
      const stored = (await readMany(env, refs, { bounded: true })).map((doc) => (doc !== null && readable(doc) ? doc : null));
      const results = fittingPrefix(stored, BatchGetResultSchema, (doc, i) => {
        const document = doc === null ? undefined : toDocument(doc, mask);
        return create(BatchGetResultSchema, { ref: { collection: refs[i]!.collection, id: refs[i]!.id }, document, found: document !== undefined });
      }, RESPONSE_BYTES_MAX, batchGetResultBytesMax);
      return { results, unreadRefs: refs.slice(results.length).map((r) => ({ collection: r.collection, id: r.id })) };
    },

    async listDocuments(req, ctx) {
      const env = envOf(ctx);
      const collection = collectionFrom(req.collection);
      const mask = maskFrom(req.mask, "mask");
      const rule = await queryReadRule(ctx, collection);
      if (rule !== null) return listReadablePage(env, collection, req.pageSize || PAGE_SIZE_DEFAULT, req.pageToken, mask, rule, queryDeadline(ctx));
      return listPage(env, collection, req.pageSize || PAGE_SIZE_DEFAULT, req.pageToken, mask);
    },

    async createDocument(req, ctx) {
      const ref = refFrom(req.ref, "ref");
      const { data } = dataOrFields(req.data, req.fields);
      const write: ShardWrite = withTransforms({ op: "create", ...ref, data }, transformsFrom(req.transforms, "transforms"), "transforms");
      const applied = await writeOne(envOf(ctx), write, await writeGuardOf(ctx, [ref.collection]));
      return { document: toDocument(applied.document!), ...transformResultsOf(applied.document!.data, write.transforms) };
    },

    async setDocument(req, ctx) {
      const ref = refFrom(req.ref, "ref");
      const { data } = dataOrFields(req.data, req.fields);
      const write: ShardWrite = withTransforms({ op: "set", ...ref, data, precondition: preconditionFrom(req.precondition, "precondition") }, transformsFrom(req.transforms, "transforms"), "transforms");
      const applied = await writeOne(envOf(ctx), write, await writeGuardOf(ctx, [ref.collection]));
      return { document: toDocument(applied.document!), ...transformResultsOf(applied.document!.data, write.transforms) };
    },

    async updateDocument(req, ctx) {
      const ref = refFrom(req.ref, "ref");
      if (req.patch === undefined) throw new FailureError("invalid_argument", "patch is required");
      const { data } = patchDataOrFields(req.patch.data, req.patch.fields, "patch.");
      const mask = maskFrom(req.patch.updateMask, "patch.update_mask");
      const write: ShardWrite = withTransforms({ op: "update", ...ref, data, mask, precondition: preconditionFrom(req.precondition, "precondition") }, transformsFrom(req.transforms, "transforms"), "transforms");
      const applied = await writeOne(envOf(ctx), write, await writeGuardOf(ctx, [ref.collection]));
      return { document: toDocument(applied.document!), ...transformResultsOf(applied.document!.data, write.transforms) };
    },

    async deleteDocument(req, ctx) {
      const ref = refFrom(req.ref, "ref");
      const applied = await writeOne(envOf(ctx), { op: "delete", ...ref, precondition: preconditionFrom(req.precondition, "precondition") }, await writeGuardOf(ctx, [ref.collection]));
      return { deleted: applied.existed };
    },

    async batchWriteDocuments(req, ctx: HandlerContext) {
      const writes = shardWritesFrom(req.writes, "writes");
      return batchWrite(envOf(ctx), writes, req.returnDocuments, await writeGuardOf(ctx, new Set(writes.map((w) => w.collection))));
    },

    async addDocument(req, ctx) {
      const env = envOf(ctx);
      const collection = collectionFrom(req.collection);
      const { data } = dataOrFields(req.data, req.fields);
      const { router } = await currentRouting(env);
      const guard = await writeGuardOf(ctx, [collection]);
      const doc = await createWithAutoId((id) => writeShard(env, router.shardFor(collection, id), [{ op: "create", collection, id, data }], guard));
      return { document: toDocument(doc) };
    },

    async listCollections(req, ctx) {
      await assertMayListCollections(ctx);
      return listCollectionsPage(envOf(ctx), req.pageSize, req.pageToken);
    },

    async deleteCollection(req, ctx) {
      const collection = collectionFrom(req.collection);
      // Whole, it would pass by the write rule and delete (and count) documents the read rule hides.
      await assertMayDeleteCollection(ctx, collection);
      return deleteCollectionStep(envOf(ctx), collection, req.batchSize);
    },
  };
}

function groupByShard(items: ReadonlyArray<{ index: number; shard: string }>): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const { index, shard } of items) {
    const group = groups.get(shard);
    if (group === undefined) groups.set(shard, [index]);
    else group.push(index);
  }
  return groups;
}

/**
 * Reads documents wherever they live, one call per shard in parallel; null
 * for each missing one, in request order. With `bounded`, each shard stops
 * after its share of RESPONSE_BYTES_MAX (at least SHARD_REPLY_BYTES_MAX),
 * so a batch of large documents never loads whole; the answer is then the
 * longest prefix of `refs` that was read (at least one ref).
 */
export async function readMany(env: Env, refs: ReadonlyArray<{ collection: string; id: string }>, options: { bounded?: boolean } = {}): Promise<Array<StoredDocument | null>> {
  const { router } = await currentRouting(env);
  const byShard = groupByShard(refs.map((ref, index) => ({ index, shard: router.shardFor(ref.collection, ref.id) })));
  const shardBytesMax = options.bounded === true ? Math.max(SHARD_REPLY_BYTES_MAX, Math.ceil(RESPONSE_BYTES_MAX / byShard.size)) : undefined;
  const docs = new Array<StoredDocument | null | undefined>(refs.length).fill(undefined);
  await Promise.all(
    [...byShard].map(async ([shard, indexes]) => {
      const found = await readDocs(env, shard, indexes.map((i) => refs[i]!), shardBytesMax);
      found.forEach((doc, j) => {
        docs[indexes[j]!] = doc;
      });
    }),
  );
  const unread = docs.indexOf(undefined);
  return (unread === -1 ? docs : docs.slice(0, unread)) as Array<StoredDocument | null>;
}

/**
 * Reads documents from one shard, resolving transaction locks in the way;
 * in request order, stopping past `bytesMax` of data when given (the refs
 * after the last entry were not read).
 */
export async function readDocs(env: Env, shard: string, refs: ReadonlyArray<{ collection: string; id: string }>, bytesMax?: number): Promise<Array<StoredDocument | null>> {
  const outcome = await untilUnblocked(env, shard, () => readFromShard(env, shard, (s) => s.get(refs, bytesMax)));
  if (!outcome.ok) throw new Error("invariant broken: a read fails only when blocked");
  return outcome.documents;
}

/** Writes to one shard, resolving transaction locks in the way. A blocked write applied nothing, so trying again is safe. */
function writeShard(env: Env, shard: string, writes: readonly ShardWrite[], guard: ShardWriteGuard | null): Promise<ShardWriteOutcome> {
  return untilUnblocked(env, shard, () => writeToShard(env, shard, (s) => s.write(writes, guard)));
}

async function writeOne(env: Env, write: ShardWrite, guard: ShardWriteGuard | null): Promise<AppliedWrite> {
  const { router } = await currentRouting(env);
  const outcome = await writeShard(env, router.shardFor(write.collection, write.id), [write], guard);
  if (!outcome.ok) throw new FailureError(outcome.kind, outcome.message);
  const [applied] = outcome.results;
  if (applied === undefined) throw new Error("invariant broken: a successful write returns its result");
  return applied;
}

/**
 * The wire result of an applied write, with the document written only when
 * asked, and the values of the fields its `transforms` changed.
 */
export function toWriteResult(applied: AppliedWrite, withDocument = false, transforms?: readonly FieldTransformSpec[]): WriteResult {
  return create(WriteResultSchema, {
    ref: { collection: applied.collection, id: applied.id },
    document: applied.document === null || !withDocument ? undefined : toDocument(applied.document),
    version: BigInt(applied.document?.version ?? 0),
    updateTime: timestampFromMs(applied.updateTimeMs),
    ...transformResultsOf(applied.document?.data ?? null, transforms),
  });
}

/**
 * Keeps write results within RESPONSE_BYTES_MAX: in request order, a
 * result keeps its document while it fits and loses it (keeping ref,
 * version and time) once it does not. Returns whether any was dropped.
 */
export function boundWriteResults(results: readonly WriteResult[]): boolean {
  const budget = createResponseBudget();
  let omitted = false;
  for (const r of results) {
    if (budget.tryTake(encodedBytes(WriteResultSchema, r))) continue;
    if (r.document !== undefined) omitted = true;
    r.document = undefined;
    // A result without its document is a few hundred bytes at most; the
    // overhead margin (RESPONSE_OVERHEAD_BYTES_MAX) holds all of them.
  }
  return omitted;
}

/**
 * Applies a non-atomic batch: one atomic group per shard, sent in parallel.
 * A failing group reports the failing write's own code and ABORTED for the
 * other writes of its group, none of which were applied.
 */
async function batchWrite(env: Env, writes: ShardWrite[], returnDocuments: boolean, guard: ShardWriteGuard | null) {
  const statuses = new Array<WriteStatus>(writes.length);
  const results = new Array<WriteResult>(writes.length);
  // Each shard's group applies on its own, so a group refused as moved (a
  // resharding cut over) is routed again alone: the groups that applied are
  // never sent twice.
  const writeGroups = async (indexes: readonly number[], router: ShardRouter, attempt: number): Promise<void> => {
    const byShard = groupByShard(indexes.map((index) => ({ index, shard: router.shardFor(writes[index]!.collection, writes[index]!.id) })));
    await Promise.all([...byShard].map(([shard, group]) => writeGroup(shard, group, attempt)));
  };
  const writeGroup = async (shard: string, indexes: number[], attempt: number): Promise<void> => {
      let outcome: Awaited<ReturnType<typeof writeShard>>;
      try {
        outcome = await writeShard(env, shard, indexes.map((i) => writes[i]!), guard);
      } catch (err) {
        const epoch = movedEpochOf(err);
        if (epoch === null || attempt >= ROUTING_MOVED_RETRIES_MAX) throw err;
        const { router } = await awaitRouting(env, epoch, attempt);
        return writeGroups(indexes, router, attempt + 1);
      }
      indexes.forEach((writeIndex, j) => {
        if (outcome.ok) {
          statuses[writeIndex] = create(WriteStatusSchema, { code: 0 });
          results[writeIndex] = toWriteResult(outcome.results[j]!, returnDocuments, writes[writeIndex]!.transforms);
        } else if (j === outcome.index) {
          statuses[writeIndex] = create(WriteStatusSchema, { code: codeOf(outcome.kind), message: outcome.message });
          results[writeIndex] = create(WriteResultSchema, {});
        } else {
          const failed = writes[indexes[outcome.index]!]!;
          statuses[writeIndex] = create(WriteStatusSchema, {
            code: Code.Aborted,
            message: `not applied: write ${failed.collection}/${failed.id} on the same shard failed`,
          });
          results[writeIndex] = create(WriteResultSchema, {});
        }
      });
  };
  const { router } = await currentRouting(env);
  await writeGroups(writes.map((_, index) => index), router, 0);
  const documentsOmitted = returnDocuments && boundWriteResults(results);
  return { statuses, results, documentsOmitted };
}

/**
 * A shard: one SQLite-backed Durable Object holding the documents the
 * routing table assigns to it. Its public methods are its Workers RPC
 * surface; the logic lives in `src/storage/`.
 *
 * Expected failures come back as values (`ShardWriteOutcome`), never as
 * thrown errors, because Workers RPC keeps only an error's message.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { DOCUMENT_MIGRATIONS, appliedMigrationCount, migrate } from "../storage/schema.js";
import { applyWrites, listDocuments, readDocuments, statistics } from "../storage/document-store.js";
import type { ShardListPage, ShardStatistics, ShardWrite, ShardWriteOutcome, StoredDocument } from "../storage/types.js";
import { INDEX_MIGRATIONS, createIndex, dropIndex, listIndexes, type IndexSpec } from "../query/indexes.js";
import {
  runShardAggregation,
  runShardQuery,
  type ShardAggregationRequest,
  type ShardAggregationResult,
  type ShardQueryRequest,
  type ShardQueryResult,
} from "../query/shard-query.js";

export class StorageObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.transactionSync(() => {
      migrate(ctx.storage.sql, "documents", DOCUMENT_MIGRATIONS);
      migrate(ctx.storage.sql, "indexes", INDEX_MIGRATIONS);
    });
  }

  /** Reads documents; null for each missing one. */
  get(refs: ReadonlyArray<{ collection: string; id: string }>): Array<StoredDocument | null> {
    return readDocuments(this.ctx.storage.sql, refs);
  }

  /** Applies writes atomically: all of them, or none with the first failure. */
  write(writes: readonly ShardWrite[]): ShardWriteOutcome {
    return applyWrites(this.ctx.storage, writes, Date.now());
  }

  /** Lists one collection in id order after `afterId`. */
  list(collection: string, afterId: string | null, limit: number): ShardListPage {
    return listDocuments(this.ctx.storage.sql, collection, afterId, limit);
  }

  /** The shard's statistics. */
  stats(): ShardStatistics {
    return statistics(this.ctx.storage.sql, appliedMigrationCount(this.ctx.storage.sql));
  }

  /** Runs one page of a query on this shard. */
  query(req: ShardQueryRequest): ShardQueryResult {
    return runShardQuery(this.ctx.storage.sql, req);
  }

  /** Computes this shard's partial aggregates. */
  aggregate(req: ShardAggregationRequest): ShardAggregationResult {
    return runShardAggregation(this.ctx.storage.sql, req);
  }

  /** Creates (and backfills) a secondary index; idempotent. */
  createIndex(spec: IndexSpec): void {
    this.ctx.storage.transactionSync(() => createIndex(this.ctx.storage.sql, spec));
  }

  /** Drops a secondary index; true when it existed. */
  dropIndex(collection: string, id: string): boolean {
    return this.ctx.storage.transactionSync(() => dropIndex(this.ctx.storage.sql, collection, id));
  }

  /** The secondary indexes of a collection on this shard. */
  listIndexes(collection: string): IndexSpec[] {
    return listIndexes(this.ctx.storage.sql, collection);
  }
}

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

export class StorageObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.transactionSync(() => {
      migrate(ctx.storage.sql, "documents", DOCUMENT_MIGRATIONS);
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
}

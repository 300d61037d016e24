/**
 * A shard: one SQLite-backed Durable Object holding the documents the
 * routing table assigns to it. Its public methods are its Workers RPC
 * surface; the logic lives in `src/storage/` (documents) and `src/sync/`
 * (its part in transactions).
 *
 * Expected failures come back as values, never as thrown errors, because
 * Workers RPC keeps only an error's message.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { DOCUMENT_MIGRATIONS, appliedMigrationCount, migrate } from "../storage/schema.js";
import { applyWrites, listDocuments, readDocuments, statistics } from "../storage/document-store.js";
import type { ShardListOutcome, ShardReadOutcome, ShardStatistics, ShardWrite, ShardWriteOutcome } from "../storage/types.js";
import { TRANSACTION_MIGRATIONS } from "../sync/lockManager.js";
import { abort, commit, commitOnePhase, prepare, type ParticipantRequest, type Vote } from "../sync/participant.js";
import { resolveOverdue, scheduleRecovery } from "../sync/participant-recovery.js";

export class StorageObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.transactionSync(() => {
      migrate(ctx.storage.sql, "documents", DOCUMENT_MIGRATIONS);
      migrate(ctx.storage.sql, "transactions", TRANSACTION_MIGRATIONS);
    });
  }

  /** Reads documents; null for each missing one. Blocked under write intents. */
  get(refs: ReadonlyArray<{ collection: string; id: string }>): ShardReadOutcome {
    return readDocuments(this.ctx.storage.sql, refs);
  }

  /** Applies writes atomically: all of them, or none with the first failure. */
  write(writes: readonly ShardWrite[]): ShardWriteOutcome {
    return applyWrites(this.ctx.storage, writes, Date.now());
  }

  /** Lists one collection in id order after `afterId`. */
  list(collection: string, afterId: string | null, limit: number): ShardListOutcome {
    return listDocuments(this.ctx.storage.sql, collection, afterId, limit);
  }

  /** The shard's statistics. */
  stats(): ShardStatistics {
    return statistics(this.ctx.storage.sql, appliedMigrationCount(this.ctx.storage.sql));
  }

  /** Two-phase commit, phase one: validate, plan and lock; vote. */
  async txPrepare(request: ParticipantRequest): Promise<Vote> {
    const vote = prepare(this.ctx.storage, request, Date.now());
    if (vote.vote === "yes") await scheduleRecovery(this.ctx.storage);
    return vote;
  }

  /** Two-phase commit, phase two: apply a committed transaction. Idempotent. */
  async txCommit(txId: string, commitTimeMs: number, forgetAtMs: number): Promise<void> {
    commit(this.ctx.storage, txId, commitTimeMs, forgetAtMs);
    await scheduleRecovery(this.ctx.storage);
  }

  /** Two-phase commit, phase two: drop an aborted transaction's locks. Idempotent. */
  async txAbort(txId: string, forgetAtMs: number): Promise<void> {
    abort(this.ctx.storage, txId, forgetAtMs);
    await scheduleRecovery(this.ctx.storage);
  }

  /** Commits a transaction that touches only this shard, in one step. */
  async txCommitOnePhase(request: ParticipantRequest): Promise<Vote> {
    const vote = commitOnePhase(this.ctx.storage, request, Date.now());
    await scheduleRecovery(this.ctx.storage);
    return vote;
  }

  /** Resolves prepared transactions past their deadline, and forgets finished ones. */
  override async alarm(): Promise<void> {
    await resolveOverdue(this.ctx.storage, this.env, Date.now());
  }
}

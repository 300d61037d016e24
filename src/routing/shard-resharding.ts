/**
 * The RPC-facing half of a shard's part in a resharding: each method runs
 * one step of reshard-shard.ts in one SQLite transaction and keeps the
 * shard's epoch guard in step with its stamp. The shard manager is the
 * only caller (resharding-driver.ts).
 */
import type { RoutingTable, ShardRouter } from "./router.js";
import { sharedShardRouter } from "./router-cache.js";
import {
  changedSince,
  checksumPoint,
  discard,
  exportPage,
  fence,
  promote,
  releasePage,
  stageRows,
  verifyReceivedPage,
  type ChangedSince,
  type ChecksumBase,
  type ChecksumPoint,
  type ChecksumProgress,
  type ExportPage,
  type FenceOutcome,
  type MovingChange,
  type PromoteOutcome,
  type RangeChecksum,
  type RowCursor,
  type VerifyProgress,
  type VerifyStep,
} from "./reshard-shard.js";

/** What a target needs to end its cutover (reshard-shard.ts `promote`). */
export interface PromoteRequest {
  readonly clock: { readonly lastTs: number; readonly maxReadTs: number; readonly lastVersion?: number };
  readonly changes: ReadonlyArray<Omit<MovingChange, "target">>;
  readonly direct: boolean;
  readonly expected: Readonly<Record<string, RangeChecksum>>;
}
import { readShardEpoch, writeShardEpoch, type EpochGuard, type ShardEpoch } from "./shard-epoch.js";

/** A shard's resharding steps, bound to its storage. */
export class ShardResharding {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly guard: EpochGuard,
  ) {}

  /**
   * Stamps an unstamped shard as `shardId` serving `table`; a shard already
   * at that epoch is left as it is. Throws if the shard is at another epoch
   * (the shard manager and the shard disagree: a broken invariant).
   */
  stamp(shardId: string, table: RoutingTable): ShardEpoch {
    const stamp = this.storage.transactionSync(() => {
      const current = readShardEpoch(this.storage.sql);
      if (current === null) {
        const fresh: ShardEpoch = { shardId, epoch: table.version, table, queriesOpen: true, cutoverTs: 0 };
        writeShardEpoch(this.storage.sql, fresh);
        return fresh;
      }
      if (current.shardId !== shardId || current.epoch > table.version) {
        throw new Error(`invariant broken: shard ${current.shardId} at epoch ${current.epoch} asked to serve ${shardId} at ${table.version}`);
      }
      if (current.epoch === table.version) return current;
      // Only a shard outside every table since (removed by a shrink, or a
      // cancelled grow's target) can be behind: it owns nothing either way.
      const next: ShardEpoch = { shardId, epoch: table.version, table, queriesOpen: true, cutoverTs: current.cutoverTs };
      writeShardEpoch(this.storage.sql, next);
      return next;
    });
    this.guard.reload();
    return stamp;
  }

  /** The shard's stamp, or null. */
  current(): ShardEpoch | null {
    return this.guard.current();
  }

  /** One copy page (reshard-shard.ts `exportPage`; rows and scan bounds default there). */
  exportPage(target: RoutingTable, after: RowCursor | null, bytesMax: number, fresh: boolean, rowsMax?: number, scanMax?: number): ExportPage {
    const self = this.self();
    return this.storage.transactionSync(() => exportPage(this.storage.sql, self, this.routerOf(target), after, bytesMax, fresh, rowsMax, scanMax));
  }

  /** One catch-up read (reshard-shard.ts `changedSince`). */
  changedSince(target: RoutingTable, afterSeq: number, rowsMax: number): ChangedSince {
    const self = this.self();
    return this.storage.transactionSync(() => changedSince(this.storage.sql, self, this.routerOf(target), afterSeq, rowsMax));
  }

  /** The last catch-up read and the checksums the fence adjusts (reshard-shard.ts `checksumPoint`). */
  checksumPoint(target: RoutingTable, afterSeq: number, rowsMax: number, progress: ChecksumProgress | null, keysMax: number): ChecksumPoint {
    const self = this.self();
    return this.storage.transactionSync(() => checksumPoint(this.storage.sql, self, this.routerOf(target), afterSeq, rowsMax, progress, keysMax));
  }

  /** One step of checking a target's running checksum against its stored copies (reshard-shard.ts `verifyReceivedPage`). */
  verifyReceived(direct: boolean, progress: VerifyProgress | null, rowsMax: number): VerifyStep {
    return this.storage.transactionSync(() => verifyReceivedPage(this.storage.sql, direct, progress, rowsMax));
  }

  /** Stores copied rows (reshard-shard.ts `stageRows`). */
  stage(changes: ReadonlyArray<Omit<MovingChange, "target">>, direct: boolean): void {
    this.storage.transactionSync(() => stageRows(this.storage.sql, changes, direct));
  }

  /** Starts the cutover on a source (reshard-shard.ts `fence`). */
  fence(target: RoutingTable, appliedSeq: number, rowsMax: number, base: ChecksumBase | null): FenceOutcome {
    const current = this.stamped();
    const outcome = this.storage.transactionSync(() => fence(this.storage.sql, current, target, this.routerOf(target), appliedSeq, rowsMax, base));
    this.guard.reload();
    return outcome;
  }

  /** Ends the cutover on a target (reshard-shard.ts `promote`). */
  promote(target: RoutingTable, request: PromoteRequest): PromoteOutcome {
    const current = this.stamped();
    const outcome = this.storage.transactionSync(() => promote(this.storage.sql, current, target, request));
    this.guard.reload();
    return outcome;
  }

  /** One release step on a source after cutover (reshard-shard.ts `releasePage`). */
  release(): { done: boolean; removed: number } {
    this.stamped();
    const outcome = this.storage.transactionSync(() => releasePage(this.storage.sql));
    this.guard.reload();
    return outcome;
  }

  /** Undoes a cancelled resharding's copies here (reshard-shard.ts `discard`). */
  discard(direct: boolean): void {
    this.storage.transactionSync(() => discard(this.storage.sql, direct));
  }

  private stamped(): ShardEpoch {
    const current = this.guard.current();
    if (current === null) throw new Error("invariant broken: a resharding step on a shard that was never stamped");
    return current;
  }

  private self(): string {
    return this.stamped().shardId;
  }

  /**
   * The router of `table`, from the isolate's cache keyed by the table's
   * whole content (router-cache.ts). Never by version alone: a cancelled
   * resharding's target table and the next one's were once given the same
   * version with different shards, and a source that kept the first
   * router by version sent the next move's documents to the wrong shards.
   */
  private routerOf(table: RoutingTable): ShardRouter {
    return sharedShardRouter(table);
  }
}

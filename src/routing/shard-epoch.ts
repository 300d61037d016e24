/**
 * A shard's routing epoch: the version of the routing table it serves under,
 * stamped by the shard manager and checked on every request inside the
 * shard, before any work (see src/routing/README.md, "Live resharding").
 *
 * - A point request (get, write, prepare, ...) is served when every key it
 *   names belongs to this shard under the shard's table; otherwise the shard
 *   throws the moved error and changes nothing.
 * - A fan-out request (query, list, aggregation, listener feeds) names the
 *   epoch it was routed by; it is served only when that equals the shard's
 *   own epoch and the shard's queries are open.
 *
 * The moved error is a thrown message (only a message crosses Workers RPC),
 * recognised by `movedEpochOf` in the Worker, which refreshes its table and
 * runs the request again. A shard that was never stamped (no resharding has
 * happened in its database) accepts every request, as before.
 */
import type { Migration } from "../storage/schema.js";
import { movedMessage } from "./moved.js";
import type { RoutingTable, ShardRouter } from "./router.js";
import { sharedShardRouter } from "./router-cache.js";

export { MOVED_MESSAGE_PREFIX, movedEpochOf, movedMessage } from "./moved.js";

/** The tables of the "resharding" component of a shard's schema. */
export const SHARD_EPOCH_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "routing epoch and documents staged by a resharding",
    statements: [
      // One row once the shard manager has stamped this shard.
      `CREATE TABLE shard_epoch (
         singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
         shard_id TEXT NOT NULL,
         epoch INTEGER NOT NULL,
         table_json TEXT NOT NULL,
         -- 0 between a fence and the release of the moved documents: fan-out
         -- requests wait (the moved rows are still here).
         queries_open INTEGER NOT NULL,
         -- Snapshot reads older than this (µs) are refused: documents that
         -- moved in brought no history.
         cutover_ts INTEGER NOT NULL
       )`,
      // Documents copied in before cutover, invisible until promotion.
      `CREATE TABLE staged_documents (
         collection TEXT NOT NULL,
         id TEXT NOT NULL,
         data TEXT NOT NULL,
         version INTEGER NOT NULL,
         create_time_ms INTEGER NOT NULL,
         update_time_ms INTEGER NOT NULL,
         size_bytes INTEGER NOT NULL,
         num_keys TEXT,
         commit_ts INTEGER NOT NULL,
         PRIMARY KEY (collection, id)
       ) WITHOUT ROWID`,
    ],
  },
  {
    version: 2,
    description: "keys a source sends away, for the checksum and the cleanup",
    statements: [
      // Every key of this shard that moves under the running resharding's
      // target table (recorded by the copy, catch-up and drain reads), so
      // the cutover can checksum them and the cleanup delete them without
      // scanning every document.
      `CREATE TABLE moving_keys (
         collection TEXT NOT NULL,
         id TEXT NOT NULL,
         PRIMARY KEY (collection, id)
       ) WITHOUT ROWID`,
    ],
  },
  {
    version: 3,
    description: "a target's running checksum of the rows a resharding stored on it",
    statements: [
      // Kept by every step that stores or drops copied rows (reshard-shard.ts
      // stageRows, discard, promote), so the cutover compares it with the
      // sources' checksums without scanning the copies
      // (reshard-checksum.ts). lo and hi are sums mod 2^32; max_version is
      // the highest version ever stored, which the promoted shard's write
      // sequence must pass.
      `CREATE TABLE reshard_received (
         singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
         count INTEGER NOT NULL,
         lo INTEGER NOT NULL,
         hi INTEGER NOT NULL,
         max_version INTEGER NOT NULL
       )`,
      "INSERT INTO reshard_received (singleton, count, lo, hi, max_version) VALUES (1, 0, 0, 0, 0)",
    ],
  },
];

/** A shard's stamped routing state. */
export interface ShardEpoch {
  readonly shardId: string;
  readonly epoch: number;
  readonly table: RoutingTable;
  readonly queriesOpen: boolean;
  readonly cutoverTs: number;
}

interface Row extends Record<string, SqlStorageValue> {
  shard_id: string;
  epoch: number;
  table_json: string;
  queries_open: number;
  cutover_ts: number;
}

/** The shard's stamp, or null when it was never stamped. */
export function readShardEpoch(sql: SqlStorage): ShardEpoch | null {
  const row = sql.exec<Row>("SELECT * FROM shard_epoch").toArray()[0];
  if (row === undefined) return null;
  return {
    shardId: row.shard_id,
    epoch: row.epoch,
    table: JSON.parse(row.table_json) as RoutingTable,
    queriesOpen: row.queries_open === 1,
    cutoverTs: row.cutover_ts,
  };
}

/** Writes the shard's stamp (replacing any). */
export function writeShardEpoch(sql: SqlStorage, stamp: ShardEpoch): void {
  if (stamp.table.version !== stamp.epoch) throw new Error("invariant broken: a shard's epoch is its table's version");
  sql.exec(
    `INSERT INTO shard_epoch (singleton, shard_id, epoch, table_json, queries_open, cutover_ts) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT (singleton) DO UPDATE SET shard_id = excluded.shard_id, epoch = excluded.epoch, table_json = excluded.table_json,
       queries_open = excluded.queries_open, cutover_ts = excluded.cutover_ts`,
    stamp.shardId, stamp.epoch, JSON.stringify(stamp.table), stamp.queriesOpen ? 1 : 0, stamp.cutoverTs,
  );
}

/**
 * The shard's epoch guard: caches the stamp and, from the first point
 * request on, the router of its table (building one sorts every ring point;
 * routers are shared per isolate: router-cache.ts), and throws the
 * moved error for requests the shard must not serve. The stamp is read from
 * SQL once and then kept in memory; every method that changes it calls
 * `reload`.
 */
export class EpochGuard {
  private stamp: ShardEpoch | null | undefined = undefined;
  private router: ShardRouter | null = null;

  constructor(private readonly sql: SqlStorage) {}

  /** The current stamp (null when never stamped). */
  current(): ShardEpoch | null {
    if (this.stamp === undefined) this.reload();
    return this.stamp ?? null;
  }

  /** Forgets the cached stamp; call after writing it. */
  reload(): void {
    this.stamp = readShardEpoch(this.sql);
    this.router = null;
  }

  /** Throws the moved error unless every ref belongs to this shard under its table. */
  assertOwns(refs: ReadonlyArray<{ collection: string; id: string }>): void {
    const stamp = this.current();
    if (stamp === null) return;
    // Built on first use: a shard that only answers fan-out requests never needs it.
    const router = (this.router ??= sharedShardRouter(stamp.table));
    for (const ref of refs) {
      if (router.shardFor(ref.collection, ref.id) !== stamp.shardId) throw new Error(movedMessage(stamp.epoch));
    }
  }

  /**
   * Throws the moved error unless a fan-out request routed by table version
   * `epoch` may be served: the same epoch, with queries open (used now only
   * for a search too large to scope on a releasing source). A request
   * without an epoch (undefined) is from a caller that does not route by a
   * table (tests, tools) and is served only by an unstamped shard.
   */
  assertEpoch(epoch: number | undefined): void {
    const stamp = this.current();
    if (stamp === null) return;
    if (epoch !== stamp.epoch || !stamp.queriesOpen) throw new Error(movedMessage(stamp.epoch));
  }

  /**
   * For every fan-out request (query, aggregate, list, search, listener
   * head, snapshot and feed, collections, delete steps): like assertEpoch,
   * but a source still releasing its moved rows
   * (at the request's epoch, queries closed since its fence) serves them
   * too. Returns true when the caller must leave out every row whose key
   * is in `moving_keys` (NOT_MOVED_SQL): after the fence those are exactly
   * the rows the targets own now (the copy, the catch-up and the drain
   * recorded each one; the release deletes row and key together), so the
   * source answers for the keys it owns, and nothing is seen twice (R3).
   */
  fanOutExcludingMoved(epoch: number | undefined): boolean {
    const stamp = this.current();
    if (stamp === null) return false;
    if (epoch !== stamp.epoch) throw new Error(movedMessage(stamp.epoch));
    return !stamp.queriesOpen;
  }
}


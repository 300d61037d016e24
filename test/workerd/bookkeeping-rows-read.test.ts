/**
 * The bookkeeping a shard runs after every prepare and commit (when its
 * alarm is next needed) and on every alarm (forgetting finished
 * participations) reads a few index entries, not every participation the
 * shard keeps. A shard keeps each finished participation for
 * TX_RECORD_RETENTION_MS past its deadline, so a busy shard holds
 * thousands; `nextDeadline` read every one of them on every commit (a MIN
 * over the second column of the (state, expires_ms) index), about 1 ms of
 * CPU at 10,000 and rows read that Cloudflare bills, growing with the
 * commit rate. Rows read are the cursor's own count (`rowsRead`), the
 * figure the platform bills.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { migrate } from "../../src/storage/schema.js";
import { TRANSACTION_MIGRATIONS, forgetFinished, nextDeadline, recordParticipation } from "../../src/sync/lockManager.js";

/** Rows read by the statements `body` runs on `sql`. */
function rowsReadBy<T>(sql: SqlStorage, body: (counted: SqlStorage) => T): { value: T; rowsRead: number } {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const counted = new Proxy(sql, {
    get(target, prop) {
      if (prop !== "exec") return Reflect.get(target, prop);
      return (query: string, ...bindings: unknown[]) => {
        const cursor = target.exec(query, ...bindings);
        cursors.push(cursor);
        return cursor;
      };
    },
  });
  const value = body(counted);
  return { value, rowsRead: cursors.reduce((n, c) => n + c.rowsRead, 0) };
}

/** Runs `body` on a fresh object's SQLite with the shard's transaction tables. */
function inShardTables<T>(name: string, body: (sql: SqlStorage) => T): Promise<T> {
  const stub = env.API_KEYS.get(env.API_KEYS.idFromName(`bookkeeping-${name}`));
  return runInDurableObject(stub, (_o, state) =>
    state.storage.transactionSync(() => {
      migrate(state.storage.sql, "transactions", TRANSACTION_MIGRATIONS);
      return body(state.storage.sql);
    }),
  );
}

const RETAINED = 3_000;
const NOW_MS = 1_900_000_000_000;

/** RETAINED finished participations not yet due, as a busy shard keeps them. */
function retainFinished(sql: SqlStorage): void {
  for (let i = 0; i < RETAINED; i++) {
    recordParticipation(sql, `tx-${String(i).padStart(5, "0")}`, i % 5 === 0 ? "aborted" : "committed", NOW_MS + 60_000 + i, null);
  }
}

describe("a shard's transaction bookkeeping with thousands of retained participations", () => {
  it("finds the next deadline from a few index entries, whatever the state of the earliest", async () => {
    const seen = await inShardTables("next-deadline", (sql) => {
      retainFinished(sql);
      const out: Array<{ value: number | null; rowsRead: number }> = [];
      out.push(rowsReadBy(sql, (s) => nextDeadline(s)));
      recordParticipation(sql, "tx-prepared", "prepared", NOW_MS + 30_000, null);
      out.push(rowsReadBy(sql, (s) => nextDeadline(s)));
      recordParticipation(sql, "tx-aborted-early", "aborted", NOW_MS + 10_000, null);
      out.push(rowsReadBy(sql, (s) => nextDeadline(s)));
      return out;
    });
    // The earliest is an aborted one (i = 0), then the prepared one, then the early aborted one.
    expect(seen.map((s) => s.value)).toEqual([NOW_MS + 60_000, NOW_MS + 30_000, NOW_MS + 10_000]);
    for (const { rowsRead } of seen) expect(rowsRead).toBeLessThan(20);
  });

  it("forgets only the due finished participations, reading about as many rows as it deletes", async () => {
    const { left, rowsRead } = await inShardTables("forget", (sql) => {
      retainFinished(sql);
      recordParticipation(sql, "tx-prepared-overdue", "prepared", NOW_MS - 1, null);
      // Ten due: i = 0..9 expire at NOW_MS + 60,000 + i.
      const { rowsRead } = rowsReadBy(sql, (s) => forgetFinished(s, NOW_MS + 60_009));
      const left = sql.exec<{ n: number; prepared: number }>("SELECT count(*) AS n, sum(state = 'prepared') AS prepared FROM tx_participations").one();
      return { left, rowsRead };
    });
    // A prepared participation is never forgotten here, however late: it must be resolved.
    expect(left).toEqual({ n: RETAINED - 10 + 1, prepared: 1 });
    expect(rowsRead).toBeLessThan(100);
  });
});

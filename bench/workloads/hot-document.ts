/**
 * hot-document: many clients incrementing ONE document at once (issue 13,
 * item 4; Firestore's guideline is about one sustained write per second per
 * document). Each request adds 1 to the document's `n` in one request with
 * no read: ImpossibleDB sends an `increment` field transform, which its
 * shard applies inside the write's SQLite transaction; PostgreSQL runs
 * `UPDATE ... SET data = jsonb_set(data, '{n}', n + 1)` on one row; the floor
 * and SQLite read, change and store the row in one transaction. Every
 * increment gives the document a new version. After the run the document's
 * `n` must equal the increments acknowledged (no lost update), or the run
 * fails (hot-phase.ts).
 */
import type { Operation } from "../lib/loops.js";
import type { OperationContext, ReadyWorkload } from "./types.js";

/** The one document every client increments (outside the YCSB key range). */
export const HOT_DOCUMENT_ID = "hot-document";
/** The field incremented. */
export const HOT_FIELD = "n";
/** The counter (in the run's counters) of increments the system acknowledged, warm-up included. */
export const ACKNOWLEDGED = "acknowledged";

function increment(ctx: OperationContext): Operation {
  return async () => {
    await ctx.driver.increment(HOT_DOCUMENT_ID, HOT_FIELD, 1);
    ctx.counters[ACKNOWLEDGED] = (ctx.counters[ACKNOWLEDGED] ?? 0) + 1;
  };
}

export const hotDocument: ReadyWorkload = {
  status: "ready",
  id: "hot-document",
  title: "hot document: many clients incrementing one document",
  kind: "point",
  next: increment,
};

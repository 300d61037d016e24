/**
 * The query set (Query issue): over the `orders` collection,
 *
 * - query-top10-indexed: `status = s AND total >= t ORDER BY total DESC
 *   LIMIT 10`, served by an index on (status, total) (ascending: see INDEX_NOTE);
 * - query-top10-unindexed: the same filter on `ustatus`/`utotal`, copies of
 *   the same values with no index;
 * - query-count: COUNT of `status = s`;
 * - query-group-by: COUNT and SUM(total) grouped by `region` (8 values),
 *   over every document.
 *
 * `s` is one of 10 statuses and `t` a threshold in 0..89,999, both random per
 * request. Run closed-loop with ONE request in flight (latency of one query
 * on an idle system); compared with the same queries on ONE in-process SQLite
 * database holding every document (the single-node floor).
 */
import { createRandom } from "../lib/keys.js";
import type { OrderDoc, QueryDriver } from "../systems/extensions.js";
import type { OperationContext, ReadyWorkload } from "./types.js";

export const STATUS_COUNT = 10;
export const REGION_COUNT = 8;
export const TOTAL_MAX = 100_000;
/** Thresholds are drawn below this, so every filter matches some documents. */
const THRESHOLD_MAX = 90_000;

export function orderId(n: number): string {
  return `order${String(n).padStart(7, "0")}`;
}

/** The query set's documents, `count` of them, the same on every system (seeded). */
export function* orderDocuments(count: number, seed: number): Generator<readonly [string, OrderDoc]> {
  const random = createRandom(seed);
  for (let n = 0; n < count; n++) {
    const status = `s${Math.floor(random() * STATUS_COUNT)}`;
    const total = Math.floor(random() * TOTAL_MAX);
    const region = `r${Math.floor(random() * REGION_COUNT)}`;
    yield [orderId(n), { status, total, region, ustatus: status, utotal: total, note: `order ${n} of the benchmark's query set` }];
  }
}

export const randomStatus = (random: () => number) => `s${Math.floor(random() * STATUS_COUNT)}`;
export const randomThreshold = (random: () => number) => Math.floor(random() * THRESHOLD_MAX);

function queryOf(ctx: OperationContext): QueryDriver {
  const q = ctx.driver.query;
  if (q === undefined) throw new Error("this system has no query engine");
  return q;
}

function top10(indexed: boolean): ReadyWorkload {
  return {
    status: "ready",
    id: indexed ? "query-top10-indexed" : "query-top10-unindexed",
    title: `Equality + range filter, sort, limit 10, ${indexed ? "indexed" : "unindexed"}`,
    kind: "point",
    next(ctx) {
      const status = randomStatus(ctx.random);
      const min = randomThreshold(ctx.random);
      return async () => {
        const found = await queryOf(ctx).top10(indexed, status, min);
        if (found.length !== 10) throw new Error(`top 10 found ${found.length} documents`);
      };
    },
  };
}

export const queryTop10Indexed = top10(true);
export const queryTop10Unindexed = top10(false);
export const queryCount: ReadyWorkload = {
  status: "ready",
  id: "query-count",
  title: "COUNT of an equality filter",
  kind: "point",
  next(ctx) {
    const status = randomStatus(ctx.random);
    return async () => {
      if ((await queryOf(ctx).count(status)) <= 0) throw new Error(`count of ${status} was 0`);
    };
  },
};
export const queryGroupBy: ReadyWorkload = {
  status: "ready",
  id: "query-group-by",
  title: "COUNT and SUM grouped by a field with 8 values, every document",
  kind: "point",
  next(ctx) {
    return async () => {
      if ((await queryOf(ctx).groupBy()).length !== REGION_COUNT) throw new Error("group-by did not return every region");
    };
  },
};

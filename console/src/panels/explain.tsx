/**
 * Explain as a picture: one tile per shard of the routing table, pruned
 * shards faded, each queried shard with a bar for the rows it read (scaled
 * to the most any shard read), the rows it returned and the index it used.
 * A caller a read rule binds is not told rows read (`rule.rowsReadWithheld`,
 * docs/security.md): the caption says so instead of showing zeros.
 */
import type { QueryPlan } from "../../../gen/impossibledb/v1/query_pb.js";

/** Draws `plan`. */
export function ExplainPicture({ plan }: { plan: QueryPlan }) {
  const rowsReadMax = Math.max(1, ...plan.shards.map((s) => Number(s.rowsRead)));
  const rowsRead = plan.shards.reduce((n, s) => n + Number(s.rowsRead), 0);
  const withheld = plan.rule?.rowsReadWithheld === true;
  return (
    <figure class="explain" aria-label="explain">
      <figcaption>
        <strong>{plan.shardsQueried}</strong> of {plan.shardsTotal} shards queried, {withheld ? "rows read withheld (a read rule binds you)," : <><strong>{rowsRead}</strong> rows read,</>}{" "}
        <strong>{String(plan.rowsReturned)}</strong> returned (routing table version {String(plan.routingVersion)})
      </figcaption>
      <ol class="shard-tiles">
        {plan.shards.map((s) => (
          <li key={s.shard} class={s.pruned ? "tile pruned" : "tile"} data-shard={s.shard} title={s.sqlPlan}>
            <div class="tile-name">{s.shard}</div>
            {s.pruned ? (
              <div class="muted">pruned</div>
            ) : (
              <>
                <svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
                  <rect width={(100 * Number(s.rowsRead)) / rowsReadMax} height="8" />
                </svg>
                <div>
                  {withheld ? null : <><span class="rows-read">{String(s.rowsRead)}</span> read, </>}{String(s.rowsReturned)} returned
                </div>
                <div class="index">{s.index === "" ? "full scan" : `index ${s.index}`}</div>
              </>
            )}
          </li>
        ))}
      </ol>
    </figure>
  );
}

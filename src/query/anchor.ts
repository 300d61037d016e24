/**
 * The anchor of a page token: the last document a page returned, read
 * again when the token's sort keys were cut to fit (see `page-state.ts`),
 * to recover the whole keys it resumes after.
 */
import type { ExecuteOptions, QueryShards, QuerySpec } from "./executor.js";
import { runQueryPage } from "./executor.js";
import { ID_FIELD } from "./expression.js";
import { cursorOf } from "./order.js";
import type { AnchorReader } from "./page-state.js";

/**
 * An AnchorReader over `shards`: one page of one document, pinned by id
 * (so the planner asks only the shard that holds it), under the query's
 * own order and read rule. The query's filter is left out: a document
 * that stopped matching still says where the walk stood. With a version,
 * the document as it was at that version, from its shard's history (no
 * read rule: the key is only the position the caller's own page ended on).
 */
export function createAnchorReader(shards: QueryShards, spec: QuerySpec, options: Pick<ExecuteOptions, "deadline">): AnchorReader {
  return async (id, version) => {
    if (version !== undefined) {
      if (shards.documentVersion === undefined) return null;
      const old = await shards.documentVersion(shards.shardFor(spec.collection, id), { collection: spec.collection, id }, version);
      return old === null ? null : cursorOf(old, spec.order);
    }
    const pinned: QuerySpec = { ...spec, filter: { kind: "compare", path: [ID_FIELD], op: "==", value: id }, limit: null, offset: 0, select: null };
    const page = await runQueryPage(shards, pinned, 1, null, { deadline: options.deadline, explain: false });
    const doc = page.documents[0];
    return doc === undefined || doc.id !== id ? null : cursorOf(doc, spec.order);
  };
}

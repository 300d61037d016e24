/**
 * The wire `Query.search` clause, checked: a text search (parsed) or null
 * when the query has no search or no text (a search by place alone is
 * services/geo-search.ts's). Its geo condition, if any, comes from
 * geo-query.ts.
 */
import type { Query } from "../../gen/impossibledb/v1/query_pb.js";
import { FailureError } from "../errors.js";
import { geoRegionFrom } from "./geo-query.js";
import { parseSearchText } from "./query-parser.js";
import type { TextSearch } from "./search-executor.js";

/** The query's text search, or null without a search clause; INVALID_ARGUMENT when malformed. */
export function textSearchFrom(query: Query): (TextSearch & { readonly text: string; readonly highlight: boolean }) | null {
  const search = query.search;
  if (search === undefined) return null;
  if (search.text === "") throw new FailureError("invalid_argument", "query.search needs text (or near or within)");
  if (query.orderBy.length > 0) {
    throw new FailureError("invalid_argument", "query.order_by cannot be combined with query.search.text: text results are ranked by score");
  }
  // With near or within, geo narrows and text ranks (shard-search.ts).
  const geo = geoRegionFrom(search)?.region ?? null;
  return { node: parseSearchText(search.text), exact: search.exact, text: search.text, highlight: search.highlight, geo };
}

/**
 * The query side of geo search: THE EXTENSION POINT for the geospatial
 * helper (issue 14, geo part). Until it lands, a query with `near` or
 * `within` answers UNIMPLEMENTED from here, and only from here.
 */
import type { SearchQuery } from "../../gen/impossibledb/v1/search_pb.js";
import { FailureError } from "../errors.js";

/** Refuses geo conditions until the geo part is built (UNIMPLEMENTED). */
export function assertGeoSupported(search: SearchQuery): void {
  if (search.near !== undefined || search.within !== undefined) {
    throw new FailureError("unimplemented", "query.search.near and query.search.within are not available yet (geo search is being built); use query.search.text");
  }
}

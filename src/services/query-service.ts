/**
 * QueryService. The contract is fixed; the query engine (parser, planner,
 * executor, aggregator) arrives with the query milestone, and until then
 * every method answers UNIMPLEMENTED.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { unimplemented } from "./unimplemented.js";

const MILESTONE = "the query system (filters, sorting, aggregation across shards)";

/** Creates the QueryService implementation. */
export function createQueryService(): ServiceImpl<typeof QueryService> {
  return {
    runQuery: () => unimplemented("RunQuery", MILESTONE),
    // A generator, so the stream fails on its first read like any stream would.
    // eslint-disable-next-line require-yield
    async *streamQuery() {
      unimplemented("StreamQuery", MILESTONE);
    },
    runAggregationQuery: () => unimplemented("RunAggregationQuery", MILESTONE),
  };
}

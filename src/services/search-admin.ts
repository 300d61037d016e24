/**
 * AdminService's search index methods (CreateSearchIndex, GetSearchIndex,
 * DeleteSearchIndex). Placeholder while search (issue 14) is built: every
 * call answers UNIMPLEMENTED.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";

type SearchAdmin = Pick<ServiceImpl<typeof AdminService>, "createSearchIndex" | "getSearchIndex" | "deleteSearchIndex">;

/** Creates the search index methods of AdminService. */
export function createSearchAdmin(): SearchAdmin {
  const unimplemented = (): never => {
    throw new ConnectError("search indexes are not available yet", Code.Unimplemented);
  };
  return { createSearchIndex: unimplemented, getSearchIndex: unimplemented, deleteSearchIndex: unimplemented };
}

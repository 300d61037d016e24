/**
 * The server's refusals whose advice names an RPC, as the CLI words them
 * (src/cli/server-advice.ts): each message here is the server's, copied
 * from where it is made, so a change of its words fails here.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { cliAdvice } from "../src/cli/server-advice.js";

const advice = (message: string, code: Code) => cliAdvice(new ConnectError(message, code));

describe("the server's advice in the CLI's words", () => {
  it.each([
    // src/search/shard-search.ts
    [
      "collection books has no search index; create one with AdminService.CreateSearchIndex",
      Code.FailedPrecondition,
      "collection books has no search index",
      "create one with `impossibledb search-index create books --text FIELD` (or --geo FIELD)",
    ],
    [
      "the search index of books is not READY yet; call AdminService.CreateSearchIndex again to finish it",
      Code.FailedPrecondition,
      "the search index of books is not READY yet",
      "run the same `impossibledb search-index create books ...` again to finish it (`impossibledb search-index get books` shows its fields)",
    ],
    [
      "the search index of books has no text fields; a text search needs some (CreateSearchIndex text_fields)",
      Code.FailedPrecondition,
      "the search index of books has no text fields",
      "drop it with `impossibledb search-index drop books`, then create it with text fields: `impossibledb search-index create books --text FIELD`",
    ],
    // src/search/shard-geo.ts
    ["collection places has no search index; create one with a geo_field (CreateSearchIndex)", Code.FailedPrecondition, "collection places has no search index", "create one with `impossibledb search-index create places --geo FIELD`"],
    [
      "the search index of collection places is not READY yet; finish it with CreateSearchIndex",
      Code.FailedPrecondition,
      "the search index of collection places is not READY yet",
      "run the same `impossibledb search-index create places ...` again to finish it (`impossibledb search-index get places` shows its fields)",
    ],
    // src/search/shard-index.ts
    [
      "collection books already has a search index with another definition; delete it first (DeleteSearchIndex)",
      Code.AlreadyExists,
      "collection books already has a search index with another definition",
      "drop it first with `impossibledb search-index drop books` (`impossibledb search-index get books` shows it)",
    ],
    // GetSearchIndex's NOT_FOUND carries no advice; the CLI gives some.
    ["collection books has no search index", Code.NotFound, "collection books has no search index", "create one with `impossibledb search-index create books --text FIELD` (or --geo FIELD)"],
    // src/services/resharding-admin.ts
    [
      "CreateIndex waits while the database is being resharded; see GetResharding, and try again when it is done",
      Code.FailedPrecondition,
      "CreateIndex waits while the database is being resharded",
      "`impossibledb resharding` shows how it goes; try again when it is done",
    ],
    // src/objects/ShardManager.ts
    [
      "database old-db is being deleted; call DeleteDatabase again to finish, then create it",
      Code.AlreadyExists,
      "database old-db is being deleted",
      "run `impossibledb databases delete old-db` to finish deleting it, then `impossibledb databases create old-db` again",
    ],
  ])("%s", (server, code, message, hint) => {
    expect(advice(server, code)).toEqual({ message, hint });
  });

  it("leaves other refusals, and these words under another code, as they came", () => {
    expect(advice("collection books has no search index; create one with AdminService.CreateSearchIndex", Code.Internal)).toBeUndefined();
    expect(advice("document books/b1 does not exist", Code.NotFound)).toBeUndefined();
  });
});

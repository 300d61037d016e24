/**
 * What `query` says about what it did not print, and the refusals of field
 * specs and the server's advice in the CLI's words: cases a new user met.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../src/gen/impossibledb/v1/admin_service_pb.js";
import { QueryService } from "../src/gen/impossibledb/v1/query_service_pb.js";
import { CLI_RUN_TIMEOUT_MS, runCli, startFakeServer, type FakeServer } from "./cli-harness.js";

/** Documents of each collection of the fake server's; any other collection is empty. */
const SIZES: Readonly<Record<string, number>> = { many: 150, few: 3 };
/** The query limit of every RunQuery the fake server saw. */
const limits: number[] = [];
/** The fields ("field:DIRECTION") of every CreateIndex the fake server saw. */
const indexesCreated: string[][] = [];
let server: FakeServer;

beforeAll(async () => {
  server = await startFakeServer((router) => {
    router.service(QueryService, {
      runQuery(req) {
        const query = req.query!;
        limits.push(query.limit);
        // The server's refusal of a search on a collection without a search index, in its words (src/search/shard-search.ts).
        if (query.search !== undefined && query.collection === "unindexed") {
          throw new ConnectError("collection unindexed has no search index; create one with AdminService.CreateSearchIndex", Code.FailedPrecondition);
        }
        const size = SIZES[query.collection] ?? 0;
        const count = query.limit === 0 ? size : Math.min(size, query.limit);
        return { documents: Array.from({ length: count }, (_, i) => ({ collection: query.collection, id: `d${String(i).padStart(3, "0")}`, data: { n: i } })), nextPageToken: "" };
      },
    });
    router.service(AdminService, {
      createSearchIndex(req) {
        // src/search/shard-index.ts, for a collection whose index has other fields.
        throw new ConnectError(`collection ${req.index?.collection} already has a search index with another definition; delete it first (DeleteSearchIndex)`, Code.AlreadyExists);
      },
      createIndex(req) {
        indexesCreated.push((req.index?.fields ?? []).map((f) => `${f.field}:${f.direction === 2 ? "desc" : "asc"}`));
        return { index: { id: "i1", collection: req.index?.collection ?? "", fields: req.index?.fields ?? [], state: 2 } };
      },
    });
  });
});
afterAll(() => server.close());

describe("query says when --limit cut the results", { timeout: CLI_RUN_TIMEOUT_MS }, () => {
  it("prints the first 100 of 150 and says more match, naming --limit, instead of '100 documents'", async () => {
    const ran = await runCli(server.url, ["query", "many"]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.trimEnd().split("\n")).toHaveLength(2 + 100);
    expect(ran.stderr).toBe("first 100 documents; more match: use --limit N to see more\n");
    // One more than it shows, to know whether more match.
    expect(limits.at(-1)).toBe(101);
  });

  it("with --json keeps stdout to JSON lines and puts the note on stderr", async () => {
    const ran = await runCli(server.url, ["query", "many", "--json", "--limit", "10"]);
    expect(ran.code, ran.stderr).toBe(0);
    const lines = ran.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(10);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ id: expect.any(String), data: { n: expect.any(Number) } });
    expect(ran.stderr).toBe("first 10 documents; more match: use --limit N to see more\n");
  });

  it("says only the count when every match is printed, even when it equals --limit", async () => {
    const all = await runCli(server.url, ["query", "few"]);
    expect(all.stderr).toBe("3 documents\n");
    const exactly = await runCli(server.url, ["query", "few", "--limit", "3"]);
    expect(exactly.stdout.trimEnd().split("\n")).toHaveLength(2 + 3);
    expect(exactly.stderr).toBe("3 documents\n");
    const json = await runCli(server.url, ["query", "few", "--json", "--limit", "3"]);
    expect(json.stderr).toBe("");
  });
});

describe("FIELD:DIRECTION specs are checked before anything is sent, the same way in every command", { timeout: CLI_RUN_TIMEOUT_MS }, () => {
  it("indexes create refuses year:sideways, exit 2, as query --order-by does, and creates nothing", async () => {
    const before = indexesCreated.length;
    const index = await runCli(server.url, ["indexes", "create", "books", "title", "year:sideways"]);
    expect(index.code).toBe(2);
    expect(index.stderr).toBe('impossibledb: index field "year:sideways": expected FIELD or FIELD:asc or FIELD:desc\n');
    expect(indexesCreated.length).toBe(before);
    const query = await runCli(server.url, ["query", "books", "--order-by", "year:sideways"]);
    expect(query.code).toBe(2);
    expect(query.stderr).toBe("impossibledb: --order-by year:sideways: expected FIELD or FIELD:asc or FIELD:desc\n");
  });

  it("indexes create sends FIELD, FIELD:asc, FIELD:desc, and a backquoted name holding ':'", async () => {
    const ran = await runCli(server.url, ["indexes", "create", "books", "title", "year:desc", "isbn:asc", "`a:b`:desc"]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(indexesCreated.at(-1)).toEqual(["title:asc", "year:desc", "isbn:asc", "`a:b`:desc"]);
  });
});

describe("the server's advice that names an RPC is given as the CLI command", { timeout: CLI_RUN_TIMEOUT_MS }, () => {
  it("a search without a search index says `impossibledb search-index create`, not AdminService.CreateSearchIndex", async () => {
    const ran = await runCli(server.url, ["query", "unindexed", "--search", "dune"]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe(
      "impossibledb: FailedPrecondition: collection unindexed has no search index (create one with `impossibledb search-index create unindexed --text FIELD` (or --geo FIELD))\n",
    );
    const json = await runCli(server.url, ["query", "unindexed", "--search", "dune", "--json"]);
    expect(JSON.parse(json.stderr)).toEqual({
      code: "failed_precondition",
      message: "collection unindexed has no search index",
      hint: "create one with `impossibledb search-index create unindexed --text FIELD` (or --geo FIELD)",
      exit_code: 1,
    });
  });

  it("a search index of another definition says `impossibledb search-index drop`, not DeleteSearchIndex", async () => {
    const ran = await runCli(server.url, ["search-index", "create", "books", "--text", "title"]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^impossibledb: AlreadyExists: collection books already has a search index with another definition \(drop it first with `impossibledb search-index drop books`/);
    expect(ran.stderr).not.toMatch(/DeleteSearchIndex/);
  });
});

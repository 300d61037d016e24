/**
 * Live resharding keeps search indexes: the targets get the index before
 * the copy, moved documents are indexed as they land and released ones
 * leave the index, so a search during and after a resharding (grow and
 * shrink) equals the search before it, ids and scores (old shards leave out
 * the rows they are releasing), and new shards index new writes.
 */
import { describe, expect, it } from "vitest";
import { AdminService, Resharding_Phase, Resharding_State, type Resharding } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { SearchIndex_State } from "../../gen/impossibledb/v1/search_pb.js";
import { connectClient } from "./helpers.js";

const DB = "search-reshard";
const admin = connectClient(AdminService, { database: DB });
const docs = connectClient(CollectionService, { database: DB });
const queries = connectClient(QueryService, { database: DB });
const WORDS = ["amber", "basalt", "cobalt", "dolomite", "emerald", "feldspar", "garnet", "hematite", "iolite", "jasper", "kyanite", "lapis"];
const TEXTS = ["amber", "cobalt garnet", '"basalt hematite"', "emeral", "jas*", "amber OR lapis NOT garnet", "(dolomite OR iolite) hematite"];

/**
 * Waits for the resharding to finish, running every search meanwhile: each
 * must answer (no UNAVAILABLE while old shards release their moved rows)
 * and equal `before`. Answers the resharding and the phases searched in.
 */
async function searchUntilDone(before: Array<Array<[string, number]>>, timeoutMs = 90_000): Promise<{ resharding: Resharding; searchedIn: Set<Resharding_Phase> }> {
  const start = Date.now();
  const searchedIn = new Set<Resharding_Phase>();
  for (;;) {
    const { resharding } = await admin.getResharding({});
    if (resharding !== undefined && resharding.phase === Resharding_Phase.DONE) return { resharding, searchedIn };
    if (Date.now() - start > timeoutMs) throw new Error(`resharding still running: ${JSON.stringify(resharding?.errors)}`);
    const during = await searches();
    expect(during, `searched during ${Resharding_Phase[resharding?.phase ?? 0]}`).toEqual(before);
    if (resharding !== undefined) searchedIn.add(resharding.phase);
  }
}

async function searches(): Promise<Array<Array<[string, number]>>> {
  const out: Array<Array<[string, number]>> = [];
  for (const text of TEXTS) {
    const res = await queries.runQuery({ query: { collection: "rocks", search: { text } }, pageSize: 1000 });
    out.push(res.documents.map((d, i) => [d.id, res.hits[i]!.score]));
  }
  return out;
}

describe("search across live resharding", () => {
  it("a search during and after growing 8 to 12 and shrinking to 5 equals the search before", { timeout: 180_000 }, async () => {
    await connectClient(AdminService).createDatabase({ databaseId: DB, database: { placement: {} } });
    // A deterministic corpus: document i holds words chosen by i.
    const writes = Array.from({ length: 400 }, (_, i) => ({
      ref: { collection: "rocks", id: `r${i}` },
      operation: {
        case: "set" as const,
        value: { name: `${WORDS[i % 12]} ${WORDS[(i * 7) % 12]}`, notes: Array.from({ length: 1 + (i % 9) }, (_, k) => WORDS[(i * (k + 3)) % 12]).join(" ") },
      },
    }));
    for (let i = 0; i < writes.length; i += 100) await docs.batchWriteDocuments({ writes: writes.slice(i, i + 100) });
    const created = await admin.createSearchIndex({ index: { collection: "rocks", textFields: [{ field: "name", weight: 3 }, { field: "notes" }] } });
    expect(created.index!.state).toBe(SearchIndex_State.READY);
    const before = await searches();
    expect(before.every((hits) => hits.length > 0)).toBe(true);

    await admin.startResharding({ shardCount: 12 });
    const { resharding: grown, searchedIn } = await searchUntilDone(before);
    expect(grown.state).toBe(Resharding_State.SUCCEEDED);
    // Searched while it ran. (Which phases a search falls in depends on
    // timing: the release of 400 documents is short. The old shards'
    // answers while they release are held to an oracle in
    // test/unit/search/releasing-source.test.ts and in
    // resharding-checksum.test.ts, "fenced source".)
    expect(searchedIn.size).toBeGreaterThan(0);
    expect(await searches()).toEqual(before);
    expect((await admin.getSearchIndex({ collection: "rocks" })).index!.state).toBe(SearchIndex_State.READY);

    await admin.startResharding({ shardCount: 5 });
    const { resharding: shrunk } = await searchUntilDone(before);
    expect(shrunk.state).toBe(Resharding_State.SUCCEEDED);
    expect(await searches()).toEqual(before);

    // The index keeps working for new writes on the new layout.
    await docs.setDocument({ ref: { collection: "rocks", id: "new" }, data: { name: "zircon" } });
    const found = await queries.runQuery({ query: { collection: "rocks", search: { text: "zircon" } } });
    expect(found.documents.map((d) => d.id)).toEqual(["new"]);
  });
});

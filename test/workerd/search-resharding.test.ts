/**
 * Live resharding keeps search indexes: the targets get the index before
 * the copy, moved documents are indexed as they land and released ones
 * leave the index, so a search after a resharding (grow and shrink) equals
 * the search before it, ids and scores, and new shards index new writes.
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

async function awaitDone(timeoutMs = 90_000): Promise<Resharding> {
  const start = Date.now();
  for (;;) {
    const { resharding } = await admin.getResharding({});
    if (resharding !== undefined && resharding.phase === Resharding_Phase.DONE) return resharding;
    if (Date.now() - start > timeoutMs) throw new Error(`resharding still running: ${JSON.stringify(resharding?.errors)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
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
  it("a search after growing 8 to 12 and shrinking to 5 equals the search before", { timeout: 180_000 }, async () => {
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
    const grown = await awaitDone();
    expect(grown.state).toBe(Resharding_State.SUCCEEDED);
    expect(await searches()).toEqual(before);
    expect((await admin.getSearchIndex({ collection: "rocks" })).index!.state).toBe(SearchIndex_State.READY);

    await admin.startResharding({ shardCount: 5 });
    const shrunk = await awaitDone();
    expect(shrunk.state).toBe(Resharding_State.SUCCEEDED);
    expect(await searches()).toEqual(before);

    // The index keeps working for new writes on the new layout.
    await docs.setDocument({ ref: { collection: "rocks", id: "new" }, data: { name: "zircon" } });
    const found = await queries.runQuery({ query: { collection: "rocks", search: { text: "zircon" } } });
    expect(found.documents.map((d) => d.id)).toEqual(["new"]);
  });
});

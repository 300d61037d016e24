/**
 * QueryBuilder.search(): what it sends (Query.search, with the other
 * conditions) and how it reads ranked hits back, against a QueryService
 * served in memory.
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../src/node.js";
import { QueryService, type RunQueryRequest } from "../src/gen/impossibledb/v1/query_service_pb.js";

describe("QueryBuilder.search", () => {
  it("sends the search with the other conditions and returns hits parallel to the documents, page after page", async () => {
    const seen: RunQueryRequest[] = [];
    const transport = createRouterTransport((router) => {
      router.service(QueryService, {
        runQuery(req) {
          seen.push(req);
          const first = req.pageToken === "";
          return {
            documents: [{ id: first ? "a" : "b", data: { title: first ? "Quick fox" : "Fox" }, version: 1n }],
            hits: [{ score: first ? 2.5 : 1.25, highlights: (first ? { title: "Quick <mark>fox</mark>" } : {}) as Record<string, string> }],
            nextPageToken: first ? "t1" : "",
          };
        },
      });
    });
    const db = new ImpossibleDBClient({ transport });
    const hits = await db.collection("articles").query().where("year", ">", 2000).search("quick fox", { highlight: true }).limit(5).hits();
    expect(hits.map((h) => [h.doc.id, h.score, h.highlights])).toEqual([
      ["a", 2.5, { title: "Quick <mark>fox</mark>" }],
      ["b", 1.25, {}],
    ]);
    expect(hits[0]!.doc.data).toEqual({ title: "Quick fox" });
    expect(seen).toHaveLength(2);
    expect(seen[0]!.query!.search).toMatchObject({ text: "quick fox", exact: false, highlight: true });
    expect(seen[0]!.query!.limit).toBe(5);
    expect(seen[0]!.query!.where).toBeDefined();
    expect(seen[1]!.pageToken).toBe("t1");
  });

  it("refuses an empty text, and hits() without search()", async () => {
    const db = new ImpossibleDBClient({ transport: createRouterTransport(() => {}) });
    expect(() => db.collection("a").query().search("  ")).toThrow(ConnectError);
    await expect(db.collection("a").query().hits()).rejects.toMatchObject({ code: Code.FailedPrecondition });
  });
});

/**
 * QueryBuilder.near() and within(): what they send (Query.search's near
 * or within, with the other conditions and a text search) and how hits
 * carry distances back, against a QueryService served in memory.
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../src/node.js";
import { QueryService, type RunQueryRequest } from "../src/gen/impossibledb/v1/query_service_pb.js";

function served(seen: RunQueryRequest[]) {
  return new ImpossibleDBClient({
    transport: createRouterTransport((router) => {
      router.service(QueryService, {
        runQuery(req) {
          seen.push(req);
          return { documents: [{ id: "marly", data: { name: "Cafe Marly" }, version: 1n }], hits: [{ distanceMeters: 1130.5 }], nextPageToken: "" };
        },
      });
    }),
  });
}

describe("QueryBuilder.near and within", () => {
  it("near() sends the center and radius with the filters, and hits() gives distances", async () => {
    const seen: RunQueryRequest[] = [];
    const hits = await served(seen).collection("places").query().where("kind", "==", "cafe").near({ lat: 48.8566, lng: 2.3522 }, 2000).limit(10).hits();
    expect(hits.map((h) => [h.doc.id, h.distanceMeters, h.score])).toEqual([["marly", 1130.5, 0]]);
    const search = seen[0]!.query!.search!;
    expect(search.near).toMatchObject({ center: { latitude: 48.8566, longitude: 2.3522 }, radiusMeters: 2000 });
    expect(search.text).toBe("");
    expect(seen[0]!.query!.where).toBeDefined();
  });

  it("within() sends a box or a polygon; with search() both go in one clause", async () => {
    const seen: RunQueryRequest[] = [];
    const db = served(seen);
    await db.collection("places").query().within({ low: { lat: -25, lng: 170 }, high: { lat: -10, lng: -170 } }).execute();
    expect(seen[0]!.query!.search!.within!.region).toMatchObject({ case: "box", value: { low: { latitude: -25, longitude: 170 }, high: { latitude: -10, longitude: -170 } } });
    await db.collection("places").query().search("coffee").within([{ lat: 0, lng: 0 }, { lat: 0, lng: 1 }, { lat: 1, lng: 0 }]).page();
    const second = seen[1]!.query!.search!;
    expect(second.text).toBe("coffee");
    expect(second.within!.region.case).toBe("polygon");
    expect(second.within!.region.value).toMatchObject({ vertices: [{ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 1 }, { latitude: 1, longitude: 0 }] });
  });

  it("refuses points that are not finite numbers and negative radii before sending", async () => {
    const db = served([]);
    expect(() => db.collection("p").query().near({ lat: Number.NaN, lng: 0 }, 10)).toThrow(TypeError);
    expect(() => db.collection("p").query().near({ lat: 0, lng: 0 }, -1)).toThrow(ConnectError);
    expect(() => db.collection("p").query().within([{ lat: 0, lng: "1" as unknown as number }, { lat: 1, lng: 1 }, { lat: 2, lng: 0 }])).toThrow(TypeError);
    await expect(db.collection("p").query().hits()).rejects.toMatchObject({ code: Code.FailedPrecondition });
  });
});

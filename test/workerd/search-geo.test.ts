/**
 * Geo search through the whole stack (Connect, validation, routing, shard
 * Durable Objects): a search index with a geo field, near and within
 * combined with filters, select, limit and page tokens, hits with
 * distances, Explain's geo candidates, every write path keeping the geo
 * index in step, live resharding keeping it, and bad input refused with
 * precise codes. Expected answers come from a brute-force haversine /
 * box check over the documents the test wrote.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { AdminService, Resharding_Phase, Resharding_State } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { Order_Direction, type Query } from "../../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { QuerySchema } from "../../gen/impossibledb/v1/query_pb.js";
import { haversineMeters } from "../../src/search/geo/distance.js";
import { connectClient, expectCode, grpcWebClient } from "./helpers.js";

type QueryInit = MessageInitShape<typeof QuerySchema>;
const ref = (collection: string, id: string) => ({ collection, id });

/** Cities (lat, lng), including both sides of the antimeridian. */
const CITIES: Array<[string, number, number]> = [
  ["paris", 48.8566, 2.3522],
  ["london", 51.5074, -0.1278],
  ["brussels", 50.8503, 4.3517],
  ["amsterdam", 52.3676, 4.9041],
  ["berlin", 52.52, 13.405],
  ["madrid", 40.4168, -3.7038],
  ["rome", 41.9028, 12.4964],
  ["newyork", 40.7128, -74.006],
  ["suva", -18.1248, 178.4501],
  ["apia", -13.8507, -171.7514],
  ["nukualofa", -21.1394, -175.2049],
  ["longyearbyen", 78.2232, 15.6267],
  ["mcmurdo", -77.8419, 166.6863],
];

function clients(database?: string) {
  const opts = database === undefined ? {} : { database };
  return {
    db: connectClient(CollectionService, opts),
    query: connectClient(QueryService, opts),
    admin: connectClient(AdminService, opts),
    tx: connectClient(TransactionService, opts),
  };
}

async function seedCities(database: string | undefined, collection: string): Promise<void> {
  const { db } = clients(database);
  await db.batchWriteDocuments({
    writes: CITIES.map(([id, lat, lng], i) => ({
      ref: ref(collection, id),
      operation: { case: "set" as const, value: { name: id, big: i % 2 === 0, loc: { lat, lng } } },
    })),
  });
  // Documents without a usable point: never geo matches.
  await db.batchWriteDocuments({
    writes: [
      { ref: ref(collection, "nowhere"), operation: { case: "set" as const, value: { name: "nowhere", big: true } } },
      { ref: ref(collection, "textual"), operation: { case: "set" as const, value: { name: "textual", big: true, loc: "48.85,2.35" } } },
      { ref: ref(collection, "outofrange"), operation: { case: "set" as const, value: { name: "outofrange", big: true, loc: { lat: 95, lng: 2 } } } },
    ],
  });
}

/** Ids and distances of every page of a query, following page tokens. */
async function walk(database: string | undefined, q: QueryInit, pageSize: number): Promise<Array<[string, number]>> {
  const { query } = clients(database);
  const out: Array<[string, number]> = [];
  let pageToken = "";
  for (let i = 0; i < 100; i++) {
    const res = await query.runQuery({ query: q, pageSize, pageToken });
    expect(res.hits).toHaveLength(res.documents.length);
    res.documents.forEach((d, j) => out.push([d.id, res.hits[j]!.distanceMeters]));
    if (res.nextPageToken === "") return out;
    pageToken = res.nextPageToken;
  }
  throw new Error("page walk did not end");
}

/** The oracle: the cities within `radius` of `center`, nearest first, then by id. */
function nearest(center: { lat: number; lng: number }, radius: number, keep: (i: number) => boolean = () => true): Array<[string, number]> {
  return CITIES.map(([id, lat, lng], i) => [id, haversineMeters(center, { lat, lng }), i] as const)
    .filter(([, d, i]) => d <= radius && keep(i))
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .map(([id, d]) => [id, d]);
}

const near = (lat: number, lng: number, radiusMeters: number) => ({ near: { center: { latitude: lat, longitude: lng }, radiusMeters } });

describe("geo search over RPC", () => {
  it("near: nearest first with distances, combined with a filter, select and limit, over page tokens; Explain counts candidates", async () => {
    const { admin, query } = clients();
    await seedCities(undefined, "cities");
    // Backfills what is there, then keeps up with later writes.
    const created = await admin.createSearchIndex({ index: { collection: "cities", geoField: "loc" } });
    expect(created.index?.geoField).toBe("loc");
    const paris = { lat: 48.8566, lng: 2.3522 };
    const expected = nearest(paris, 1_500_000);
    expect(expected.length).toBeGreaterThan(4);
    for (const pageSize of [1, 2, 100]) expect(await walk(undefined, { collection: "cities", search: near(paris.lat, paris.lng, 1_500_000) }, pageSize)).toEqual(expected);

    const filtered = await query.runQuery({
      query: { collection: "cities", filter: "big = true", search: near(paris.lat, paris.lng, 1_500_000), limit: 2, select: { fieldPaths: ["name"] } },
      explain: true,
    });
    const bigOnes = nearest(paris, 1_500_000, (i) => i % 2 === 0).slice(0, 2);
    expect(filtered.documents.map((d) => d.id)).toEqual(bigOnes.map(([id]) => id));
    expect(filtered.documents[0]!.data).toEqual({ name: bigOnes[0]![0] });
    expect(filtered.hits.map((h) => h.distanceMeters)).toEqual(bigOnes.map(([, d]) => d));
    expect(Number(filtered.plan!.search!.geoCandidates)).toBeGreaterThanOrEqual(expected.length);
    expect(filtered.plan!.shards.reduce((n, s) => n + Number(s.rowsRead), 0)).toBeGreaterThan(0);

    // Radius 0: only a document exactly at the center.
    expect((await query.runQuery({ query: { collection: "cities", search: near(paris.lat, paris.lng, 0) } })).documents.map((d) => d.id)).toEqual(["paris"]);
    // The largest radius: every located document, and none without a point.
    const everywhere = await walk(undefined, { collection: "cities", search: near(0, 0, 20_037_509) }, 5);
    expect(everywhere.map(([id]) => id).sort()).toEqual(CITIES.map(([id]) => id).sort());
  });

  it("within a box across the antimeridian, a polygon, and a circle round the south pole; StreamQuery sends hits too", async () => {
    const pacific = await walk(undefined, { collection: "cities", search: { within: { region: { case: "box", value: { low: { latitude: -25, longitude: 170 }, high: { latitude: -10, longitude: -170 } } } } } }, 2);
    expect(pacific).toEqual([["apia", 0], ["nukualofa", 0], ["suva", 0]]);
    const triangle = { case: "polygon" as const, value: { vertices: [{ latitude: 40, longitude: -5 }, { latitude: 54, longitude: 0 }, { latitude: 45, longitude: 15 }] } };
    const inside = await walk(undefined, { collection: "cities", search: { within: { region: triangle } } }, 10);
    // Madrid is inside by 10 km: the south edge passes 40.33 N at its longitude.
    expect(inside.map(([id]) => id)).toEqual(["brussels", "london", "madrid", "paris"]);
    const south = await walk(undefined, { collection: "cities", search: near(-90, 0, 1_500_000) }, 10);
    expect(south.map(([id]) => id)).toEqual(["mcmurdo"]);

    const streamed: Array<[string, number]> = [];
    for await (const msg of grpcWebClient(QueryService).streamQuery({ query: { collection: "cities", search: near(-18, 179, 2_000_000) }, explain: true })) {
      if (msg.result.case === "document") streamed.push([msg.result.value.id, msg.hit!.distanceMeters]);
      if (msg.result.case === "plan") expect(Number(msg.result.value.search!.geoCandidates)).toBeGreaterThanOrEqual(3);
    }
    expect(streamed).toEqual(nearest({ lat: -18, lng: 179 }, 2_000_000));
    expect(streamed.length).toBe(3);
  });

  it("every write path keeps the geo index in step: set, update, delete, batch, transaction, DeleteCollection", async () => {
    const { admin, db, tx } = clients();
    await admin.createSearchIndex({ index: { collection: "movers", geoField: "where.pt" } });
    const here = near(10, 10, 1000);
    const found = async () => (await walk(undefined, { collection: "movers", search: here }, 10)).map(([id]) => id);
    await db.setDocument({ ref: ref("movers", "a"), data: { where: { pt: { lat: 10, lng: 10 } } } });
    await db.createDocument({ ref: ref("movers", "b"), data: { where: { pt: { lat: 10.001, lng: 10 } } } });
    expect(await found()).toEqual(["a", "b"]);
    await db.updateDocument({ ref: ref("movers", "a"), patch: { data: { where: { pt: { lat: -10, lng: 10 } } } } });
    expect(await found()).toEqual(["b"]);
    await db.deleteDocument({ ref: ref("movers", "b") });
    expect(await found()).toEqual([]);
    await db.batchWriteDocuments({
      writes: [
        { ref: ref("movers", "c"), operation: { case: "set" as const, value: { where: { pt: { lat: 10, lng: 10.001 } } } } },
        { ref: ref("movers", "a"), operation: { case: "update" as const, value: { data: { where: { pt: { lat: 10, lng: 10 } } } } } },
      ],
    });
    expect(await found()).toEqual(["a", "c"]);
    const { transaction } = await tx.beginTransaction({ options: { readOnly: false } });
    await tx.commit({
      transaction,
      writes: [
        { ref: ref("movers", "a"), operation: { case: "delete" as const, value: {} } },
        { ref: ref("movers", "d"), operation: { case: "set" as const, value: { where: { pt: { lat: 10, lng: 10 } } } } },
      ],
    });
    expect(await found()).toEqual(["d", "c"]);
    await tx.commitBatch({ writes: [{ ref: ref("movers", "c"), operation: { case: "set" as const, value: { where: "unknown" } } }] });
    expect(await found()).toEqual(["d"]);
    await db.deleteCollection({ collection: "movers" });
    expect(await found()).toEqual([]);
  });

  it("text with near: geo narrows, text ranks; hits carry score and distance; pages resume", async () => {
    const { admin, db, query } = clients();
    await admin.createSearchIndex({ index: { collection: "cafes", textFields: [{ field: "name" }], geoField: "loc" } });
    const places: Array<[string, string, number, number]> = [
      ["c1", "coffee coffee bar", 48.857, 2.352],
      ["c2", "coffee shop", 48.86, 2.34],
      ["c3", "tea room", 48.858, 2.351],
      ["c4", "coffee roasters", 51.5, -0.12],
      ["c5", "the coffee place with a long name", 48.85, 2.36],
    ];
    await db.batchWriteDocuments({ writes: places.map(([id, name, lat, lng]) => ({ ref: ref("cafes", id), operation: { case: "set" as const, value: { name, loc: { lat, lng } } } })) });
    const center = { lat: 48.8566, lng: 2.3522 };
    const q = { collection: "cafes", search: { text: "coffee", ...near(center.lat, center.lng, 5_000) } };
    const res = await query.runQuery({ query: q, explain: true });
    // The R*Tree's candidates: the four Paris places (tea included), counted before the text narrows them.
    expect(Number(res.plan!.search!.geoCandidates)).toBe(4);
    // Only the Paris coffee places (not tea, not London), best score first.
    expect(res.documents.map((d) => d.id).sort()).toEqual(["c1", "c2", "c5"]);
    const scores = res.hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(res.documents[0]!.id).toBe("c1");
    res.documents.forEach((d, i) => {
      const [, , lat, lng] = places.find(([id]) => id === d.id)!;
      expect(res.hits[i]!.distanceMeters).toBe(haversineMeters(center, { lat, lng }));
    });
    // The same query a page at a time gives the same order.
    expect(await walk(undefined, q, 1)).toEqual(res.documents.map((d, i) => [d.id, res.hits[i]!.distanceMeters]));
    // Without near, London's coffee is found too.
    expect((await query.runQuery({ query: { collection: "cafes", search: { text: "coffee" } } })).documents).toHaveLength(4);
    await expectCode(query.runQuery({ query: { collection: "cities", search: { text: "paris", ...near(0, 0, 10) } } }), Code.FailedPrecondition);
  });

  it("refuses bad input with precise codes, and leaves data alone", async () => {
    const { admin, query } = clients();
    const polygon = (vertices: Array<[number, number]>) => ({ within: { region: { case: "polygon" as const, value: { vertices: vertices.map(([latitude, longitude]) => ({ latitude, longitude })) } } } });
    await expectCode(query.runQuery({ query: { collection: "cities", search: polygon([[1, 1], [1, 1], [1, 1]]) } }), Code.InvalidArgument, /distinct vertices/);
    await expectCode(query.runQuery({ query: { collection: "cities", search: polygon([[0, 0], [10, 10], [0, 10], [10, 0]]) } }), Code.InvalidArgument, /not simple/);
    await expectCode(query.runQuery({ query: { collection: "cities", search: polygon([[80, 0], [80, 120], [80, -120]]) } }), Code.InvalidArgument, /round a pole/);
    await expectCode(
      query.runQuery({ query: { collection: "cities", search: { within: { region: { case: "box", value: { low: { latitude: 10, longitude: 0 }, high: { latitude: 5, longitude: 1 } } } } } } }),
      Code.InvalidArgument,
      /north of high/,
    );
    await expectCode(query.runQuery({ query: { collection: "cities", search: near(91, 0, 10) } }), Code.InvalidArgument);
    await expectCode(query.runQuery({ query: { collection: "cities", search: near(0, 0, 3e7) } }), Code.InvalidArgument);
    await expectCode(
      query.runQuery({ query: { collection: "cities", search: near(0, 0, 10), orderBy: [{ field: "name", direction: Order_Direction.ASCENDING }] } }),
      Code.InvalidArgument,
      /order_by/,
    );
    await expectCode(query.runQuery({ query: { collection: "no_index_here", search: near(0, 0, 10) } }), Code.FailedPrecondition, /no search index/);
    await admin.createSearchIndex({ index: { collection: "textonly", textFields: [{ field: "name" }] } });
    await expectCode(query.runQuery({ query: { collection: "textonly", search: near(0, 0, 10) } }), Code.FailedPrecondition, /no geo_field/);
    // A page token of one geo query is refused by another.
    const first = await query.runQuery({ query: { collection: "cities", search: near(48.8566, 2.3522, 1_500_000) }, pageSize: 1 });
    expect(first.nextPageToken).not.toBe("");
    await expectCode(query.runQuery({ query: { collection: "cities", search: near(48.8566, 2.3522, 1_400_000) }, pageSize: 1, pageToken: first.nextPageToken }), Code.InvalidArgument);
    // Nothing changed.
    expect(await walk(undefined, { collection: "cities", search: near(48.8566, 2.3522, 1_500_000) }, 100)).toEqual(nearest({ lat: 48.8566, lng: 2.3522 }, 1_500_000));
  });

  it("live resharding (8 to 12 shards) keeps the geo index: every located document found once, writes after the cutover too", { timeout: 120_000 }, async () => {
    const database = "geo-reshard";
    await connectClient(AdminService).createDatabase({ databaseId: database, database: { placement: {} } });
    const { admin, db } = clients(database);
    await admin.createSearchIndex({ index: { collection: "pts", geoField: "loc" } });
    const points: Array<[string, number, number]> = Array.from({ length: 300 }, (_, i) => [`p${i}`, ((i * 37) % 170) - 85, ((i * 101) % 360) - 180]);
    for (let i = 0; i < points.length; i += 100) {
      await db.batchWriteDocuments({ writes: points.slice(i, i + 100).map(([id, lat, lng]) => ({ ref: ref("pts", id), operation: { case: "set" as const, value: { loc: { lat, lng } } } })) });
    }
    await admin.startResharding({ shardCount: 12 });
    for (;;) {
      const { resharding } = await admin.getResharding({});
      if (resharding?.phase === Resharding_Phase.DONE) {
        expect(resharding.state).toBe(Resharding_State.SUCCEEDED);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await db.setDocument({ ref: ref("pts", "late"), data: { loc: { lat: 1, lng: 1 } } });
    const all = await walk(database, { collection: "pts", search: near(0, 0, 20_037_509) }, 500);
    expect(all.map(([id]) => id).sort()).toEqual([...points.map(([id]) => id), "late"].sort());
    const box = await walk(database, { collection: "pts", search: { within: { region: { case: "box", value: { low: { latitude: -10, longitude: 150 }, high: { latitude: 40, longitude: -150 } } } } } }, 7);
    const expectedBox = points.filter(([, lat, lng]) => lat >= -10 && lat <= 40 && (lng >= 150 || lng <= -150)).map(([id]) => id).sort();
    expect(box.map(([id]) => id)).toEqual(expectedBox);
  });
});

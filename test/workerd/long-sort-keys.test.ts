import { describe, expect, it } from "vitest";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { QuerySchema } from "../../gen/impossibledb/v1/query_pb.js";
import { PAGE_TOKEN_LENGTH_MAX } from "../../src/limits.js";
import { compareStrings } from "../../src/query/values.js";
import { connectClient } from "./helpers.js";

// Page tokens carry the last sort key of a page. Keys of 10,000 characters
// (a document may hold a 1 MiB string) made tokens longer than
// PAGE_TOKEN_LENGTH_MAX, which the server then refused: nothing past page 1.

const db = connectClient(CollectionService);
const query = connectClient(QueryService);
type QueryInit = MessageInitShape<typeof QuerySchema>;
type Doc = { id: string; data: Record<string, string> };

const LONG = 10_000;
/** A 10,000-character string: a long shared stem (so cut prefixes collide), then what tells them apart. */
const long = (stem: string, tail: string) => (stem.repeat(Math.ceil(LONG / stem.length)).slice(0, LONG - tail.length) + tail);

async function put(collection: string, docs: Doc[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 20) {
    await db.batchWriteDocuments({
      writes: docs.slice(i, i + 20).map((d) => ({ ref: { collection, id: d.id }, operation: { case: "set" as const, value: d.data as never } })),
    });
  }
}

/** Walks every page, checking each token fits; `between` runs after each page with its last id. */
async function walk(q: QueryInit, pageSize: number, between?: (lastId: string, round: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let pageToken = "";
  for (let round = 0; round < 200; round++) {
    const page = await query.runQuery({ query: q, pageSize, pageToken });
    seen.push(...page.documents.map((d) => d.id));
    expect(page.nextPageToken.length).toBeLessThanOrEqual(PAGE_TOKEN_LENGTH_MAX);
    pageToken = page.nextPageToken;
    if (pageToken === "") return seen;
    await between?.(seen[seen.length - 1]!, round);
  }
  throw new Error("the walk did not end");
}

function sortedIds(docs: Doc[], keys: Array<(d: Doc) => string>, descending = false): string[] {
  const sign = descending ? -1 : 1;
  return [...docs]
    .sort((a, b) => {
      for (const k of keys) {
        const c = compareStrings(k(a), k(b));
        if (c !== 0) return sign * c;
      }
      return sign * compareStrings(a.id, b.id);
    })
    .map((d) => d.id);
}

// Bodies share 9,990 characters, some share all 10,000 (ties go to the id),
// and one is made of control characters (6 bytes each in a token's JSON).
const bodies: Doc[] = [
  ...Array.from({ length: 30 }, (_, i) => ({ id: `b${String(i).padStart(2, "0")}`, data: { body: long("lorem ipsum ", String((i * 7) % 30).padStart(4, "0")) } })),
  ...Array.from({ length: 4 }, (_, i) => ({ id: `tie${i}`, data: { body: long("lorem ipsum ", "0010") } })),
  { id: "ctl", data: { body: long("\u0001\u0002", "") } },
  { id: "emoji", data: { body: long("\u{1F600}é", "!") } },
];

describe("page tokens of long sort keys", () => {
  it("a walk sorted on 10,000-character strings returns every document exactly once, in order, both ways", async () => {
    await put("long_body", bodies);
    const asc = await walk({ collection: "long_body", orderBy: [{ field: "body" }] }, 4);
    expect(asc).toEqual(sortedIds(bodies, [(d) => d.data.body!]));
    const desc = await walk({ collection: "long_body", orderBy: [{ field: "body", direction: Order_Direction.DESCENDING }] }, 3);
    expect(desc).toEqual(sortedIds(bodies, [(d) => d.data.body!], true));
  });

  it("a two-field sort on long strings, with ties on the first, returns every document exactly once", async () => {
    const docs: Doc[] = Array.from({ length: 36 }, (_, i) => ({
      id: `d${String(i).padStart(2, "0")}`,
      data: { title: long("title ", String(i % 3)), body: long("body ", String((i * 5) % 12).padStart(3, "0")) },
    }));
    await put("long_two", docs);
    const q: QueryInit = { collection: "long_two", orderBy: [{ field: "title" }, { field: "body", direction: Order_Direction.DESCENDING }] };
    const seen = await walk(q, 5);
    expect(seen).toEqual(expectedTwo(docs));
  });

  it("when the page's last document changes or goes between pages, the walk goes on where it stood: every other document exactly once, in order", async () => {
    const docs: Doc[] = Array.from({ length: 24 }, (_, i) => ({ id: `m${String(i).padStart(2, "0")}`, data: { body: long("stem ", String(i).padStart(3, "0")) } }));
    for (const descending of [false, true]) {
      const collection = descending ? "long_moved_desc" : "long_moved_asc";
      await put(collection, docs);
      const touched = new Set<string>();
      const q: QueryInit = { collection, orderBy: [{ field: "body", direction: descending ? Order_Direction.DESCENDING : Order_Direction.ASCENDING }] };
      const seen = await walk(q, 5, async (lastId, round) => {
        touched.add(lastId);
        if (round % 2 === 0) await db.deleteDocument({ ref: { collection, id: lastId } });
        else await put(collection, [{ id: lastId, data: { body: long("stem ", "zzz") } }]);
      });
      for (const d of docs) if (!touched.has(d.id)) expect(seen).toContain(d.id);
      // The anchor's key is found in its history (the row its change
      // replaced), so the walk resumes exactly where it stood: the untouched
      // documents come once each, in order (they used to come again from the
      // shared prefix on every page whose last document changed).
      const untouched = docs.filter((d) => !touched.has(d.id));
      const order = seen.filter((id) => untouched.some((d) => d.id === id));
      expect(order).toEqual(sortedIds(untouched, [(d) => d.data.body!], descending));
    }
  }, 30_000); // up to 2 x 200 pages of 10,000-character keys, with writes between them: 2.4-4.2 s alone, past the 5 s default on a loaded machine
});

function expectedTwo(docs: Doc[]): string[] {
  // title ascending, body descending, id descending (the last key's direction).
  return [...docs]
    .sort((a, b) => compareStrings(a.data.title!, b.data.title!) || -compareStrings(a.data.body!, b.data.body!) || -compareStrings(a.id, b.id))
    .map((d) => d.id);
}

import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { env, runInDurableObject } from "cloudflare:test";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { connectClient, expectCode } from "./helpers.js";
import type { StorageObject } from "../../src/objects/StorageObject.js";

const db = connectClient(CollectionService);
const admin = connectClient(AdminService);

async function fill(collection: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `id-${String(i).padStart(4, "0")}`);
  for (let i = 0; i < ids.length; i += 250) {
    await db.batchWriteDocuments({
      writes: ids.slice(i, i + 250).map((id) => ({ ref: { collection, id }, operation: { case: "set" as const, value: { n: id } } })),
    });
  }
  return ids;
}

describe("listing", () => {
  it("a page walk returns every document once, in id order", async () => {
    const ids = await fill("walk", 235);
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await db.listDocuments({ collection: "walk", pageSize: 50, pageToken });
      expect(page.documents.length).toBeLessThanOrEqual(50);
      seen.push(...page.documents.map((d) => d.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    expect(pages).toBe(5);
    expect(seen).toEqual(ids);
  });

  it("documents added during a walk do not make it repeat or skip what was there", async () => {
    const ids = await fill("growing", 60);
    const seen: string[] = [];
    let pageToken = "";
    let added = 0;
    do {
      const page = await db.listDocuments({ collection: "growing", pageSize: 7, pageToken });
      seen.push(...page.documents.map((d) => d.id));
      pageToken = page.nextPageToken;
      await db.setDocument({ ref: { collection: "growing", id: `id-0000-extra-${added++}` }, data: {} });
    } while (pageToken !== "");
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
  });

  it("listing one collection never reads another collection's rows", async () => {
    await fill("small", 3);
    await fill("big", 400);
    const { table } = await admin.getRoutingTable({});
    let rowsRead = 0;
    for (const { id } of table!.shards) {
      const stub = env.SHARD.get(env.SHARD.idFromName(id));
      rowsRead += await runInDurableObject(stub, (obj: StorageObject) => {
        const page = obj.list("small", null, 100);
        if (!page.ok) throw new Error("no transaction holds locks here");
        return page.rowsRead;
      });
    }
    // The range search on (collection, id) reads the collection's rows plus
    // at most the one row after its range on each shard; "big" alone has 400.
    expect(rowsRead).toBeGreaterThanOrEqual(3);
    expect(rowsRead).toBeLessThanOrEqual(3 + table!.shards.length);
  });

  it("a tampered page token is InvalidArgument, and so is one from another collection", async () => {
    await fill("tamper", 5);
    const { nextPageToken } = await db.listDocuments({ collection: "tamper", pageSize: 2 });
    const [body, mac] = nextPageToken.split(".") as [string, string];
    const forged = btoa(JSON.stringify({ s: "list:tamper", p: "id-0000" })).replace(/=+$/, "");
    await expectCode(db.listDocuments({ collection: "tamper", pageToken: `${forged}.${mac}` }), Code.InvalidArgument, /page_token is invalid/);
    await expectCode(db.listDocuments({ collection: "tamper", pageToken: `${body}x.${mac}` }), Code.InvalidArgument);
    await expectCode(db.listDocuments({ collection: "small", pageToken: nextPageToken }), Code.InvalidArgument, /different request/);
  });

  // A whole-suite run shares its workerd with the resharding tests, which can hold the one thread for seconds.
  it("ExportDocuments streams a whole collection in batches", { timeout: 30_000 }, async () => {
    const ids = await fill("export", 130);
    const batches: number[] = [];
    const exported: string[] = [];
    for await (const res of admin.exportDocuments({ collection: "export", batchSize: 50 })) {
      batches.push(res.documents.length);
      exported.push(...res.documents.map((d) => d.id));
    }
    expect(batches).toEqual([50, 50, 30]);
    expect(exported).toEqual(ids);
  });
});

/**
 * A copy page's bounds (routing/reshard-shard.ts `exportPage`): at most
 * `rowsMax` moving rows, `bytesMax` bytes of them and `scanMax` rows looked
 * at per page, and a walk of such pages carries every moving document of
 * the source exactly once, whichever bound cut each page. Small pages keep
 * each synchronous copy step short (RESHARD_COPY_PAGE_ROWS_MAX), so they
 * must not skip or repeat a row where a page ends.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import type { ReshardingShard } from "../../src/routing/resharding-driver.js";
import type { ShardEpoch } from "../../src/routing/shard-epoch.js";
import type { ShardWrite, ShardWriteOutcome } from "../../src/storage/types.js";
import type { RowCursor } from "../../src/routing/reshard-shard.js";
import { createShardRouter, type RoutingTable } from "../../src/routing/router.js";
import { RESHARD_COPY_PAGE_ROWS_MAX, RESHARD_COPY_SCAN_ROWS_MAX } from "../../src/routing/limits.js";

interface Shard extends Omit<ReshardingShard, "reshardStamp"> {
  reshardStamp(shardId: string, table: RoutingTable): Promise<ShardEpoch>;
  write(writes: ShardWrite[]): Promise<ShardWriteOutcome>;
}
const shard = (id: string): Shard => env.SHARD.get(env.SHARD.idFromName(id)) as unknown as Shard;
const COLLECTION = "pages";
const DOCUMENTS = 120;

/** One source of a grow from one shard to two, holding DOCUMENTS documents; returns the target table and the ids that move. */
async function source(name: string): Promise<{ target: RoutingTable; moving: string[] }> {
  const table: RoutingTable = { version: 1, shards: [name], virtualNodesPerShard: 64 };
  const target: RoutingTable = { version: 2, shards: [name, `${name}-new`], virtualNodesPerShard: 64 };
  await shard(name).reshardStamp(name, table);
  for (let i = 0; i < DOCUMENTS; i += 40) {
    const writes: ShardWrite[] = Array.from({ length: 40 }, (_, j) => ({ op: "set", collection: COLLECTION, id: `d${String(i + j).padStart(3, "0")}`, data: { n: i + j, pad: "x".repeat(100) } }));
    const outcome = await shard(name).write(writes);
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  }
  const router = createShardRouter(target);
  const moving = Array.from({ length: DOCUMENTS }, (_, i) => `d${String(i).padStart(3, "0")}`).filter((id) => router.shardFor(COLLECTION, id) !== name);
  expect(moving.length, "some documents move").toBeGreaterThan(10);
  return { target, moving };
}

/** Walks every page with the given bounds; returns the ids carried, in order, and the pages' sizes. */
async function walk(name: string, target: RoutingTable, bytesMax: number, rowsMax?: number, scanMax?: number): Promise<{ ids: string[]; pages: Array<{ rows: number; scanned: number }> }> {
  const ids: string[] = [];
  const pages: Array<{ rows: number; scanned: number }> = [];
  let cursor: RowCursor | null = null;
  let first = true;
  do {
    const page = await shard(name).reshardExport(target, cursor, bytesMax, first, rowsMax, scanMax);
    first = false;
    ids.push(...page.changes.map((c) => c.id));
    pages.push({ rows: page.changes.length, scanned: page.scanned });
    cursor = page.next;
    expect(pages.length, "the walk ends").toBeLessThan(10_000);
  } while (cursor !== null);
  return { ids, pages };
}

describe("a resharding copy page", () => {
  it("carries at most rowsMax moving rows and looks at most at scanMax rows, and the walk carries each moving document once", async () => {
    const { target, moving } = await source("copy-rows");
    const { ids, pages } = await walk("copy-rows", target, 1024 * 1024, 3, 7);
    for (const p of pages) {
      expect(p.rows).toBeLessThanOrEqual(3);
      expect(p.scanned).toBeLessThanOrEqual(7);
    }
    expect(pages.some((p) => p.rows === 3), "the row bound cut some page").toBe(true);
    expect(ids).toEqual(moving);
  });

  it("cut by bytes, one document a page when a document passes the bound", async () => {
    const { target, moving } = await source("copy-bytes");
    const { ids, pages } = await walk("copy-bytes", target, 1, 50, 50);
    for (const p of pages) expect(p.rows).toBeLessThanOrEqual(1);
    expect(ids).toEqual(moving);
  });

  it("by default, bound by RESHARD_COPY_PAGE_ROWS_MAX and RESHARD_COPY_SCAN_ROWS_MAX", async () => {
    const { target, moving } = await source("copy-default");
    const { ids, pages } = await walk("copy-default", target, 1024 * 1024);
    for (const p of pages) {
      expect(p.rows).toBeLessThanOrEqual(RESHARD_COPY_PAGE_ROWS_MAX);
      expect(p.scanned).toBeLessThanOrEqual(RESHARD_COPY_SCAN_ROWS_MAX);
    }
    expect(ids).toEqual(moving);
  });
});

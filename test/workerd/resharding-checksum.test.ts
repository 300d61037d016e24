/**
 * The resharding checksum taken before the fence (README "Live resharding",
 * R2): a source's checksum is computed at a change-log position before its
 * fence and only adjusted at the fence; a target keeps a running checksum of
 * what it stored. These tests drive a shard's resharding steps directly
 * (as the shard manager does, resharding-driver.ts) on shards of their own,
 * so a write can be placed exactly between the checksum and the fence, and
 * a copy corrupted exactly where a bug would.
 */
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import type { ReshardingShard } from "../../src/routing/resharding-driver.js";
import type { ShardEpoch } from "../../src/routing/shard-epoch.js";
import type { ShardWrite, ShardWriteOutcome } from "../../src/storage/types.js";
import { sameChecksum, type RangeChecksum } from "../../src/routing/reshard-checksum.js";
import type { ChecksumBase, ChecksumProgress, MovingChange } from "../../src/routing/reshard-shard.js";
import { createShardRouter, type RoutingTable, type ShardRouter } from "../../src/routing/router.js";
import type { ShardAggregationRequest, ShardQueryRequest } from "../../src/query/shard-query.js";
import { MATCH_ALL } from "../../src/query/expression.js";
import { isRefusalAnswer } from "../../src/objects/rpc-refusals.js";

/** The shard calls these tests make (a narrow view of StorageObject's RPC surface). */
interface Shard extends Omit<ReshardingShard, "reshardStamp"> {
  reshardStamp(shardId: string, table: RoutingTable): Promise<ShardEpoch>;
  write(writes: ShardWrite[]): Promise<ShardWriteOutcome>;
  list(collection: string, afterId: string | null, limit: number, epoch?: number): Promise<{ ok: true; documents: Array<{ id: string }>; hasMore: boolean } | { ok: false }>;
  query(req: ShardQueryRequest, epoch?: number): Promise<{ ok: true; documents: Array<{ id: string }> } | { ok: false; message?: string }>;
  aggregate(req: ShardAggregationRequest, epoch?: number): Promise<{ ok: true; groups: Array<{ accumulators: Array<{ count: number }> }> } | { ok: false }>;
  searchStats(req: unknown, epoch?: number): Promise<unknown>;
  changeHead(epoch?: number): Promise<number>;
  listenSnapshot(req: ShardQueryRequest, epoch?: number): Promise<{ ok: true; documents: Array<{ id: string }> } | { ok: false; message?: string }>;
  changes(collection: string, id: string | null, afterSeq: number, waitMs: number, epoch?: number): Promise<{ ok: true; rows: Array<{ id: string; op: string }> } | { ok: false }>;
  collections(afterName: string | null, limit: number, epoch?: number): Promise<{ collections: Array<{ name: string; documentCount: number }>; hasMore: boolean }>;
  deleteCollection(collection: string, limit: number, epoch?: number): Promise<{ ok: true; deleted: number; more: boolean } | { ok: false }>;
}
const stubOf = (id: string) => env.SHARD.get(env.SHARD.idFromName(id));
const shard = (id: string): Shard => stubOf(id) as unknown as Shard;
const COLLECTION = "items";
const DOCUMENTS = 60;
/** Moving keys per checksum-point step: small, so a point takes several steps. */
const CHECKSUM_KEYS_PER_STEP = 3;

/** A grow of two shards to three, copied and caught up, with every source's checksum taken: the state just before the fence. */
interface Prepared {
  readonly table: RoutingTable;
  readonly target: RoutingTable;
  /** Routers of the table before and the table after. */
  readonly before: ShardRouter;
  readonly router: ShardRouter;
  readonly sources: string[];
  readonly newShard: string;
  readonly applied: Map<string, number>;
  readonly bases: Map<string, ChecksumBase>;
  /** Ids that move to the new shard. */
  readonly moving: string[];
}

async function write(router: ShardRouter, id: string, data: { n: number } | null): Promise<void> {
  const owner = router.shardFor(COLLECTION, id);
  const outcome = await shard(owner).write([data === null ? { op: "delete", collection: COLLECTION, id } : { op: "set", collection: COLLECTION, id, data }]);
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
}

function mine(changes: readonly MovingChange[], to: string): Array<Omit<MovingChange, "target">> {
  return changes.filter((c) => c.target === to).map(({ target: _t, ...c }) => c);
}

async function prepare(prefix: string, betweenPages?: (source: string, step: number) => Promise<void>): Promise<Prepared> {
  const sources = [`${prefix}-0`, `${prefix}-1`];
  const newShard = `${prefix}-2`;
  const table: RoutingTable = { version: 1, shards: sources, virtualNodesPerShard: 64 };
  const target: RoutingTable = { version: 2, shards: [...sources, newShard], virtualNodesPerShard: 64 };
  for (const id of target.shards) await shard(id).reshardStamp(id, table);
  const before = createShardRouter(table);
  for (let i = 0; i < DOCUMENTS; i++) await write(before, `d${i}`, { n: i });
  const router = createShardRouter(target);
  const moving = Array.from({ length: DOCUMENTS }, (_, i) => `d${i}`).filter((id) => router.shardFor(COLLECTION, id) === newShard);
  expect(moving.length, "some documents move to the new shard").toBeGreaterThan(3);

  await shard(newShard).reshardDiscard(true);
  const applied = new Map<string, number>();
  const bases = new Map<string, ChecksumBase>();
  for (const source of sources) {
    let cursor = null;
    let first = true;
    do {
      const page = await shard(source).reshardExport(target, cursor, 1024 * 1024, first);
      if (first) applied.set(source, page.headSeq);
      first = false;
      await shard(newShard).reshardStage(mine(page.changes, newShard), true);
      cursor = page.next;
    } while (cursor !== null);
    // A few keys per step, so the checksum point takes several pages.
    let progress: ChecksumProgress | null = null;
    for (let step = 0; ; step++) {
      const read = await shard(source).reshardChecksum(target, applied.get(source)!, 1000, progress, CHECKSUM_KEYS_PER_STEP);
      if (!read.ok) throw new Error("log trimmed");
      await shard(newShard).reshardStage(mine(read.changes, newShard), true);
      applied.set(source, read.throughSeq);
      progress = read.progress;
      if (progress?.done === true) {
        bases.set(source, { atSeq: progress.atSeq, sums: progress.sums });
        break;
      }
      await betweenPages?.(source, step);
    }
  }
  expect(await verifyAll(newShard)).toMatchObject({ done: true, ok: true });
  return { table, target, before, router, sources, newShard, applied, bases, moving };
}

/** Copies one verification step reads: few, so a target's verification takes several steps. */
const VERIFY_ROWS_PER_STEP = 7;

/** Verifies a (direct) target step by step, as the driver does, and returns the verdict with the number of steps it took. */
async function verifyAll(target: string): Promise<{ done: true; ok: boolean; mismatch?: string; steps: number }> {
  let progress = null;
  for (let steps = 1; steps <= 10_000; steps++) {
    const step = await shard(target).reshardVerify(true, progress, VERIFY_ROWS_PER_STEP);
    if (step.done) return { ...step, steps };
    progress = step.progress;
  }
  throw new Error(`the verification of ${target} did not end`);
}

/** Fences every source (with its checksum base, or none: computed whole) and returns what the new shard must be promoted with. */
async function fenceAll(p: Prepared, withBase: boolean) {
  const changes: Array<Omit<MovingChange, "target">> = [];
  const expected: Record<string, RangeChecksum> = {};
  const clock = { lastTs: 0, maxReadTs: 0 };
  for (const source of p.sources) {
    const outcome = await shard(source).reshardFence(p.target, p.applied.get(source)!, 1000, withBase ? p.bases.get(source)! : null);
    if (!outcome.ok) throw new Error(`fence of ${source}: ${outcome.reason}`);
    changes.push(...mine(outcome.drained, p.newShard));
    expected[source] = outcome.checksums[p.newShard] ?? { count: 0, lo: 0, hi: 0 };
    clock.lastTs = Math.max(clock.lastTs, outcome.lastTs);
    clock.maxReadTs = Math.max(clock.maxReadTs, outcome.maxReadTs);
  }
  return { changes, expected, clock };
}

async function rowOn(shardId: string, id: string): Promise<{ version: number; data: string } | null> {
  return runInDurableObject(stubOf(shardId), (_o, state) =>
    state.storage.sql.exec<{ version: number; data: string }>("SELECT version, data FROM documents WHERE collection = ? AND id = ?", COLLECTION, id).toArray()[0] ?? null,
  );
}

// Each case drives a whole resharding step by step: a few seconds alone, more on a loaded machine (the default 5 s was hit once beside a CI run).
describe("the resharding checksum taken before the fence", { timeout: 30_000 }, () => {
  it("counts writes that land between the checksum and the fence: an update, a new document and a delete", async () => {
    const p = await prepare("chk-a");
    const [updated, deleted] = p.moving;
    await write(p.before, updated!, { n: 1000 });
    await write(p.before, deleted!, null);
    const created = Array.from({ length: 200 }, (_, i) => `new${i}`).find((id) => p.router.shardFor(COLLECTION, id) === p.newShard)!;
    await write(p.before, created, { n: 2000 });

    const fenced = await fenceAll(p, true);
    // The writes changed what moves: the checksums before the fence no longer hold...
    const before = p.sources.map((s) => p.bases.get(s)!.sums[p.newShard] ?? { count: 0, lo: 0, hi: 0 });
    expect(p.sources.some((s, i) => !sameChecksum(fenced.expected[s]!, before[i]!))).toBe(true);
    // ...and the adjusted ones equal the checksums computed whole (a fence repeated without its base).
    const whole = await fenceAll(p, false);
    for (const s of p.sources) expect(fenced.expected[s], s).toEqual(whole.expected[s]);

    const promoted = await shard(p.newShard).reshardPromote(p.target, { clock: fenced.clock, changes: fenced.changes, direct: true, expected: fenced.expected });
    expect(promoted).toEqual({ ok: true });
    expect(JSON.parse((await rowOn(p.newShard, updated!))!.data)).toEqual({ n: 1000 });
    expect(await rowOn(p.newShard, deleted!)).toBeNull();
    expect(JSON.parse((await rowOn(p.newShard, created))!.data)).toEqual({ n: 2000 });
    expect((await shard(p.newShard).reshardStamp(p.newShard, p.target)).epoch).toBe(2);
  });

  it("counts writes made between two pages of a checksum point, to keys already counted and to keys not yet", async () => {
    const ids = Array.from({ length: DOCUMENTS }, (_, i) => `d${i}`);
    const table: RoutingTable = { version: 1, shards: ["chk-p-0", "chk-p-1"], virtualNodesPerShard: 64 };
    const before = createShardRouter(table);
    let n = 5000;
    const p = await prepare("chk-p", async (source, step) => {
      // After each step, change every document of that source once more (a
      // delete, then a create, alternately): keys in pages already taken
      // must be adjusted, later ones read as they are.
      if (step > 3) return;
      for (const id of ids.filter((i) => before.shardFor(COLLECTION, i) === source && Number(i.slice(1)) % 3 === step % 3)) {
        await write(before, id, step % 2 === 0 ? null : { n: n++ });
      }
    });
    const fenced = await fenceAll(p, true);
    const whole = await fenceAll(p, false);
    for (const s of p.sources) expect(fenced.expected[s], s).toEqual(whole.expected[s]);
    expect(await shard(p.newShard).reshardPromote(p.target, { clock: fenced.clock, changes: fenced.changes, direct: true, expected: fenced.expected })).toEqual({ ok: true });
  });

  it("refuses to promote a target whose copies differ from its sources: an altered, a lost and a duplicated document", async () => {
    const cases: Array<[string, (p: Prepared, row: (id: string) => Promise<MovingChange["row"]>) => Promise<Array<Omit<MovingChange, "target">>>]> = [
      ["altered", async (p, row) => [{ collection: COLLECTION, id: p.moving[0]!, row: { ...(await row(p.moving[0]!))!, data: JSON.stringify({ n: -1 }) } }]],
      ["lost", async (p) => [{ collection: COLLECTION, id: p.moving[1]!, row: null }]],
      ["duplicated", async (p) => {
        const stays = Array.from({ length: DOCUMENTS }, (_, i) => `d${i}`).find((id) => p.router.shardFor(COLLECTION, id) !== p.newShard)!;
        const r = (await runInDurableObject(stubOf(p.before.shardFor(COLLECTION, stays)), (_o, state) =>
          state.storage.sql.exec("SELECT * FROM documents WHERE collection = ? AND id = ?", COLLECTION, stays).one(),
        )) as unknown as NonNullable<MovingChange["row"]>;
        return [{ collection: COLLECTION, id: stays, row: r }];
      }],
    ];
    for (const [name, corrupt] of cases) {
      const p = await prepare(`chk-b-${name}`);
      const row = async (id: string) => (await runInDurableObject(stubOf(p.newShard), (_o, state) =>
        state.storage.sql.exec("SELECT * FROM documents WHERE collection = ? AND id = ?", COLLECTION, id).one(),
      )) as unknown as NonNullable<MovingChange["row"]>;
      // A bug that stores a wrong row on the target, as a copy step would.
      await shard(p.newShard).reshardStage(await corrupt(p, row), true);
      const fenced = await fenceAll(p, true);
      const promoted = await shard(p.newShard).reshardPromote(p.target, { clock: fenced.clock, changes: fenced.changes, direct: true, expected: fenced.expected });
      expect(promoted.ok, `${name}: ${JSON.stringify(promoted)}`).toBe(false);
      // Not promoted: the new shard still serves the old table, so none of its copies is served.
      expect((await shard(p.newShard).reshardStamp(p.newShard, p.table)).epoch, name).toBe(1);
    }
  });

  it("finds a target row changed behind the resharding's steps before the cutover", async () => {
    const p = await prepare("chk-c");
    const original = await rowOn(p.before.shardFor(COLLECTION, p.moving[0]!), p.moving[0]!);
    await runInDurableObject(stubOf(p.newShard), (_o, state) => {
      state.storage.sql.exec("UPDATE documents SET data = ? WHERE collection = ? AND id = ?", JSON.stringify({ n: -1 }), COLLECTION, p.moving[0]!);
    });
    const check = await verifyAll(p.newShard);
    expect(check.ok).toBe(false);
    // Paged: several steps of VERIFY_ROWS_PER_STEP copies, the verdict after the last.
    expect(check.steps).toBeGreaterThan(2);
    // Copied again (discard, then every page), it agrees with its sources and is promoted.
    await shard(p.newShard).reshardDiscard(true);
    for (const source of p.sources) {
      let cursor = null;
      do {
        const page = await shard(source).reshardExport(p.target, cursor, 1024 * 1024, false);
        await shard(p.newShard).reshardStage(mine(page.changes, p.newShard), true);
        cursor = page.next;
      } while (cursor !== null);
    }
    expect(await verifyAll(p.newShard)).toMatchObject({ done: true, ok: true });
    const fenced = await fenceAll(p, true);
    expect(await shard(p.newShard).reshardPromote(p.target, { clock: fenced.clock, changes: fenced.changes, direct: true, expected: fenced.expected })).toEqual({ ok: true });
    expect(await rowOn(p.newShard, p.moving[0]!)).toEqual(original);
  });
  it("a fenced source answers queries, lists, counts, searches and new listeners for the keys it still owns while it releases its moved rows, each document once", async () => {
    const p = await prepare("rel");
    const fenced = await fenceAll(p, true);
    expect(await shard(p.newShard).reshardPromote(p.target, { clock: fenced.clock, changes: fenced.changes, direct: true, expected: fenced.expected })).toEqual({ ok: true });
    const query: ShardQueryRequest = { collection: COLLECTION, filter: MATCH_ALL, order: [], after: null, limit: 1000, rowsReadMax: 100_000, explain: false };
    const count: ShardAggregationRequest = { collection: COLLECTION, filter: MATCH_ALL, groupBy: [], aggregations: [{ alias: "n", fn: "count", path: null }], rowsReadMax: 100_000, explain: false };
    const every = Array.from({ length: DOCUMENTS }, (_, i) => `d${i}`).sort();
    /** Every shard of the new table answers at its epoch (2); together they list each document once. */
    const answers = async () => {
      const listed: string[] = [];
      const queried: string[] = [];
      let counted = 0;
      for (const id of p.target.shards) {
        const page = await shard(id).list(COLLECTION, null, 1000, 2);
        if (!page.ok || isRefusalAnswer(page)) throw new Error(`${id} refused the list: ${JSON.stringify(page)}`);
        const mineNow = page.documents.map((d) => d.id);
        // A source answers only for the keys it owns under the new table.
        for (const doc of mineNow) expect(p.router.shardFor(COLLECTION, doc), `${doc} listed by ${id}`).toBe(id);
        listed.push(...mineNow);
        const found = await shard(id).query(query, 2);
        if (!found.ok || isRefusalAnswer(found)) throw new Error(`${id} refused the query: ${JSON.stringify(found)}`);
        queried.push(...found.documents.map((d) => d.id));
        const n = await shard(id).aggregate(count, 2);
        if (!n.ok || isRefusalAnswer(n)) throw new Error(`${id} refused the count: ${JSON.stringify(n)}`);
        counted += n.groups[0]?.accumulators[0]?.count ?? 0;
      }
      return { listed: listed.sort(), queried: queried.sort(), counted };
    };
    // Before any moved row is released: the sources still hold them, but leave them out.
    expect(await rowOn(p.before.shardFor(COLLECTION, p.moving[0]!), p.moving[0]!)).not.toBeNull();
    expect(await answers()).toEqual({ listed: every, queried: every, counted: DOCUMENTS });
    // A request routed by the old table is still refused as moved (the Worker routes it again).
    expect(isRefusalAnswer(await shard(p.sources[0]!).list(COLLECTION, null, 1000, 1))).toBe(true);
    // Searches are served too, leaving the moved rows out (test/unit/search/releasing-source.test.ts
    // holds their answers to an oracle); routed by the old table they are refused as moved.
    const stats = { collection: COLLECTION, phrases: [], typo: [] };
    expect(isRefusalAnswer(await shard(p.sources[0]!).searchStats(stats, 2))).toBe(false);
    expect(isRefusalAnswer(await shard(p.sources[0]!).searchStats(stats, 1))).toBe(true);
    // So are new listeners: their snapshot leaves the moved rows out, and
    // the log after the head (read at the new epoch, after the fence) holds
    // no change to a moved key.
    const listened: string[] = [];
    for (const id of p.target.shards) {
      const head = await shard(id).changeHead(2);
      const snapshot = await shard(id).listenSnapshot(query, 2);
      if (!snapshot.ok || isRefusalAnswer(snapshot)) throw new Error(`${id} refused a listener's snapshot: ${JSON.stringify(snapshot)}`);
      listened.push(...snapshot.documents.map((d) => d.id));
      const feed = await shard(id).changes(COLLECTION, null, head, 0, 2);
      expect(isRefusalAnswer(feed), `${id} refused a listener's feed`).toBe(false);
    }
    expect(listened.sort()).toEqual(every);
    expect(isRefusalAnswer(await shard(p.sources[0]!).listenSnapshot(query, 1))).toBe(true);
    expect(isRefusalAnswer(await shard(p.sources[0]!).changes(COLLECTION, null, 0, 0, 1))).toBe(true);
    // ListCollections counts each document once (a source leaves out its moved rows).
    let listedCount = 0;
    for (const id of p.target.shards) {
      const page = await shard(id).collections(null, 100, 2);
      if (isRefusalAnswer(page)) throw new Error(`${id} refused ListCollections`);
      listedCount += page.collections.find((c) => c.name === COLLECTION)?.documentCount ?? 0;
    }
    expect(listedCount).toBe(DOCUMENTS);
    // After a release step (MOVED_ROWS_PER_RELEASE_MAX rows at most), and after the release: the same answers.
    for (const source of p.sources) await shard(source).reshardRelease();
    expect(await answers()).toEqual({ listed: every, queried: every, counted: DOCUMENTS });
    for (const source of p.sources) while (!(await shard(source).reshardRelease()).done);
    expect(await answers()).toEqual({ listed: every, queried: every, counted: DOCUMENTS });
  });
  it("DeleteCollection during the release deletes every document once: a source deletes (and logs) only the rows it still owns", async () => {
    const p = await prepare("reldel");
    const fenced = await fenceAll(p, true);
    expect(await shard(p.newShard).reshardPromote(p.target, { clock: fenced.clock, changes: fenced.changes, direct: true, expected: fenced.expected })).toEqual({ ok: true });
    const heads = new Map<string, number>();
    for (const id of p.target.shards) heads.set(id, await shard(id).changeHead(2));
    let deleted = 0;
    for (const id of p.target.shards) {
      for (;;) {
        const step = await shard(id).deleteCollection(COLLECTION, 7, 2);
        if (!step.ok || isRefusalAnswer(step)) throw new Error(`${id} refused a delete step: ${JSON.stringify(step)}`);
        deleted += step.deleted;
        if (!step.more) break;
      }
    }
    expect(deleted).toBe(DOCUMENTS);
    // Each shard logged the deletes of the documents it owns, and only those: a listener sees each removal once.
    const logged: string[] = [];
    for (const id of p.target.shards) {
      const feed = await shard(id).changes(COLLECTION, null, heads.get(id)!, 0, 2);
      if (!feed.ok || isRefusalAnswer(feed)) throw new Error(`${id} refused its feed`);
      for (const row of feed.rows) {
        expect(p.router.shardFor(COLLECTION, row.id), `${row.id} logged by ${id}`).toBe(id);
        logged.push(row.id);
      }
    }
    expect(logged.sort()).toEqual(Array.from({ length: DOCUMENTS }, (_, i) => `d${i}`).sort());
    // The moved rows are the release's to remove, unlogged.
    expect(await rowOn(p.before.shardFor(COLLECTION, p.moving[0]!), p.moving[0]!)).not.toBeNull();
    for (const source of p.sources) while (!(await shard(source).reshardRelease()).done);
    expect(await rowOn(p.before.shardFor(COLLECTION, p.moving[0]!), p.moving[0]!)).toBeNull();
  });
});

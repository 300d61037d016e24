/**
 * Live resharding with the shard manager reset (ctx.abort, as a crash) at
 * every step of the protocol (routing/resharding-driver.ts failpoints). The
 * alarm resumes the operation from its last saved step; every step is
 * idempotent, so each trial must end SUCCEEDED with every acknowledged
 * write readable at its version, no document duplicated or resurrected.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { Code } from "@connectrpc/connect";
import { AdminService, Resharding_Phase, Resharding_State } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { DEFAULT_SCOPE } from "../../src/databases/names.js";
import type { ShardManager } from "../../src/objects/ShardManager.js";
import type { ReshardingFailpoint } from "../../src/routing/resharding-driver.js";
import { connectClient, expectCode } from "./helpers.js";

const admin = connectClient(AdminService);
const docs = connectClient(CollectionService);

const TRIALS: Array<[ReshardingFailpoint, number]> = [
  ["after_stamp", 11],
  // Between one target's preparation (cleared, indexes created) and the
  // next: the next alarm prepares the rest, and clears none it copied to.
  ["after_prepare_target", 13],
  ["after_copy_page", 9],
  ["after_catch_up", 12],
  // Between the checksums taken before the fence and the fence: the writer
  // keeps writing meanwhile, and the fence must adjust them by its writes.
  ["after_checksum", 14],
  ["after_first_fence", 10],
  ["after_drain", 13],
  ["after_first_promote", 9],
  ["after_publish", 11],
  ["after_release_page", 8],
];

function manager(): DurableObjectStub<ShardManager> {
  return env.SHARD_MANAGER.get(env.SHARD_MANAGER.idFromName("shard-manager")) as DurableObjectStub<ShardManager>;
}

describe("resharding survives a shard manager crash at every step", () => {
  it("each failpoint in turn, with a writer running", { timeout: 300_000 }, async () => {
    const seeded = new Map<string, bigint>();
    for (let i = 0; i < 1000; i += 100) {
      const res = await docs.batchWriteDocuments({
        writes: Array.from({ length: 100 }, (_, j) => ({ ref: { collection: "items", id: `d${i + j}` }, operation: { case: "set" as const, value: { n: i + j } } })),
      });
      res.results.forEach((r, j) => seeded.set(`d${i + j}`, r.version));
    }
    const lastWrite = new Map<string, { n: number; version: bigint } | "deleted">();
    for (const [point, shardCount] of TRIALS) {
      let running = true;
      const writer = (async () => {
        for (let i = 0; running; i++) {
          const id = `w${i % 30}`;
          if (i % 4 === 3) {
            await docs.deleteDocument({ ref: { collection: "writes", id } });
            lastWrite.set(id, "deleted");
          } else {
            const res = await docs.setDocument({ ref: { collection: "writes", id }, data: { n: i } });
            lastWrite.set(id, { n: i, version: res.document!.version });
          }
        }
      })();
      const started = await manager().startResharding(DEFAULT_SCOPE, shardCount, point);
      expect(started.ok, JSON.stringify(started)).toBe(true);
      const startMs = Date.now();
      let done;
      for (;;) {
        done = (await admin.getResharding({})).resharding!;
        if (done.phase === Resharding_Phase.DONE) break;
        expect(Date.now() - startMs, `${point}: still ${Resharding_Phase[done.phase]}, errors ${done.errors.join("; ")}`).toBeLessThan(120_000);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      running = false;
      await writer;
      expect(done.state, `${point}: ${done.errors.join("; ")}`).toBe(Resharding_State.SUCCEEDED);
      expect(done.targetShardCount).toBe(shardCount);
      expect((await admin.getRoutingTable({})).table!.shards).toHaveLength(shardCount);

      const listed = new Map<string, bigint>();
      for (const collection of ["items", "writes"]) {
        let pageToken = "";
        do {
          const page = await docs.listDocuments({ collection, pageSize: 97, pageToken });
          for (const d of page.documents) {
            expect(listed.has(`${collection}/${d.id}`), `${point}: ${d.id} listed twice`).toBe(false);
            listed.set(`${collection}/${d.id}`, d.version);
          }
          pageToken = page.nextPageToken;
        } while (pageToken !== "");
      }
      for (const [id, version] of seeded) expect(listed.get(`items/${id}`), `${point}: items/${id}`).toBe(version);
      for (const [id, last] of lastWrite) {
        if (last === "deleted") {
          expect(listed.has(`writes/${id}`), `${point}: writes/${id} resurrected`).toBe(false);
          await expectCode(docs.getDocument({ ref: { collection: "writes", id } }), Code.NotFound);
        } else {
          expect(listed.get(`writes/${id}`), `${point}: writes/${id}`).toBe(last.version);
        }
      }
      expect(listed.size).toBe(seeded.size + [...lastWrite.values()].filter((v) => v !== "deleted").length);
      console.log(`${point} -> ${shardCount} shards: ${done.documentsCopied} copied, cutover ${done.cutoverMillis} ms, ${Date.now() - startMs} ms in all`);
    }
  });
});

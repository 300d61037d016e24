/**
 * What a resharding's cutover costs one call, as the call's answer reports
 * it: a unary call the Worker ran again after a shard answered "moved"
 * carries `impossibledb-rerouted-ms` (its time in the Worker from its first
 * attempt to its answer: the pause the cutover put on its key), and no
 * other call carries it. The shard manager is crashed right after its first
 * fence (as resharding-crash.test.ts does), so the fenced keys wait for the
 * alarm that resumes the operation: a pause long enough to be seen.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { AdminService, Resharding_Phase, Resharding_State } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { DEFAULT_SCOPE } from "../../src/databases/names.js";
import type { ShardManager } from "../../src/objects/ShardManager.js";
import { REROUTED_MS_HEADER, ROUTING_VERSION_HEADER } from "../../src/routing/routing-header.js";
import { connectClient, plannedMove } from "./helpers.js";

const admin = connectClient(AdminService);
const docs = connectClient(CollectionService);

function manager(): DurableObjectStub<ShardManager> {
  return env.SHARD_MANAGER.get(env.SHARD_MANAGER.idFromName("shard-manager")) as DurableObjectStub<ShardManager>;
}

interface Written {
  readonly id: string;
  readonly clientMs: number;
  readonly reroutedMs: string | null;
  readonly routingVersion: string | null;
}

describe("a call rerouted by a resharding's cutover says how long it waited", () => {
  it("writes to moving keys sent during the cutover carry impossibledb-rerouted-ms; other writes do not", { timeout: 120_000 }, async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `d${i}`);
    await docs.batchWriteDocuments({ writes: ids.map((id, n) => ({ ref: { collection: "items", id }, operation: { case: "set" as const, value: { n } } })) });
    const { before, after } = await plannedMove(12);
    const moving = ids.filter((id) => before.shardFor("items", id) !== after.shardFor("items", id)).slice(0, 24);
    const staying = ids.filter((id) => before.shardFor("items", id) === after.shardFor("items", id)).slice(0, 8);
    expect(moving.length).toBeGreaterThan(8);

    const written: Written[] = [];
    let running = true;
    const writer = async (targets: readonly string[]) => {
      for (let i = 0; running; i++) {
        const id = targets[i % targets.length]!;
        let reroutedMs: string | null = null;
        let routingVersion: string | null = null;
        const startMs = Date.now();
        await docs.setDocument(
          { ref: { collection: "items", id }, data: { i } },
          {
            onHeader: (h) => {
              reroutedMs = h.get(REROUTED_MS_HEADER);
              routingVersion = h.get(ROUTING_VERSION_HEADER);
            },
          },
        );
        written.push({ id, clientMs: Date.now() - startMs, reroutedMs, routingVersion });
      }
    };
    const writers = Promise.all([writer(moving), writer(moving.slice().reverse()), writer(staying)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const startedAt = written.length;
    const started = await manager().startResharding(DEFAULT_SCOPE, 12, "after_first_fence");
    expect(started.ok, JSON.stringify(started)).toBe(true);
    const startMs = Date.now();
    let done;
    for (;;) {
      done = (await admin.getResharding({})).resharding!;
      if (done.phase === Resharding_Phase.DONE) break;
      expect(Date.now() - startMs, `still ${Resharding_Phase[done.phase]}`).toBeLessThan(100_000);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    running = false;
    await writers;
    expect(done.state, done.errors.join("; ")).toBe(Resharding_State.SUCCEEDED);

    // Before the resharding began, nothing was rerouted.
    expect(written.slice(0, startedAt).filter((w) => w.reroutedMs !== null)).toEqual([]);
    // A staying key is never refused as moved.
    expect(written.filter((w) => staying.includes(w.id) && w.reroutedMs !== null)).toEqual([]);
    const rerouted = written.filter((w) => w.reroutedMs !== null);
    // The crash after the first fence held the fenced moving keys until the
    // alarm resumed the operation: some write met the fence.
    expect(rerouted.length).toBeGreaterThan(0);
    for (const w of rerouted) {
      expect(moving).toContain(w.id);
      const ms = Number(w.reroutedMs);
      expect(Number.isInteger(ms) && ms >= 0, w.reroutedMs!).toBe(true);
      // The Worker's measure lies inside the client's.
      expect(ms).toBeLessThanOrEqual(w.clientMs + 5);
      // A rerouted call was answered under the new table.
      expect(w.routingVersion).toBe(String(done.targetRoutingVersion));
    }
    // The first write to meet the fence waited for the crashed manager's
    // alarm, nearly the whole cutover (first fence to publication; a writer
    // sends its next write within a few ms of the last).
    const longest = Math.max(...rerouted.map((w) => Number(w.reroutedMs)));
    expect(longest).toBeGreaterThanOrEqual(Number(done.cutoverMillis) / 2);
    console.log(`${rerouted.length} of ${written.length - startedAt} writes rerouted; longest ${longest} ms; cutover ${done.cutoverMillis} ms`);
  });
});

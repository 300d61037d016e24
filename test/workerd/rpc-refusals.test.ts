/**
 * A shard answers "moved" and "database deleted" as values across Workers
 * RPC, not as thrown errors (objects/rpc-refusals.ts): each thrown one was an uncaught exception of the
 * object, and a resharding's burst of them froze a local server for
 * seconds (the new-user report of 2026-12-01). Callers through `shardStub`
 * still see the moved error, as before.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import type { Env } from "../../src/env.js";
import { movedEpochOf, movedMessage } from "../../src/routing/moved.js";
import { isRefusalAnswer } from "../../src/objects/rpc-refusals.js";
import { DATABASE_DELETED_MESSAGE } from "../../src/errors.js";
import { shardStub } from "../../src/shards/shard-client.js";
import { databaseEnv } from "../../src/databases/database-env.js";
import { DEFAULT_SCOPE } from "../../src/databases/names.js";
import type { RoutingTable } from "../../src/routing/router.js";

const testEnv = env as unknown as Env;

describe("expected refusals across RPC", () => {
  it("crosses RPC as a value; shardStub throws it as the moved error; other errors and answers are untouched", async () => {
    const raw = testEnv.SHARD.get(testEnv.SHARD.idFromName("moved-answer-0")) as unknown as {
      reshardStamp(id: string, table: RoutingTable): Promise<unknown>;
      changesWindow(collection: string, afterSeq: number, throughSeq: number, epoch?: number): Promise<unknown>;
      changes(collection: string, id: string | null, afterSeq: number, waitMs: number, epoch?: number): Promise<unknown>;
    };
    await raw.reshardStamp("moved-answer-0", { version: 3, shards: ["moved-answer-0"], virtualNodesPerShard: 16 });
    // A synchronous method and an async one, asked under an older epoch: a value each, nothing thrown.
    const answer = await raw.changesWindow("c", 0, 0, 2);
    expect(isRefusalAnswer(answer)).toBe(true);
    expect(answer).toEqual({ impossibledbRefusal: movedMessage(3) });
    expect(await raw.changes("c", null, 0, 0, 2)).toEqual({ impossibledbRefusal: movedMessage(3) });
    // At the right epoch, the real answer.
    expect(isRefusalAnswer(await raw.changesWindow("c", 0, 0, 3))).toBe(false);

    // Through the Worker's stub (the default database names the object as is): the moved error, thrown on this side.
    const stub = shardStub(databaseEnv(testEnv, DEFAULT_SCOPE), "moved-answer-0");
    const err = await stub.changesWindow("c", 0, 0, 2).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(movedEpochOf(err), String(err)).toBe(3);
    await expect(stub.changes("c", null, 0, 0, 2)).rejects.toThrow(/routing moved: shard serves routing epoch 3/);
    // Answers and other errors pass through as they were.
    expect(isRefusalAnswer(await stub.changesWindow("c", 0, 0, 3))).toBe(false);
    expect((await stub.stats()).schemaVersion).toBeGreaterThan(0);
  });

  it("a deleted database's refusal too: a value across RPC, the same error through shardStub", async () => {
    const raw = testEnv.SHARD.get(testEnv.SHARD.idFromName("refusal-erased")) as unknown as {
      eraseDatabase(): Promise<void>;
      get(refs: Array<{ collection: string; id: string }>): Promise<unknown>;
    };
    await raw.eraseDatabase();
    expect(await raw.get([{ collection: "c", id: "1" }])).toEqual({ impossibledbRefusal: DATABASE_DELETED_MESSAGE });
    const stub = shardStub(databaseEnv(testEnv, DEFAULT_SCOPE), "refusal-erased");
    await expect(stub.get([{ collection: "c", id: "1" }])).rejects.toThrow(DATABASE_DELETED_MESSAGE);
  });
});

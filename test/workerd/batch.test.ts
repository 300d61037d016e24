import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { env } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { WriteSchema } from "../../gen/impossibledb/v1/document_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));

/** `count` ids of `collection` that all live on one shard. */
function idsOnOneShard(collection: string, count: number): string[] {
  const target = router.shardFor(collection, "seed");
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) if (router.shardFor(collection, `k${i}`) === target) ids.push(`k${i}`);
  return ids;
}

type WriteInit = MessageInitShape<typeof WriteSchema>;
type Condition = { case: "exists"; value: boolean };
const set = (collection: string, id: string, data: Record<string, number | string>, condition?: Condition): WriteInit => ({
  ref: { collection, id },
  operation: { case: "set", value: data },
  ...(condition === undefined ? {} : { precondition: { condition } }),
});

describe("batches", () => {
  it("batch get returns documents in request order and reports missing ones", async () => {
    await db.batchWriteDocuments({ writes: ["a", "b", "c"].map((id) => set("letters", id, { id })) });
    const res = await db.batchGetDocuments({
      refs: ["c", "zz", "a"].map((id) => ({ collection: "letters", id })),
    });
    expect(res.results.map((r) => [r.ref!.id, r.found, r.document?.data])).toEqual([
      ["c", true, { id: "c" }],
      ["zz", false, undefined],
      ["a", true, { id: "a" }],
    ]);
  });

  it("a batch on one shard with one failing precondition writes nothing", async () => {
    const [x, y, z] = idsOnOneShard("atomic", 3) as [string, string, string];
    await db.setDocument({ ref: { collection: "atomic", id: x }, data: { v: "old" } });
    const writes: WriteInit[] = [
      set("atomic", x, { v: "new" }),
      set("atomic", y, { v: "new" }),
      set("atomic", z, { v: "new" }, { case: "exists", value: true }),
    ];
    const res = await db.batchWriteDocuments({ writes });
    expect(res.statuses.map((s) => s.code)).toEqual([Code.Aborted, Code.Aborted, Code.FailedPrecondition]);
    expect((await db.getDocument({ ref: { collection: "atomic", id: x } })).document!.data).toEqual({ v: "old" });
    await expectCode(db.getDocument({ ref: { collection: "atomic", id: y } }), Code.NotFound);
    await expectCode(db.getDocument({ ref: { collection: "atomic", id: z } }), Code.NotFound);
  });

  it("writes on other shards are independent of a failing shard", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `d${i}`);
    const failing = ids[0]!;
    const failingShard = router.shardFor("indep", failing);
    const writes: WriteInit[] = ids.map((id, i) => set("indep", id, { id }, i === 0 ? { case: "exists", value: true } : undefined));
    const res = await db.batchWriteDocuments({ writes, returnDocuments: true });
    for (const [i, id] of ids.entries()) {
      const onFailingShard = router.shardFor("indep", id) === failingShard;
      const status = res.statuses[i]!;
      if (!onFailingShard) {
        expect(status.code).toBe(0);
        expect(res.results[i]!.document!.data).toEqual({ id });
      } else {
        expect(status.code).toBe(i === 0 ? Code.FailedPrecondition : Code.Aborted);
      }
      const got = await db.batchGetDocuments({ refs: [{ collection: "indep", id }] });
      expect(got.results[0]!.found).toBe(!onFailingShard);
    }
  });

  it("a batch may not write one document twice", async () => {
    await expectCode(
      db.batchWriteDocuments({ writes: [set("dup", "a", { n: 1 }), set("dup", "a", { n: 2 })] }),
      Code.InvalidArgument,
      /writes dup\/a again/,
    );
    await expectCode(db.getDocument({ ref: { collection: "dup", id: "a" } }), Code.NotFound);
  });

  it("create, update and delete mix in one atomic batch", async () => {
    const [p, q, r] = idsOnOneShard("mix", 3) as [string, string, string];
    await db.setDocument({ ref: { collection: "mix", id: q }, data: { n: 1 } });
    await db.setDocument({ ref: { collection: "mix", id: r }, data: { n: 1 } });
    const writes: WriteInit[] = [
      { ref: { collection: "mix", id: p }, operation: { case: "create", value: { n: 0 } } },
      { ref: { collection: "mix", id: q }, operation: { case: "update", value: { data: { m: 2 } } } },
      { ref: { collection: "mix", id: r }, operation: { case: "delete", value: {} } },
    ];
    const res = await db.batchWriteDocuments({ writes });
    expect(res.statuses.map((s) => s.code)).toEqual([0, 0, 0]);
    expect(res.results[2]!.version).toBe(0n);
    const got = await db.batchGetDocuments({ refs: [p, q, r].map((id) => ({ collection: "mix", id })) });
    expect(got.results.map((x) => x.document?.data)).toEqual([{ n: 0 }, { n: 1, m: 2 }, undefined]);
  });
});

/**
 * Listeners under injected crashes: a coordinator that crashes between the
 * two participants' commits (the rest delivered later by its alarm), and a
 * shard reset while listeners wait on it. A listener never sees half a
 * transaction, and after the crash sees every change exactly once
 * (resuming from its last resume token when its stream broke).
 */
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { DocumentChange_Type, QueryService, type ListenResponse } from "../../gen/impossibledb/v1/query_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { DEVELOPMENT_PAGE_TOKEN_KEY } from "../../src/pagination/page-token.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { createTransactionToken } from "../../src/sync/tx-token.js";
import { connectClient } from "./helpers.js";
import { Code, ConnectError } from "@connectrpc/connect";

const db = connectClient(CollectionService);
const query = connectClient(QueryService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const COLLECTION = "lfault";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const shard = (id: string) => env.SHARD.get(env.SHARD.idFromName(id));

/** A listener that applies what it receives at resume tokens and resumes from the last one when its stream breaks. */
class ResumingListener {
  readonly committed: Array<{ changes: string[]; txIds: string[] }> = [];
  private held: ListenResponse[] = [];
  private token = "";
  private readonly controller = new AbortController();
  resumes = 0;
  /** Codes of the errors that broke the stream. */
  readonly failures: string[] = [];
  current = false;

  start(): void {
    void (async () => {
      while (!this.controller.signal.aborted) {
        try {
          for await (const m of query.listen({ target: { case: "query", value: { collection: COLLECTION } }, resumeToken: this.token }, { signal: this.controller.signal })) {
            if (m.current) this.current = true;
            this.held.push(m);
            if (m.resumeToken === "") continue;
            for (const h of this.held) {
              if (h.changes.length === 0) continue;
              this.committed.push({
                changes: h.changes.map((c) => `${DocumentChange_Type[c.type]} ${c.document!.id} v${c.document!.version}`),
                txIds: [...new Set(h.changes.map((c) => c.transactionId))],
              });
            }
            this.held = [];
            this.token = m.resumeToken;
          }
        } catch (err) {
          if (this.controller.signal.aborted) return;
          this.failures.push(Code[ConnectError.from(err).code] ?? "unknown");
        }
        // The stream broke: drop what came after the last token (it comes again) and resume.
        this.held = [];
        this.resumes++;
        await sleep(20);
      }
    })();
  }

  stop(): void {
    this.controller.abort();
  }

  async until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`listener timed out; committed: ${JSON.stringify(this.committed)}`);
      await sleep(25);
    }
  }

  changes(): string[] {
    return this.committed.flatMap((m) => m.changes);
  }
}

let counter = 0;
/** Two documents on different shards. */
function pair(): { a: string; b: string; shardA: string; shardB: string } {
  const a = `a${counter++}`;
  let b = "";
  for (let i = 0; b === ""; i++) if (router.shardFor(COLLECTION, `b${counter}-${i}`) !== router.shardFor(COLLECTION, a)) b = `b${counter}-${i}`;
  return { a, b, shardA: router.shardFor(COLLECTION, a), shardB: router.shardFor(COLLECTION, b) };
}

describe("Listen under injected crashes", () => {
  it("a transaction applied on one shard and not yet on the other (a coordinator crash between its commits): the listener waits, then gets it whole, once", async () => {
    const p = pair();
    const listener = new ResumingListener();
    listener.start();
    await listener.until(() => listener.current);
    const token = await createTransactionToken(DEVELOPMENT_PAGE_TOKEN_KEY, Date.now() + 60_000, false);
    const request = (id: string) => ({
      txId: token.id,
      expiresMs: token.deadlineMs,
      reads: [],
      writes: [{ op: "set" as const, collection: COLLECTION, id, data: { n: 1 } }],
      txFingerprint: `pair-${token.id}`,
      changeGroups: { [COLLECTION]: [p.shardA, p.shardB].sort() },
    });
    // Both participants prepare; the decision is commit at the larger proposal.
    const votes = await Promise.all([shard(p.shardA).txPrepare(request(p.a)), shard(p.shardB).txPrepare(request(p.b))]);
    expect(votes.map((v) => v.vote)).toEqual(["yes", "yes"]);
    const commitTs = Math.max(...votes.map((v) => (v.vote === "yes" ? v.ts : 0)));
    // Only shard A hears the commit (the coordinator "crashed" before telling B).
    await shard(p.shardA).txCommit(token.id, commitTs, Date.now() + 60_000);
    await sleep(300);
    expect(listener.changes()).toEqual([]);
    // Recovery delivers the commit to B: the listener gets both, in one message.
    await shard(p.shardB).txCommit(token.id, commitTs, Date.now() + 60_000);
    await listener.until(() => listener.changes().length >= 2);
    await sleep(100);
    expect(listener.committed).toHaveLength(1);
    expect(listener.committed[0]!.changes.map((c) => c.split(" ").slice(0, 2).join(" ")).sort()).toEqual([`ADDED ${p.a}`, `ADDED ${p.b}`].sort());
    expect(listener.committed[0]!.txIds).toEqual([token.id]);
    expect(listener.failures).toEqual([]);
    listener.stop();
  });

  it("a shard reset while listeners wait on it: every later write arrives exactly once", async () => {
    const p = pair();
    const listener = new ResumingListener();
    listener.start();
    await listener.until(() => listener.current);
    await db.setDocument({ ref: { collection: COLLECTION, id: p.a }, data: { n: 1 } });
    await listener.until(() => listener.changes().some((c) => c.split(" ")[1] === p.a));
    await runInDurableObject(shard(p.shardA), (_o, state) => state.abort("injected shard crash")).catch(() => undefined);
    await db.setDocument({ ref: { collection: COLLECTION, id: p.a }, data: { n: 2 } });
    await db.setDocument({ ref: { collection: COLLECTION, id: p.b }, data: { n: 3 } });
    await db.deleteDocument({ ref: { collection: COLLECTION, id: p.a } });
    const ours = () => listener.changes().filter((c) => [p.a, p.b].includes(c.split(" ")[1]!));
    await listener.until(() => ours().length >= 4);
    await sleep(200);
    const perDoc = (id: string) => listener.changes().filter((c) => c.split(" ")[1] === id).map((c) => c.split(" ")[0]);
    expect(perDoc(p.a)).toEqual(["ADDED", "MODIFIED", "REMOVED"]);
    expect(perDoc(p.b)).toEqual(["ADDED"]);
    expect(ours()).toHaveLength(4);
    // The Worker asked the restarted shard again itself: no error reached the client.
    expect(listener.failures).toEqual([]);
    listener.stop();
  });
});

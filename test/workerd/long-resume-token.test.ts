/**
 * Listen resume tokens hold a change-log position for every shard a
 * listener watches, so a query listener's token grows with the routing
 * table. Past about 150 shards (SHARD_COUNT_MAX is 1,024) it passed the
 * 4,096 characters resume_token was held to, and the server refused its
 * own token: a listener of a large database could never resume.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService, type ListenResponse } from "../../gen/impossibledb/v1/query_service_pb.js";
import { RESUME_TOKEN_LENGTH_MAX, SHARD_COUNT_MAX, SHARD_ID_LENGTH_MAX } from "../../src/limits.js";
import { DEVELOPMENT_PAGE_TOKEN_KEY, encodePageToken, fromBase64Url } from "../../src/pagination/page-token.js";
import { connectClient } from "./helpers.js";

const db = connectClient(CollectionService);
const query = connectClient(QueryService);

/** The first message of a Listen with `resumeToken` that carries a resume token of its own. */
async function firstToken(resumeToken: string): Promise<ListenResponse> {
  const controller = new AbortController();
  try {
    for await (const m of query.listen({ target: { case: "query", value: { collection: "resume_big" } }, resumeToken }, { signal: controller.signal })) {
      if (m.resumeToken !== "") return m;
    }
    throw new Error("the stream ended");
  } finally {
    controller.abort();
  }
}

/**
 * A token the server signed, re-signed as it would be under a routing table
 * of `shards` shards with the longest ids: the real positions, and one more
 * per extra shard (a listener ignores shards it does not watch).
 */
async function widened(token: string, shards: number): Promise<string> {
  const body = JSON.parse(new TextDecoder().decode(fromBase64Url(token.split(".")[0]!))) as { s: string; p: { r: number; p: Record<string, number>; f?: number } };
  const positions = { ...body.p.p };
  for (let i = Object.keys(positions).length; i < shards; i++) positions[`shard-${String(i).padStart(SHARD_ID_LENGTH_MAX - 6, "0")}`] = Number.MAX_SAFE_INTEGER;
  return encodePageToken(env.PAGE_TOKEN_KEY ?? DEVELOPMENT_PAGE_TOKEN_KEY, body.s, { ...body.p, p: positions });
}

describe("Listen resume tokens of large routing tables", () => {
  it("a token with a position on each of SHARD_COUNT_MAX shards is accepted back", async () => {
    await db.batchWriteDocuments({ writes: [{ ref: { collection: "resume_big", id: "a" }, operation: { case: "set", value: { n: 1 } } }] });
    const first = await firstToken("");
    const big = await widened(first.resumeToken, SHARD_COUNT_MAX);
    expect(big.length).toBeGreaterThan(4096);
    expect(big.length).toBeLessThanOrEqual(RESUME_TOKEN_LENGTH_MAX);
    const resumed = await firstToken(big);
    // Resumed: no snapshot, and current at once.
    expect(resumed.current).toBe(true);
    expect(resumed.changes).toEqual([]);
  });
});

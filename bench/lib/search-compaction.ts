/**
 * Waits for a search index to be compacted on every shard (GetSearchIndex
 * `uncompacted_shards` 0; src/search/compaction.ts), so a benchmark
 * measures searches of an index at rest, as its baselines measure FTS5
 * tables merged with `optimize`.
 */
import type { Client } from "@connectrpc/connect";
import type { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";

/** Polls every 250 ms until no shard's index of `collection` is left to compact; the seconds it took. Throws after `timeoutMs`. */
export async function waitForCompaction(admin: Client<typeof AdminService>, collection: string, timeoutMs = 300_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const { index } = await admin.getSearchIndex({ collection });
    if (index !== undefined && index.uncompactedShards === 0) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) throw new Error(`the search index of ${collection} still has ${index?.uncompactedShards} uncompacted shards after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

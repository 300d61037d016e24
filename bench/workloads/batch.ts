/**
 * Batches: one request reads, or writes, `batchSize` distinct documents
 * (zipfian keys, duplicates drawn again). Compared in documents per second
 * with the single-document mixes (point get = YCSB C, point put).
 */
import { createDocument } from "../lib/document.js";
import { distinctKeys } from "../lib/keys.js";
import type { ReadyWorkload } from "./types.js";

export const batchGet: ReadyWorkload = {
  status: "ready",
  id: "batch-get",
  title: "Batch get",
  kind: "batch",
  next(ctx) {
    const ids = distinctKeys(ctx.nextKey, ctx.batchSize, ctx.recordCount);
    return async () => {
      const found = await ctx.driver.batchGet(ids);
      if (found !== ids.length) throw new Error(`batch get found ${found} of ${ids.length} documents`);
    };
  },
};

export const batchPut: ReadyWorkload = {
  status: "ready",
  id: "batch-put",
  title: "Batch write",
  kind: "batch",
  next(ctx) {
    const entries = distinctKeys(ctx.nextKey, ctx.batchSize, ctx.recordCount).map((id) => [id, createDocument(ctx.random)] as const);
    return () => ctx.driver.batchPut(entries);
  },
};

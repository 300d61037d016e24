/**
 * YCSB core workloads A, B, C and F, plus an update-only mix for the point
 * put figure, over zipfian keys and 1 KB documents. An update writes the
 * whole document (YCSB's writeallfields=true). Read-modify-write reads a
 * document and writes it back changed, on condition that nobody wrote it in
 * between (its version), and counts the conflicts.
 */
import { modifyOneField, createDocument } from "../lib/document.js";
import type { Operation } from "../lib/loops.js";
import type { OperationContext, ReadyWorkload } from "./types.js";

function read(ctx: OperationContext): Operation {
  const id = ctx.nextKey();
  return async () => {
    if ((await ctx.driver.get(id)) === null) throw new Error(`record ${id} was not found`);
  };
}

function update(ctx: OperationContext): Operation {
  const id = ctx.nextKey();
  const doc = createDocument(ctx.random);
  return () => ctx.driver.put(id, doc);
}

function readModifyWrite(ctx: OperationContext): Operation {
  const id = ctx.nextKey();
  return async () => {
    const current = await ctx.driver.get(id);
    if (current === null) throw new Error(`record ${id} was not found`);
    const written = await ctx.driver.putIfVersion(id, modifyOneField(current.data, ctx.random), current.version);
    if (!written) ctx.counters["conflicts"] = (ctx.counters["conflicts"] ?? 0) + 1;
  };
}

function mix(id: string, title: string, readFraction: number, other: (ctx: OperationContext) => Operation): ReadyWorkload {
  return {
    status: "ready",
    id,
    title,
    kind: "point",
    next: (ctx) => (ctx.random() < readFraction ? read(ctx) : other(ctx)),
  };
}

export const ycsbA = mix("ycsb-a", "YCSB A (50% read, 50% update)", 0.5, update);
export const ycsbB = mix("ycsb-b", "YCSB B (95% read, 5% update)", 0.95, update);
export const ycsbC = mix("ycsb-c", "YCSB C (100% read) = point get", 1, update);
export const ycsbF = mix("ycsb-f", "YCSB F (50% read, 50% read-modify-write)", 0.5, readModifyWrite);
export const pointPut = mix("point-put", "Point put (100% update)", 0, update);

/**
 * Runs a call again when a shard answered "moved" (its database was
 * resharded and the call was routed by an older table: routing/shard-epoch.ts).
 * A shard checks the epoch before doing anything, so a moved call changed
 * nothing there, and every handler below this interceptor either touches
 * one shard per call or is idempotent across shards (reads, queries, index
 * and collection steps); BatchWriteDocuments, whose groups apply
 * separately, routes each group again itself (collection-service.ts).
 * The client never sees the move: the call waits for the new table
 * (routing-cache.ts `awaitRouting`) and runs again, at most
 * ROUTING_MOVED_RETRIES_MAX times. A server stream is run again only while
 * it has sent nothing. A call run again says so: its log line gets
 * `reroutes` and `reroutedMs`, and a unary answer the
 * `impossibledb-rerouted-ms` header (routing/routing-header.ts).
 */
import type { Interceptor } from "@connectrpc/connect";
import { ROUTING_MOVED_RETRIES_MAX } from "../limits.js";
import { REROUTED_MS_HEADER, ROUTING_VERSION_HEADER } from "../routing/routing-header.js";
import { movedEpochOf } from "../routing/shard-epoch.js";
import { awaitRouting, cachedRoutingVersion } from "../shards/routing-cache.js";
import { envKey } from "./context.js";
import { requestStatsKey } from "./request-stats.js";

/** The interceptor; it must run inside the database interceptor (it needs the database's Env). */
export const routingRetryInterceptor: Interceptor = (next) => async (req) => {
  // A streaming request's input can be read once: it is read here (a
  // server-streaming call has exactly one message) so each run gets it.
  let fresh = () => req;
  if (req.stream) {
    const inputs: unknown[] = [];
    for await (const m of req.message) inputs.push(m);
    fresh = () => ({ ...req, message: replay(inputs) }) as typeof req;
  }
  const startedMs = Date.now();
  const stats = req.contextValues.get(requestStatsKey);
  const noteReroutes = (attempts: number): number => {
    const ms = Math.max(0, Date.now() - startedMs);
    if (stats !== undefined && attempts > 0) {
      stats.reroutes = attempts;
      stats.reroutedMs = ms;
    }
    return ms;
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await next(fresh());
      stampRoutingVersion(req.contextValues.get(envKey), res.header);
      if (attempt > 0) {
        const ms = noteReroutes(attempt);
        if (!res.stream) res.header.set(REROUTED_MS_HEADER, String(ms));
      }
      if (!res.stream) return res;
      const wait = (err: unknown, n: number) => waitForRouting(req.contextValues.get(envKey), err, n);
      return { ...res, message: rerouteStream(res.message, wait, () => next(fresh()), attempt, noteReroutes) };
    } catch (err) {
      try {
        await waitForRouting(req.contextValues.get(envKey), err, attempt);
      } catch (final) {
        noteReroutes(attempt);
        throw final;
      }
    }
  }
};

function stampRoutingVersion(env: Parameters<typeof cachedRoutingVersion>[0] | undefined, header: Headers): void {
  const version = env === undefined ? null : cachedRoutingVersion(env);
  if (version !== null) header.set(ROUTING_VERSION_HEADER, String(version));
}

async function* replay<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

async function waitForRouting(env: Parameters<typeof awaitRouting>[0] | undefined, err: unknown, attempt: number): Promise<void> {
  const epoch = movedEpochOf(err);
  if (epoch === null || env === undefined || attempt >= ROUTING_MOVED_RETRIES_MAX) throw err;
  await awaitRouting(env, epoch, attempt);
}

async function* rerouteStream<T>(
  first: AsyncIterable<T>,
  wait: (err: unknown, attempt: number) => Promise<void>,
  again: () => Promise<{ stream: boolean; message: unknown }>,
  firstAttempt: number,
  noteReroutes: (attempts: number) => void,
): AsyncGenerator<T> {
  let source = first;
  for (let attempt = firstAttempt; ; attempt++) {
    let sent = false;
    try {
      for await (const m of source) {
        sent = true;
        yield m;
      }
      return;
    } catch (err) {
      if (sent) throw err;
      await wait(err, attempt);
      const res = await again();
      noteReroutes(attempt + 1);
      source = res.message as AsyncIterable<T>;
    }
  }
}

/**
 * Runs `call` again after a "moved" answer, once the new routing table is
 * in (the interceptor's rule for a step inside a handler: a long server
 * stream's next page, which the interceptor cannot run again once the
 * stream has sent something). At most ROUTING_MOVED_RETRIES_MAX times;
 * any other error is thrown at once. `call` must be safe to run again
 * (a read, or a step routed afresh each time).
 */
export async function rerouted<T>(env: Parameters<typeof awaitRouting>[0], call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      await waitForRouting(env, err, attempt);
    }
  }
}

/** Waits for the table a "moved" error names (backoff by `attempt`); throws `err` when it is not "moved" or the retries ran out. */
export function awaitMoved(env: Parameters<typeof awaitRouting>[0], err: unknown, attempt: number): Promise<void> {
  return waitForRouting(env, err, attempt);
}

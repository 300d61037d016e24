/**
 * The one place each RPC is observed: an interceptor, outermost in the
 * chain, that times the call, counts it in the isolate's metrics and writes
 * one JSON log line when it ends. For a server stream the call ends when
 * its last message is sent (or it fails, or the client goes away), not when
 * its headers are.
 *
 * Calls that Connect refuses before any interceptor runs (an unsupported
 * content type, a JSON body that does not parse, an unknown path) are not
 * seen here.
 *
 * Workers advance their clock only across I/O, so durations measure time
 * spent waiting on shards and the network, not CPU time.
 */
import { authKey, type Principal } from "../auth/principal.js";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Metrics } from "./metrics.js";
import { requestIdKey } from "./context.js";
import { requestStatsKey } from "./request-stats.js";
import { databaseLabel, databaseSelectionKey } from "./database.js";

/** The log line of one RPC. */
export interface RpcLogLine {
  readonly method: string;
  readonly database: string;
  readonly code: string;
  readonly durationMs: number;
  readonly shardsTouched?: number;
  readonly rowsRead?: number;
  /** Times the call was run again after a "moved" answer (a resharding's cutover), when it was. */
  readonly reroutes?: number;
  /** For a rerouted call, ms from its first attempt to its end (the pause the cutover put on it). */
  readonly reroutedMs?: number;
  readonly requestId: string | undefined;
  /**
   * Who called, once authenticated: `api_key:<key id>`, `jwt:<sub>`,
   * `bootstrap` or `anonymous` (auth off); absent when the call was refused
   * before (UNAUTHENTICATED). Never a secret.
   */
  readonly caller?: string;
}

/** Options of {@link createObserveInterceptor}. */
export interface ObserveOptions {
  readonly metrics: Metrics;
  /** Where log lines go; console.log unless given. */
  readonly log?: (line: string) => void;
  /** The clock, in ms; Date.now unless given. */
  readonly nowMs?: () => number;
}

/** Creates the interceptor that logs and counts every call. */
export function createObserveInterceptor(options: ObserveOptions): Interceptor {
  const log = options.log ?? ((line: string) => console.log(line));
  const nowMs = options.nowMs ?? (() => Date.now());
  return (next) => async (req) => {
    const startedMs = nowMs();
    const method = `${req.service.typeName}/${req.method.name}`;
    let finished = false;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      const code = err === undefined ? "ok" : codeToString(ConnectError.from(err).code);
      const durationMs = Math.max(0, nowMs() - startedMs);
      const database = databaseLabel(req.contextValues.get(databaseSelectionKey));
      options.metrics.record(method, code, durationMs, database);
      const stats = req.contextValues.get(requestStatsKey);
      const line: RpcLogLine = {
        method,
        database,
        code,
        durationMs,
        ...(stats?.shardsTouched !== undefined ? { shardsTouched: stats.shardsTouched } : {}),
        ...(stats?.rowsRead !== undefined ? { rowsRead: stats.rowsRead } : {}),
        ...(stats?.reroutes !== undefined ? { reroutes: stats.reroutes, reroutedMs: stats.reroutedMs } : {}),
        requestId: req.contextValues.get(requestIdKey),
        ...callerOf(req.contextValues.get(authKey)),
      };
      log(JSON.stringify(line));
    };
    let res;
    try {
      res = await next(req);
    } catch (err) {
      finish(err);
      throw err;
    }
    if (!res.stream) {
      finish(undefined);
      return res;
    }
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        let outcome: unknown = new ConnectError("the client stopped reading the stream", Code.Canceled);
        try {
          yield* messages;
          outcome = undefined;
        } catch (err) {
          outcome = err;
          throw err;
        } finally {
          finish(outcome);
        }
      })(),
    };
  };
}

function callerOf(principal: Principal | undefined): { caller?: string } {
  if (principal === undefined) return {};
  const caller = principal.kind === "api_key" || principal.kind === "jwt" ? `${principal.kind}:${principal.subject}` : principal.kind;
  return { caller };
}

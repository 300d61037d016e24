/**
 * grpc.health.v1: the front door is SERVING while the Worker behind it
 * answers, NOT_SERVING while it does not. The empty service name stands for
 * the whole server; every served service name is known too, and any other
 * name is NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch), as the health
 * protocol says.
 */
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { HEALTH_PROBE_TIMEOUT_MS, HEALTH_WATCH_INTERVAL_MS } from "./limits.js";

/** Answers whether the Worker is up; must settle within its own timeout. */
export type HealthProbe = (signal: AbortSignal) => Promise<boolean>;

/** Options of the health service. */
export interface HealthOptions {
  /** Service names reported on, besides "" (the whole server). */
  serviceNames: readonly string[];
  /** Whether the Worker is up. */
  probe: HealthProbe;
  /** How often Watch probes again; HEALTH_WATCH_INTERVAL_MS when unset. */
  watchIntervalMs?: number;
}

/** Serves grpc.health.v1.Health on `router`. */
export function registerHealth(router: ConnectRouter, options: HealthOptions): void {
  const known = new Set(["", ...options.serviceNames]);
  const intervalMs = options.watchIntervalMs ?? HEALTH_WATCH_INTERVAL_MS;
  const status = async (signal: AbortSignal): Promise<Status> => ((await options.probe(signal)) ? Status.SERVING : Status.NOT_SERVING);
  router.service(Health, {
    async check(req, ctx) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service ${JSON.stringify(req.service)}`, Code.NotFound);
      return { status: await status(ctx.signal) };
    },
    async *watch(req, ctx) {
      if (!known.has(req.service)) {
        yield { status: Status.SERVICE_UNKNOWN };
        return;
      }
      // The stream lives until the client cancels it (or its deadline
      // passes): each turn waits, and ends when the signal aborts.
      let last: Status | undefined;
      while (!ctx.signal.aborted) {
        const now = await status(ctx.signal);
        if (now !== last) yield { status: now };
        last = now;
        await sleep(intervalMs, ctx.signal);
      }
    },
    async list(_req, ctx) {
      const now = await status(ctx.signal);
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status: now }])) };
    },
  });
}

/** A probe that asks the Worker at `baseUrl` for anything at all: any HTTP answer means it is up. */
export function createWorkerProbe(baseUrl: string, timeoutMs: number = HEALTH_PROBE_TIMEOUT_MS): HealthProbe {
  return async (signal) => {
    try {
      const res = await fetch(new URL("/", baseUrl), { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
      await res.body?.cancel();
      return true;
    } catch {
      return false;
    }
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

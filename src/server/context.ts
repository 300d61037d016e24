/**
 * Context values the fetch handler gives every RPC: the Worker's bindings
 * and the request id.
 * Services read them instead of reaching for globals, so tests can run a
 * service with any Env.
 */
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Env } from "../env.js";

/** The Worker's bindings for this request. */
export const envKey = createContextKey<Env | undefined>(undefined, { description: "Worker env" });

/** The current call's request id (see request-id.ts); undefined outside the fetch handler. */
export const requestIdKey = createContextKey<string | undefined>(undefined, { description: "request id" });

/** The Env of the current call; its absence is a wiring bug. */
export function envOf(ctx: HandlerContext): Env {
  const env = ctx.values.get(envKey);
  if (env === undefined) throw new Error("invariant broken: handler context carries no Env");
  return env;
}

/**
 * Keeps `work` running after the call's answer is sent (the Worker's
 * ExecutionContext.waitUntil); undefined when the fetch handler was given
 * no ExecutionContext, and then such work is awaited before answering.
 */
export const waitUntilKey = createContextKey<((work: Promise<unknown>) => void) | undefined>(undefined, { description: "ExecutionContext.waitUntil" });

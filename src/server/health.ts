/**
 * `GET /healthz`: a plain HTTP liveness check for load balancers, scripts
 * and `curl`, which cannot speak Connect without its headers.
 *
 * It answers from the Worker alone and checks only what it can check for
 * free: that the Worker runs and that its routing configuration
 * (SHARD_COUNT, VIRTUAL_NODES_PER_SHARD) parses. It deliberately calls no
 * Durable Object, so probing it often costs no object requests and it keeps
 * answering while shards are busy; whether shards answer is what real calls
 * (or the front door's grpc.health.v1 service) tell.
 */
import type { Env } from "../env.js";
import { changeLogRetention, clusterConfig } from "../env.js";

/** The path the health check answers on. */
export const HEALTH_PATH = "/healthz";

/** What the check answers: `ok`, or `misconfigured` with the reason. */
export type HealthBody = { status: "ok" } | { status: "misconfigured"; error: string };

/**
 * The answer to a request for {@link HEALTH_PATH}: 200 `{"status":"ok"}`, 503
 * when the configuration is broken (so a deployment with bad vars is seen
 * before its first real call fails), 405 for methods other than GET and HEAD.
 */
export function healthResponse(request: Request, env: Env): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response(null, { status: 405, headers: { Allow: "GET, HEAD" } });
  }
  const body = healthBody(env);
  const text = JSON.stringify(body);
  // A probe must never see a cached answer.
  const headers = { "Content-Type": "application/json", "Cache-Control": "no-store" };
  return new Response(request.method === "HEAD" ? null : text, { status: body.status === "ok" ? 200 : 503, headers });
}

function healthBody(env: Env): HealthBody {
  try {
    clusterConfig(env);
    changeLogRetention(env);
    return { status: "ok" };
  } catch (err) {
    return { status: "misconfigured", error: err instanceof Error ? err.message : String(err) };
  }
}

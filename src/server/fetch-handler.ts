/**
 * Turns a fetch Request into a Connect call: finds the handler by path,
 * answers CORS preflights, and passes the Worker's bindings to the service
 * as context values, with the request id (`x-request-id`, the caller's when
 * sane, else a fresh one), which every answer carries back (RPCs, errors,
 * streams, and the plain HTTP ones: health check, console, 404, CORS
 * preflight) and the per-call log line names, and the database the `impossibledb-database`
 * header selects (server/database.ts). `GET /healthz` is answered here too,
 * before Connect, so a plain HTTP client can probe the Worker, and so is the
 * web console under `/console`.
 */
import { createContextValues, type ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { universalServerRequestFromFetch, universalServerResponseToFetch } from "@connectrpc/connect/protocol";
import type { Env } from "../env.js";
import { guardBinaryRequest, malformedRequestKey, oversizedRequestKey, refusedRequestKey, requestBytesMaxKey } from "./binary-guard.js";
import { REQUEST_BYTES_MAX } from "../limits.js";
import { envKey, requestIdKey } from "./context.js";
import { CONSOLE_PATH, consoleResponse, isConsolePath } from "./console.js";
import { corsHeaders, preflightResponse } from "./cors.js";
import { HEALTH_PATH, healthResponse } from "./health.js";
import { REQUEST_ID_HEADER, requestIdFrom } from "./request-id.js";
import { pathOf } from "./url-path.js";
import { requestStatsKey } from "./request-stats.js";
import { databaseSelectionFrom, databaseSelectionKey, requestLocationKey } from "./database.js";
import type { RequestLocation } from "../routing/localityManager.js";

/** A Worker-style fetch function. */
export type FetchHandler = (request: Request, env: Env) => Promise<Response>;

/** Options of {@link createFetchHandler}. */
export interface FetchHandlerOptions {
  /** The request size limit in bytes: REQUEST_BYTES_MAX unless given; the router's must be the same (ProtocolRouterOptions.requestBytesMax). */
  readonly requestBytesMax?: number;
}

/** Builds the fetch handler that serves `router`. */
export function createFetchHandler(router: ConnectRouter, options: FetchHandlerOptions = {}): FetchHandler {
  const requestBytesMax = options.requestBytesMax ?? REQUEST_BYTES_MAX;
  const byPath = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  return async (request, env) => {
    const requestId = requestIdFrom(request.headers);
    const origin = request.headers.get("Origin");
    const pathname = pathOf(request.url);
    let response: Response;
    let cors: Headers | null = null;
    if (request.method === "OPTIONS") response = preflightResponse(origin, env.CORS_ALLOWED_ORIGINS);
    else if (pathname === HEALTH_PATH) response = healthResponse(request, env);
    // The console calls this origin, so it needs no CORS headers.
    else if (isConsolePath(pathname)) response = consoleResponse(request, pathname);
    else {
      const handler = byPath.get(pathname);
      response = handler === undefined ? notFound(pathname) : await serve(handler, request, env, requestBytesMax, requestId);
      cors = corsHeaders(origin, env.CORS_ALLOWED_ORIGINS);
    }
    // Every answer carries the id (a stream's go out before its first
    // message, so streams do too): one place, so no answer can miss it.
    const headers = new Headers(response.headers);
    headers.set(REQUEST_ID_HEADER, requestId);
    cors?.forEach((value, key) => headers.set(key, value));
    return respond(response, headers);
  };
}

/**
 * Copies `response` with `headers`. A body that Connect already compressed
 * (it set Content-Encoding) is marked `encodeBody: "manual"`: otherwise
 * workerd sees the header and gzips the body a second time, and clients get
 * a message they cannot parse (seen with connect-go and buf curl on any
 * answer larger than Connect's compressMinBytes).
 */
function respond(response: Response, headers: Headers): Response {
  const encodeBody = headers.has("Content-Encoding") ? "manual" : "automatic";
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers, encodeBody });
}

async function serve(handler: UniversalHandler, request: Request, env: Env, requestBytesMax: number, requestId: string): Promise<Response> {
  const guarded = await guardBinaryRequest(request, handler.method.input, requestBytesMax);
  const uReq = universalServerRequestFromFetch(guarded.request, {});
  // HTTP-level compression (Connect unary's Accept-Encoding) belongs to the
  // platform, not to us: Cloudflare normalises Accept-Encoding on the way in
  // whatever the client sent (locally, a client that sent none still got
  // gzip). Were Connect to gzip the body, clients could get it gzipped
  // without having asked. So Connect never sees Accept-Encoding. Compressed
  // requests, and the per-message compression of gRPC-Web and Connect
  // streams (their own headers), are unaffected; `respond` still keeps the
  // runtime from encoding any body Connect did compress a second time.
  const header = new Headers(uReq.header);
  header.delete("Accept-Encoding");
  const contextValues = createContextValues()
    .set(envKey, env)
    .set(requestIdKey, requestId)
    .set(requestStatsKey, {})
    .set(malformedRequestKey, guarded.malformed)
    .set(refusedRequestKey, guarded.refusal)
    .set(oversizedRequestKey, guarded.oversizedBytes)
    .set(requestBytesMaxKey, requestBytesMax)
    .set(databaseSelectionKey, databaseSelectionFrom(request.headers))
    // Read only when a call needs it (CreateDatabase with placement auto):
    // reading request.cf costs about 100 µs locally, every call.
    .set(requestLocationKey, () => locationOf(request));
  const uRes = await handler({ ...uReq, header, contextValues });
  return universalServerResponseToFetch(uRes);
}

/** The parts of `request.cf` the locality choice reads; undefined where there is no `cf` (locally). */
function locationOf(request: Request): RequestLocation | undefined {
  const cf = (request as { cf?: { continent?: unknown; country?: unknown; longitude?: unknown } }).cf;
  if (cf === undefined || cf === null) return undefined;
  return {
    ...(typeof cf.continent === "string" ? { continent: cf.continent } : {}),
    ...(typeof cf.country === "string" ? { country: cf.country } : {}),
    ...(typeof cf.longitude === "string" || typeof cf.longitude === "number" ? { longitude: cf.longitude } : {}),
  };
}

function notFound(path: string): Response {
  const body =
    path === "/" ? `ImpossibleDB: a Connect / gRPC-Web API. See the README for how to call it; the web console is at ${CONSOLE_PATH}/.\n` : `no RPC at ${path}\n`;
  return new Response(body, { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

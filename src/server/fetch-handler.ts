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
import type { Env } from "../env.js";
import { joinChunks } from "./bytes.js";
import { guardBinaryRequest, malformedRequestKey, oversizedRequestKey, refusedRequestKey, requestBytesMaxKey } from "./binary-guard.js";
import { REQUEST_BYTES_MAX } from "../limits.js";
import { envKey, requestIdKey, waitUntilKey } from "./context.js";
import { CONSOLE_PATH, consoleResponse, isConsolePath } from "./console.js";
import { corsHeaders, preflightResponse } from "./cors.js";
import { HEALTH_PATH, healthResponse } from "./health.js";
import { REQUEST_ID_HEADER, requestIdFrom } from "./request-id.js";
import { pathOf } from "./url-path.js";
import { requestStatsKey } from "./request-stats.js";
import { databaseSelectionFrom, databaseSelectionKey, requestLocationKey } from "./database.js";
import type { RequestLocation } from "../routing/localityManager.js";

/**
 * A Worker-style fetch function. `ctx` (the Worker's ExecutionContext) lets
 * a call finish work after its answer (a parallel commit's report to its
 * coordinator); without it that work is done before answering.
 */
export type FetchHandler = (request: Request, env: Env, ctx?: Pick<ExecutionContext, "waitUntil">) => Promise<Response>;

/** Options of {@link createFetchHandler}. */
export interface FetchHandlerOptions {
  /** The request size limit in bytes: REQUEST_BYTES_MAX unless given; the router's must be the same (ProtocolRouterOptions.requestBytesMax). */
  readonly requestBytesMax?: number;
}

/** Builds the fetch handler that serves `router`. */
export function createFetchHandler(router: ConnectRouter, options: FetchHandlerOptions = {}): FetchHandler {
  const requestBytesMax = options.requestBytesMax ?? REQUEST_BYTES_MAX;
  const byPath = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  return async (request, env, executionCtx) => {
    const requestId = requestIdFrom(request.headers);
    const origin = request.headers.get("Origin");
    const method = request.method;
    const pathname = pathOf(request.url);
    const handler = method === "OPTIONS" ? undefined : byPath.get(pathname);
    const rawGrpc = handler !== undefined && isRawGrpc(request.headers.get("Content-Type"));
    // An RPC's one Response is built with its id and CORS headers (serve).
    if (handler !== undefined && !rawGrpc) return serve(handler, request, env, requestBytesMax, corsHeaders(origin, env.CORS_ALLOWED_ORIGINS), requestId, executionCtx);
    let response: Response;
    if (rawGrpc) response = rawGrpcRefusal();
    else if (method === "OPTIONS") response = preflightResponse(origin, env.CORS_ALLOWED_ORIGINS);
    else if (pathname === HEALTH_PATH) response = healthResponse(request, env);
    // The console calls this origin, so it needs no CORS headers.
    else if (isConsolePath(pathname)) response = consoleResponse(request, pathname);
    else {
      response = notFound(pathname);
      corsHeaders(origin, env.CORS_ALLOWED_ORIGINS)?.forEach((value, key) => response.headers.set(key, value));
    }
    // Every plain HTTP answer here is a Response of ours, so its headers can
    // be changed in place: the id goes on every answer, not only on RPCs'.
    response.headers.set(REQUEST_ID_HEADER, requestId);
    return response;
  };
}

/** Whether a Content-Type is raw gRPC's (`application/grpc`, `application/grpc+proto`, ...), not gRPC-Web's. */
function isRawGrpc(contentType: string | null): boolean {
  return contentType !== null && /^application\/grpc(\+[a-z]+)?\s*(;|$)/i.test(contentType);
}

/**
 * The answer to raw gRPC sent to the Worker: 415, as Connect's router gave
 * (with an empty body), but saying where gRPC is served. A Worker cannot
 * answer gRPC (it needs HTTP/2 trailers): locally the front door that
 * `npm start` prints serves it, on Cloudflare the edge turns gRPC into
 * gRPC-Web when gRPC is enabled on the zone (docs/clients.md). grpc-status
 * and grpc-message are set as well, for a gRPC client that reads them.
 */
function rawGrpcRefusal(): Response {
  const message =
    "raw gRPC is not served on this URL (a Worker cannot send HTTP/2 trailers): locally send it to the gRPC front door whose address `npm start` prints; on Cloudflare enable gRPC on the zone. This URL serves Connect and gRPC-Web.";
  return new Response(`${message}\n`, {
    status: 415,
    headers: { "Content-Type": "text/plain; charset=utf-8", "grpc-status": "12", "grpc-message": encodeURIComponent(message) },
  });
}

/**
 * Serves one RPC. Connect gets the body already read (the binary guard
 * reads it whole) as a one-chunk iterable, and a unary call's answer, which
 * is whole before it is sent anyway, goes out as one buffer: wrapping each
 * side in a ReadableStream and reading it back, as Connect's own fetch
 * adapter does, cost about a quarter of a point get's CPU on workerd. A
 * streaming call's answer still streams. One Response is built, with the
 * request id and CORS headers added to Connect's own.
 */
async function serve(
  handler: UniversalHandler,
  request: Request,
  env: Env,
  requestBytesMax: number,
  cors: Headers | null,
  requestId: string,
  executionCtx: Pick<ExecutionContext, "waitUntil"> | undefined,
): Promise<Response> {
  const guarded = await guardBinaryRequest(request, handler.method.input, requestBytesMax);
  // HTTP-level compression (Connect unary's Accept-Encoding) belongs to the
  // platform, not to us: Cloudflare normalises Accept-Encoding on the way in
  // whatever the client sent (locally, a client that sent none still got
  // gzip). Were Connect to gzip the body, clients could get it gzipped
  // without having asked. So Connect never sees Accept-Encoding. Compressed
  // requests, and the per-message compression of gRPC-Web and Connect
  // streams (their own headers), are unaffected; the response is still
  // marked so the runtime does not encode a body Connect did compress a
  // second time (workerd would otherwise gzip it again, and clients got a
  // message they could not parse: seen with connect-go and buf curl).
  let header = guarded.headers;
  if (header.has("Accept-Encoding")) {
    header = new Headers(header);
    header.delete("Accept-Encoding");
  }
  const contextValues = createContextValues()
    .set(envKey, env)
    .set(requestIdKey, requestId)
    .set(waitUntilKey, executionCtx === undefined ? undefined : (work: Promise<unknown>) => executionCtx.waitUntil(work))
    .set(requestStatsKey, {})
    .set(malformedRequestKey, guarded.malformed)
    .set(refusedRequestKey, guarded.refusal)
    .set(oversizedRequestKey, guarded.oversizedBytes)
    .set(requestBytesMaxKey, requestBytesMax)
    .set(databaseSelectionKey, databaseSelectionFrom(request.headers))
    // Read only when a call needs it (CreateDatabase with placement auto):
    // reading request.cf costs about 100 µs locally, every call.
    .set(requestLocationKey, () => locationOf(request));
  // A server stream's client can go away while the handler waits on
  // shards (a Listen's long poll); cancelling the response stream aborts the
  // call's signal, so the handler stops then instead of at its next message.
  const clientGone = new AbortController();
  const uRes = await handler({
    httpVersion: "",
    method: request.method,
    url: guarded.url,
    header,
    body: guarded.body === null ? emptyIterable() : oneChunk(guarded.body),
    signal: AbortSignal.any([request.signal, clientGone.signal]),
    contextValues,
  });
  // Response headers go out before a stream's first message, so streams
  // carry the id too.
  const headers = new Headers(uRes.header);
  headers.set(REQUEST_ID_HEADER, requestId);
  if (cors !== null) cors.forEach((value, key) => headers.set(key, value));
  const body = uRes.body === undefined ? null : handler.method.methodKind === "unary" ? await whole(uRes.body) : streamOf(uRes.body, clientGone);
  return new Response(body, { status: uRes.status, headers, encodeBody: headers.has("Content-Encoding") ? "manual" : "automatic" });
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

async function* emptyIterable(): AsyncIterable<Uint8Array> {}

/** A unary answer's body, whole (Connect yields it as one chunk or, for gRPC-Web, a few: the message and the trailers). */
async function whole(body: AsyncIterable<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  return joinChunks(chunks, total);
}

/**
 * A streaming call's answer as a ReadableStream that pulls the next message
 * when the client is ready for it; cancelling it (the client went away)
 * ends the handler's iteration, so a Listen stops.
 */
function streamOf(body: AsyncIterable<Uint8Array>, clientGone: AbortController): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      clientGone.abort(reason);
      await it.throw?.(reason).catch(() => undefined);
    },
  });
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

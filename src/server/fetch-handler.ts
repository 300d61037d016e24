/**
 * Turns a fetch Request into a Connect call: finds the handler by path,
 * answers CORS preflights, and passes the Worker's bindings to the service
 * as context values.
 */
import { createContextValues, type ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { universalServerResponseToFetch } from "@connectrpc/connect/protocol";
import type { Env } from "../env.js";
import { guardBinaryBody, malformedRequestKey } from "./binary-guard.js";
import { envKey } from "./context.js";
import { REQUEST_BYTES_MAX } from "../limits.js";
import { corsHeaders, preflightResponse } from "./cors.js";

/** A Worker-style fetch function. */
export type FetchHandler = (request: Request, env: Env) => Promise<Response>;

/** Builds the fetch handler that serves `router`. */
export function createFetchHandler(router: ConnectRouter): FetchHandler {
  const byPath = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  return async (request, env) => {
    const origin = request.headers.get("Origin");
    if (request.method === "OPTIONS") return preflightResponse(origin, env.CORS_ALLOWED_ORIGINS);
    const url = new URL(request.url);
    const handler = byPath.get(url.pathname);
    const response = handler === undefined ? notFound(url.pathname) : await serve(handler, request, env);
    const cors = corsHeaders(origin, env.CORS_ALLOWED_ORIGINS);
    if (cors === null) return response;
    const headers = new Headers(response.headers);
    cors.forEach((value, key) => headers.set(key, value));
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

/**
 * Serves one call. The request body is read once, whole, and handed to
 * Connect as a single chunk, and a unary answer is collected into one
 * buffer: streams between the runtime and Connect cost more CPU than the
 * rest of a small call (measured with `npm run bench`'s profile). Streaming
 * answers still stream.
 */
async function serve(handler: UniversalHandler, request: Request, env: Env): Promise<Response> {
  const bytes = await readBounded(request.body, REQUEST_BYTES_MAX + 1);
  // HTTP-level compression (Connect unary's Accept-Encoding) belongs to the
  // platform, not to us: Cloudflare normalises Accept-Encoding on the way in
  // whatever the client sent (locally, a client that sent none still got
  // gzip). Were Connect to gzip the body, clients could get it gzipped
  // without having asked. So Connect never sees Accept-Encoding. Compressed
  // requests, and the per-message compression of gRPC-Web and Connect
  // streams (their own headers), are unaffected; `respond` still keeps the
  // runtime from encoding any body Connect did compress a second time.
  const header = new Headers(request.headers);
  header.delete("Accept-Encoding");
  const guarded = await guardBinaryBody(bytes, header, handler.method.input);
  const contextValues = createContextValues().set(envKey, env).set(malformedRequestKey, guarded.malformed);
  const uRes = await handler({
    httpVersion: "",
    method: request.method,
    url: request.url,
    header: guarded.headers,
    body: oneChunk(guarded.body),
    signal: request.signal,
    contextValues,
  });
  if (handler.method.methodKind !== "unary" || uRes.body === undefined) {
    const response = universalServerResponseToFetch(uRes);
    return respond(response, response.headers);
  }
  const body = await collect(uRes.body);
  const headers = uRes.header ?? new Headers();
  return respond(new Response(body as Uint8Array<ArrayBuffer>, { status: uRes.status, headers }), headers);
}

/**
 * Reads a body, but never more than `maxBytes`: an oversized body is cut
 * there (and the stream cancelled), which still exceeds REQUEST_BYTES_MAX,
 * so Connect refuses it with RESOURCE_EXHAUSTED without the Worker holding
 * all of it in memory.
 */
async function readBounded(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.byteLength;
    if (total >= maxBytes) {
      await reader.cancel();
      break;
    }
  }
  return concat(parts, total);
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (bytes.byteLength > 0) yield bytes;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    total += chunk.byteLength;
  }
  return concat(parts, total);
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function notFound(path: string): Response {
  const body = path === "/" ? "ImpossibleDB: a Connect / gRPC-Web API. See the README for how to call it.\n" : `no RPC at ${path}\n`;
  return new Response(body, { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

/**
 * Refuses malformed binary request messages with INVALID_ARGUMENT.
 *
 * connect-es parses a request before any interceptor runs and reports a
 * binary parse failure as INTERNAL, which would tell a client that sent
 * garbage that the server is broken. So binary requests are parsed here
 * first. When one does not parse, the call goes on with an empty message and
 * a context value that the error interceptor turns into INVALID_ARGUMENT;
 * that way Connect still encodes the error in the caller's protocol
 * (Connect or gRPC-Web) and nothing reaches a service. Connect GET requests
 * carry their message in the URL and are checked the same way. A message
 * that parses is also refused for what parsing would silently change: in
 * binary, an unknown NullValue number in Struct data (binary-null-values.ts);
 * in JSON, impossible timestamps and inexact int64s (json-timestamps.ts).
 */
import { fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { createContextKey } from "@connectrpc/connect";
import { REQUEST_BYTES_MAX } from "../limits.js";
import { fromBase64Url } from "../pagination/page-token.js";
import { compressionGzip } from "./compression.js";
import { binaryNullValueProblem } from "./binary-null-values.js";
import { jsonRequestProblem } from "./json-timestamps.js";
import { readJsonText } from "./json-text.js";
import { protocolRefusal } from "./protocol-refusal.js";
import type { Failure } from "../errors.js";

/** Set when the request message did not parse; holds the reason. */
export const malformedRequestKey = createContextKey<string | undefined>(undefined, { description: "malformed request" });

/**
 * Set, to the declared size in bytes, when a request's Content-Length is
 * over REQUEST_BYTES_MAX: the call is refused with RESOURCE_EXHAUSTED
 * without reading the body at all (reading part of it and stopping left a
 * locked stream the runtime could not drain, and the client saw its
 * connection reset instead of an answer).
 */
export const oversizedRequestKey = createContextKey<number | undefined>(undefined, { description: "oversized request" });

/**
 * Set when the request's protocol framing is refused (protocol-refusal.ts):
 * a Connect version other than 1, or HTTP Content-Encoding on a stream.
 */
export const refusedRequestKey = createContextKey<Failure | undefined>(undefined, { description: "refused request" });

/**
 * The request size limit the call was held to: REQUEST_BYTES_MAX, unless
 * the fetch handler was built with another (the conformance Worker takes
 * the limit the conformance runner asks for).
 */
export const requestBytesMaxKey = createContextKey<number>(REQUEST_BYTES_MAX, { description: "request size limit" });

const ENVELOPE_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0x01;

/**
 * The outcome of the guard: what Connect is to see of the request (its URL,
 * headers and body, read whole), the parse failure if any, and the declared
 * size of a body too large to read. The body is handed on as bytes, not as a
 * new Request: rebuilding a Request around them, and Connect then reading it
 * back as a stream, cost about a third of a point call's CPU on workerd
 * (measured with `npx tsx bench/cpu-profile.ts get`).
 */
export interface GuardedRequest {
  /** The URL to serve (a GET whose message did not parse has it emptied). */
  readonly url: string;
  /** The headers to serve with (Content-Encoding and Content-Length dropped when the body was replaced). */
  readonly headers: Headers;
  /** The whole body, or null for a request without one (GET). */
  readonly body: Uint8Array | null;
  readonly malformed: string | undefined;
  readonly oversizedBytes?: number;
  /** Why the protocol framing is refused (protocol-refusal.ts); the message was not read. */
  readonly refusal?: Failure;
}

/**
 * Reads a POST body whole and parses a binary request's message(s); passes
 * other requests through unparsed. `requestBytesMax` must be the router's
 * readMaxBytes.
 */
export async function guardBinaryRequest(request: Request, input: DescMessage, requestBytesMax = REQUEST_BYTES_MAX): Promise<GuardedRequest> {
  // Each property of a runtime Request is a native call: read them once.
  const method = request.method;
  const url = request.url;
  const headers = request.headers;
  const refusal = protocolRefusal(method, url, headers);
  if (refusal !== null) return refused(request, method, url, headers, refusal);
  if (method === "GET") return guardGetRequest(request, input, requestBytesMax);
  const contentType = headers.get("Content-Type") ?? "";
  const enveloped = isEnveloped(contentType);
  const declaredBytes = Number(headers.get("Content-Length") ?? Number.NaN);
  // The limit is on the message, as Connect's readMaxBytes is: an enveloped
  // body carries one message (unary and server-streaming calls) behind its
  // 5-byte prefix, so a message exactly at the limit must pass (it was
  // refused; found by the conformance suite's request-equal-to-server-limit).
  const bodyBytesMax = requestBytesMax + (enveloped ? ENVELOPE_HEADER_BYTES : 0);
  if (method === "POST" && declaredBytes > bodyBytesMax) return oversized(url, headers, contentType, enveloped, declaredBytes);
  const unary = /^application\/proto\b/.test(contentType);
  const binaryEnveloped = enveloped && !/^application\/(grpc-web|connect)\+json\b/.test(contentType);
  const stream = request.body;
  if (method !== "POST" || stream === null) return { url, headers, body: null, malformed: undefined };
  // Every body is read whole here, JSON too: Connect may refuse a call on
  // its headers alone (a bad connect-timeout-ms) without reading the body,
  // and local workerd then failed to drain a large unread body and reset the
  // connection (the caller saw HTTP 500 "Network connection lost").
  // A body whose Content-Length is within the limit is read in one native
  // call (the runtime holds it to that length). A body sent without
  // Content-Length (chunked) is read up to the limit and the rest drained
  // unkept, so memory stays bounded by the limit, not by whatever the
  // platform lets a body be (it was buffered whole; 120 MB went into the
  // isolate, whose memory is 128 MB at the edge).
  const read: Awaited<ReturnType<typeof readBodyCapped>> = Number.isFinite(declaredBytes)
    ? { bytes: new Uint8Array(await request.arrayBuffer()) }
    : await readBodyCapped(stream, bodyBytesMax);
  if (read.overBytes !== undefined) return oversized(url, headers, contentType, enveloped, read.overBytes);
  if (read.bytes.byteLength > bodyBytesMax) return oversized(url, headers, contentType, enveloped, read.bytes.byteLength);
  const body = read.bytes;
  const passed = { url, headers, body, malformed: undefined };
  const unaryJson = !enveloped && /^application\/json\b/.test(contentType);
  if (!enveloped && !unary && !unaryJson) return passed;
  // JSON is checked only for values protobuf-es would misread (impossible
  // timestamps, inexact int64s: json-timestamps.ts) and
  // JSON envelopes for their framing: Connect reports JSON that does not parse itself.
  const problem = enveloped
    ? await checkEnvelopes(body, input, !binaryEnveloped, headers.get(contentType.startsWith("application/connect+") ? "Connect-Content-Encoding" : "Grpc-Encoding"), requestBytesMax)
    : await checkMessage(body, input, unaryJson, headers.get("Content-Encoding"), requestBytesMax);
  if (problem === undefined) return passed;
  return { url, headers: replacedBodyHeaders(headers), body: emptyMessage(contentType, enveloped), malformed: problem };
}

/**
 * The headers of a request whose body was replaced by an empty message: its
 * encoding and length went with the old body (the caller's length would make
 * the runtime report a short body instead of the real reason).
 */
function replacedBodyHeaders(original: Headers): Headers {
  const headers = new Headers(original);
  headers.delete("Content-Encoding");
  headers.delete("Content-Length");
  return headers;
}

/** The call refused as too large: its body replaced by an empty message, with the size it had. */
function oversized(url: string, headers: Headers, contentType: string, enveloped: boolean, bytes: number): GuardedRequest {
  return { url, headers: replacedBodyHeaders(headers), body: emptyMessage(contentType, enveloped), malformed: undefined, oversizedBytes: bytes };
}

/**
 * The call refused for its protocol framing: its message replaced by an
 * empty one (so Connect parses nothing of it), and a POST body drained
 * unkept (an unread body can reset the connection, see above).
 */
async function refused(request: Request, method: string, url: string, headers: Headers, refusal: Failure): Promise<GuardedRequest> {
  if (method === "GET") return { url: emptyGetUrl(new URL(url)).toString(), headers, body: null, malformed: undefined, refusal };
  if (request.body !== null) await readBodyCapped(request.body, 0);
  const contentType = headers.get("Content-Type") ?? "";
  return { url, headers: replacedBodyHeaders(headers), body: emptyMessage(contentType, isEnveloped(contentType)), malformed: undefined, refusal };
}

/**
 * Reads `body` whole, keeping at most `keepBytesMax` bytes: past that it is
 * drained to its end (an unread body can reset the connection, see above)
 * and only counted, and `overBytes` says how long it was. Used for bodies
 * sent without Content-Length (a body with one is read in one native call);
 * reading chunk by chunk from JavaScript costs about 300 µs more CPU per
 * call on local workerd (`npx tsx bench/cpu-profile.ts get`, whose client
 * sends chunked bodies), and workerd's BYOB `readAtLeast` measured no
 * cheaper.
 */
export async function readBodyCapped(body: ReadableStream<Uint8Array>, keepBytesMax: number): Promise<{ bytes: Uint8Array<ArrayBuffer>; overBytes?: undefined } | { overBytes: number }> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total <= keepBytesMax) chunks.push(value);
    else chunks.length = 0;
  }
  if (total > keepBytesMax) return { overBytes: total };
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes };
}

async function checkMessage(bytes: Uint8Array, input: DescMessage, json: boolean, encoding: string | null, requestBytesMax: number): Promise<string | undefined> {
  let message = bytes;
  if (encoding === "gzip") {
    try {
      message = await compressionGzip.decompress(bytes, requestBytesMax);
    } catch {
      return undefined; // Connect reports bad compression itself.
    }
  } else if (encoding !== null && encoding !== "identity") {
    return undefined; // Connect refuses unknown encodings itself.
  }
  if (json) {
    // Connect would report JSON that does not parse itself, but its message
    // quotes the text, which can hold half of a surrogate pair, and
    // gRPC-Web's grpc-message cannot carry one (the front door answered
    // HTTP 500 so, found by the 100,000-request campaign). So it is refused
    // here, in our words (json-text.ts).
    const read = readJsonText(message);
    if (!read.ok) return read.problem;
    return jsonRequestProblem(input, read.parsed, read.text);
  }
  try {
    fromBinary(input, message);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  // Struct data loses an unknown null_value number as it parses (binary-null-values.ts).
  try {
    return binaryNullValueProblem(input, message);
  } catch (err) {
    // fromBinary reads a known field by its declared type whatever the tag's
    // wire type says, so it accepts what no encoder writes (a lone END_GROUP
    // tag, a fuzzer's "wrong wire type": HTTP 500 before this); the walk,
    // which skips fields by their wire type, cannot.
    return `the request message's binary encoding is malformed (${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Checks each envelope's flags and, for binary messages (`input` set), that
 * the message parses. A message flagged compressed in a request that names
 * no encoding is refused here: Connect would report it as INTERNAL.
 */
async function checkEnvelopes(bytes: Uint8Array, input: DescMessage, json: boolean, encoding: string | null, requestBytesMax: number): Promise<string | undefined> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (bytes.byteLength - offset < ENVELOPE_HEADER_BYTES) return undefined; // Framing errors are Connect's to report.
    const flags = bytes[offset]!;
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, 4).getUint32(0);
    const start = offset + ENVELOPE_HEADER_BYTES;
    if (start + length > bytes.byteLength) return undefined;
    const compressed = (flags & COMPRESSED_FLAG) !== 0;
    if (compressed && (encoding === null || encoding === "identity")) return "a message is flagged compressed but the request names no encoding";
    // Flag 0x02 marks an end-of-stream envelope, which holds no message.
    const problem = (flags & 0x02) !== 0 ? undefined : await checkMessage(bytes.subarray(start, start + length), input, json, compressed ? encoding : null, requestBytesMax);
    if (problem !== undefined) return problem;
    offset = start + length;
  }
  return undefined;
}

/**
 * Connect's GET form carries the message in the URL (`message`, base64url
 * when `base64=1`, `encoding=proto` or `json`, optional `compression`). A
 * binary message that does not decode or parse is refused the same way as a
 * POSTed one: the call goes on with an empty message and the reason.
 */
async function guardGetRequest(request: Request, input: DescMessage, requestBytesMax: number): Promise<GuardedRequest> {
  const url = new URL(request.url);
  const text = url.searchParams.get("message");
  const encoding = url.searchParams.get("encoding");
  const passed: GuardedRequest = { url: request.url, headers: request.headers, body: null, malformed: undefined };
  if ((encoding !== "proto" && encoding !== "json") || text === null) return passed;
  let bytes: Uint8Array;
  if (url.searchParams.get("base64") === "1") {
    try {
      bytes = fromBase64Url(text);
    } catch {
      return emptiedGet(request, url, "message is not valid base64url");
    }
  } else {
    // As Connect reads it: the query parameter's text, as UTF-8.
    bytes = new TextEncoder().encode(text);
  }
  if (bytes.byteLength > requestBytesMax) return passed;
  const problem = await checkMessage(bytes, input, encoding === "json", url.searchParams.get("compression"), requestBytesMax);
  return problem === undefined ? passed : emptiedGet(request, url, problem);
}

function emptiedGet(request: Request, url: URL, problem: string): GuardedRequest {
  return { url: emptyGetUrl(url).toString(), headers: request.headers, body: null, malformed: problem };
}

/**
 * `url` with an empty message in its own encoding: `{}` for JSON (an empty
 * string is not JSON, and Connect's own "Unexpected end of JSON input"
 * would answer before the real reason), no bytes for binary.
 */
function emptyGetUrl(url: URL): URL {
  const empty = new URL(url);
  empty.searchParams.set("message", empty.searchParams.get("encoding") === "json" ? "{}" : "");
  empty.searchParams.delete("base64");
  empty.searchParams.delete("compression");
  return empty;
}

/** True for the enveloped (length-prefixed) protocols: Connect streams and gRPC-Web. */
function isEnveloped(contentType: string): boolean {
  return /^application\/(grpc-web|connect)\+/.test(contentType) || /^application\/grpc-web(;|$)/.test(contentType);
}

/** An empty request message in the request's own encoding and framing, which parses as the default message. */
function emptyMessage(contentType: string, enveloped: boolean): Uint8Array<ArrayBuffer> {
  const json = /json/.test(contentType);
  const message: Uint8Array<ArrayBuffer> = json ? new Uint8Array([0x7b, 0x7d]) : new Uint8Array(0); // "{}"
  if (!enveloped) return message;
  const framed = new Uint8Array(ENVELOPE_HEADER_BYTES + message.byteLength);
  new DataView(framed.buffer).setUint32(1, message.byteLength);
  framed.set(message, ENVELOPE_HEADER_BYTES);
  return framed;
}

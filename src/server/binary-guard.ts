/**
 * Refuses malformed binary request messages with INVALID_ARGUMENT.
 *
 * connect-es parses a request before any interceptor runs and reports a
 * binary parse failure as INTERNAL, which would tell a client that sent
 * garbage that the server is broken. So binary requests are parsed here
 * first. When one does not parse, the call goes on with an empty message and
 * a context value that the error interceptor turns into INVALID_ARGUMENT;
 * that way Connect still encodes the error in the caller's protocol
 * (Connect or gRPC-Web) and nothing reaches a service.
 */
import { fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { createContextKey } from "@connectrpc/connect";
import { REQUEST_BYTES_MAX } from "../limits.js";
import { compressionGzip } from "./compression.js";

/** Set when the request message did not parse; holds the reason. */
export const malformedRequestKey = createContextKey<string | undefined>(undefined, { description: "malformed request" });

const ENVELOPE_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0x01;

/** The outcome of the guard: the body and headers to serve, and the parse failure if any. */
export interface GuardedBody {
  readonly body: Uint8Array;
  readonly headers: Headers;
  readonly malformed: string | undefined;
}

/** Parses a binary request body's message(s); passes other bodies through untouched. */
export async function guardBinaryBody(body: Uint8Array, headers: Headers, input: DescMessage): Promise<GuardedBody> {
  const contentType = headers.get("Content-Type") ?? "";
  const enveloped = /^application\/(grpc-web|connect)\+proto\b/.test(contentType) || /^application\/grpc-web(;|$)/.test(contentType);
  const unary = /^application\/proto\b/.test(contentType);
  const unchanged = { body, headers, malformed: undefined };
  if ((!enveloped && !unary) || body.byteLength === 0 || body.byteLength > REQUEST_BYTES_MAX) return unchanged;
  const problem = enveloped
    ? await checkEnvelopes(body, input, headers.get("Grpc-Encoding") ?? headers.get("Connect-Content-Encoding"))
    : await checkMessage(body, input, headers.get("Content-Encoding"));
  if (problem === undefined) return unchanged;
  const replaced = new Headers(headers);
  replaced.delete("Content-Encoding");
  return { body: enveloped ? new Uint8Array(ENVELOPE_HEADER_BYTES) : new Uint8Array(0), headers: replaced, malformed: problem };
}

async function checkMessage(bytes: Uint8Array, input: DescMessage, encoding: string | null): Promise<string | undefined> {
  let message = bytes;
  if (encoding === "gzip") {
    try {
      message = await compressionGzip.decompress(bytes, REQUEST_BYTES_MAX);
    } catch {
      return undefined; // Connect reports bad compression itself.
    }
  } else if (encoding !== null && encoding !== "identity") {
    return undefined; // Connect refuses unknown encodings itself.
  }
  try {
    fromBinary(input, message);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function checkEnvelopes(bytes: Uint8Array, input: DescMessage, encoding: string | null): Promise<string | undefined> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (bytes.byteLength - offset < ENVELOPE_HEADER_BYTES) return undefined; // Framing errors are Connect's to report.
    const flags = bytes[offset]!;
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, 4).getUint32(0);
    const start = offset + ENVELOPE_HEADER_BYTES;
    if (start + length > bytes.byteLength) return undefined;
    const compressed = (flags & COMPRESSED_FLAG) !== 0;
    const problem = await checkMessage(bytes.subarray(start, start + length), input, compressed ? encoding : null);
    if (problem !== undefined) return problem;
    offset = start + length;
  }
  return undefined;
}

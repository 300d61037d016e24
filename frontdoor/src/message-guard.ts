/**
 * Refuses malformed gRPC request messages with INVALID_ARGUMENT.
 *
 * connect-node parses a request message before any interceptor runs and
 * reports a parse failure as INTERNAL, which tells a caller that sent a
 * message of another schema (or garbage) that the server is broken. Every
 * method the front door serves takes ONE request message (unary and server
 * streaming), so the whole body is read first and each enveloped message
 * parsed with the method's input schema; a message that does not parse is
 * replaced by an empty one and the call is failed by the interceptor below,
 * so connect still writes the error in gRPC's own framing. The Worker does
 * the same for Connect and gRPC-Web (src/server/binary-guard.ts).
 */
import { gunzipSync } from "node:zlib";
import { fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { readJsonText } from "../../src/server/json-text.js";
import { REQUEST_BYTES_MAX } from "./limits.js";

/** Set when the request message did not parse; holds the reason. */
export const malformedMessageKey = createContextKey<string | undefined>(undefined, { description: "malformed gRPC request message" });

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Fails a call whose request message did not parse, before it is forwarded. */
export const malformedMessageInterceptor: Interceptor = (next) => async (req) => {
  const malformed = req.contextValues.get(malformedMessageKey);
  // A reason may quote the caller's text, and grpc-message cannot carry a lone surrogate.
  if (malformed !== undefined) throw new ConnectError(`request message does not parse: ${malformed.replace(LONE_SURROGATE, "\ufffd")}`, Code.InvalidArgument);
  return next(req);
};

const ENVELOPE_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0x01;

/** An empty enveloped message: the default message of any schema. */
export const EMPTY_ENVELOPE = new Uint8Array(ENVELOPE_HEADER_BYTES);

/** An enveloped empty JSON object (`{}`): the default message of any schema, in the JSON codec. */
export const EMPTY_JSON_ENVELOPE = new Uint8Array([0, 0, 0, 0, 2, 0x7b, 0x7d]);

/**
 * The codec a gRPC content type names: `application/grpc` and
 * `application/grpc+proto` are binary, `application/grpc+json` is JSON;
 * anything else is left to connect, which refuses what it does not speak.
 */
export function grpcCodecOf(contentType: string | undefined): "proto" | "json" | "other" {
  const match = /^application\/grpc(?:\+([^;\s]+))?\s*(?:;|$)/i.exec(contentType ?? "");
  if (match === null) return "other";
  const subtype = match[1]?.toLowerCase();
  if (subtype === undefined || subtype === "proto") return "proto";
  return subtype === "json" ? "json" : "other";
}

/**
 * Why `body` (gRPC length-prefixed messages) does not parse as `input`, or
 * undefined when it does or when the framing or compression is wrong in a
 * way connect reports itself. `encoding` is the grpc-encoding header,
 * `codec` what the content type names: binary messages are parsed with the
 * schema, JSON ones only as JSON (parsing JSON as binary refused every gRPC
 * call in the JSON codec, found by the conformance suite), and the
 * compression flag is checked for all.
 */
export function malformedReason(
  body: Uint8Array,
  input: DescMessage,
  encoding: string | undefined,
  codec: "proto" | "json" | "other" = "proto",
  requestBytesMax = REQUEST_BYTES_MAX,
): string | undefined {
  let offset = 0;
  while (offset + ENVELOPE_HEADER_BYTES <= body.byteLength) {
    const flags = body[offset]!;
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    const start = offset + ENVELOPE_HEADER_BYTES;
    if (start + length > body.byteLength) return undefined;
    let message = body.subarray(start, start + length);
    // gRPC defines one flag bit for a request message; connect-node reports
    // any other (the end-of-stream bit of its responses) as INTERNAL.
    if ((flags & ~COMPRESSED_FLAG) !== 0) return `a message has envelope flags 0x${flags.toString(16)}; a request message may set only 0x01 (compressed)`;
    if ((flags & COMPRESSED_FLAG) !== 0) {
      // connect-node would report this as INTERNAL.
      if (encoding === undefined || encoding === "identity") return "a message is flagged compressed but the request names no grpc-encoding";
      if (encoding !== "gzip") return undefined;
      try {
        message = gunzipSync(message, { maxOutputLength: requestBytesMax });
      } catch (err) {
        // Over the size limit: connect-node answers RESOURCE_EXHAUSTED itself.
        if ((err as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") return undefined;
        // Not gzip at all: connect-node would report the failed decompression as INTERNAL.
        return "a message flagged compressed with gzip does not decompress";
      }
    }
    if (codec === "proto") {
      try {
        fromBinary(input, message);
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    } else if (codec === "json") {
      // connect-node reports JSON that does not parse itself, but its message
      // echoes the text, which can hold half of a surrogate pair; writing
      // that into grpc-message threw (encodeURIComponent) and the caller got
      // HTTP 500 (found by the 100,000-request campaign). So JSON that does
      // not parse is refused here, in the Worker's words (json-text.ts).
      const read = readJsonText(message);
      if (!read.ok) return read.problem;
    }
    offset = start + length;
  }
  return undefined;
}

/**
 * Requests whose protocol framing the Connect protocol does not allow, told
 * apart by their method, URL and headers alone, before any message is read
 * (https://connectrpc.com/docs/protocol; connect-es accepts them unless its
 * `requireConnectProtocolHeader` is on, which would also refuse every
 * request without the header, curl's included):
 *
 * - A Connect GET names its protocol version as the query parameter
 *   `connect`, whose one valid value is `v1` (Connect-Version-Query); any
 *   other is INVALID_ARGUMENT, the code of HTTP 400, the status the
 *   protocol gives for a request without it. Leaving it out stays allowed
 *   (the protocol makes it optional).
 * - A Connect POST may carry `Connect-Protocol-Version`, whose one valid
 *   value is `1`: the same rule.
 * - A streaming request (Connect streams, gRPC-Web) compresses each message
 *   (`Connect-Content-Encoding` or `grpc-encoding`, with the envelope's
 *   compressed flag); HTTP's `Content-Encoding` over the whole body is no
 *   part of those protocols. Read as envelopes, a gzipped body gave a
 *   misleading "message size 2332557312 is larger than configured
 *   readMaxBytes" (RESOURCE_EXHAUSTED). The protocol's rule for an encoding
 *   the server does not support is UNIMPLEMENTED with a message listing the
 *   supported ones, so that is the answer.
 */
import { failure, type Failure } from "../errors.js";

/** The encodings a request may name (server/compression.ts implements gzip). */
export const SUPPORTED_ENCODINGS = ["gzip", "identity"] as const;

const CONNECT_VERSION_PARAM = "connect";
const CONNECT_VERSION_PARAM_VALUE = "v1";
const CONNECT_VERSION_HEADER = "Connect-Protocol-Version";
const CONNECT_VERSION_HEADER_VALUE = "1";

/**
 * Why the request is refused before its message is read, or null. Pure:
 * `method`, `url` and `headers` are the HTTP request's.
 */
export function protocolRefusal(method: string, url: string, headers: Headers): Failure | null {
  const contentType = headers.get("Content-Type") ?? "";
  if (method === "GET") {
    const version = new URL(url).searchParams.get(CONNECT_VERSION_PARAM);
    if (version !== null && version !== CONNECT_VERSION_PARAM_VALUE) {
      return failure("invalid_argument", `the query parameter ${CONNECT_VERSION_PARAM} must be "${CONNECT_VERSION_PARAM_VALUE}" (the Connect protocol's GET form), got ${JSON.stringify(version)}`);
    }
    return null;
  }
  const connectStream = /^application\/connect\+/.test(contentType);
  const connectUnary = /^application\/(proto|json)\b/.test(contentType);
  const version = headers.get(CONNECT_VERSION_HEADER);
  if ((connectStream || connectUnary) && version !== null && version !== CONNECT_VERSION_HEADER_VALUE) {
    return failure("invalid_argument", `the header ${CONNECT_VERSION_HEADER} must be "${CONNECT_VERSION_HEADER_VALUE}", got ${JSON.stringify(version)}`);
  }
  const grpcWeb = /^application\/grpc-web(\+|;|$)/.test(contentType);
  const bodyEncoding = headers.get("Content-Encoding");
  if ((connectStream || grpcWeb) && bodyEncoding !== null && bodyEncoding.trim().toLowerCase() !== "identity") {
    const perMessage = connectStream ? "Connect-Content-Encoding" : "grpc-encoding";
    return failure(
      "unimplemented",
      `Content-Encoding ${JSON.stringify(bodyEncoding)} is not supported on a ${connectStream ? "Connect streaming" : "gRPC-Web"} request: compress each message instead, naming the encoding in ${perMessage} (supported: ${SUPPORTED_ENCODINGS.join(", ")})`,
    );
  }
  return null;
}

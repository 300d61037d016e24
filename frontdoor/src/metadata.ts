/**
 * Which headers are application metadata. The front door copies only those
 * between the gRPC caller and the Worker: transport headers belong to one hop
 * (HTTP/2 refuses connection headers such as transfer-encoding outright), and
 * protocol headers (grpc-*, connect-*, content-type) are rewritten by each
 * side's own protocol implementation.
 */

/** Header names owned by HTTP or by one of the RPC protocols. */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "accept-encoding",
  "access-control-allow-origin",
  "access-control-expose-headers",
  "cf-ray",
  "connection",
  "content-encoding",
  "content-length",
  "content-type",
  "date",
  "host",
  "keep-alive",
  "proxy-connection",
  "server",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "vary",
  "x-user-agent",
]);

const PROTOCOL_PREFIXES: readonly string[] = ["grpc-", "connect-", ":"];

/** True when `name` (any case) is application metadata worth forwarding. */
export function isApplicationMetadata(name: string): boolean {
  const lower = name.toLowerCase();
  if (TRANSPORT_HEADERS.has(lower)) return false;
  return !PROTOCOL_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** A copy of `headers` with only its application metadata. */
export function applicationMetadata(headers: Headers): Headers {
  const out = new Headers();
  headers.forEach((value, name) => {
    if (isApplicationMetadata(name)) out.append(name, value);
  });
  return out;
}

/** Appends the application metadata of `from` to `to`. */
export function copyApplicationMetadata(from: Headers, to: Headers): void {
  applicationMetadata(from).forEach((value, name) => to.append(name, value));
}

/**
 * A connect-node HTTP client that sends each unary request with a
 * Content-Length, as browsers, connect-go and the Python client do and as
 * the floor's client does (Node sets it for a body given whole). connect-node
 * writes a unary body in pieces, so Node sends it chunked: without this the
 * comparison with the floor would also measure the two clients' framing
 * (reading a chunked body cost the runtime measurably more in CPU profiles,
 * `npm run bench:profile`). Streaming calls (enveloped bodies) are passed
 * through unchanged. The body of any 5xx answer is printed to stderr.
 */
import type { UniversalClientFn } from "@connectrpc/connect/protocol";
import { createNodeHttpClient, type NodeHttpClientOptions } from "@connectrpc/connect-node";

/** Wraps connect-node's HTTP client so unary request bodies go out whole, with their length. */
export function createSizedBodyHttpClient(options: NodeHttpClientOptions): UniversalClientFn {
  const client = createNodeHttpClient(options);
  return async (req) => {
    const contentType = new Headers(req.header).get("content-type") ?? "";
    if (req.body === undefined || !/^application\/(proto|json)\b/.test(contentType)) return client(req);
    const chunks: Uint8Array[] = [];
    for await (const chunk of req.body) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const header = new Headers(req.header);
    header.set("content-length", String(body.byteLength));
    return reportServerErrors(await client({ ...req, header, body: (async function* () { yield body; })() }), req.url);
  };
}

/**
 * Prints the body of an HTTP 5xx answer to stderr (the client turns it
 * into a bare "HTTP 500" error otherwise, and the body says what failed),
 * then hands the answer on unchanged.
 */
async function reportServerErrors(res: Awaited<ReturnType<UniversalClientFn>>, url: string): Promise<Awaited<ReturnType<UniversalClientFn>>> {
  if (res.status < 500) return res;
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  console.error(`[bench] HTTP ${res.status} from ${url}: ${bytes.toString("utf8").slice(0, 2000)}`);
  return { ...res, body: (async function* () { yield bytes; })() };
}

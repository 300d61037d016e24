/**
 * A minimal HTTP/1.1 POST over a keep-alive agent: the same transport
 * connect-node uses for ImpossibleDB (node:http, one socket per request in
 * flight), so the floor is driven in the same client style.
 */
import http from "node:http";

export interface HttpReply {
  readonly status: number;
  readonly body: string;
}

export function createKeepAliveAgent(socketsMax: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: socketsMax });
}

/**
 * POSTs `body` and reads the whole reply. A request that fails with
 * ECONNRESET on a reused keep-alive socket is sent once more on a new one:
 * the server closed that idle socket between two phases (its keep-alive
 * timeout) just as the client picked it up, so the request never reached
 * it (Node's http docs recommend exactly this retry). A full `npm run bench`
 * died of it once, at the hot-document phase's first request.
 */
export async function post(agent: http.Agent, url: string, body: string): Promise<HttpReply> {
  try {
    return await postOnce(agent, url, body);
  } catch (err) {
    if (!(err instanceof StaleSocketError)) throw err;
    return postOnce(agent, url, body);
  }
}

/** ECONNRESET on a reused keep-alive socket: the request was not received. */
class StaleSocketError extends Error {}

function postOnce(agent: http.Agent, url: string, body: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", (err: NodeJS.ErrnoException) => reject(req.reusedSocket && err.code === "ECONNRESET" ? new StaleSocketError(err.message) : err));
    req.end(body);
  });
}

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

export function post(agent: http.Agent, url: string, body: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * The SDK's apiKey option and IMPOSSIBLEDB_API_KEY: the credential goes out
 * as `authorization: Bearer <key>` on every call, over real HTTP.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../src/node.js";

let seen: IncomingHttpHeaders[] = [];
const server = createServer((req, res) => {
  seen.push(req.headers);
  req.resume();
  req.on("end", () => {
    res.writeHead(401, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ code: "unauthenticated", message: "no" }));
  });
});
let baseUrl = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function authorizationSent(options: ConstructorParameters<typeof ImpossibleDBClient>[0]): Promise<string | undefined> {
  seen = [];
  const db = new ImpossibleDBClient({ baseUrl, retry: false, ...options });
  await expect(db.collection("c").get("d")).rejects.toThrow(/unauthenticated/i);
  return seen[0]?.authorization;
}

describe("apiKey", () => {
  it("is sent as a bearer token", async () => {
    expect(await authorizationSent({ apiKey: "idb_0123456789abcdef_secret" })).toBe("Bearer idb_0123456789abcdef_secret");
  });

  it("comes from IMPOSSIBLEDB_API_KEY when not given, and is absent when neither is set", async () => {
    const saved = process.env.IMPOSSIBLEDB_API_KEY;
    try {
      process.env.IMPOSSIBLEDB_API_KEY = "from-env";
      expect(await authorizationSent({})).toBe("Bearer from-env");
      delete process.env.IMPOSSIBLEDB_API_KEY;
      expect(await authorizationSent({})).toBeUndefined();
    } finally {
      if (saved !== undefined) process.env.IMPOSSIBLEDB_API_KEY = saved;
    }
  });

  it("yields to an explicit authorization header", async () => {
    expect(await authorizationSent({ apiKey: "k", headers: { authorization: "Bearer other" } })).toBe("Bearer other");
  });
});

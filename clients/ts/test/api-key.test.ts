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

describe("an API key a header cannot carry", () => {
  it("is refused when the client is made, INVALID_ARGUMENT naming the character, never the key (every call failed with the platform's error)", async () => {
    const { Code, ConnectError } = await import("../src/node.js");
    for (const [key, why] of [
      ["s3cr\n", "a newline at index 4"],
      ["s3cr\r\nX-Evil: 1", "a carriage return at index 4"],
      ["s3c r", "a space at index 3"],
      ["s3cré", "a non-ASCII character at index 4"],
      ["s3crk\u0000", "the control character 0x00 at index 5"],
    ] as const) {
      let refused: unknown;
      try {
        new ImpossibleDBClient({ baseUrl, apiKey: key });
      } catch (err) {
        refused = err;
      }
      expect(refused, JSON.stringify(key)).toBeInstanceOf(ConnectError);
      expect((refused as InstanceType<typeof ConnectError>).code).toBe(Code.InvalidArgument);
      expect((refused as InstanceType<typeof ConnectError>).rawMessage).toMatch(new RegExp(`^ImpossibleDBClient: the option apiKey holds ${why}, which an authorization header cannot carry`));
      expect((refused as Error).message).not.toContain("s3c");
    }
    expect(await authorizationSent({ apiKey: "idb_AZaz09-._~+/=" })).toBe("Bearer idb_AZaz09-._~+/=");
  });
});

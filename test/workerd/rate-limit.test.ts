/**
 * Rate limits inside workerd, with Miniflare's Workers Rate Limiting
 * bindings (3 calls per 60 s window, configured in vitest.workerd.config.ts):
 * the router refuses the call past a credential's or a database's limit with
 * RESOURCE_EXHAUSTED, a google.rpc.RetryInfo detail and a retry-after
 * header, over Connect and gRPC-Web; a refused write is never applied; calls
 * without a credential are not counted; the TypeScript SDK's transport
 * waits out the delay and its write then succeeds, applied once.
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AdminService, ApiKey_Role } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { RATE_LIMIT_PERIOD_S } from "../../src/auth/limits.js";
import type { Env } from "../../src/env.js";
import { RETRY_AFTER_HEADER, RETRY_INFO_TYPE } from "../../src/errors.js";
import { createFetchHandler } from "../../src/server/fetch-handler.js";
import { createRouter } from "../../src/server/router.js";
import { createRetryingTransport } from "../../clients/ts/src/HttpClient.js";

const LIMIT = 3;
const BOOTSTRAP = "bootstrap-key-for-rate-limit-tests-0123456789";
const handle = createFetchHandler(createRouter());
const base: Env = { ...env, AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: BOOTSTRAP };
/** No limits: for making keys and checking what was written. */
const open: Env = base;
const perKey: Env = { ...base, RATE_LIMIT_PER_KEY: env.TEST_RATE_LIMIT_PER_KEY };
const perDatabase: Env = { ...base, RATE_LIMIT_PER_DATABASE: env.TEST_RATE_LIMIT_PER_DATABASE };

type Protocol = "connect" | "grpc-web";
function transport(workerEnv: Env, headers: Record<string, string>, protocol: Protocol = "connect"): Transport {
  const options = {
    baseUrl: "http://impossibledb.test",
    fetch: ((input: RequestInfo, init?: RequestInit) => {
      const { redirect: _r, ...rest } = (init ?? {}) as RequestInit & { mode?: unknown; credentials?: unknown };
      delete rest.mode;
      delete rest.credentials;
      return handle(new Request(input, rest), workerEnv);
    }) as typeof fetch,
    interceptors: [(next: any) => (req: any) => {
      for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
      return next(req);
    }],
  };
  return protocol === "connect" ? createConnectTransport(options) : createGrpcWebTransport(options);
}
const collections = (workerEnv: Env, headers: Record<string, string>, protocol?: Protocol) => createClient(CollectionService, transport(workerEnv, headers, protocol));
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

async function newKey(roles: Record<string, ApiKey_Role> = { "*": ApiKey_Role.READ_WRITE }): Promise<string> {
  const res = await createClient(AdminService, transport(open, bearer(BOOTSTRAP))).createApiKey({ displayName: "rate-limited", roles });
  return res.secret;
}

async function outcome(call: Promise<unknown>): Promise<ConnectError | null> {
  try {
    await call;
    return null;
  } catch (err) {
    return ConnectError.from(err);
  }
}

/** The retry delay of a RetryInfo detail, in ms. */
function retryInfoDelayMs(error: ConnectError): number | undefined {
  const detail = error.details.find((d) => "type" in d && d.type === RETRY_INFO_TYPE) as { value: Uint8Array } | undefined;
  if (detail === undefined) return undefined;
  const reader = new BinaryReader(detail.value);
  let ms = 0;
  while (reader.pos < reader.len) {
    const [field] = reader.tag();
    expect(field).toBe(1);
    const duration = new BinaryReader(reader.bytes());
    while (duration.pos < duration.len) {
      const [f] = duration.tag();
      if (f === 1) ms += Number(duration.int64()) * 1000;
      else ms += Math.floor(duration.int32() / 1_000_000);
    }
  }
  return ms;
}

/**
 * Sends `call` until the limiter refuses it; answers the refusal and how many
 * calls passed first. Windows are aligned to the clock, so the count is exact
 * only when no window ended meanwhile; then it must be the limit.
 */
async function untilRefused(call: () => Promise<unknown>): Promise<{ error: ConnectError; passed: number }> {
  const windowOf = () => Math.floor(Date.now() / (RATE_LIMIT_PERIOD_S * 1000));
  const startWindow = windowOf();
  for (let passed = 0; passed <= 2 * LIMIT; passed++) {
    const error = await outcome(call());
    if (error?.code === Code.ResourceExhausted) {
      if (windowOf() === startWindow) expect(passed).toBe(LIMIT);
      return { error, passed };
    }
    expect(error === null || error.code === Code.NotFound, `${error?.code} ${error?.rawMessage}`).toBe(true);
  }
  throw new Error(`no refusal after ${2 * LIMIT + 1} calls`);
}

describe("rate limits", () => {
  for (const protocol of ["connect", "grpc-web"] as const) {
    it(`refuses the call past a key's limit with RESOURCE_EXHAUSTED and retry information (${protocol})`, async () => {
      const secret = await newKey();
      const client = collections(perKey, bearer(secret), protocol);
      const { error } = await untilRefused(() => client.getDocument({ ref: { collection: "limited", id: "x" } }));
      expect(error.rawMessage).toContain("rate limit reached for this credential");
      const delayMs = retryInfoDelayMs(error);
      expect(delayMs).toBeGreaterThan(0);
      expect(delayMs).toBeLessThanOrEqual(RATE_LIMIT_PERIOD_S * 1000);
      expect(Number(error.metadata.get(RETRY_AFTER_HEADER))).toBe(Math.ceil(delayMs! / 1000));
      // Another key has a budget of its own.
      const other = collections(perKey, bearer(await newKey()), protocol);
      expect((await outcome(other.getDocument({ ref: { collection: "limited", id: "x" } })))?.code).toBe(Code.NotFound);
    });
  }

  it("never applies a refused write", async () => {
    const secret = await newKey();
    const client = collections(perKey, bearer(secret));
    await untilRefused(() => client.getDocument({ ref: { collection: "limited", id: "x" } }));
    const refused = await outcome(client.setDocument({ ref: { collection: "limited", id: "refused-write" }, data: { a: 1 } }));
    expect(refused?.code).toBe(Code.ResourceExhausted);
    const read = await outcome(collections(open, bearer(secret)).getDocument({ ref: { collection: "limited", id: "refused-write" } }));
    expect(read?.code).toBe(Code.NotFound);
  });

  it("does not count calls without a valid credential", async () => {
    const client = collections(perKey, bearer("idb_0000000000000000_notavalidsecretnotavalidsecretnotavalidsec"));
    for (let i = 0; i < 2 * LIMIT; i++) {
      expect((await outcome(client.getDocument({ ref: { collection: "limited", id: "x" } })))?.code).toBe(Code.Unauthenticated);
    }
    const anonymous = collections(perKey, {});
    expect((await outcome(anonymous.getDocument({ ref: { collection: "limited", id: "x" } })))?.code).toBe(Code.Unauthenticated);
  });

  it("limits a database's calls across keys, and not another database's", async () => {
    const [a, b] = [await newKey(), await newKey()];
    let turn = 0;
    const { error } = await untilRefused(() => {
      turn += 1;
      return collections(perDatabase, bearer(turn % 2 === 0 ? a : b)).getDocument({ ref: { collection: "limited", id: "x" } });
    });
    expect(error.rawMessage).toContain('rate limit reached for database "default"');
    expect(retryInfoDelayMs(error)).toBeGreaterThan(0);
    // Another database's budget is untouched: the call gets past the limiter
    // (and is then refused because no such database exists).
    const elsewhere = await outcome(collections(perDatabase, { ...bearer(a), "impossibledb-database": "elsewhere" }).getDocument({ ref: { collection: "limited", id: "x" } }));
    expect(elsewhere?.code).not.toBe(Code.ResourceExhausted);
  });
});

describe("the TypeScript SDK against the limiter", () => {
  it("waits the RetryInfo delay and its refused write then succeeds, applied once", { timeout: 30_000 }, async () => {
    // The 10 s binding stands in for RATE_LIMIT_PER_KEY here; the server
    // computes its delay from RATE_LIMIT_PERIOD_S (60 s), so the test caps
    // each wait at what is left of the 10 s window: the delay it checks is
    // the one the transport was told, the wait it makes is the window's.
    const limited10s: Env = { ...base, RATE_LIMIT_PER_KEY: env.TEST_RATE_LIMIT_10S };
    const secret = await newKey();
    const told: number[] = [];
    const sdk = createRetryingTransport(transport(limited10s, bearer(secret)), {
      timeoutMs: 120_000,
      retry: { attemptsMax: 4, random: () => 0 },
      sleep: (ms) => {
        told.push(ms);
        const windowLeftMs = 10_000 - (Date.now() % 10_000) + 50;
        return new Promise((resolve) => setTimeout(resolve, Math.min(ms, windowLeftMs)));
      },
    });
    const client = createClient(CollectionService, sdk);
    // Writes until one is refused (and then waited for and retried): LIMIT
    // + 1 writes, unless a window ends meanwhile.
    let last: { id: string; version: bigint | undefined } | undefined;
    for (let i = 0; told.length === 0 && i <= 2 * LIMIT; i++) {
      const res = await client.setDocument({ ref: { collection: "sdk-limited", id: `w${i}` }, data: { n: i } });
      last = { id: `w${i}`, version: res.document?.version };
    }
    expect(told.length).toBe(1);
    expect(told[0]).toBeGreaterThan(0);
    expect(told[0]).toBeLessThanOrEqual(RATE_LIMIT_PERIOD_S * 1000);
    const read = await collections(open, bearer(secret)).getDocument({ ref: { collection: "sdk-limited", id: last!.id } });
    // Applied once: the stored version is the one the write answered.
    expect(read.document?.version).toBe(last!.version);
  });
});

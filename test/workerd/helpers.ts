/**
 * Clients for tests inside workerd: real Connect and gRPC-Web transports
 * whose fetch goes to the Worker under test, so every test crosses the
 * whole stack (protocol, validation, routing, Durable Objects).
 */
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, ConnectError, Code, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { SELF, env } from "cloudflare:test";
import { expect } from "vitest";
import { SignJWT } from "jose";
import { clusterConfig, type Env } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter, type RoutingTable, type ShardRouter } from "../../src/routing/router.js";
import { planResharding } from "../../src/routing/resharding-plan.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";

const BASE_URL = "http://impossibledb.test";

// connect-web asks for `redirect: "error"`, which workerd refuses; the
// Worker never redirects, so the option is dropped here.
const fetchSelf: typeof fetch = (input, init) => {
  const { redirect: _redirect, ...rest } = (init ?? {}) as RequestInit & { mode?: unknown; credentials?: unknown };
  delete rest.mode;
  delete rest.credentials;
  return SELF.fetch(new Request(input as RequestInfo, rest));
};

/** Sends every call to `database` with the `impossibledb-database` header. */
function databaseHeader(database: string | undefined): Interceptor[] {
  if (database === undefined) return [];
  return [
    (next) => (req) => {
      req.header.set("impossibledb-database", database);
      return next(req);
    },
  ];
}

/**
 * A client speaking the Connect protocol (JSON unless `binary`; side-effect
 * free methods as GET with `get`), addressing `database` when given.
 */
export function connectClient<S extends DescService>(service: S, options: { binary?: boolean; database?: string; get?: boolean } = {}): Client<S> {
  return createClient(
    service,
    createConnectTransport({
      baseUrl: BASE_URL,
      fetch: fetchSelf,
      useBinaryFormat: options.binary ?? false,
      useHttpGet: options.get ?? false,
      interceptors: databaseHeader(options.database),
    }),
  );
}

/** A client speaking gRPC-Web (binary), addressing `database` when given. */
export function grpcWebClient<S extends DescService>(service: S, options: { database?: string } = {}): Client<S> {
  return createClient(service, createGrpcWebTransport({ baseUrl: BASE_URL, fetch: fetchSelf, interceptors: databaseHeader(options.database) }));
}

/** Asserts that `promise` rejects with Connect code `code` and a message matching `message`. */
export async function expectCode(promise: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected ${Code[code]}, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const ce = err as ConnectError;
  expect(Code[ce.code], ce.message).toBe(Code[code]);
  if (message !== undefined) expect(ce.rawMessage).toMatch(message);
  return ce;
}

/** Sends a raw HTTP request to the Worker under test. */
export function rawFetch(path: string, init: RequestInit): Promise<Response> {
  return SELF.fetch(new Request(BASE_URL + path, init));
}

/** One Connect (or gRPC-Web) envelope holding `json` as its message, flags 0. */
export function jsonEnvelope(json: string): Uint8Array<ArrayBuffer> {
  const message = new TextEncoder().encode(json);
  const out = new Uint8Array(5 + message.byteLength);
  new DataView(out.buffer).setUint32(1, message.byteLength);
  out.set(message, 5);
  return out;
}

/**
 * A Connect transport that calls `handle` (a fetch handler built in the
 * test, e.g. with auth on) directly with `workerEnv`, setting `headers` on
 * every request (an authorization header, a database).
 */
export function handlerTransport(handle: (request: Request, env: Env) => Promise<Response>, headers: Record<string, string>, workerEnv: Env): Transport {
  return createConnectTransport({
    baseUrl: "http://impossibledb.test",
    fetch: (input, init) => {
      const { redirect: _r, ...rest } = (init ?? {}) as RequestInit & { mode?: unknown; credentials?: unknown };
      delete rest.mode;
      delete rest.credentials;
      return handle(new Request(input as RequestInfo, rest), workerEnv);
    },
    interceptors: [
      (next) => (req) => {
        for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
        return next(req);
      },
    ],
  });
}

/** A ten-minute HS256 JWT from the test identity provider (issuer https://idp.test, audience impossibledb) for `sub`, with `claims`. */
export function testJwt(secret: string, sub: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ sub, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("https://idp.test")
    .setAudience("impossibledb")
    .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
    .sign(new TextEncoder().encode(secret));
}

/** The ConnectError a call fails with; throws when it succeeds. */
export async function callFailure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

/** The router of a database's first routing table (the test Worker's SHARD_COUNT and virtual nodes): where ids live before any resharding. */
export function initialRouter(): ShardRouter {
  const config = clusterConfig(env);
  return createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
}

/** `count` ids of `collection` (`t0`, `t1`, ...), each on a different shard of the initial table. */
export function idsOnDistinctShards(collection: string, count: number): string[] {
  const router = initialRouter();
  const ids: string[] = [];
  const shards = new Set<string>();
  for (let i = 0; ids.length < count; i++) {
    const shard = router.shardFor(collection, `t${i}`);
    if (!shards.has(shard)) {
      shards.add(shard);
      ids.push(`t${i}`);
    }
  }
  return ids;
}

/**
 * The database's current routing table (GetRoutingTable) and the routers
 * before and after a resharding to `shardCount` planned from it, the way
 * the shard manager plans it: which keys a resharding would move.
 */
export async function plannedMove(shardCount: number): Promise<{ table: RoutingTable; before: ShardRouter; after: ShardRouter }> {
  const t = (await connectClient(AdminService).getRoutingTable({})).table!;
  const table: RoutingTable = { version: Number(t.version), shards: t.shards.map((s) => s.id), virtualNodesPerShard: t.virtualNodesPerShard };
  const planned = planResharding(table, shardCount, "plan", 0);
  if (!planned.ok) throw new Error(planned.message);
  return { table, before: createShardRouter(table), after: createShardRouter(planned.operation.target) };
}

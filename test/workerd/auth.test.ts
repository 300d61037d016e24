/**
 * Authentication end to end inside workerd: the router with auth required
 * (an Env with AUTH_MODE=required, a bootstrap key and a JWT secret), called
 * over Connect and gRPC-Web for EVERY method of every service.
 */
import { toJsonString, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { env } from "cloudflare:test";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { AdminService, ApiKey_Role, ListApiKeysResponseSchema } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { METHOD_PERMISSIONS } from "../../src/auth/permissions.js";
import type { Env } from "../../src/env.js";
import { createFetchHandler } from "../../src/server/fetch-handler.js";
import { createRouter } from "../../src/server/router.js";

const BASE_URL = "http://impossibledb.test";
const BOOTSTRAP = "bootstrap-key-for-tests-0123456789abcdef";
const JWT_SECRET = "jwt-secret-for-tests-0123456789abcdefghij";
const SERVICES: DescService[] = [CollectionService, QueryService, TransactionService, AdminService];
const METHODS = SERVICES.flatMap((s) => s.methods.map((m) => ({ service: s, method: m, name: `${s.typeName}/${m.name}` })));

let clockMs = Date.now();
const authEnv: Env = { ...env, AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: BOOTSTRAP, JWT_ISSUER: "https://idp.test", JWT_AUDIENCE: "impossibledb", JWT_SECRET };
const handle = createFetchHandler(createRouter({ auth: { nowMs: () => clockMs } }));

function fetcherFor(workerEnv: Env): typeof fetch {
  return (input, init) => {
    const { redirect: _r, ...rest } = (init ?? {}) as RequestInit & { mode?: unknown; credentials?: unknown };
    delete rest.mode;
    delete rest.credentials;
    return handle(new Request(input as RequestInfo, rest), workerEnv);
  };
}

type Protocol = "connect" | "grpc-web";
function transport(protocol: Protocol, headers: Record<string, string>, workerEnv: Env = authEnv): Transport {
  const options = {
    baseUrl: BASE_URL,
    fetch: fetcherFor(workerEnv),
    interceptors: [(next: any) => (req: any) => {
      for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
      return next(req);
    }],
  };
  return protocol === "connect" ? createConnectTransport(options) : createGrpcWebTransport(options);
}

function client<S extends DescService>(service: S, headers: Record<string, string>, protocol: Protocol = "connect", workerEnv?: Env): Client<S> {
  return createClient(service, transport(protocol, headers, workerEnv));
}

/** Calls any method with an empty request; resolves with the error (or null on success). */
async function call(service: DescService, method: DescMethod, headers: Record<string, string>, protocol: Protocol = "connect", workerEnv?: Env): Promise<ConnectError | null> {
  const c = client(service, headers, protocol, workerEnv) as unknown as Record<string, (req: object) => unknown>;
  try {
    const result = c[method.localName]!({});
    if (method.methodKind === "server_streaming") {
      for await (const _ of result as AsyncIterable<unknown>) break;
    } else await result;
    return null;
  } catch (err) {
    return ConnectError.from(err);
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = bearer(BOOTSTRAP);

async function createKey(roles: Record<string, ApiKey_Role>, expireMs?: number): Promise<{ id: string; secret: string }> {
  const res = await client(AdminService, admin).createApiKey({ roles, expireTime: expireMs === undefined ? undefined : timestampFromMs(expireMs) });
  return { id: res.key!.id, secret: res.secret };
}

function jwt(over: { iss?: string; aud?: string; exp?: number; secret?: string; roles?: Record<string, string> } = {}): Promise<string> {
  const nowS = Math.floor(clockMs / 1000);
  return new SignJWT({ sub: "user-1", impossibledb_roles: over.roles ?? { default: "read_write" } })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(over.iss ?? "https://idp.test")
    .setAudience(over.aud ?? "impossibledb")
    .setExpirationTime(over.exp ?? nowS + 600)
    .sign(new TextEncoder().encode(over.secret ?? JWT_SECRET));
}

function expectCode(err: ConnectError | null, code: Code, label: string): void {
  expect(err === null ? "OK" : Code[err.code], `${label}: ${err?.rawMessage}`).toBe(Code[code]);
}

describe("auth required: every RPC of every service", () => {
  let readOnly: string;
  let otherDatabaseAdmin: string;
  beforeAll(async () => {
    readOnly = (await createKey({ default: ApiKey_Role.READ_ONLY })).secret;
    otherDatabaseAdmin = (await createKey({ a: ApiKey_Role.ADMIN })).secret;
    // Databases a and b exist (the deployment's admin made them), so a
    // refusal below is about the key, not a missing database.
    const databases = client(AdminService, admin);
    for (const databaseId of ["a", "b"]) await databases.createDatabase({ databaseId }).catch((e: unknown) => {
      if (ConnectError.from(e).code !== Code.AlreadyExists) throw e;
    });
  });

  it("the table covers exactly the methods tested here", () => {
    expect(METHODS.map((m) => m.name).sort()).toEqual(Object.keys(METHOD_PERMISSIONS).sort());
  });

  for (const protocol of ["connect", "grpc-web"] as const) {
    it(`unauthenticated calls get UNAUTHENTICATED (${protocol})`, async () => {
      for (const m of METHODS) {
        const err = await call(m.service, m.method, {}, protocol);
        expectCode(err, Code.Unauthenticated, m.name);
        expect(err!.rawMessage).toMatch(/authorization: Bearer/);
        expectCode(await call(m.service, m.method, bearer("idb_0123456789abcdef_" + "x".repeat(43)), protocol), Code.Unauthenticated, m.name);
        expectCode(await call(m.service, m.method, { authorization: "Basic abc" }, protocol), Code.Unauthenticated, m.name);
      }
    });

    it(`a read-only key gets PERMISSION_DENIED for every write and admin RPC, and reads (${protocol})`, async () => {
      for (const m of METHODS) {
        const err = await call(m.service, m.method, bearer(readOnly), protocol);
        const permission = METHOD_PERMISSIONS[m.name];
        // Commit with no writes is a read-only transaction's commit: read.
        if (permission === "read" || m.name.endsWith("/Commit")) {
          expect(err?.code, `${m.name}: ${err?.rawMessage}`).not.toBe(Code.PermissionDenied);
          expect(err?.code, m.name).not.toBe(Code.Unauthenticated);
        } else expectCode(err, Code.PermissionDenied, m.name);
      }
    });

    it(`a key of database a gets PERMISSION_DENIED on database b for every RPC (${protocol})`, async () => {
      for (const m of METHODS) {
        expectCode(await call(m.service, m.method, { ...bearer(otherDatabaseAdmin), "impossibledb-database": "b" }, protocol), Code.PermissionDenied, m.name);
        if (METHOD_PERMISSIONS[m.name] !== "admin") {
          // On its own database it passes authorization (whatever the empty message then gets).
          const own = await call(m.service, m.method, { ...bearer(otherDatabaseAdmin), "impossibledb-database": "a" }, protocol);
          expect(own?.code, m.name).not.toBe(Code.PermissionDenied);
        }
      }
    });
  }

  it("says nothing about whether a document exists on a database the key may not read", async () => {
    const writer = client(CollectionService, { ...admin, "impossibledb-database": "b" });
    await writer.setDocument({ ref: { collection: "secrets", id: "there" }, data: { x: 1 } });
    const outsider = client(CollectionService, { ...bearer(otherDatabaseAdmin), "impossibledb-database": "b" });
    const messages: string[] = [];
    for (const id of ["there", "not-there"]) {
      const err = await outsider.getDocument({ ref: { collection: "secrets", id } }).then(() => null, (e: unknown) => ConnectError.from(e));
      expectCode(err, Code.PermissionDenied, id);
      messages.push(err!.rawMessage);
    }
    expect(messages[0]).toBe(messages[1]);
    expect(messages[0]).not.toMatch(/there|secrets|exist/);
  });

  it("a read_write key writes and reads its database", async () => {
    const key = (await createKey({ default: ApiKey_Role.READ_WRITE })).secret;
    const c = client(CollectionService, bearer(key), "grpc-web");
    await c.setDocument({ ref: { collection: "rw", id: "1" }, data: { ok: true } });
    expect((await c.getDocument({ ref: { collection: "rw", id: "1" } })).document?.data).toEqual({ ok: true });
    expectCode(await call(AdminService, AdminService.method.listIndexes, bearer(key)), Code.PermissionDenied, "admin RPC");
  });

  it("a read_only key cannot begin a retry (retry_of takes read locks with the first attempt's priority); a read_write key can", async () => {
    // A read-only caller that could begin a retry held locks that stalled
    // every writer of a document for up to a minute (found by a new-user test).
    const reader = (await createKey({ default: ApiKey_Role.READ_ONLY })).secret;
    const writer = (await createKey({ default: ApiKey_Role.READ_WRITE })).secret;
    const first = await client(TransactionService, bearer(writer)).getDocuments({ newTransaction: {}, refs: [{ collection: "locks", id: "x" }] });
    const retry = (key: string) => client(TransactionService, bearer(key)).getDocuments({ newTransaction: { retryOf: first.transaction }, refs: [{ collection: "locks", id: "x" }] });
    const refused = await retry(reader).then(() => null, (e: unknown) => ConnectError.from(e));
    expectCode(refused, Code.PermissionDenied, "a read_only key's retry");
    expect(refused?.rawMessage).toMatch(/write permission/);
    expectCode(
      await client(TransactionService, bearer(reader)).beginTransaction({ options: { retryOf: first.transaction } }).then(() => null, (e: unknown) => ConnectError.from(e)),
      Code.PermissionDenied,
      "a read_only key's BeginTransaction with retry_of",
    );
    // Reading in a transaction of its own stays open to it.
    const own = await client(TransactionService, bearer(reader)).getDocuments({ newTransaction: {}, refs: [{ collection: "locks", id: "x" }] });
    expect(own.transaction).not.toBe("");
    expect((await retry(writer)).transaction).not.toBe("");
  });

  it("refuses an expired key", async () => {
    const key = await createKey({ default: ApiKey_Role.READ_ONLY }, Date.now() + 60_000);
    const c = client(CollectionService, bearer(key.secret));
    await c.listCollections({});
    clockMs = Date.now() + 61_000;
    try {
      const err = await c.listCollections({}).then(() => null, (e: unknown) => ConnectError.from(e));
      expectCode(err, Code.Unauthenticated, "expired");
      expect(err!.rawMessage).toMatch(/expired/);
    } finally {
      clockMs = Date.now();
    }
  });

  it("refuses a revoked key at once in the isolate that revoked it, and lists keys without secrets", async () => {
    const key = await createKey({ default: ApiKey_Role.READ_WRITE });
    const c = client(CollectionService, bearer(key.secret));
    await c.listCollections({});
    const listed = await client(AdminService, admin).listApiKeys({});
    expect(listed.keys.map((k) => k.id)).toContain(key.id);
    expect(toJsonString(ListApiKeysResponseSchema, listed)).not.toContain(key.secret.slice(-43));
    await client(AdminService, admin).revokeApiKey({ id: key.id });
    const err = await c.listCollections({}).then(() => null, (e: unknown) => ConnectError.from(e));
    expectCode(err, Code.Unauthenticated, "revoked");
    expect(err!.rawMessage).toMatch(/revoked/);
    expect((await client(AdminService, admin).listApiKeys({})).keys.map((k) => k.id)).not.toContain(key.id);
    const all = await client(AdminService, admin).listApiKeys({ showRevoked: true });
    expect(all.keys.find((k) => k.id === key.id)?.revokeTime).toBeDefined();
    expectCode(await client(AdminService, admin).revokeApiKey({ id: "0000000000000000" }).then(() => null, (e: unknown) => ConnectError.from(e)), Code.NotFound, "unknown id");
  });

  it("a database deleted and created again under its id is closed to the keys of the old one", async () => {
    const admins = client(AdminService, admin);
    await admins.createDatabase({ databaseId: "reborn" });
    const key = await createKey({ reborn: ApiKey_Role.READ_WRITE, default: ApiKey_Role.READ_ONLY });
    const inReborn = client(CollectionService, { ...bearer(key.secret), "impossibledb-database": "reborn" });
    await inReborn.setDocument({ ref: { collection: "c", id: "1" }, data: { v: 1 } });

    await admins.deleteDatabase({ name: "databases/reborn" });
    await admins.createDatabase({ databaseId: "reborn" });
    for (const attempt of [
      () => inReborn.setDocument({ ref: { collection: "c", id: "2" }, data: { v: 2 } }),
      () => inReborn.listCollections({}),
    ]) {
      expectCode(await attempt().then(() => null, (e: unknown) => ConnectError.from(e)), Code.PermissionDenied, "old key on the new incarnation");
    }
    // The key keeps its other roles, and the listing shows the removed one gone.
    await client(CollectionService, bearer(key.secret)).listCollections({});
    const listed = (await admins.listApiKeys({})).keys.find((k) => k.id === key.id);
    expect(listed?.roles).toEqual({ default: ApiKey_Role.READ_ONLY });
    expect((await client(CollectionService, { ...admin, "impossibledb-database": "reborn" }).listDocuments({ collection: "c" })).documents).toEqual([]);
  });

  it("only an admin of every database manages keys", async () => {
    const dbAdmin = bearer(otherDatabaseAdmin);
    expectCode(await client(AdminService, dbAdmin).createApiKey({ roles: { a: ApiKey_Role.READ_ONLY } }).then(() => null, (e: unknown) => ConnectError.from(e)), Code.PermissionDenied, "create");
    const globalAdmin = (await createKey({ "*": ApiKey_Role.ADMIN })).secret;
    await client(AdminService, bearer(globalAdmin)).listApiKeys({});
    expectCode(await client(AdminService, admin).createApiKey({ roles: {} }).then(() => null, (e: unknown) => ConnectError.from(e)), Code.InvalidArgument, "no roles");
    expectCode(
      await client(AdminService, admin).createApiKey({ roles: { a: ApiKey_Role.ADMIN }, expireTime: timestampFromMs(Date.now() - 1000) }).then(() => null, (e: unknown) => ConnectError.from(e)),
      Code.InvalidArgument,
      "past expiry",
    );
  });

  it("refuses a key whose role names something that can never be a database id, and accepts one not created yet", async () => {
    const admins = client(AdminService, admin);
    // The contract's pattern refuses some ("**", "", 64 characters, a leading "_"); the
    // database id grammar refuses the rest (capitals, a leading digit, "_"), naming the id.
    for (const bad of ["**", "", "a".repeat(64), "__proto__", "Default", "9lives", "my_db"]) {
      const err = await admins.createApiKey({ roles: { default: ApiKey_Role.READ_ONLY, [bad]: ApiKey_Role.READ_ONLY } }).then(() => null, (e: unknown) => ConnectError.from(e));
      expectCode(err, Code.InvalidArgument, `role ${JSON.stringify(bad)}`);
      expect(err!.rawMessage).toContain(JSON.stringify(bad));
    }
    const err = await admins.createApiKey({ roles: { Default: ApiKey_Role.READ_ONLY } }).then(() => null, (e: unknown) => ConnectError.from(e));
    expect(err?.rawMessage).toMatch(/^roles key "Default" is not a database id: .*; a role names a database id or "\*" \(every database\)$/);
    // Keys may name a database before it exists (provisioning): it gains access when the database is created.
    const early = await createKey({ "not-yet-created": ApiKey_Role.READ_WRITE, "*": ApiKey_Role.READ_ONLY });
    expect(early.secret).toMatch(/^idb_/);
  });

  it("accepts a good JWT with its roles, and refuses a wrong issuer, audience, signature or an expired one", async () => {
    const c = (token: string) => client(CollectionService, bearer(token));
    await c(await jwt()).setDocument({ ref: { collection: "jwt", id: "1" }, data: {} });
    const reader = await jwt({ roles: { default: "read_only" } });
    expectCode(await c(reader).setDocument({ ref: { collection: "jwt", id: "1" }, data: {} }).then(() => null, (e: unknown) => ConnectError.from(e)), Code.PermissionDenied, "jwt read-only");
    const bad = [
      await jwt({ iss: "https://evil.test" }),
      await jwt({ aud: "someone-else" }),
      await jwt({ secret: "not-the-secret-but-long-enough-0123456789" }),
      await jwt({ exp: Math.floor(clockMs / 1000) - 120 }),
    ];
    for (const token of bad) {
      expectCode(await c(token).listCollections({}).then(() => null, (e: unknown) => ConnectError.from(e)), Code.Unauthenticated, token);
    }
  });
});

describe("the log line of each call", () => {
  it("names the caller (never its secret), and no caller for a refused call", async () => {
    const key = await createKey({ default: ApiKey_Role.READ_ONLY });
    const spy = vi.spyOn(console, "log");
    try {
      await client(CollectionService, bearer(key.secret)).listCollections({});
      await call(CollectionService, CollectionService.method.listCollections, {});
      const lines = spy.mock.calls
        .map((c) => String(c[0]))
        .filter((l) => l.includes("CollectionService/ListCollections"))
        .map((l) => JSON.parse(l) as { code: string; caller?: string });
      expect(lines).toEqual([
        expect.objectContaining({ code: "ok", caller: `api_key:${key.id}` }),
        expect.not.objectContaining({ caller: expect.anything() }),
      ]);
      expect(lines[1]!.code).toBe("unauthenticated");
      expect(spy.mock.calls.map((c) => String(c[0])).join("\n")).not.toContain(key.secret);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("secure defaults", () => {
  it("a deployment with nothing configured refuses every call, saying how to configure", async () => {
    const bare: Env = { ...env, ENVIRONMENT: "staging", AUTH_MODE: "required" };
    for (const m of METHODS) {
      const err = await call(m.service, m.method, {}, "connect", bare);
      expectCode(err, Code.Unauthenticated, m.name);
      expect(err!.rawMessage).toMatch(/ADMIN_BOOTSTRAP_KEY/);
    }
  });

  it("unset AUTH_MODE means required, and production refuses off", async () => {
    const { AUTH_MODE: _off, ...unset } = { ...env };
    expectCode(await call(CollectionService, CollectionService.method.listCollections, {}, "connect", unset as Env), Code.Unauthenticated, "unset");
    const prodOff: Env = { ...env, ENVIRONMENT: "production", AUTH_MODE: "off" };
    const err = await call(CollectionService, CollectionService.method.listCollections, {}, "connect", prodOff);
    expectCode(err, Code.Unauthenticated, "production off");
    expect(err!.rawMessage).toMatch(/not allowed in production/);
  });

  it("GET /healthz stays open", async () => {
    const res = await handle(new Request(`${BASE_URL}/healthz`), authEnv);
    expect(res.status).toBe(200);
  });

  it("CORS preflights allow the authorization and database headers", async () => {
    const res = await handle(new Request(`${BASE_URL}/impossibledb.v1.CollectionService/GetDocument`, { method: "OPTIONS", headers: { Origin: "https://x.test" } }), authEnv);
    expect(res.headers.get("Access-Control-Allow-Headers")).toMatch(/Authorization/);
    expect(res.headers.get("Access-Control-Allow-Headers")).toMatch(/impossibledb-database/);
  });
});

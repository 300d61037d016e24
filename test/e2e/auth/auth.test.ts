/**
 * Authentication end to end: a server of this suite's own, started with auth
 * required (AUTH_MODE=required, a bootstrap admin key, a JWT secret), and
 * every method of every service called over Connect, gRPC-Web, and real
 * gRPC through the front door (which must forward `authorization`).
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { SignJWT } from "jose";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService, ApiKey_Role } from "../../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../../gen/impossibledb/v1/transaction_service_pb.js";
import { METHOD_PERMISSIONS } from "../../../src/auth/permissions.js";
import { freePort, startLocalServer, type LocalServer } from "../../../scripts/local-server.mjs";

const BOOTSTRAP = `e2e-bootstrap-${Math.random().toString(36).slice(2)}-0123456789abcdef`;
const JWT_SECRET = "e2e-jwt-secret-0123456789abcdefghijklmnop";
const SERVICES: DescService[] = [CollectionService, QueryService, TransactionService, AdminService];
const METHODS = SERVICES.flatMap((s) => s.methods.map((m) => ({ service: s, method: m, name: `${s.typeName}/${m.name}` })));
type Protocol = "connect" | "grpc-web" | "grpc";
const PROTOCOLS: Protocol[] = ["connect", "grpc-web", "grpc"];

let server: LocalServer;
let stateDir: string;
beforeAll(async () => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), "impossibledb-auth-e2e-"));
  server = await startLocalServer({
    workerPort: await freePort(),
    frontdoorPort: await freePort(),
    stateDir,
    output: path.join(stateDir, "servers.log"),
    vars: { AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: BOOTSTRAP, JWT_ISSUER: "https://idp.test", JWT_AUDIENCE: "impossibledb", JWT_SECRET },
  });
}, 180_000);
afterAll(async () => {
  await server?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

function transport(protocol: Protocol, headers: Record<string, string>): Transport {
  const withHeaders: Interceptor = (next) => (req) => {
    for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
    return next(req);
  };
  if (protocol === "grpc") return createGrpcTransport({ baseUrl: `http://${server.grpcTarget}`, interceptors: [withHeaders] });
  const options = { baseUrl: server.workerUrl, httpVersion: "1.1" as const, interceptors: [withHeaders] };
  return protocol === "connect" ? createConnectTransport(options) : createGrpcWebTransport(options);
}

async function call(m: { service: DescService; method: DescMethod }, headers: Record<string, string>, protocol: Protocol): Promise<ConnectError | null> {
  const c = createClient(m.service, transport(protocol, headers)) as unknown as Record<string, (req: object) => unknown>;
  try {
    const result = c[m.method.localName]!({});
    if (m.method.methodKind === "server_streaming") {
      for await (const _ of result as AsyncIterable<unknown>) break;
    } else await result;
    return null;
  } catch (err) {
    return ConnectError.from(err);
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const label = (err: ConnectError | null) => (err === null ? "OK" : Code[err.code]);

async function createKey(roles: Record<string, ApiKey_Role>, expireMs?: number) {
  const admin = createClient(AdminService, transport("connect", bearer(BOOTSTRAP)));
  return admin.createApiKey({ roles, expireTime: expireMs === undefined ? undefined : timestampFromMs(expireMs) });
}

describe("auth required, every RPC over Connect, gRPC-Web and gRPC", () => {
  for (const protocol of PROTOCOLS) {
    it(`without a credential: UNAUTHENTICATED (${protocol})`, async () => {
      for (const m of METHODS) expect(label(await call(m, {}, protocol)), m.name).toBe("Unauthenticated");
    });

    it(`a read-only key writing or administering: PERMISSION_DENIED (${protocol})`, async () => {
      const key = (await createKey({ default: ApiKey_Role.READ_ONLY })).secret;
      for (const m of METHODS) {
        const got = label(await call(m, bearer(key), protocol));
        if (METHOD_PERMISSIONS[m.name] === "read" || m.name.endsWith("/Commit")) expect(got, m.name).not.toMatch(/PermissionDenied|Unauthenticated/);
        else expect(got, m.name).toBe("PermissionDenied");
      }
    });

    it(`a key of database a on database b: PERMISSION_DENIED (${protocol})`, async () => {
      const key = (await createKey({ a: ApiKey_Role.ADMIN })).secret;
      for (const m of METHODS) expect(label(await call(m, { ...bearer(key), "impossibledb-database": "b" }, protocol)), m.name).toBe("PermissionDenied");
    });

    it(`expired and revoked keys, and bad JWTs: UNAUTHENTICATED (${protocol})`, async () => {
      const listCollections = { service: CollectionService, method: CollectionService.method.listCollections };
      const expiring = await createKey({ default: ApiKey_Role.READ_ONLY }, Date.now() + 1500);
      expect(label(await call(listCollections, bearer(expiring.secret), protocol))).toBe("OK");
      await new Promise((r) => setTimeout(r, 1600));
      const expired = await call(listCollections, bearer(expiring.secret), protocol);
      expect(label(expired)).toBe("Unauthenticated");
      expect(expired!.rawMessage).toMatch(/expired/);

      const revoked = await createKey({ default: ApiKey_Role.READ_ONLY });
      expect(label(await call(listCollections, bearer(revoked.secret), protocol))).toBe("OK");
      await createClient(AdminService, transport(protocol, bearer(BOOTSTRAP))).revokeApiKey({ id: revoked.key!.id });
      expect(label(await call(listCollections, bearer(revoked.secret), protocol))).toBe("Unauthenticated");

      const nowS = Math.floor(Date.now() / 1000);
      const jwt = (iss: string, aud: string, exp: number, secret = JWT_SECRET) =>
        new SignJWT({ impossibledb_roles: { default: "read_only" } }).setProtectedHeader({ alg: "HS256" }).setIssuer(iss).setAudience(aud).setExpirationTime(exp).sign(new TextEncoder().encode(secret));
      expect(label(await call(listCollections, bearer(await jwt("https://idp.test", "impossibledb", nowS + 60)), protocol))).toBe("OK");
      for (const token of [
        await jwt("https://evil.test", "impossibledb", nowS + 60),
        await jwt("https://idp.test", "other", nowS + 60),
        await jwt("https://idp.test", "impossibledb", nowS - 600),
        await jwt("https://idp.test", "impossibledb", nowS + 60, "a-different-secret-0123456789abcdefghij"),
      ]) {
        expect(label(await call(listCollections, bearer(token), protocol))).toBe("Unauthenticated");
      }
    });
  }
});

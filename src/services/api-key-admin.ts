/**
 * AdminService's API key RPCs: CreateApiKey, ListApiKeys, RevokeApiKey.
 * Secrets are made here (the platform's CSPRNG), returned once, and stored
 * only as their SHA-256 in the key store object. The auth interceptor has
 * already checked that the caller is an admin of every database (`*`).
 */
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import {
  ApiKey_Role,
  ApiKeySchema,
  type ApiKey,
  type CreateApiKeyRequest,
  type CreateApiKeyResponse,
  type ListApiKeysRequest,
  type ListApiKeysResponse,
  type RevokeApiKeyRequest,
  type RevokeApiKeyResponse,
} from "../../gen/impossibledb/v1/admin_service_pb.js";
import { apiKeyStore, forgetApiKey } from "../auth/api-keys.js";
import type { ApiKeyRecord } from "../auth/api-key-record.js";
import { ALL_DATABASES, type Role } from "../auth/permissions.js";
import { newApiKey, sha256Hex } from "../auth/secrets.js";
import { databaseIdProblem, isDatabaseId } from "../databases/names.js";
import { FailureError } from "../errors.js";
import { envOf } from "../server/context.js";

const ROLE_BY_ENUM: ReadonlyMap<ApiKey_Role, Role> = new Map([
  [ApiKey_Role.READ_ONLY, "read_only"],
  [ApiKey_Role.READ_WRITE, "read_write"],
  [ApiKey_Role.ADMIN, "admin"],
]);
const ENUM_BY_ROLE: ReadonlyMap<Role, ApiKey_Role> = new Map([...ROLE_BY_ENUM].map(([e, r]) => [r, e]));

/** CreateApiKey: a new key; its secret is in this answer only. */
export async function createApiKey(req: CreateApiKeyRequest, ctx: HandlerContext, nowMs = Date.now()): Promise<CreateApiKeyResponse> {
  const roles: Record<string, Role> = {};
  for (const [database, value] of Object.entries(req.roles)) {
    // A role may name a database that does not exist yet (keys are provisioned
    // before their database), but never something that cannot be a database id.
    if (database !== ALL_DATABASES && !isDatabaseId(database)) {
      throw new FailureError("invalid_argument", `${databaseIdProblem(database, `roles key`)}; a role names a database id or "${ALL_DATABASES}" (every database)`);
    }
    const role = ROLE_BY_ENUM.get(value);
    if (role === undefined) throw new FailureError("invalid_argument", `roles[${JSON.stringify(database)}] must be a role, not ${ApiKey_Role[value] ?? value}`);
    roles[database] = role;
  }
  const expireTimeMs = req.expireTime === undefined ? null : timestampMs(req.expireTime);
  if (expireTimeMs !== null && expireTimeMs <= nowMs) throw new FailureError("invalid_argument", "expire_time must be in the future");
  const key = newApiKey();
  const record: ApiKeyRecord = {
    id: key.id,
    secretHash: await sha256Hex(key.secret),
    displayName: req.displayName,
    roles,
    createTimeMs: nowMs,
    expireTimeMs,
    revokeTimeMs: null,
  };
  const outcome = await apiKeyStore(envOf(ctx)).create(record);
  if (!outcome.ok) throw new FailureError(outcome.kind, outcome.message);
  return { $typeName: "impossibledb.v1.CreateApiKeyResponse", key: toProto(record), secret: key.secret };
}

/** ListApiKeys: every key without its secret, newest first. */
export async function listApiKeys(req: ListApiKeysRequest, ctx: HandlerContext): Promise<ListApiKeysResponse> {
  const records = await apiKeyStore(envOf(ctx)).list(req.showRevoked);
  return { $typeName: "impossibledb.v1.ListApiKeysResponse", keys: records.map(toProto) };
}

/** RevokeApiKey: this isolate forgets the key at once, others within AUTH_CACHE_TTL_MS. */
export async function revokeApiKey(req: RevokeApiKeyRequest, ctx: HandlerContext): Promise<RevokeApiKeyResponse> {
  const outcome = await apiKeyStore(envOf(ctx)).revoke(req.id);
  if (!outcome.ok) throw new FailureError(outcome.kind, outcome.message);
  forgetApiKey(req.id);
  return { $typeName: "impossibledb.v1.RevokeApiKeyResponse" };
}

function toProto(record: ApiKeyRecord): ApiKey {
  return create(ApiKeySchema, {
    id: record.id,
    displayName: record.displayName,
    roles: Object.fromEntries(Object.entries(record.roles).map(([db, role]) => [db, ENUM_BY_ROLE.get(role)!])),
    createTime: timestampFromMs(record.createTimeMs),
    expireTime: record.expireTimeMs === null ? undefined : timestampFromMs(record.expireTimeMs),
    revokeTime: record.revokeTimeMs === null ? undefined : timestampFromMs(record.revokeTimeMs),
  });
}

function timestampMs(ts: Timestamp): number {
  return timestampDate(ts).getTime();
}

/**
 * The Worker's bindings and configuration, and the parsing of its vars into
 * checked numbers.
 */
import type { DatabaseScope } from "./databases/names.js";
import type { StorageObject } from "./objects/StorageObject.js";
import type { ShardManager } from "./objects/ShardManager.js";
import type { TransactionCoordinator } from "./objects/TransactionCoordinator.js";
import type { ApiKeyStore } from "./objects/ApiKeyStore.js";
import type { ChangeLogRetention } from "./watch/change-log.js";
import { CHANGE_LOG_BYTES_MAX, CHANGE_LOG_RETENTION_HOURS_MAX, CHANGE_LOG_RETENTION_MS_DEFAULT } from "./limits.js";
import { RING_POINT_COUNT_MAX, SHARD_COUNT_MAX, VIRTUAL_NODES_PER_SHARD_MAX } from "./routing/limits.js";

/** What wrangler.toml binds. */
export interface Env {
  SHARD: DurableObjectNamespace<StorageObject>;
  SHARD_MANAGER: DurableObjectNamespace<ShardManager>;
  TX_COORDINATOR: DurableObjectNamespace<TransactionCoordinator>;
  /** The API key store (one object; src/objects/ApiKeyStore.ts). */
  API_KEYS: DurableObjectNamespace<ApiKeyStore>;
  ENVIRONMENT: string;
  /** Shards of a new database's first routing table. */
  SHARD_COUNT: string;
  /** Ring points per shard of a new database's first routing table. */
  VIRTUAL_NODES_PER_SHARD: string;
  /** "*" or a comma-separated list of origins browsers may call from. */
  CORS_ALLOWED_ORIGINS: string;
  /** Key that signs page tokens and transaction ids; a development key is used when unset. */
  PAGE_TOKEN_KEY?: string;
  /** Hours each shard keeps its change log (resume tokens older than this answer OUT_OF_RANGE); 48 when unset. */
  CHANGE_LOG_RETENTION_HOURS?: string;
  /** `on` (the default, when unset) or `off`: whether shards keep decoded documents in memory (storage/document-cache.ts). */
  SHARD_DOCUMENT_CACHE?: string;
  /** `off` or `required` (unset: required); staging and production refuse `off`. See src/auth/config.ts. */
  AUTH_MODE?: string;
  /** Secret: a token that is an admin of every database, for making the first API key. */
  ADMIN_BOOTSTRAP_KEY?: string;
  /** The `iss` accepted JWTs carry. */
  JWT_ISSUER?: string;
  /** The `aud` accepted JWTs carry. */
  JWT_AUDIENCE?: string;
  /** Where the identity provider publishes its signing keys (JWKS). */
  JWT_JWKS_URL?: string;
  /** Secret: the shared HMAC key of HS256/384/512 JWTs, instead of a JWKS URL. */
  JWT_SECRET?: string;
  /** Seconds of clock skew allowed on a JWT's exp and nbf; 60 when unset. */
  JWT_CLOCK_SKEW_S?: string;
  /** Rate Limiting binding: calls per credential per RATE_LIMIT_PERIOD_S; no limit when unbound (src/auth/rate-limit.ts). */
  RATE_LIMIT_PER_KEY?: RateLimit;
  /** Rate Limiting binding: calls per database per RATE_LIMIT_PERIOD_S; no limit when unbound. */
  RATE_LIMIT_PER_DATABASE?: RateLimit;
  /**
   * Not a binding: the database this Env addresses, set by `databaseEnv`
   * (src/databases/database-env.ts) for each request; absent means
   * `default`. Shard, coordinator and shard-manager stubs are named and
   * placed by it, and page tokens and transaction ids are signed for it.
   */
  readonly database?: DatabaseScope;
}

/**
 * The change log's retention from the CHANGE_LOG_RETENTION_HOURS var (a
 * positive number of hours, fractions allowed, at most
 * CHANGE_LOG_RETENTION_HOURS_MAX), or the default; throws on a
 * misconfiguration.
 */
export function changeLogRetention(env: Pick<Env, "CHANGE_LOG_RETENTION_HOURS">): ChangeLogRetention {
  const text = env.CHANGE_LOG_RETENTION_HOURS;
  if (text === undefined || text === "") return { retentionMs: CHANGE_LOG_RETENTION_MS_DEFAULT, bytesMax: CHANGE_LOG_BYTES_MAX };
  const hours = Number(text);
  if (!Number.isFinite(hours) || hours <= 0 || hours > CHANGE_LOG_RETENTION_HOURS_MAX) {
    throw new Error(`configuration: CHANGE_LOG_RETENTION_HOURS must be a number of hours above 0 and at most ${CHANGE_LOG_RETENTION_HOURS_MAX}, got ${JSON.stringify(text)}`);
  }
  return { retentionMs: Math.round(hours * 3600_000), bytesMax: CHANGE_LOG_BYTES_MAX };
}

/**
 * Whether shards keep a document cache, from the SHARD_DOCUMENT_CACHE var:
 * `on` or unset, yes; `off`, no (the benchmark's baseline); anything else
 * is a misconfiguration and throws.
 */
export function documentCacheEnabled(env: Pick<Env, "SHARD_DOCUMENT_CACHE">): boolean {
  const text = env.SHARD_DOCUMENT_CACHE;
  if (text === undefined || text === "" || text === "on") return true;
  if (text === "off") return false;
  throw new Error(`configuration: SHARD_DOCUMENT_CACHE must be "on" or "off", got ${JSON.stringify(text)}`);
}

/** The checked configuration of a new database's routing table. */
export interface ClusterConfig {
  readonly shardCount: number;
  readonly virtualNodesPerShard: number;
}

/** Parses the routing configuration from vars; throws on a misconfiguration. */
export function clusterConfig(env: Pick<Env, "SHARD_COUNT" | "VIRTUAL_NODES_PER_SHARD">): ClusterConfig {
  const shardCount = parseBoundedInt(env.SHARD_COUNT, "SHARD_COUNT", 1, SHARD_COUNT_MAX);
  const virtualNodesPerShard = parseBoundedInt(env.VIRTUAL_NODES_PER_SHARD, "VIRTUAL_NODES_PER_SHARD", 1, VIRTUAL_NODES_PER_SHARD_MAX);
  if (shardCount * virtualNodesPerShard > RING_POINT_COUNT_MAX) {
    throw new Error(`configuration: SHARD_COUNT x VIRTUAL_NODES_PER_SHARD must be at most RING_POINT_COUNT_MAX (${RING_POINT_COUNT_MAX})`);
  }
  return { shardCount, virtualNodesPerShard };
}

function parseBoundedInt(text: string | undefined, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`configuration: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * The closed set of outcomes a request can fail with, and the ONE place that
 * maps them to Connect codes.
 *
 * Durable Objects return expected failures as values (Workers RPC keeps only
 * an error's message and name, so a thrown error would lose its kind); the
 * Worker turns them into ConnectErrors here. Broken invariants are plain
 * `Error`s and surface as INTERNAL.
 */
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import { MOVED_MESSAGE_PREFIX } from "./routing/moved.js";

/**
 * The message an object of a deleted database refuses every call with
 * (objects/tombstone.ts); `asConnectError` maps it to NOT_FOUND. A message,
 * because that is all of an error that crosses Workers RPC.
 */
export const DATABASE_DELETED_MESSAGE = "database deleted: this database no longer exists";

/** Why a request failed, in terms a client can act on. */
export type FailureKind =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "resource_exhausted"
  | "out_of_range"
  | "aborted"
  | "unavailable"
  | "deadline_exceeded"
  | "permission_denied"
  | "unimplemented";

/** An expected failure, as returned by a Durable Object or a pure module. */
export interface Failure {
  readonly ok: false;
  readonly kind: FailureKind;
  readonly message: string;
}

/** Builds a Failure value. */
export function failure(kind: FailureKind, message: string): Failure {
  return { ok: false, kind, message };
}

const codeByKind: Record<FailureKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  resource_exhausted: Code.ResourceExhausted,
  out_of_range: Code.OutOfRange,
  aborted: Code.Aborted,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
  // A security rule refused the operation (src/rules/).
  permission_denied: Code.PermissionDenied,
  // A part of the contract not built yet (search's geo conditions).
  unimplemented: Code.Unimplemented,
};

/** The Connect code of a failure kind. */
export function codeOf(kind: FailureKind): Code {
  return codeByKind[kind];
}

/** Thrown by validation helpers; the router maps it like any other failure. */
export class FailureError extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.name = "FailureError";
    this.kind = kind;
  }
}

/**
 * Converts anything a handler threw into a ConnectError. Failure values and
 * ConnectErrors keep their code; errors from the platform that say they are
 * retryable become UNAVAILABLE; everything else is a bug and becomes
 * INTERNAL without leaking its message.
 */
export function asConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof FailureError) return new ConnectError(err.message, codeByKind[err.kind]);
  // An object of a deleted database refuses every call (objects/tombstone.ts);
  // only the message crosses Workers RPC.
  if (err instanceof Error && err.message.includes(DATABASE_DELETED_MESSAGE)) {
    return new ConnectError("database was deleted: omit the impossibledb-database header, or create the database again", Code.NotFound);
  }
  // A shard refused a call routed by an old table and the retries ran out
  // (server/routing-retry.ts): the database is being resharded.
  if (err instanceof Error && err.message.includes(MOVED_MESSAGE_PREFIX)) {
    return new ConnectError("the database is being resharded; retry the call", Code.Unavailable);
  }
  if (isPlatformRetryable(err)) {
    return new ConnectError("a shard is temporarily unavailable; retry the call", Code.Unavailable);
  }
  console.error("internal error", err);
  return new ConnectError("internal error", Code.Internal);
}

/**
 * True for the platform's transient failures: retryable, overloaded, or a
 * Durable Object that was reset (restarted, say, by a deploy or a crash)
 * while the call was in flight. The caller may retry; nothing about its
 * request was wrong.
 */
export function isPlatformRetryable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { retryable?: unknown; overloaded?: unknown; durableObjectReset?: unknown };
  return e.retryable === true || e.overloaded === true || e.durableObjectReset === true;
}

/** The type name of the error detail that tells a client how long to wait. */
export const RETRY_INFO_TYPE = "google.rpc.RetryInfo";

/**
 * The response header (Connect) or trailer (gRPC-Web, gRPC) that repeats a
 * refusal's retry delay in whole seconds, rounded up, as HTTP's Retry-After
 * does, for clients that do not read error details.
 */
export const RETRY_AFTER_HEADER = "retry-after";

/**
 * The error of a call refused by a rate limit, before anything ran:
 * RESOURCE_EXHAUSTED with a `google.rpc.RetryInfo` detail (its retry_delay
 * is `delayMs`) and a `retry-after` header. The contract with clients
 * (docs/security.md): a RESOURCE_EXHAUSTED that carries RetryInfo was never
 * applied, so even a write may be sent again after the delay.
 */
export function rateLimitedError(message: string, delayMs: number): ConnectError {
  if (!Number.isInteger(delayMs) || delayMs <= 0) throw new Error(`invariant broken: a retry delay is a positive whole number of ms, got ${delayMs}`);
  const error = new ConnectError(message, Code.ResourceExhausted, { [RETRY_AFTER_HEADER]: String(Math.ceil(delayMs / 1000)) });
  // google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1; } written
  // by hand: it is one field, and vendoring google/rpc for it would add a
  // generated module to every client. ConnectError sends a detail given as
  // type and bytes as it is.
  const duration = new BinaryWriter().tag(1, WireType.Varint).int64(Math.floor(delayMs / 1000)).tag(2, WireType.Varint).int32((delayMs % 1000) * 1_000_000).finish();
  const retryInfo = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(duration).finish();
  error.details.push({ type: RETRY_INFO_TYPE, value: retryInfo });
  return error;
}

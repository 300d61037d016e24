/**
 * Transaction ids. An id is "tx2." base64url(body) "." a MAC over it, so
 * that BeginTransaction needs no storage at all and every later call can
 * check, without a lookup, that the id is ours, unaltered and not expired.
 * The body holds 16 random bytes, the deadline (ms since the epoch), flags
 * (read-only; locking, for a prioritised retry), the index of the
 * coordinator object, the snapshot timestamp of a read-only transaction
 * (microseconds) and the transaction's priority (the begin time of its
 * first attempt, ms; smaller is older and wins). The coordinator index
 * travels in the id so that changing COORDINATOR_COUNT never strands a
 * transaction.
 *
 * An id of a database other than `default` ends its body with the
 * database's scope (id, uid and placement, as `encodeScope` writes it), so
 * the id binds the database (a request in another database refuses it), and
 * the objects that act on the transaction (a coordinator, a shard's alarm)
 * address that database's objects from the id alone. Ids of `default` have
 * no such suffix: their form is unchanged.
 */
import { constantTimeEqual, fromBase64Url, mac, toBase64Url } from "../pagination/page-token.js";
import type { Failure } from "../errors.js";
import { failure } from "../errors.js";
import { COORDINATOR_COUNT } from "../limits.js";
import { DEFAULT_SCOPE, decodeScope, encodeScope, type DatabaseScope } from "../databases/names.js";

const PREFIX = "tx2.";
const RANDOM_BYTES = 16;
const DEADLINE_OFFSET = RANDOM_BYTES;
const FLAGS_OFFSET = DEADLINE_OFFSET + 8;
const COORDINATOR_OFFSET = FLAGS_OFFSET + 1;
const SNAPSHOT_OFFSET = COORDINATOR_OFFSET + 1;
const PRIORITY_OFFSET = SNAPSHOT_OFFSET + 8;
const BODY_BYTES = PRIORITY_OFFSET + 8;
const READ_ONLY_FLAG = 1;
const LOCKING_FLAG = 2;

/** What a transaction id says. */
export interface TransactionToken {
  readonly id: string;
  readonly deadlineMs: number;
  readonly readOnly: boolean;
  readonly coordinator: number;
  /** A read-only transaction's snapshot, in microseconds; 0 otherwise. */
  readonly snapshotTs: number;
  /** The begin time of the transaction's first attempt, in ms: the older, the higher its priority. */
  readonly priorityMs: number;
  /** True for a retry: it takes read locks as it reads, and waits for younger transactions' locks. */
  readonly locking: boolean;
  /** The database the transaction belongs to. */
  readonly scope: DatabaseScope;
}

/** The optional parts of a new id. */
export interface TokenOptions {
  readonly snapshotTs?: number;
  readonly priorityMs?: number;
  readonly locking?: boolean;
  /** The database; `default` unless given. */
  readonly scope?: DatabaseScope;
}

/** Makes a new transaction id. */
export async function createTransactionToken(secret: string, deadlineMs: number, readOnly: boolean, options: TokenOptions = {}): Promise<TransactionToken> {
  const scope = options.scope ?? DEFAULT_SCOPE;
  const scopeBytes = new TextEncoder().encode(encodeScope(scope));
  const body = new Uint8Array(BODY_BYTES + scopeBytes.byteLength);
  body.set(scopeBytes, BODY_BYTES);
  crypto.getRandomValues(body.subarray(0, RANDOM_BYTES));
  const view = new DataView(body.buffer);
  view.setFloat64(DEADLINE_OFFSET, deadlineMs);
  const locking = !readOnly && options.locking === true;
  body[FLAGS_OFFSET] = (readOnly ? READ_ONLY_FLAG : 0) | (locking ? LOCKING_FLAG : 0);
  const coordinator = body[0]! % COORDINATOR_COUNT;
  body[COORDINATOR_OFFSET] = coordinator;
  const snapshotTs = readOnly ? (options.snapshotTs ?? 0) : 0;
  const priorityMs = options.priorityMs ?? Date.now();
  view.setFloat64(SNAPSHOT_OFFSET, snapshotTs);
  view.setFloat64(PRIORITY_OFFSET, priorityMs);
  const encoded = toBase64Url(body);
  return { id: `${PREFIX}${encoded}.${await mac(secret, `tx:${encoded}`)}`, deadlineMs, readOnly, coordinator, snapshotTs, priorityMs, locking, scope };
}

/**
 * The coordinator index of a transaction id. Only ids this service made
 * (already verified, or read back from our own storage) are passed here.
 */
export function coordinatorIndexOf(id: string): number {
  const encoded = id.slice(PREFIX.length).split(".")[0] ?? "";
  const body = fromBase64Url(encoded);
  if (!id.startsWith(PREFIX) || body.byteLength < BODY_BYTES) throw new Error(`invariant broken: ${id} is not a transaction id`);
  return body[COORDINATOR_OFFSET]!;
}

/** The database of a transaction id this service made (verified, or read back from our own storage). */
export function transactionScopeOf(id: string): DatabaseScope {
  const scope = scopeInBody(fromBase64Url(id.slice(PREFIX.length).split(".")[0] ?? ""));
  if (!id.startsWith(PREFIX) || scope === undefined) throw new Error(`invariant broken: ${id} is not a transaction id`);
  return scope;
}

/** The scope a body carries after its fixed part; undefined when the body is too short or the suffix is not a scope. */
function scopeInBody(body: Uint8Array): DatabaseScope | undefined {
  if (body.byteLength < BODY_BYTES) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body.subarray(BODY_BYTES));
  } catch {
    return undefined;
  }
  return decodeScope(text);
}

/**
 * Checks a transaction id, its database and its deadline. An id of another
 * database than `database` (`default` unless given) is INVALID_ARGUMENT
 * with a message that says so; one of an earlier database of the same name
 * (deleted and created again) is FAILED_PRECONDITION saying that. With `allowExpired`, an expired id is still
 * read (a retry inherits its priority).
 */
export async function verifyTransactionToken(
  secret: string,
  id: string,
  nowMs: number,
  allowExpired = false,
  database: DatabaseScope = DEFAULT_SCOPE,
): Promise<{ ok: true; token: TransactionToken } | Failure> {
  const invalid = failure("invalid_argument", "transaction is not a transaction id from BeginTransaction");
  if (!id.startsWith(PREFIX)) return invalid;
  const [encoded, signature, extra] = id.slice(PREFIX.length).split(".");
  if (encoded === undefined || signature === undefined || extra !== undefined) return invalid;
  let body: Uint8Array;
  try {
    body = fromBase64Url(encoded);
  } catch {
    return invalid;
  }
  const scope = scopeInBody(body);
  if (scope === undefined) return invalid;
  // Said before the MAC is checked (the key is per database, so the MAC of
  // another database's id never matches): the caller learns why.
  if (scope.id !== database.id) {
    return failure("invalid_argument", `transaction belongs to another database than ${database.id}: use it with the impossibledb-database header it was begun with`);
  }
  // The same name, another incarnation: the database the id was begun in
  // was deleted and this one created under its name since. No header can
  // make the id work again (its database, records and all, is gone), so it
  // is the state that refuses it, not the request's form.
  if (scope.uid !== database.uid) {
    return failure(
      "failed_precondition",
      `transaction belongs to an earlier database named ${database.id}, deleted since (this ${database.id} was created again): nothing of it can commit here; begin a new transaction`,
    );
  }
  if (!constantTimeEqual(signature, await mac(secret, `tx:${encoded}`))) return invalid;
  const view = new DataView(body.buffer, body.byteOffset);
  const deadlineMs = view.getFloat64(DEADLINE_OFFSET);
  const snapshotTs = view.getFloat64(SNAPSHOT_OFFSET);
  const priorityMs = view.getFloat64(PRIORITY_OFFSET);
  // Every id this module makes holds whole, non-negative times and a
  // coordinator in range. One that does not was signed by someone else with
  // our key (the development key is public): refuse it rather than let NaN
  // or 1e300 reach a Date, a Timestamp or a coordinator lookup.
  const times = [deadlineMs, snapshotTs, priorityMs];
  if (times.some((t) => !Number.isSafeInteger(t) || t < 0) || body[COORDINATOR_OFFSET]! >= COORDINATOR_COUNT) return invalid;
  if (nowMs > deadlineMs && !allowExpired) {
    return failure("aborted", `transaction expired at ${new Date(deadlineMs).toISOString()}; begin a new one and retry`);
  }
  const flags = body[FLAGS_OFFSET]!;
  return {
    ok: true,
    token: {
      id,
      deadlineMs,
      readOnly: (flags & READ_ONLY_FLAG) !== 0,
      coordinator: body[COORDINATOR_OFFSET]!,
      snapshotTs,
      priorityMs,
      locking: (flags & LOCKING_FLAG) !== 0,
      scope,
    },
  };
}

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
 */
import { constantTimeEqual, fromBase64Url, mac, toBase64Url } from "../pagination/page-token.js";
import type { Failure } from "../errors.js";
import { failure } from "../errors.js";
import { COORDINATOR_COUNT } from "../limits.js";

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
}

/** The optional parts of a new id. */
export interface TokenOptions {
  readonly snapshotTs?: number;
  readonly priorityMs?: number;
  readonly locking?: boolean;
}

/** Makes a new transaction id. */
export async function createTransactionToken(secret: string, deadlineMs: number, readOnly: boolean, options: TokenOptions = {}): Promise<TransactionToken> {
  const body = new Uint8Array(BODY_BYTES);
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
  return { id: `${PREFIX}${encoded}.${await mac(secret, `tx:${encoded}`)}`, deadlineMs, readOnly, coordinator, snapshotTs, priorityMs, locking };
}

/**
 * The coordinator index of a transaction id. Only ids this service made
 * (already verified, or read back from our own storage) are passed here.
 */
export function coordinatorIndexOf(id: string): number {
  const encoded = id.slice(PREFIX.length).split(".")[0] ?? "";
  const body = fromBase64Url(encoded);
  if (!id.startsWith(PREFIX) || body.byteLength !== BODY_BYTES) throw new Error(`invariant broken: ${id} is not a transaction id`);
  return body[COORDINATOR_OFFSET]!;
}

/**
 * Checks a transaction id and its deadline. With `allowExpired`, an
 * expired id is still read (a retry inherits its priority).
 */
export async function verifyTransactionToken(
  secret: string,
  id: string,
  nowMs: number,
  allowExpired = false,
): Promise<{ ok: true; token: TransactionToken } | Failure> {
  const invalid = failure("invalid_argument", "transaction is not a transaction id from BeginTransaction");
  if (!id.startsWith(PREFIX)) return invalid;
  const [encoded, signature, extra] = id.slice(PREFIX.length).split(".");
  if (encoded === undefined || signature === undefined || extra !== undefined) return invalid;
  if (!constantTimeEqual(signature, await mac(secret, `tx:${encoded}`))) return invalid;
  let body: Uint8Array;
  try {
    body = fromBase64Url(encoded);
  } catch {
    return invalid;
  }
  if (body.byteLength !== BODY_BYTES) return invalid;
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
    },
  };
}

/**
 * Transaction ids. An id is "tx1." base64url(16 random bytes, the deadline
 * as milliseconds since the epoch, a read-only flag, the index of its
 * coordinator object) "." a MAC over it, so that BeginTransaction needs no
 * storage at all and every later call can check, without a lookup, that the
 * id is ours, unaltered and not expired. The coordinator index travels in
 * the id so that changing COORDINATOR_COUNT never strands a transaction.
 */
import { constantTimeEqual, fromBase64Url, mac, toBase64Url } from "../pagination/page-token.js";
import type { Failure } from "../errors.js";
import { failure } from "../errors.js";
import { COORDINATOR_COUNT } from "../limits.js";

const PREFIX = "tx1.";
const RANDOM_BYTES = 16;
const DEADLINE_OFFSET = RANDOM_BYTES;
const FLAGS_OFFSET = DEADLINE_OFFSET + 8;
const COORDINATOR_OFFSET = FLAGS_OFFSET + 1;
const BODY_BYTES = COORDINATOR_OFFSET + 1;

/** What a transaction id says. */
export interface TransactionToken {
  readonly id: string;
  readonly deadlineMs: number;
  readonly readOnly: boolean;
  readonly coordinator: number;
}

/** Makes a new transaction id. */
export async function createTransactionToken(secret: string, deadlineMs: number, readOnly: boolean): Promise<TransactionToken> {
  const body = new Uint8Array(BODY_BYTES);
  crypto.getRandomValues(body.subarray(0, RANDOM_BYTES));
  new DataView(body.buffer).setFloat64(DEADLINE_OFFSET, deadlineMs);
  body[FLAGS_OFFSET] = readOnly ? 1 : 0;
  const coordinator = body[0]! % COORDINATOR_COUNT;
  body[COORDINATOR_OFFSET] = coordinator;
  const encoded = toBase64Url(body);
  return { id: `${PREFIX}${encoded}.${await mac(secret, `tx:${encoded}`)}`, deadlineMs, readOnly, coordinator };
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

/** Checks a transaction id and its deadline. */
export async function verifyTransactionToken(secret: string, id: string, nowMs: number): Promise<{ ok: true; token: TransactionToken } | Failure> {
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
  const deadlineMs = new DataView(body.buffer, body.byteOffset).getFloat64(DEADLINE_OFFSET);
  if (nowMs > deadlineMs) {
    return failure("aborted", `transaction expired at ${new Date(deadlineMs).toISOString()}; begin a new one and retry`);
  }
  return { ok: true, token: { id, deadlineMs, readOnly: body[FLAGS_OFFSET] === 1, coordinator: body[COORDINATOR_OFFSET]! } };
}

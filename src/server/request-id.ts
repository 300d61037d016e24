/**
 * The request id: one per RPC, so a caller's report, the server's log line
 * and the response can be matched. A caller (or a proxy in front of us) may
 * choose it with an `x-request-id` header; one that is not a short token of
 * safe characters is replaced rather than trusted, because it is copied into
 * logs and response headers.
 */
import { REQUEST_ID_LENGTH_MAX } from "../limits.js";

/** The header that carries the id, both ways. */
export const REQUEST_ID_HEADER = "x-request-id";

const SANE_REQUEST_ID = new RegExp(`^[A-Za-z0-9._:-]{1,${REQUEST_ID_LENGTH_MAX}}$`);

/** Whether `id` may be used as given: 1 to REQUEST_ID_LENGTH_MAX characters of `[A-Za-z0-9._:-]`. */
export function isSaneRequestId(id: string): boolean {
  return SANE_REQUEST_ID.test(id);
}

/** The caller's id when it is sane, else a fresh random UUID. */
export function requestIdFrom(headers: Headers, randomId: () => string = () => crypto.randomUUID()): string {
  const given = headers.get(REQUEST_ID_HEADER);
  if (given !== null && isSaneRequestId(given)) return given;
  const made = randomId();
  if (!isSaneRequestId(made)) throw new Error(`invariant broken: generated request id ${JSON.stringify(made)} is not sane`);
  return made;
}

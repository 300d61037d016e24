// Page tokens, resume tokens and transaction ids for the input campaign:
// real ones recorded from the seeded database (replayed, possibly against
// another request), altered ones (truncated, a character changed), and
// forged ones: re-signed with the local development key around a hostile
// payload, or signed with another database's key.
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { hostileJson, hostileNumber, hostileString } from "./values.mjs";

/** The key the local server signs with (src/pagination/page-token.ts, PAGE_TOKEN_KEY unset). */
const DEVELOPMENT_KEY = "impossibledb-development-page-token-key";
/** A key no server of this run uses: tokens of "another database". */
const OTHER_DATABASE_KEY = "another-impossibledb-database-key";
/** Bytes of the truncated HMAC, as the server makes it. */
const MAC_BYTES = 16;

/** Signs `{ s: scope, p: payload }` as the server does, under `key`. */
export function signToken(key, scope, payload) {
  const body = Buffer.from(JSON.stringify({ s: scope, p: payload })).toString("base64url");
  const mac = createHmac("sha256", key).update(body).digest().subarray(0, MAC_BYTES).toString("base64url");
  return `${body}.${mac}`;
}

/** The `{ s, p }` inside a real token, or null. */
export function openToken(token) {
  try {
    return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
  } catch {
    return null;
  }
}

/** A string altered one way or another: cut, a character changed, doubled, padded. */
function altered(text) {
  return fc.oneof(
    fc.nat({ max: Math.max(0, text.length - 1) }).map((n) => text.slice(0, n)),
    fc.tuple(fc.nat({ max: Math.max(0, text.length - 1) }), fc.constantFrom("A", "_", "-", ".", "=", "+", "/", "\u0000", "é")).map(
      ([i, c]) => text.slice(0, i) + c + text.slice(i + 1),
    ),
    fc.constant(text + text),
    fc.constant(text + "."),
    fc.constant(text.replace(".", "..")),
    fc.constant(text.split(".").reverse().join(".")),
  );
}

/**
 * A token for a page_token or resume_token field: `recorded` are real
 * tokens this run received (any request's), `names` feed hostile strings.
 */
export function hostileToken(recorded, names) {
  const arbs = [{ weight: 3, arbitrary: hostileString(names) }];
  if (recorded.length > 0) {
    const real = fc.constantFrom(...recorded);
    const payload = fc.oneof(hostileJson(names), fc.record({ k: fc.array(hostileJson(names), { maxLength: 3 }), i: hostileString(names), n: hostileNumber }), fc.record({ r: hostileNumber, p: fc.dictionary(hostileString(names), hostileNumber, { maxKeys: 3 }) }));
    arbs.push(
      { weight: 3, arbitrary: real },
      { weight: 3, arbitrary: real.chain(altered) },
      // Re-signed with the development key: the signature holds, the payload is hostile.
      { weight: 4, arbitrary: fc.tuple(real, payload).map(([t, p]) => signToken(DEVELOPMENT_KEY, openToken(t)?.s ?? "", p)) },
      { weight: 1, arbitrary: fc.tuple(hostileString(names), payload).map(([s, p]) => signToken(DEVELOPMENT_KEY, s, p)) },
      // Another database's token: right shape and scope, wrong key.
      { weight: 2, arbitrary: real.map((t) => { const o = openToken(t); return signToken(OTHER_DATABASE_KEY, o?.s ?? "", o?.p ?? null); }) },
    );
  }
  return fc.oneof(...arbs);
}

/** Bytes of a transaction id's body (src/sync/tx-token.ts): random 16, deadline 8, flags 1, coordinator 1, snapshot 8, priority 8. */
const TX_BODY_BYTES = 42;
const TX_DEADLINE_OFFSET = 16;

/**
 * A transaction id signed with the development key around a hostile body:
 * any flags and coordinator byte, deadlines and timestamps that are NaN,
 * negative, huge or far in the future.
 */
const forgedTransaction = fc
  .tuple(
    fc.uint8Array({ minLength: TX_BODY_BYTES, maxLength: TX_BODY_BYTES }),
    fc.constantFrom(Number.NaN, -1, 0, 1e300, Date.now() + 3_600_000, Number.POSITIVE_INFINITY),
    fc.nat({ max: TX_BODY_BYTES + 8 }),
  )
  .map(([bytes, deadlineMs, length]) => {
    const body = Buffer.from(bytes);
    body.writeDoubleBE(deadlineMs, TX_DEADLINE_OFFSET);
    const encoded = (length === TX_BODY_BYTES + 8 ? body : body.subarray(0, Math.min(length, TX_BODY_BYTES))).toString("base64url");
    const mac = createHmac("sha256", DEVELOPMENT_KEY).update(`tx:${encoded}`).digest().subarray(0, MAC_BYTES).toString("base64url");
    return `tx2.${encoded}.${mac}`;
  });

/** A transaction id: real ones (live, committed, rolled back), altered, forged, hostile. */
export function hostileTransaction(recorded, names) {
  const arbs = [{ weight: 2, arbitrary: hostileString(names) }, { weight: 3, arbitrary: forgedTransaction }];
  if (recorded.length > 0) {
    const real = fc.constantFrom(...recorded);
    arbs.push({ weight: 3, arbitrary: real }, { weight: 3, arbitrary: real.chain(altered) });
  }
  return fc.oneof(...arbs);
}

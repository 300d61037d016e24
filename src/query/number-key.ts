/**
 * Number keys: the one form in which a document's numbers reach SQL.
 *
 * A number in ImpossibleDB is an IEEE 754 double, the value JavaScript,
 * JSON and `google.protobuf.Value` carry. SQLite cannot be trusted with a
 * number's decimal text: it reads integer-looking text such as
 * `175928847299117060` as a 64-bit integer (which is not the double
 * 175928847299117056 the text stands for), and its text-to-double
 * conversion is not correctly rounded (`2.4129826171182034e-300` comes
 * back one unit in the last place off). Either way a bound parameter, a
 * cursor or the Worker's merge would see another value than the shard's
 * `json_extract`, so equality misses and page walks repeat themselves.
 *
 * So SQL never compares a number's text. Every stored document carries,
 * beside its JSON, a shadow JSON object (`num_keys`) that mirrors the paths
 * of its numbers and holds for each an order-preserving key: 16 lowercase
 * hex digits of the double's bits, transformed so that byte order is
 * numeric order (the sign bit flipped for positives, every bit flipped for
 * negatives; -0 is 0). Filters, ORDER BY, indexes and resume conditions
 * compare these keys, and bind keys made by the same function, so SQL, the
 * merge (which compares the doubles themselves) and page tokens agree
 * exactly. The idea is the classic one used by ordered key-value stores
 * (for example FoundationDB's tuple layer encodes doubles this way).
 *
 * The shadow keeps object paths and, for arrays directly under a path, the
 * keys of their number elements (for ARRAY_CONTAINS); it omits everything
 * else, and is null for a document with no numbers. Typed values
 * (values/typed.ts) have their keys here too (values/order-key.ts), at
 * their paths and among an array's keys, which is how SQL ranks and
 * compares them.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { typedKey } from "../values/order-key.js";
import { typedLeafOf } from "../values/typed.js";

const view = new DataView(new ArrayBuffer(8));

/** The order-preserving key of a finite double: 16 lowercase hex digits; `a < b` exactly when `numberKey(a) < numberKey(b)`. */
export function numberKey(n: number): string {
  if (!Number.isFinite(n)) throw new Error("invariant broken: stored numbers are finite");
  view.setFloat64(0, n === 0 ? 0 : n);
  let hi = view.getUint32(0);
  let lo = view.getUint32(4);
  if (hi >>> 31 === 1) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else {
    hi = (hi | 0x80000000) >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/**
 * The `num_keys` shadow of a document's data as JSON text, or null when the
 * document holds no number reachable by a field path or as an element of
 * an array reached by one. Built as text, so no user key is ever assigned
 * to an object (a key such as `__proto__` is just text here).
 */
export function numberKeysJson(data: JsonObject): string | null {
  return objectKeys(data);
}

function objectKeys(obj: JsonObject): string | null {
  const parts: string[] = [];
  for (const key of Object.keys(obj)) {
    const child = shadowOf(obj[key]!);
    if (child !== null) parts.push(`${JSON.stringify(key)}:${child}`);
  }
  return parts.length === 0 ? null : `{${parts.join(",")}}`;
}

function shadowOf(value: JsonValue): string | null {
  if (typeof value === "number") return `"${numberKey(value)}"`;
  if (Array.isArray(value)) {
    const keys: string[] = [];
    for (const v of value) {
      const key = scalarKey(v);
      if (key !== null) keys.push(JSON.stringify(key));
    }
    return keys.length === 0 ? null : `[${keys.join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const leaf = typedLeafOf(value);
    return leaf === null ? objectKeys(value) : JSON.stringify(typedKey(leaf));
  }
  return null;
}

/** The key of a number or typed leaf, or null for any other value. */
function scalarKey(value: JsonValue): string | null {
  if (typeof value === "number") return numberKey(value);
  const leaf = typedLeafOf(value);
  return leaf === null ? null : typedKey(leaf);
}

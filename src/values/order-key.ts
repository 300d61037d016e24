/**
 * Order keys of typed values: the text SQL compares a typed value by, kept
 * in the document's `num_keys` shadow beside the number keys (see
 * query/number-key.ts and src/values/README.md).
 *
 * Numbers (doubles and integers) share one key space, so an integer and a
 * double compare as numbers, exactly: a double's key is `numberKey(d)`; an
 * integer a double holds exactly has the same key (5 and 5.0 are equal);
 * any other integer i has the key of the largest double d below it followed
 * by four hex digits of i - d (from 1 to 1024 for |i| < 2^63). Text order of
 * the keys is then numeric order: keys that share d order by the
 * remainder, and the next double above d is above every i in between.
 *
 * Every other typed key starts with a letter that is not a hex digit and
 * names its rank, so the rank can be read from the key itself:
 * `T` timestamp (canonical RFC 3339 text, which sorts as the instants do),
 * `B` bytes (an order-preserving base-64 spelling, 4 characters per 3
 * bytes), `R` reference (collection U+0001 id, so references order by
 * collection, then id), `G` geo point (latitude's then longitude's number
 * key, Firestore's order).
 */
import { numberKey } from "../query/number-key.js";
import type { TypedLeaf } from "./typed.js";

/** The rank letter of each non-number typed key. */
export const KEY_LETTER = { timestamp: "T", bytes: "B", reference: "R", geoPoint: "G" } as const;

const view = new DataView(new ArrayBuffer(8));

/** The order key of an int64, in the number key space. */
export function integerKey(i: bigint): string {
  let d = Number(i);
  if (BigInt(d) === i) return numberKey(d);
  if (BigInt(d) > i) d = nextDown(d);
  const remainder = i - BigInt(d);
  if (remainder <= 0n || remainder > 0xffffn) throw new Error("invariant broken: an int64 is within 2^16 of the double below it");
  return numberKey(d) + remainder.toString(16).padStart(4, "0");
}

/** The largest double below a nonzero finite `d`. */
function nextDown(d: number): number {
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, d > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}

/** The order key of a typed leaf. */
export function typedKey(leaf: TypedLeaf): string {
  switch (leaf.type) {
    case "integer":
      return integerKey(leaf.value);
    case "timestamp":
      return KEY_LETTER.timestamp + leaf.text;
    case "bytes":
      return KEY_LETTER.bytes + sortableBase64(base64Bytes(leaf.base64));
    case "reference":
      return `${KEY_LETTER.reference}${leaf.collection}\u0001${leaf.id}`;
    case "geoPoint":
      return KEY_LETTER.geoPoint + numberKey(leaf.latitude) + numberKey(leaf.longitude);
  }
}

// 64 characters in ascending code point order, so text order of the
// encoding is byte order of the bytes (a shorter prefix sorts first).
const SORTABLE = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/** Bytes as order-preserving base-64 text: 6 bits a character, zero-padded at the end. */
export function sortableBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += SORTABLE[n >> 18]! + SORTABLE[(n >> 12) & 63]! + SORTABLE[(n >> 6) & 63]! + SORTABLE[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += SORTABLE[n >> 18]! + SORTABLE[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += SORTABLE[n >> 18]! + SORTABLE[(n >> 12) & 63]! + SORTABLE[(n >> 6) & 63]!;
  }
  return out;
}

/** The bytes of standard base64 text (already checked well-formed). */
export function base64Bytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Standard base64 text (with padding) of `bytes`. */
export function bytesBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

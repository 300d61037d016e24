/**
 * The checksum a resharding verifies its copies with (README "Live
 * resharding", invariant R2): an order-independent sum over documents, to
 * which one document's term can be added or from which it can be removed.
 * That is what lets the cutover keep its work short: a source computes the
 * checksum of its moving documents before its fence and adjusts it by the
 * few changes made since, and a target keeps its checksum as rows arrive,
 * so neither scans every moving document while those documents wait.
 *
 * A document's term is two MurmurHash3 x86_32 values (two seeds) of its
 * routing key, version and contents; the checksum is the count and the two
 * sums mod 2^32 (in effect a 64-bit hash, added lane by lane). Removing a
 * term subtracts it, so "add then remove" leaves the checksum unchanged
 * whatever the order. Equal checksums mean the same documents at the same
 * versions with the same contents, up to a chance of about 2^-64 per
 * difference; a lost, duplicated, stale or altered document fails it.
 *
 * Pure: no storage, runs in Node and workerd.
 */
import { hash32Bytes } from "./hash.js";
import { routingKey } from "./router.js";

/** An order-independent checksum of a set of documents. */
export interface RangeChecksum {
  /** How many documents. */
  count: number;
  /** Sum mod 2^32 of the documents' first hashes. */
  lo: number;
  /** Sum mod 2^32 of the documents' second hashes. */
  hi: number;
}

/** The seeds of the two lanes (any two distinct values; fixed forever, as both sides of a move must agree). */
const SEED_LO = 0x9e37_79b9;
const SEED_HI = 0x85eb_ca6b;

const encoder = new TextEncoder();

/** The empty set's checksum. */
export function emptyChecksum(): RangeChecksum {
  return { count: 0, lo: 0, hi: 0 };
}

/** One document's term: its two hashes over `${routingKey}@${version}` and its stored JSON. */
export function documentTerm(collection: string, id: string, version: number, data: string): { lo: number; hi: number } {
  const bytes = encoder.encode(`${routingKey(collection, id)}@${version}\n${data}`);
  return { lo: hash32Bytes(bytes, SEED_LO), hi: hash32Bytes(bytes, SEED_HI) };
}

/** Adds one document (`sign` 1) or removes one (`sign` -1), in place. */
export function applyTerm(c: RangeChecksum, collection: string, id: string, version: number, data: string, sign: 1 | -1): void {
  const t = documentTerm(collection, id, version, data);
  c.count += sign;
  c.lo = (c.lo + sign * t.lo) >>> 0;
  c.hi = (c.hi + sign * t.hi) >>> 0;
}

/** Adds `b` into `a` in place (the checksum of the union of two disjoint sets). */
export function addChecksum(a: RangeChecksum, b: RangeChecksum): void {
  a.count += b.count;
  a.lo = (a.lo + b.lo) >>> 0;
  a.hi = (a.hi + b.hi) >>> 0;
}

/** Whether two checksums are equal. */
export function sameChecksum(a: RangeChecksum, b: RangeChecksum): boolean {
  return a.count === b.count && a.lo === b.lo && a.hi === b.hi;
}

/** A checksum in words, for error messages. */
export function describeChecksum(c: RangeChecksum): string {
  return `${c.count} documents, checksum ${c.hi.toString(16).padStart(8, "0")}${c.lo.toString(16).padStart(8, "0")}`;
}

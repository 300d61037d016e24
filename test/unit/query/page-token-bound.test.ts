/**
 * Query page tokens stay under PAGE_TOKEN_LENGTH_MAX whatever the sort keys
 * hold: a key longer than its share is cut to a prefix and a digest, and
 * the next page gets the whole key back from the page's last document.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DOCUMENT_ID_LENGTH_MAX, PAGE_TOKEN_LENGTH_MAX, QUERY_ORDER_KEYS_MAX } from "../../../src/limits.js";
import type { QuerySpec } from "../../../src/query/executor.js";
import { MATCH_ALL } from "../../../src/query/expression.js";
import type { QueryCursor } from "../../../src/query/order.js";
import { decodePageState, encodePageState, queryScope, resolvePageState, tokenKeyBytesMax, type CutSortKey } from "../../../src/query/page-state.js";
import { KEY_DIGEST_OVERHEAD_BYTES, jsonStringBytes, prefixSuccessor, tokenPrefix } from "../../../src/query/token-key.js";
import { RANK_NUMBER, RANK_STRING, compareStrings, type SortKey } from "../../../src/query/values.js";

const KEY = "test-key";
const spec = (keys: number, descending = false): QuerySpec => ({
  collection: "c",
  filter: MATCH_ALL,
  order: Array.from({ length: keys }, (_, i) => ({ path: [`f${i}`], descending })),
  limit: null,
  offset: 0,
  select: null,
});
const longestId = "a".repeat(DOCUMENT_ID_LENGTH_MAX);
const text = fc.string({ unit: fc.oneof(fc.constantFrom("\u0000", "\u001f", '"', "\\", "\n", "\ud800", "\udc00", "😀", "é", "€", "\u{10FFFF}"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), maxLength: 300 });

describe("page tokens of long sort keys", () => {
  it("every token fits PAGE_TOKEN_LENGTH_MAX: sixteen keys of the worst characters, the longest id, the largest count", async () => {
    // Control characters take 6 bytes each in JSON, lone surrogates too.
    for (const unit of ["\u0001", "\ud800", "😀", "a"]) {
      for (const keys of [1, 2, QUERY_ORDER_KEYS_MAX]) {
        const s = spec(keys);
        const scope = await queryScope(s);
        const value = unit.repeat(200_000);
        const token = await encodePageState(KEY, scope, { after: { keys: Array.from({ length: keys }, () => [RANK_STRING, value] as SortKey), id: longestId }, returned: Number.MAX_SAFE_INTEGER });
        expect(token.length, `${keys} keys of ${JSON.stringify(unit)}`).toBeLessThanOrEqual(PAGE_TOKEN_LENGTH_MAX);
        const decoded = await decodePageState(KEY, scope, s, token);
        expect(decoded.after.keys.every((k) => !Array.isArray(k))).toBe(true);
      }
    }
  });

  it("short keys and numbers travel whole, so their tokens need no anchor", async () => {
    const s = spec(QUERY_ORDER_KEYS_MAX);
    const scope = await queryScope(s);
    const keys: SortKey[] = Array.from({ length: QUERY_ORDER_KEYS_MAX }, (_, i) => (i % 2 === 0 ? [RANK_NUMBER, -1.2345678901234567e-308] : [RANK_STRING, "x".repeat(tokenKeyBytesMax(QUERY_ORDER_KEYS_MAX) - 2)]));
    const token = await encodePageState(KEY, scope, { after: { keys, id: longestId }, returned: 7 });
    expect(token.length).toBeLessThanOrEqual(PAGE_TOKEN_LENGTH_MAX);
    const decoded = await decodePageState(KEY, scope, s, token);
    const state = await resolvePageState(decoded, s, () => {
      throw new Error("no anchor read for whole keys");
    });
    expect(state).toEqual({ after: { keys, id: longestId }, returned: 7 });
  });

  it("a cut key comes back whole from an anchor that still holds it", async () => {
    const s = spec(2);
    const scope = await queryScope(s);
    const keys: SortKey[] = [[RANK_STRING, "é".repeat(5_000) + "tail"], [RANK_STRING, "short"]];
    const token = await encodePageState(KEY, scope, { after: { keys, id: "doc1" }, returned: 3 });
    const decoded = await decodePageState(KEY, scope, s, token);
    const read: string[] = [];
    const state = await resolvePageState(decoded, s, async (id) => (read.push(id), { keys, id }));
    expect(read).toEqual(["doc1"]);
    expect(state).toEqual({ after: { keys, id: "doc1" }, returned: 3 });
  });

  it("when the anchor changed or is gone, the walk resumes just before the cut prefix, in its direction", async () => {
    for (const descending of [false, true]) {
      const s = spec(1, descending);
      const scope = await queryScope(s);
      const whole = "b".repeat(3_000) + "1";
      const token = await encodePageState(KEY, scope, { after: { keys: [[RANK_STRING, whole]], id: "doc1" }, returned: 3 });
      const decoded = await decodePageState(KEY, scope, s, token);
      const prefix = (decoded.after.keys[0] as CutSortKey).prefix;
      expect(whole.startsWith(prefix)).toBe(true);
      const changed: QueryCursor = { keys: [[RANK_STRING, "b".repeat(3_000) + "2"]], id: "doc1" };
      for (const anchor of [null, changed]) {
        const state = await resolvePageState(decoded, s, async () => anchor);
        const bound = state.after.keys[0]![1] as string;
        // Every key past the lost one (here: those that start with the prefix and sort past it) is past the bound.
        const past = "b".repeat(3_000) + (descending ? "0" : "2");
        expect(descending ? compareStrings(past, bound) < 0 : compareStrings(past, bound) > 0).toBe(true);
        expect(descending ? compareStrings(whole, bound) < 0 : compareStrings(whole, bound) > 0).toBe(true);
      }
    }
  });

  it("when the anchor changed, its key is read at the token's anchor version (its history) and the walk resumes exactly; without that version, at the prefix", async () => {
    const s = spec(1);
    const scope = await queryScope(s);
    const whole = "b".repeat(3_000) + "1";
    const token = await encodePageState(KEY, scope, { after: { keys: [[RANK_STRING, whole]], id: "doc1" }, returned: 3, anchorVersion: 7 });
    const decoded = await decodePageState(KEY, scope, s, token);
    expect(decoded.anchorVersion).toBe(7);
    const changed: QueryCursor = { keys: [[RANK_STRING, "b".repeat(3_000) + "2"]], id: "doc1" };
    const reads: Array<[string, number | undefined]> = [];
    const exact = await resolvePageState(decoded, s, async (id, version) => (reads.push([id, version]), version === 7 ? { keys: [[RANK_STRING, whole]], id } : changed));
    expect(reads).toEqual([["doc1", undefined], ["doc1", 7]]);
    expect(exact).toEqual({ after: { keys: [[RANK_STRING, whole]], id: "doc1" }, returned: 3 });
    // The history no longer holds version 7 (trimmed, or moved by a resharding): the prefix bound.
    const bounded = await resolvePageState(decoded, s, async (_id, version) => (version === undefined ? changed : null));
    expect(bounded.after.keys[0]![1]).toBe((decoded.after.keys[0] as CutSortKey).prefix);
    // Whole keys need no anchor, so their tokens carry no version.
    const plain = await encodePageState(KEY, scope, { after: { keys: [[RANK_STRING, "short"]], id: "doc1" }, returned: 3, anchorVersion: 7 });
    expect((await decodePageState(KEY, scope, s, plain)).anchorVersion).toBeUndefined();
  });

  it("jsonStringBytes is the UTF-8 length of JSON.stringify", () => {
    fc.assert(fc.property(text, (s) => jsonStringBytes(s) === new TextEncoder().encode(JSON.stringify(s)).length));
  });

  it("tokenPrefix keeps whole what fits, and cuts the rest to a prefix that fits with its digest, never inside a surrogate pair", () => {
    fc.assert(
      fc.property(text, fc.integer({ min: KEY_DIGEST_OVERHEAD_BYTES + 2, max: 400 }), (s, share) => {
        const prefix = tokenPrefix(s, share);
        if (prefix === null) return jsonStringBytes(s) <= share;
        const last = prefix.charCodeAt(prefix.length - 1);
        const splitsPair = last >= 0xd800 && last <= 0xdbff && s.charCodeAt(prefix.length) >= 0xdc00 && s.charCodeAt(prefix.length) <= 0xdfff;
        return jsonStringBytes(s) > share && s.startsWith(prefix) && jsonStringBytes(prefix) + KEY_DIGEST_OVERHEAD_BYTES <= share && !splitsPair;
      }),
    );
  });

  it("prefixSuccessor sorts above every string that starts with the prefix", () => {
    fc.assert(
      fc.property(text, text, (p, rest) => {
        const next = prefixSuccessor(p);
        return next === null ? [...p].every((c) => c === "\u{10FFFF}") : compareStrings(p + rest, next) < 0 && compareStrings(p, next) < 0;
      }),
    );
    expect(prefixSuccessor("a\ud7ff")).toBe("a\ue000");
    expect(prefixSuccessor("a\u{10FFFF}")).toBe("b");
  });
});

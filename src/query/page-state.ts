/**
 * Query page tokens. A token carries where the walk stands (the last sort
 * key and id returned, and how many documents were sent) and is signed and
 * scoped by `pagination/page-token.ts`. The scope is a digest of the whole
 * parsed query, so a token is refused by any other query; page_size may
 * change between pages.
 *
 * A token always fits PAGE_TOKEN_LENGTH_MAX, however long the sort keys:
 * each of a query's sort keys gets an equal share of
 * PAGE_TOKEN_SORT_KEYS_BYTES_MAX, and a string key longer than its share
 * travels as a prefix and a digest (`token-key.ts`). The next page recovers
 * the whole key from the last document returned (the anchor, named by the
 * token's id): when that document still has the key, the walk resumes
 * exactly where it stood. When it was changed or deleted in between, the
 * token's anchor version (`v`) finds the key in the document's history
 * (the row it replaced, kept by the shard for snapshot reads), so the walk
 * still resumes exactly. Only when that history is gone too (trimmed after
 * SNAPSHOT_HISTORY_RETENTION_MS, or the document moved to another shard by a
 * resharding) does the walk resume at the prefix: no document is skipped,
 * and those that share the prefix with the lost key may be returned again.
 *
 * A token carries the filter semantics it was made under (`f`,
 * token-semantics.ts); one made under others is refused, as its walk would
 * go on under another filter.
 */
import { FailureError } from "../errors.js";
import { PAGE_TOKEN_SORT_KEYS_BYTES_MAX } from "../limits.js";
import { decodePageToken, encodePageToken } from "../pagination/page-token.js";
import type { PageState, QuerySpec } from "./executor.js";
import type { QueryCursor } from "./order.js";
import { KEY_DIGEST_CHARS, keyDigest, prefixSuccessor, tokenPrefix } from "./token-key.js";
import { assertPageTokenSemantics, filterSemanticsStamp } from "./token-semantics.js";
import type { SortKey } from "./values.js";

/** A sort key cut to its prefix in a token, with the digest of the whole key. */
export interface CutSortKey {
  readonly rank: number;
  readonly prefix: string;
  readonly digest: string;
}

/** A page state as a token carries it: some keys may be cut. */
export interface TokenPageState {
  readonly after: { readonly keys: readonly (SortKey | CutSortKey)[]; readonly id: string };
  readonly returned: number;
  /** The anchor's version when the page ended (tokens with cut keys carry it). */
  readonly anchorVersion?: number;
}

/**
 * Reads the position of document `id` under the query's order: its current
 * one, or with `version` the one it had at that version (from the shard's
 * history); null when it is gone, unreadable, or that version is no longer
 * kept.
 */
export type AnchorReader = (id: string, version?: number) => Promise<QueryCursor | null>;

/** The scope of a query's tokens: a SHA-256 digest of its parsed form. */
export async function queryScope(spec: QuerySpec): Promise<string> {
  // "ranks-11" names the type order (values.ts): tokens from before typed values existed held other ranks.
  const text = JSON.stringify(["ranks-11", spec.collection, spec.filter, spec.order, spec.limit, spec.offset, spec.select]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `query:${[...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The UTF-8 bytes of JSON each sort key of a query with `keyCount` keys may take in a token. */
export function tokenKeyBytesMax(keyCount: number): number {
  return Math.floor(PAGE_TOKEN_SORT_KEYS_BYTES_MAX / Math.max(1, keyCount));
}

/**
 * Encodes a page state into a token no longer than PAGE_TOKEN_LENGTH_MAX:
 * a key is `[rank, scalar]`, or `[rank, prefix, digest]` when cut.
 */
export async function encodePageState(key: string, scope: string, state: PageState): Promise<string> {
  const share = tokenKeyBytesMax(state.after.keys.length);
  const keys = await Promise.all(
    state.after.keys.map(async ([rank, scalar]) => {
      const prefix = typeof scalar === "string" ? tokenPrefix(scalar, share) : null;
      return prefix === null ? [rank, scalar] : [rank, prefix, await keyDigest(scalar as string)];
    }),
  );
  const cut = keys.some((k) => k.length === 3);
  return encodePageToken(key, scope, {
    k: keys,
    i: state.after.id,
    n: state.returned,
    ...(cut && state.anchorVersion !== undefined ? { v: state.anchorVersion } : {}),
    ...filterSemanticsStamp(),
  });
}

/** Decodes a token for `spec`; INVALID_ARGUMENT when it is not one of its tokens. Cut keys are resolved by `resolvePageState`. */
export async function decodePageState(key: string, scope: string, spec: QuerySpec, token: string): Promise<TokenPageState> {
  const decoded = await decodePageToken(key, scope, token);
  if (!decoded.ok) throw new FailureError(decoded.kind, decoded.message);
  assertPageTokenSemantics(decoded.payload);
  const p = decoded.payload as { k?: unknown; i?: unknown; n?: unknown; v?: unknown };
  const keys = p.k;
  const wellFormed =
    typeof p.i === "string" &&
    Number.isSafeInteger(p.n) &&
    Array.isArray(keys) &&
    keys.length === spec.order.length &&
    keys.every((k) => Array.isArray(k) && Number.isInteger(k[0]) && (isScalar(k) || isCut(k))) &&
    (p.v === undefined || (Number.isSafeInteger(p.v) && (p.v as number) >= 1));
  if (!wellFormed) throw new FailureError("invalid_argument", "page_token is invalid");
  const after = (keys as unknown[][]).map((k): SortKey | CutSortKey =>
    k.length === 3 ? { rank: k[0] as number, prefix: k[1] as string, digest: k[2] as string } : (k as unknown as SortKey),
  );
  return { after: { keys: after, id: p.i as string }, returned: p.n as number, ...(p.v === undefined ? {} : { anchorVersion: p.v as number }) };
}

function isScalar(k: unknown[]): boolean {
  return k.length === 2 && (k[1] === null || typeof k[1] === "number" || typeof k[1] === "string");
}

function isCut(k: unknown[]): boolean {
  return k.length === 3 && typeof k[1] === "string" && typeof k[2] === "string" && k[2].length === KEY_DIGEST_CHARS;
}

function isCutKey(k: SortKey | CutSortKey): k is CutSortKey {
  return !Array.isArray(k);
}

/**
 * The exact page state of a decoded token. With no cut keys it is the
 * token's own. Otherwise the anchor document is read: a cut key whose
 * digest its current key matches becomes that key. When one does not (the
 * anchor changed or is gone), the anchor is read again at the token's
 * anchor version, from its shard's history. When that fails too, every cut
 * key becomes the bound just before the strings that start with its prefix
 * in the walk's direction, so the walk goes on from there and skips
 * nothing.
 */
export async function resolvePageState(state: TokenPageState, spec: QuerySpec, readAnchor: AnchorReader): Promise<PageState> {
  const keys = state.after.keys;
  if (!keys.some(isCutKey)) return { after: { keys: keys as SortKey[], id: state.after.id }, returned: state.returned };
  const exactFrom = async (anchor: QueryCursor | null) => {
    const exact = await Promise.all(keys.map(async (k, i) => (isCutKey(k) ? await anchorKey(k, anchor?.keys[i]) : k)));
    return exact.every((k) => k !== null) ? exact : null;
  };
  const exact =
    (await exactFrom(await readAnchor(state.after.id))) ??
    (state.anchorVersion === undefined ? null : await exactFrom(await readAnchor(state.after.id, state.anchorVersion)));
  if (exact !== null) return { after: { keys: exact, id: state.after.id }, returned: state.returned };
  const bounds = keys.map((k, i) => (isCutKey(k) ? prefixBound(k, spec.order[i]!.descending) : k));
  return { after: { keys: bounds, id: state.after.id }, returned: state.returned };
}

/** The anchor's key when it is the one `cut` stands for, else null. */
async function anchorKey(cut: CutSortKey, current: SortKey | undefined): Promise<SortKey | null> {
  if (current === undefined || current[0] !== cut.rank || typeof current[1] !== "string" || !current[1].startsWith(cut.prefix)) return null;
  return (await keyDigest(current[1])) === cut.digest ? current : null;
}

/**
 * A key just before every string that starts with the cut key's prefix,
 * in the walk's direction: the prefix itself ascending (each such string
 * is longer, so after it), and the prefix's successor descending. Every
 * document past the lost key is past this bound too.
 */
function prefixBound(cut: CutSortKey, descending: boolean): SortKey {
  if (!descending) return [cut.rank, cut.prefix];
  const successor = prefixSuccessor(cut.prefix);
  // Nothing sorts above a prefix of U+10FFFF only: resume at the next rank down.
  return successor === null ? [cut.rank + 1, null] : [cut.rank, successor];
}

/**
 * Query page tokens. A token carries where the walk stands (the last sort
 * key and id returned, and how many documents were sent) and is signed and
 * scoped by `pagination/page-token.ts`. The scope is a digest of the whole
 * parsed query, so a token is refused by any other query; page_size may
 * change between pages.
 */
import { FailureError } from "../errors.js";
import { decodePageToken, encodePageToken } from "../pagination/page-token.js";
import type { PageState, QuerySpec } from "./executor.js";
import type { SortKey } from "./values.js";

/** The scope of a query's tokens: a SHA-256 digest of its parsed form. */
export async function queryScope(spec: QuerySpec): Promise<string> {
  // "ranks-11" names the type order (values.ts): tokens from before typed values existed held other ranks.
  const text = JSON.stringify(["ranks-11", spec.collection, spec.filter, spec.order, spec.limit, spec.offset, spec.select]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `query:${[...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Encodes a page state into a token. */
export function encodePageState(key: string, scope: string, state: PageState): Promise<string> {
  return encodePageToken(key, scope, { k: state.after.keys, i: state.after.id, n: state.returned });
}

/** Decodes a token for `spec`; INVALID_ARGUMENT when it is not one of its tokens. */
export async function decodePageState(key: string, scope: string, spec: QuerySpec, token: string): Promise<PageState> {
  const decoded = await decodePageToken(key, scope, token);
  if (!decoded.ok) throw new FailureError(decoded.kind, decoded.message);
  const p = decoded.payload as { k?: unknown; i?: unknown; n?: unknown };
  const keys = p.k;
  const wellFormed =
    typeof p.i === "string" &&
    Number.isSafeInteger(p.n) &&
    Array.isArray(keys) &&
    keys.length === spec.order.length &&
    keys.every((k) => Array.isArray(k) && k.length === 2 && Number.isInteger(k[0]) && (k[1] === null || typeof k[1] === "number" || typeof k[1] === "string"));
  if (!wellFormed) throw new FailureError("invalid_argument", "page_token is invalid");
  return { after: { keys: keys as SortKey[], id: p.i as string }, returned: p.n as number };
}

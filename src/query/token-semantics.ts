/**
 * The filter semantics a page token's walk was made under. A page token of
 * a filtered walk (RunQuery, a text search, a geo query) carries
 * FILTER_SEMANTICS_VERSION as `f`, as Listen's resume token does: a walk
 * continued under other matching rules would run its later pages with
 * another filter than its first (before version 2 `!=` and NOT_IN matched
 * null), and so skip or repeat documents without a word. A token without
 * `f` is version 1, issued before tokens carried it.
 */
import { FailureError } from "../errors.js";
import { FILTER_SEMANTICS_VERSION } from "./expression.js";

/** The field a page token's payload stamps with, for spreading into it. */
export function filterSemanticsStamp(): { readonly f: number } {
  return { f: FILTER_SEMANTICS_VERSION };
}

/**
 * Refuses a page token made under other filter semantics, INVALID_ARGUMENT
 * as for any page token that cannot continue this walk: the query has to
 * start over from its first page.
 */
export function assertPageTokenSemantics(payload: unknown): void {
  const f = typeof payload === "object" && payload !== null ? (payload as { f?: unknown }).f : undefined;
  if ((f ?? 1) === FILTER_SEMANTICS_VERSION) return;
  throw new FailureError(
    "invalid_argument",
    "page_token predates a change of filter semantics (!= and NOT_IN now leave out null, as Firestore's do), so its walk cannot go on; run the query again from the first page, without page_token",
  );
}

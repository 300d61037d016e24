/**
 * Paging through a list the server pages with tokens: keeps the tokens of
 * the pages shown so far, so "Previous" goes back without the server's help.
 */
import { useState } from "preact/hooks";
import { useCall, type CallState } from "./use-call.js";

/** A paged list: the current page's call and the moves from it. */
export interface Pages<T> {
  readonly current: CallState<T>;
  /** 1 for the first page. */
  readonly pageNumber: number;
  readonly previous: (() => void) | null;
  readonly next: (() => void) | null;
}

/**
 * Loads page after page with `load(pageToken)`: starts again from the first
 * page when `deps` change, and loads the current page again when
 * `refreshKey` changes (say, after a write).
 */
export function usePages<T extends { nextPageToken: string }>(load: (pageToken: string) => Promise<T>, deps: readonly unknown[], refreshKey: unknown = null): Pages<T> {
  const [tokens, setTokens] = useState<{ deps: readonly unknown[]; list: string[] }>({ deps, list: [""] });
  // New inputs: back to the first page.
  const list = sameDeps(tokens.deps, deps) ? tokens.list : [""];
  const pageToken = list[list.length - 1]!;
  const current = useCall(() => load(pageToken), [...deps, pageToken, refreshKey]);
  const nextToken = current.data?.nextPageToken ?? "";
  return {
    current,
    pageNumber: list.length,
    previous: list.length > 1 ? () => setTokens({ deps, list: list.slice(0, -1) }) : null,
    next: nextToken !== "" && !current.loading ? () => setTokens({ deps, list: [...list, nextToken] }) : null,
  };
}

function sameDeps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/** Previous / page n / Next buttons for a {@link Pages} list. */
import type { Pages } from "./use-pages.js";

/** The buttons; `label` names the list for screen readers and tests. */
export function Pager<T>({ pages, label }: { pages: Pages<T>; label: string }) {
  return (
    <span class="row" role="group" aria-label={`${label} pages`}>
      <button type="button" disabled={pages.previous === null} onClick={() => pages.previous?.()}>
        Previous
      </button>
      <span class="muted">page {pages.pageNumber}</span>
      <button type="button" disabled={pages.next === null} onClick={() => pages.next?.()}>
        Next
      </button>
    </span>
  );
}

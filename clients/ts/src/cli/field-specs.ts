/**
 * Field specs the CLI takes as text: `FIELD:DIRECTION` in `query
 * --order-by` and `indexes create`, `FIELD:WEIGHT` in `search-index create
 * --text`. A ":" inside a backquoted field-path segment (`` `a:b` ``) is
 * part of the name, so specs are split at the colons outside backquotes.
 * One check for every command that takes a direction, so each refuses the
 * same bad spec the same way (exit 2, nothing sent): `indexes create` used
 * to send `year:sideways` to the server as a field of that name.
 */
import { CliError } from "./errors.js";

/** A sort or index direction. */
export type SortDirection = "asc" | "desc";

/** A field and its direction, as `FIELD` (ascending), `FIELD:asc` or `FIELD:desc` give them. */
export interface SortSpec {
  readonly field: string;
  readonly direction: SortDirection;
}

/**
 * The field and direction `spec` names. `label` says where it came from, as
 * the refusal starts (`--order-by year:up`, `index field "year:up"`). A
 * CliError (exit 2) for an empty field name, a direction other than asc or
 * desc, or more than one ":" outside backquotes.
 */
export function sortSpec(spec: string, label: string): SortSpec {
  const colons = colonsOutsideBackquotes(spec);
  const expected = "expected FIELD or FIELD:asc or FIELD:desc";
  if (colons.length > 1) throw new CliError(`${label}: more than one ":"; ${expected} (quote a field name holding ":" in backquotes)`);
  const at = colons[0];
  const field = at === undefined ? spec : spec.slice(0, at);
  const direction = at === undefined ? "asc" : spec.slice(at + 1);
  if (field === "") throw new CliError(`${label}: the field name is empty; ${expected}`);
  if (direction !== "asc" && direction !== "desc") throw new CliError(`${label}: ${expected}`);
  return { field, direction };
}

/** The offsets of the ":" characters in `spec` that are not inside a backquoted field-path segment. */
export function colonsOutsideBackquotes(spec: string): number[] {
  const colons: number[] = [];
  let quoted = false;
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i];
    if (quoted && ch === "\\") i++;
    else if (ch === "`") quoted = !quoted;
    else if (!quoted && ch === ":") colons.push(i);
  }
  return colons;
}

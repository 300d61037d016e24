/** Plain-text tables for the CLI's listings: padded columns, long cells cut. */
import type { JsonValue } from "@bufbuild/protobuf";
import { TABLE_CELL_WIDTH_MAX } from "./limits.js";

/** A cell's text: strings as they are, other values as JSON, cut to TABLE_CELL_WIDTH_MAX. */
export function cellText(value: JsonValue | bigint | undefined): string {
  const text = value === undefined ? "" : typeof value === "string" ? value : typeof value === "bigint" ? value.toString() : JSON.stringify(value);
  const flat = text.replace(/[\r\n\t]/g, " ");
  return flat.length > TABLE_CELL_WIDTH_MAX ? flat.slice(0, TABLE_CELL_WIDTH_MAX - 1) + "…" : flat;
}

/** Formats rows under headers, each column as wide as its widest cell. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}

const englishPlurals = new Intl.PluralRules("en");

/**
 * `n` and a noun in the right number for English: `counted(1, "shard")` is
 * "1 shard", `counted(2, "shard")` "2 shards". Numbers and bigints; the
 * plural is the noun plus "s" unless given.
 */
export function counted(n: number | bigint, noun: string, plural = `${noun}s`): string {
  return `${n} ${englishPlurals.select(Number(n)) === "one" ? noun : plural}`;
}

/** Significant digits of a search score in a table. */
const SCORE_SIGNIFICANT_DIGITS = 4;

/**
 * A search score for a table: SCORE_SIGNIFICANT_DIGITS significant digits,
 * so the small scores of a small collection (BM25's idf is small when a
 * term is in most documents) do not all print as 0.0000.
 */
export function scoreText(score: number): string {
  return score.toPrecision(SCORE_SIGNIFICANT_DIGITS);
}

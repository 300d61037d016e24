/**
 * Where the benchmark's tables live in the documentation, and how a new
 * run replaces them: `npm run bench -- --write-docs` swaps the text between
 * two markers of docs/benchmarks.md and leaves the rest of the page, which
 * people write, alone.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** The page that shows the full tables, relative to the repository root. */
export const BENCH_DOCS_PAGE = "docs/benchmarks.md";
/** The marker that opens the generated tables. */
export const BENCH_SECTION_START = "<!-- bench:start -->";
/** The marker that closes them. */
export const BENCH_SECTION_END = "<!-- bench:end -->";

/**
 * `page` with the text between the markers replaced by `markdown`. Throws
 * when the markers are missing, out of order or doubled, rather than write
 * the tables somewhere a reader would not look for them.
 */
export function replaceBenchSection(page: string, markdown: string): string {
  return replaceBetween(page, markdown, BENCH_SECTION_START, BENCH_SECTION_END);
}

/** The markers of a named section, e.g. `<!-- bench:reshard:start -->` for the resharding benchmark's tables. */
export function sectionMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` };
}

function replaceBetween(page: string, markdown: string, startMarker: string, endMarker: string): string {
  const start = page.indexOf(startMarker);
  const end = page.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error(`${BENCH_DOCS_PAGE} has no ${startMarker} … ${endMarker} section`);
  if (page.indexOf(startMarker, start + 1) >= 0 || page.indexOf(endMarker, end + 1) >= 0) {
    throw new Error(`${BENCH_DOCS_PAGE} has more than one ${startMarker} … ${endMarker} section`);
  }
  return `${page.slice(0, start + startMarker.length)}\n${markdown.trim()}\n\n${page.slice(end)}`;
}

/** Replaces the tables on docs/benchmarks.md (under `repoRoot`) with `markdown`. */
export async function writeDocsSection(repoRoot: string, markdown: string): Promise<string> {
  const file = path.join(repoRoot, BENCH_DOCS_PAGE);
  await writeFile(file, replaceBenchSection(await readFile(file, "utf8"), markdown));
  return file;
}

/**
 * Replaces the named section (`sectionMarkers(name)`) on docs/benchmarks.md:
 * how the separate benchmark scripts (bench:reshard) keep their own tables
 * on the page without touching the full run's.
 */
export async function writeNamedDocsSection(repoRoot: string, name: string, markdown: string): Promise<string> {
  const file = path.join(repoRoot, BENCH_DOCS_PAGE);
  const { start, end } = sectionMarkers(name);
  await writeFile(file, replaceBetween(await readFile(file, "utf8"), markdown, start, end));
  return file;
}

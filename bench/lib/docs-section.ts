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
  const start = page.indexOf(BENCH_SECTION_START);
  const end = page.indexOf(BENCH_SECTION_END);
  if (start < 0 || end < start) throw new Error(`${BENCH_DOCS_PAGE} has no ${BENCH_SECTION_START} … ${BENCH_SECTION_END} section`);
  if (page.indexOf(BENCH_SECTION_START, start + 1) >= 0 || page.indexOf(BENCH_SECTION_END, end + 1) >= 0) {
    throw new Error(`${BENCH_DOCS_PAGE} has more than one ${BENCH_SECTION_START} … ${BENCH_SECTION_END} section`);
  }
  return `${page.slice(0, start + BENCH_SECTION_START.length)}\n${markdown.trim()}\n\n${page.slice(end)}`;
}

/** Replaces the tables on docs/benchmarks.md (under `repoRoot`) with `markdown`. */
export async function writeDocsSection(repoRoot: string, markdown: string): Promise<string> {
  const file = path.join(repoRoot, BENCH_DOCS_PAGE);
  await writeFile(file, replaceBenchSection(await readFile(file, "utf8"), markdown));
  return file;
}

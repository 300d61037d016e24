import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BENCH_DOCS_PAGE, BENCH_SECTION_END, BENCH_SECTION_START, replaceBenchSection } from "../../../bench/lib/docs-section.js";

// `npm run bench -- --write-docs` rewrites the tables on docs/benchmarks.md;
// it must replace exactly the generated part, on the page that shows them.
describe("the benchmark's tables in the docs", () => {
  const page = ["# Benchmarks", "prose", BENCH_SECTION_START, "old table", BENCH_SECTION_END, "after"].join("\n");

  it("replaces only the text between the markers", () => {
    const next = replaceBenchSection(page, "new table\n");
    expect(next).toBe(["# Benchmarks", "prose", BENCH_SECTION_START, "new table", "", BENCH_SECTION_END, "after"].join("\n"));
    expect(replaceBenchSection(next, "new table\n")).toBe(next);
  });

  it("refuses a page without the markers, or with two sections", () => {
    expect(() => replaceBenchSection("# Benchmarks\n", "t")).toThrow(/no <!-- bench:start -->/);
    expect(() => replaceBenchSection(`${BENCH_SECTION_END}\n${BENCH_SECTION_START}`, "t")).toThrow(/no /);
    expect(() => replaceBenchSection(page + "\n" + page, "t")).toThrow(/more than one/);
  });

  it("finds its markers on docs/benchmarks.md, once each, and none in the README", () => {
    const docs = readFileSync(new URL(`../../../${BENCH_DOCS_PAGE}`, import.meta.url), "utf8");
    expect(() => replaceBenchSection(docs, "t")).not.toThrow();
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    expect(readme).not.toContain(BENCH_SECTION_START);
  });
});

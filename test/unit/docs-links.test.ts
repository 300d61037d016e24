import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { headingAnchors, linksInSection, markdownLinks, relativeTarget } from "../support/markdown-links.js";

// The documentation is README.md and every docs/*.md page. A reader who
// follows a link should land on a file that exists and, for `#anchor`,
// on a heading that exists; the README's table of contents and the docs
// index should offer every page, including pages added later.
const ROOT = path.resolve(import.meta.dirname, "../..");
const DOCS_DIR = path.join(ROOT, "docs");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const docsPages = readdirSync(DOCS_DIR)
  .filter((f) => f.endsWith(".md"))
  .sort()
  .map((f) => `docs/${f}`);
const PAGES = ["README.md", ...docsPages];

/** Why `target`, linked from `page`, leads nowhere; undefined when it resolves. */
function brokenBecause(page: string, target: string): string | undefined {
  const parts = relativeTarget(target);
  if (parts === undefined) return undefined;
  const file = parts.path === "" ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), parts.path);
  if (path.relative(ROOT, file).startsWith("..")) return "points outside the repository";
  if (!existsSync(file)) return `${path.relative(ROOT, file)} does not exist`;
  if (parts.anchor === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith(".md")) return "has an #anchor but is not a Markdown file";
  if (!headingAnchors(readFileSync(file, "utf8")).has(parts.anchor)) return `${path.relative(ROOT, file)} has no heading #${parts.anchor}`;
  return undefined;
}

describe("links in README.md and docs/*.md", () => {
  it("finds the docs pages", () => {
    expect(docsPages).toContain("docs/README.md");
    expect(docsPages.length).toBeGreaterThan(5);
  });

  for (const page of PAGES) {
    it(`${page}: every relative link and #anchor resolves`, () => {
      const broken = markdownLinks(read(page))
        .map((link) => ({ link, why: brokenBecause(page, link.target) }))
        .filter((b) => b.why !== undefined)
        .map(({ link, why }) => `${page}:${link.line}: ${link.target}: ${why}`);
      expect(broken).toEqual([]);
    });
  }

  it("README.md's table of contents links every docs page", () => {
    const listed = new Set(linksInSection(read("README.md"), "Contents").map((t) => relativeTarget(t)?.path));
    expect(docsPages.filter((p) => !listed.has(p))).toEqual([]);
  });

  it("docs/README.md, the index, links every other docs page", () => {
    const listed = new Set(markdownLinks(read("docs/README.md")).map((l) => `docs/${relativeTarget(l.target)?.path}`));
    expect(docsPages.filter((p) => p !== "docs/README.md" && !listed.has(p))).toEqual([]);
  });

  it("README.md links each page again under 'Where to go next'", () => {
    const listed = new Set(linksInSection(read("README.md"), "Where to go next").map((t) => relativeTarget(t)?.path));
    expect(docsPages.filter((p) => p !== "docs/README.md" && !listed.has(p))).toEqual([]);
  });
});

describe("docs/documents.md's table of what works", () => {
  it("names every RPC of the contract", () => {
    const protoDir = path.join(ROOT, "proto/impossibledb/v1");
    const rpcs = readdirSync(protoDir)
      .filter((f) => f.endsWith(".proto"))
      .flatMap((f) => [...readFileSync(path.join(protoDir, f), "utf8").matchAll(/^\s*rpc\s+(\w+)\s*\(/gm)].map((m) => m[1]!));
    expect(rpcs.length).toBeGreaterThan(20);
    const section = read("docs/documents.md").split("## Semantics worth knowing")[0]!;
    expect(rpcs.filter((rpc) => !new RegExp(`\\b${rpc}\\b`).test(section))).toEqual([]);
  });
});

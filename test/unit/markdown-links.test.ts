import { describe, expect, it } from "vitest";
import { githubSlug, headingAnchors, linksInSection, markdownLinks, relativeTarget } from "../support/markdown-links.js";

// test/unit/docs-links.test.ts trusts these to find every link and every
// anchor the way GitHub renders them; a wrong slug would pass a dead link.
describe("Markdown links and anchors", () => {
  it("slugs headings as GitHub does", () => {
    expect(githubSlug("Start here")).toBe("start-here");
    expect(githubSlug("The command line: `impossibledb`")).toBe("the-command-line-impossibledb");
    expect(githubSlug("TypeScript SDK (`@impossibledb/client`, in `clients/ts`)")).toBe("typescript-sdk-impossibledbclient-in-clientsts");
    expect(githubSlug("Plain curl: Connect's JSON over HTTP")).toBe("plain-curl-connects-json-over-http");
    expect(githubSlug("buf curl: Connect, gRPC-Web and gRPC")).toBe("buf-curl-connect-grpc-web-and-grpc");
    expect(githubSlug("Against the goals (full run of 2026-11-26 03:48 UTC)")).toBe("against-the-goals-full-run-of-2026-11-26-0348-utc");
    expect(githubSlug("See [Limits](limits.md)")).toBe("see-limits");
  });

  it("numbers repeated headings and ignores # lines inside code", () => {
    const md = ["# A", "## Notes", "```sh", "# not a heading", "```", "## Notes", '<a id="custom"></a>'].join("\n");
    expect([...headingAnchors(md)]).toEqual(["a", "notes", "notes-1", "custom"]);
  });

  it("finds inline links, images and definitions with their lines, not those in code", () => {
    const md = [
      "See [Limits](docs/limits.md#errors) and ![logo](img/logo.png \"Logo\").",
      "`[not](a-link.md)`",
      "```md",
      "[nor](this.md)",
      "```",
      "A link whose text wraps: [Answers that fit",
      "every client](clients.md#answers-that-fit-every-client), [`code` text](#x).",
      "[ref]: https://example.com",
    ].join("\n");
    expect(markdownLinks(md)).toEqual([
      { line: 1, target: "docs/limits.md#errors" },
      { line: 1, target: "img/logo.png" },
      { line: 7, target: "clients.md#answers-that-fit-every-client" },
      { line: 7, target: "#x" },
      { line: 8, target: "https://example.com" },
    ]);
  });

  it("splits relative targets and leaves absolute ones alone", () => {
    expect(relativeTarget("docs/limits.md#errors")).toEqual({ path: "docs/limits.md", anchor: "errors" });
    expect(relativeTarget("#start-here")).toEqual({ path: "", anchor: "start-here" });
    expect(relativeTarget("../src/query/README.md")).toEqual({ path: "../src/query/README.md", anchor: undefined });
    expect(relativeTarget("https://example.com/a#b")).toBeUndefined();
    expect(relativeTarget("mailto:someone@example.com")).toBeUndefined();
  });

  it("lists the links of one section only", () => {
    const md = ["# T", "## Contents", "- [A](a.md)", "  - [B](b.md)", "### Sub", "[C](c.md)", "## Next", "[D](d.md)"].join("\n");
    expect(linksInSection(md, "Contents")).toEqual(["a.md", "b.md", "c.md"]);
    expect(linksInSection(md, "Missing")).toEqual([]);
  });
});

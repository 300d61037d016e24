import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// docs/clients.md shows the Go and Python quickstarts in full.
// scripts/test-go.sh and scripts/test-python.sh run those files against a
// live server, so the page is true as long as it shows them unchanged.
const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

describe("docs/clients.md client snippets", () => {
  for (const [language, path] of [
    ["go", "clients/go/examples/quickstart/main.go"],
    ["python", "clients/python/examples/quickstart.py"],
  ] as const) {
    it(`shows ${path} verbatim`, () => {
      const fence = "```" + language + "\n" + read(path).trimEnd() + "\n```";
      expect(read("docs/clients.md")).toContain(fence);
    });
  }
});

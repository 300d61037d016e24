import { describe, expect, it } from "vitest";
import { attribute, fencedBlocks, inlineSpans, shellCommands } from "../support/readme-snippets.js";

// The docs snippet test (test/e2e/docs) runs what this extracts; a
// command split in the wrong place would run as something else.
describe("README snippet extraction", () => {
  it("finds fenced blocks with their language, attributes and first line", () => {
    const md = ["intro", "```sh expect-error=not_found", "a", "```", "", "```", "diagram", "```", "```ts", "```"].join("\n");
    const blocks = fencedBlocks(md);
    expect(blocks).toEqual([
      { line: 2, language: "sh", attributes: ["expect-error=not_found"], body: "a\n" },
      { line: 6, language: "", attributes: [], body: "diagram\n" },
      { line: 9, language: "ts", attributes: [], body: "" },
    ]);
    expect(attribute(blocks[0]!, "expect-error")).toBe("not_found");
    expect(attribute(blocks[1]!, "expect-error")).toBeUndefined();
  });

  it("refuses a fence that is never closed", () => {
    expect(() => fencedBlocks("```sh\nls\n")).toThrow(/line 1 is never closed/);
  });

  it("splits shell commands where bash would: not inside quotes, after a backslash, or inside $( )", () => {
    const body = [
      "# a comment line",
      "G=\"--reflect --protocol grpc\"   # trailing comment",
      "npx buf curl -d '{\"a\":[",
      "  1]}' \\",
      "  http://x/y",
      "",
      "tx=$(npx buf curl -d '{}' \\",
      "  http://x/z | jq -r .transaction)",
      "echo '#not a comment' \"$tx\"",
    ].join("\n");
    expect(shellCommands(body, 10)).toEqual([
      { line: 11, text: 'G="--reflect --protocol grpc"' },
      { line: 12, text: "npx buf curl -d '{\"a\":[\n  1]}' \\\n  http://x/y" },
      { line: 16, text: "tx=$(npx buf curl -d '{}' \\\n  http://x/z | jq -r .transaction)" },
      { line: 18, text: "echo '#not a comment' \"$tx\"" },
    ]);
  });

  it("refuses an unterminated quote rather than guess", () => {
    expect(() => shellCommands("echo 'open\n", 1)).toThrow(/unterminated '/);
  });

  it("finds inline code spans outside fenced blocks only", () => {
    const md = ["| a | `npx buf curl $G -d '{}' http://x` |", "```sh", "`not inline`", "```", "`b` and ``c``"].join("\n");
    expect(inlineSpans(md)).toEqual([
      { line: 1, text: "npx buf curl $G -d '{}' http://x" },
      { line: 5, text: "b" },
      { line: 5, text: "c" },
    ]);
  });
});

/**
 * Extracts the runnable snippets of a Markdown file (README.md and each
 * docs/*.md page), so that test/e2e/docs can run them as written: fenced code blocks with their language
 * and attributes, and the shell commands inside `sh` blocks, split the way
 * a shell would split them into command lines.
 *
 * Markings a block may carry in its fence's info string, after the
 * language (they show in the Markdown source, not on the rendered page):
 *   ```sh no-run                          not run; the page says why, the test lists it
 *   ```sh expect-error=failed_precondition   every command must fail with that code
 * Blocks of language `text` are not code (diagrams, output samples).
 *
 * Pure: no I/O, so it is unit-tested in test/unit/readme-snippets-extract.test.ts.
 */

/** A fenced code block. */
export interface FencedBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The first word of the info string; "" when the fence has none. */
  language: string;
  /** The other words of the info string. */
  attributes: string[];
  /** The text between the fences, ending with a newline unless empty. */
  body: string;
}

/** A shell command line of a block (continuation lines and quoted newlines included). */
export interface ShellCommand {
  /** 1-based line of the page where the command starts. */
  line: number;
  /** The command as written, comments on their own lines removed. */
  text: string;
}

/** An inline code span (`like this`) outside fenced blocks. */
export interface InlineSpan {
  line: number;
  text: string;
}

/** Bound on the fences of one file, so a malformed file cannot make the scan run away. */
const BLOCKS_MAX = 1_000;

/** The fenced blocks of `markdown`, in order. Fences are ``` at the start of a line. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split("\n");
  const blocks: FencedBlock[] = [];
  let open: { line: number; info: string; body: string[] } | null = null;
  lines.forEach((text, index) => {
    if (open === null) {
      const fence = /^```(.*)$/.exec(text);
      if (fence !== null) open = { line: index + 1, info: fence[1]!.trim(), body: [] };
      return;
    }
    if (/^```\s*$/.test(text)) {
      const [language = "", ...attributes] = open.info.split(/\s+/).filter((w) => w.length > 0);
      blocks.push({ line: open.line, language, attributes, body: open.body.map((l) => l + "\n").join("") });
      if (blocks.length > BLOCKS_MAX) throw new Error(`more than ${BLOCKS_MAX} fenced blocks`);
      open = null;
      return;
    }
    open.body.push(text);
  });
  if (open !== null) throw new Error(`the fence opened on line ${(open as { line: number }).line} is never closed`);
  return blocks;
}

/** The value of a `name=value` attribute, or undefined. */
export function attribute(block: FencedBlock, name: string): string | undefined {
  const found = block.attributes.find((a) => a.startsWith(`${name}=`));
  return found?.slice(name.length + 1);
}

/**
 * Splits a shell block into command lines as bash reads them: a newline
 * ends a command unless it is quoted ('…', "…"), escaped (\ at the end of a
 * line) or inside $( … ). Comments (# at the start of a word, outside
 * quotes) are dropped; blank results are skipped.
 */
export function shellCommands(body: string, firstLine: number): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let text = "";
  let startLine = firstLine;
  let line = firstLine;
  let quote: "'" | '"' | null = null;
  let depth = 0;
  let comment = false;
  const flush = () => {
    const trimmed = text.trim();
    if (trimmed.length > 0) commands.push({ line: startLine, text: trimmed });
    text = "";
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\n") line += 1;
    if (comment) {
      if (c !== "\n") continue;
      comment = false;
    }
    if (quote === "'") {
      text += c;
      if (c === "'") quote = null;
      continue;
    }
    if (c === "\\" && i + 1 < body.length) {
      text += c + body[i + 1];
      if (body[i + 1] === "\n") line += 1;
      i += 1;
      continue;
    }
    if (quote === '"') {
      text += c;
      if (c === '"') quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "$" && body[i + 1] === "(") depth += 1;
    else if (c === ")" && depth > 0) depth -= 1;
    else if (c === "#" && (text.length === 0 || /\s$/.test(text))) {
      comment = true;
      continue;
    } else if (c === "\n" && depth === 0) {
      flush();
      startLine = line;
      continue;
    }
    text += c;
  }
  if (quote !== null || depth > 0) throw new Error(`unterminated ${quote ?? "$("} in the shell block at line ${firstLine}`);
  flush();
  return commands;
}

/** Inline code spans outside fenced blocks, with their line (a span does not cross lines here). */
export function inlineSpans(markdown: string): InlineSpan[] {
  const spans: InlineSpan[] = [];
  let inFence = false;
  markdown.split("\n").forEach((text, index) => {
    if (/^```/.test(text)) inFence = !inFence;
    if (inFence) return;
    for (const m of text.matchAll(/(`+)(?!`)(.+?)(?<!`)\1(?!`)/g)) spans.push({ line: index + 1, text: m[2]!.trim() });
  });
  return spans;
}

/**
 * Links and headings of a Markdown file, as GitHub renders them: the
 * relative links a page makes (to a file, a file's heading, or a heading
 * of its own) and the anchors its headings get. test/unit/docs-links.test.ts
 * uses these to check that every link in README.md and docs/*.md leads
 * somewhere.
 *
 * Pure: no I/O, so it is unit-tested in test/unit/markdown-links.test.ts.
 */

/** A link found in a page. */
export interface MarkdownLink {
  /** 1-based line where the link's target is written. */
  line: number;
  /** The target as written, such as `docs/limits.md#errors` or `#start-here`. */
  target: string;
}

/** A relative link's parts: the path ("" for the page itself) and the anchor (without `#`), if any. */
export interface RelativeTarget {
  path: string;
  anchor: string | undefined;
}

/** Bound on the links of one page, so a malformed page cannot make the scan run away. */
const LINKS_MAX = 5_000;

/**
 * The anchor GitHub gives a heading's text: Markdown links and inline code
 * reduced to their text, lowercased, every character that is not a letter,
 * mark, digit, connector, space or hyphen removed, spaces turned into
 * hyphens (github-slugger's rule).
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`+/g, "")
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/**
 * The text with fenced code blocks and inline code spans blanked out
 * (replaced by spaces, newlines kept), so that neither links nor headings
 * are looked for inside code and line numbers stay true.
 */
export function withoutCode(markdown: string): string {
  let inFence = false;
  return markdown
    .split("\n")
    .map((line) => {
      if (/^\s*```/.test(line)) {
        inFence = !inFence;
        return "";
      }
      if (inFence) return "";
      return line.replace(/(`+)(?!`)(.+?)(?<!`)\1(?!`)/g, (span) => " ".repeat(span.length));
    })
    .join("\n");
}

/** Every heading anchor of the page, with `-1`, `-2`... for repeated headings, as GitHub numbers them. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const slug = githubSlug(heading[1]!);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const m of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}

/** Inline links and images `[text](target)`, and reference definitions `[name]: target`, outside code. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const text = withoutCode(markdown);
  const links: MarkdownLink[] = [];
  const lineAt = (offset: number) => text.slice(0, offset).split("\n").length;
  const inline = /!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
  for (const m of text.matchAll(inline)) links.push({ line: lineAt(m.index + m[0].indexOf("](")), target: m[1]! });
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) links.push({ line: lineAt(m.index), target: m[1]! });
  if (links.length > LINKS_MAX) throw new Error(`more than ${LINKS_MAX} links`);
  return links.sort((a, b) => a.line - b.line);
}

/** The path and anchor of a relative link; undefined for links with a scheme (`https:`, `mailto:`) or `//`. */
export function relativeTarget(target: string): RelativeTarget | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) return undefined;
  const hash = target.indexOf("#");
  const rawPath = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  return { path: decodeURIComponent(rawPath), anchor };
}

/** The targets of the links under the heading `title` (up to the next heading of the same or a higher level). */
export function linksInSection(markdown: string, title: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^(#{1,6})\\s+${escapeRegExp(title)}\\s*$`).test(l));
  if (start < 0) return [];
  const level = /^#+/.exec(lines[start]!)![0].length;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => {
    const h = /^(#{1,6})\s/.exec(l);
    return h !== null && h[1]!.length <= level;
  });
  return markdownLinks(rest.slice(0, end < 0 ? rest.length : end).join("\n")).map((l) => l.target);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

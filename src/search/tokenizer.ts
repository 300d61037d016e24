/**
 * The search tokenizer, ours and in JavaScript, so the Worker and every
 * shard (and the tests' FTS5 oracle) cut text the same way and SQLite's
 * tokenizers never decide anything (workerd has no custom FTS5 tokenizers).
 *
 * Rule: each character is folded (lowercased, NFKD-decomposed, combining
 * marks removed, final sigma made σ); a token is a maximal run of folded
 * characters that are letters or numbers (`\p{L}`, `\p{N}`). A combining
 * mark in the original text continues the token it follows. Folding is per
 * character (so ΣΟΦΟΣ and σοφος fold alike), and a folded character that
 * decomposes into a non-letter (`½` → `1⁄2`) splits there. Tokens longer
 * than SEARCH_TOKEN_LENGTH_MAX characters are cut to it.
 *
 * Every token carries the UTF-16 offsets of the original text it came from,
 * so highlights mark the original text, not the folded one.
 */
import { SEARCH_TOKEN_LENGTH_MAX } from "./limits.js";

/** One token: its folded text and where it came from in the original. */
export interface Token {
  readonly text: string;
  /** UTF-16 offset of its first original character. */
  readonly start: number;
  /** UTF-16 offset just past its last original character. */
  readonly end: number;
}

const WORD = /^[\p{L}\p{N}]$/u;
const MARK = /^\p{M}$/u;
const foldCache = new Map<string, string>();

/** A character folded: lowercased, NFKD, marks removed. */
export function foldChar(ch: string): string {
  let folded = foldCache.get(ch);
  if (folded === undefined) {
    // Final sigma is a sigma: "ΣΟΦΟΣ" and "σοφος" are one word.
    folded = ch.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "").replace(/ς/gu, "σ");
    if (foldCache.size < 65_536) foldCache.set(ch, folded);
  }
  return folded;
}

/** The tokens of `text`, with their original offsets. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let current = "";
  let start = 0;
  let end = 0;
  const flush = () => {
    if (current !== "") tokens.push({ text: [...current].slice(0, SEARCH_TOKEN_LENGTH_MAX).join(""), start, end });
    current = "";
  };
  let offset = 0;
  for (const ch of text) {
    const at = offset;
    offset += ch.length;
    if (MARK.test(ch)) {
      if (current !== "") end = offset;
      continue;
    }
    for (const f of foldChar(ch)) {
      if (WORD.test(f)) {
        if (current === "") start = at;
        current += f;
        end = offset;
      } else {
        flush();
      }
    }
    if (foldChar(ch) === "") flush();
  }
  flush();
  return tokens;
}

/** The folded tokens of `text`, without offsets. */
export function tokenTexts(text: string): string[] {
  return tokenize(text).map((t) => t.text);
}

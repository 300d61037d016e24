/**
 * Highlights: for each text field of a result that holds a match, a snippet
 * of the field's ORIGINAL text with `<mark>` and `</mark>` around each
 * matched token (located through our tokenizer's offsets, so accents and
 * case are those the document holds). A token is matched when it is part
 * of an instance of a phrase outside any NOT (typo variants and prefixes
 * included). The snippet starts SEARCH_SNIPPET_CONTEXT_CHARS before the
 * first match (at a token boundary, `…` marking a cut) and ends at most
 * SEARCH_SNIPPET_CHARS_MAX characters later (counted in the stored text).
 * A snippet is HTML: the text is escaped (`&`, `<`, `>`, `"`, `'`) and the
 * `<mark>` tags go around the escaped matches, so a client may render it
 * as it is and a field that holds markup (or `</mark>`) stays text.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { fieldValue } from "../query/evaluate.js";
import { parseFieldPath } from "../validation/field-path.js";
import type { SearchTextFieldSpec } from "./catalog.js";
import type { CompiledSearch } from "./compile.js";
import { SEARCH_SNIPPET_CHARS_MAX, SEARCH_SNIPPET_CONTEXT_CHARS } from "./limits.js";
import { fieldText } from "./text-index.js";
import { tokenize, type Token } from "./tokenizer.js";

/** The snippets of one document, by field path; fields without a match are left out. */
export function highlights(textFields: readonly SearchTextFieldSpec[], compiled: CompiledSearch, id: string, data: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  const phrases = compiled.phrases.filter((_, i) => !compiled.negated[i]);
  for (const field of textFields) {
    const parsed = parseFieldPath(field.field);
    if (!parsed.ok) continue;
    const snippets: string[] = [];
    for (const text of fieldText(fieldValue({ id, data }, parsed.path))) {
      const tokens = tokenize(text);
      const marked = tokens.map(() => false);
      for (const p of phrases) {
        const m = p.tokens.length;
        for (let i = 0; i + m <= tokens.length; i++) {
          let hit = true;
          for (let j = 0; j < m && hit; j++) {
            const got = tokens[i + j]!.text;
            hit = p.prefix && j === m - 1 ? got.startsWith(p.tokens[j]!) : got === p.tokens[j];
          }
          if (hit) for (let j = 0; j < m; j++) marked[i + j] = true;
        }
      }
      if (marked.some(Boolean)) snippets.push(snippet(text, tokens, marked));
    }
    if (snippets.length > 0) out[field.field] = snippets.join(" … ");
  }
  return out;
}

function snippet(text: string, tokens: readonly Token[], marked: readonly boolean[]): string {
  const first = marked.indexOf(true);
  // Start at the start of a token at most CONTEXT characters before the first match.
  let start = tokens[first]!.start;
  for (let i = first - 1; i >= 0 && tokens[first]!.start - tokens[i]!.start <= SEARCH_SNIPPET_CONTEXT_CHARS; i--) start = tokens[i]!.start;
  // From the first token, the text before it (punctuation, markup) is kept rather than cut.
  if (start === tokens[0]!.start) start = 0;
  const end = Math.min(text.length, start + SEARCH_SNIPPET_CHARS_MAX);
  let out = start > 0 ? "…" : "";
  let at = start;
  tokens.forEach((t, i) => {
    if (!marked[i] || t.start < start || t.end > end) return;
    out += escapeHtml(text.slice(at, t.start)) + "<mark>" + escapeHtml(text.slice(t.start, t.end)) + "</mark>";
    at = t.end;
  });
  out += escapeHtml(text.slice(at, end));
  if (end < text.length) out += "…";
  return out;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `text` as HTML text: the five characters that can open markup or end an attribute are escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Well-formed Unicode for strings and field names.
 *
 * Strings arrive as UTF-16 from Connect JSON, where an escape such as
 * "\ud800" makes a lone surrogate: half of a pair, no character at all.
 * UTF-8 cannot carry one, so the binary and gRPC encoders put U+FFFD in its
 * place while JSON readers get the lone surrogate back: one stored value
 * that reads differently by protocol, and a client's read-modify-write then
 * silently stores U+FFFD. So every write path, filter operand and field
 * path refuses them (INVALID_ARGUMENT, naming where), and what is stored is
 * always a string every reader sees alike.
 */

// With the u flag a well-formed pair matches as one astral code point, never
// as \p{Cs}, so this finds only lone surrogates (what String.prototype.isWellFormed
// tests, which the ES2022 lib the build targets does not declare).
const LONE_SURROGATE = /\p{Cs}/u;

/** The UTF-16 offset of the first lone surrogate in `text`, or -1 when it is well-formed. */
export function loneSurrogateAt(text: string): number {
  return text.search(LONE_SURROGATE);
}

/** Why a string is not well-formed, for an error message, or null when it is. */
export function loneSurrogateProblem(text: string): string | null {
  const at = loneSurrogateAt(text);
  if (at < 0) return null;
  const code = text.charCodeAt(at).toString(16).toUpperCase();
  return `holds a lone UTF-16 surrogate (U+${code} at offset ${at}), which UTF-8 cannot carry; strings and field names must be well-formed Unicode`;
}

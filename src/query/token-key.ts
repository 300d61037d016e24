/**
 * Sort keys inside page tokens, kept to a bounded size. A string sort key
 * (or a typed value's order key) may be as long as a document, but a page
 * token must stay under PAGE_TOKEN_LENGTH_MAX, so a key too long for its
 * share of the token travels as a prefix and a digest of the whole key.
 * The whole key is recovered from the page's last document (the token's
 * anchor) when the next page is asked for; see `page-state.ts`.
 */

/** Characters of a key digest: 16 bytes of SHA-256, base64url without padding. */
export const KEY_DIGEST_CHARS = 22;

/** What a cut key adds to its prefix in the token's JSON: the digest, its quotes and a comma. */
export const KEY_DIGEST_OVERHEAD_BYTES = KEY_DIGEST_CHARS + 3;

/**
 * The UTF-8 bytes one UTF-16 unit (or pair) takes in JSON.stringify's
 * output, the quotes aside: escapes for controls, quotes, backslashes and
 * lone surrogates, the plain encoding otherwise.
 */
function jsonBytesAt(text: string, i: number): { bytes: number; units: number } {
  const c = text.charCodeAt(i);
  if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09) return { bytes: 2, units: 1 };
  if (c < 0x20) return { bytes: 6, units: 1 };
  if (c < 0x80) return { bytes: 1, units: 1 };
  if (c < 0x800) return { bytes: 2, units: 1 };
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = text.charCodeAt(i + 1);
    return d >= 0xdc00 && d <= 0xdfff ? { bytes: 4, units: 2 } : { bytes: 6, units: 1 };
  }
  if (c >= 0xdc00 && c <= 0xdfff) return { bytes: 6, units: 1 };
  return { bytes: 3, units: 1 };
}

/** The UTF-8 bytes of `JSON.stringify(text)`, quotes included. */
export function jsonStringBytes(text: string): number {
  let bytes = 2;
  for (let i = 0; i < text.length; ) {
    const at = jsonBytesAt(text, i);
    bytes += at.bytes;
    i += at.units;
  }
  return bytes;
}

/**
 * The prefix a token carries for `text` when its JSON takes more than
 * `bytesMax` UTF-8 bytes, or null when the whole key fits. The prefix and
 * its digest together take at most `bytesMax` bytes; a surrogate pair is
 * never split.
 */
export function tokenPrefix(text: string, bytesMax: number): string | null {
  if (jsonStringBytes(text) <= bytesMax) return null;
  const budget = bytesMax - KEY_DIGEST_OVERHEAD_BYTES;
  if (budget < 2) throw new Error("invariant broken: a token key's share cannot hold a digest");
  let bytes = 2;
  let end = 0;
  while (end < text.length) {
    const at = jsonBytesAt(text, end);
    if (bytes + at.bytes > budget) break;
    bytes += at.bytes;
    end += at.units;
  }
  return text.slice(0, end);
}

/** The digest a token carries for a cut key: SHA-256 of its UTF-16 units (so lone surrogates stay distinct), base64url. */
export async function keyDigest(text: string): Promise<string> {
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", units));
  let binary = "";
  for (const b of digest.subarray(0, 16)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The least string above every string that starts with `prefix` (its last
 * code point below U+10FFFF raised by one, what follows it dropped), or
 * null when there is none (the prefix is all U+10FFFF).
 */
export function prefixSuccessor(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) return points.join("") + String.fromCodePoint(last + 1 === 0xd800 ? 0xe000 : last + 1);
  }
  return null;
}

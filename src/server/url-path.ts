/** Reading a request's path without a URL parser (the fetch handler's hot path). */

/**
 * The path of an absolute URL as the request line sent it (from the first
 * `/` after the authority to `?` or `#`), without parsing the whole URL: a
 * `new URL` per call was a visible share of a point get's CPU. Paths are
 * matched exactly, so one a URL parser would normalise (`/a/../b`) finds no
 * RPC, as it should.
 */
export function pathOf(url: string): string {
  const authority = url.indexOf("//");
  let start = authority < 0 ? 0 : authority + 2;
  // The authority ends at the first "/", "?" or "#".
  while (start < url.length && url[start] !== "/" && url[start] !== "?" && url[start] !== "#") start += 1;
  if (start === url.length || url[start] !== "/") return "/";
  let end = start;
  while (end < url.length && url[end] !== "?" && url[end] !== "#") end += 1;
  return url.slice(start, end);
}

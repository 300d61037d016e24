/**
 * Serves the web console (console/, built by scripts/build-console.mjs into
 * dist/console/assets.json, which the Worker bundles) at `/console`.
 *
 * `/console` and `/console/` answer the page; `/console/<name>` answers a
 * built script or stylesheet, whose names carry a hash of their content, so
 * browsers may keep them for good while the page itself is revalidated on
 * every load. Anything else under `/console/` is a 404: the console moves
 * between its panels with the URL's hash, so it has no other paths.
 * Every answer carries a Content-Security-Policy that allows only the
 * console's own script, stylesheet and calls to this origin.
 */
import assets from "../../dist/console/assets.json";

/** Where the console is served. */
export const CONSOLE_PATH = "/console";

const PAGE_NAME = "index.html";

/** Scripts, styles and calls from this origin only; no inline code, no frames, no forms elsewhere. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** A year: the longest time browsers honour, for files whose names change with their content. */
const IMMUTABLE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

interface Asset {
  readonly contentType: string;
  readonly body: string;
}

const ASSETS: ReadonlyMap<string, Asset> = new Map(Object.entries(assets as Record<string, Asset>));

/** True when `pathname` is the console's: `/console` or anything under `/console/`. */
export function isConsolePath(pathname: string): boolean {
  return pathname === CONSOLE_PATH || pathname.startsWith(`${CONSOLE_PATH}/`);
}

/** The answer to a request for a console path (see {@link isConsolePath}). */
export function consoleResponse(request: Request, pathname: string): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response(null, { status: 405, headers: { Allow: "GET, HEAD" } });
  }
  const name = pathname === CONSOLE_PATH || pathname === `${CONSOLE_PATH}/` ? PAGE_NAME : pathname.slice(CONSOLE_PATH.length + 1);
  const asset = ASSETS.get(name);
  if (asset === undefined) {
    return new Response(`no console page at ${pathname}; the console is at ${CONSOLE_PATH}/\n`, {
      status: 404,
      headers: securityHeaders({ "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" }),
    });
  }
  const cacheControl = name === PAGE_NAME ? "no-cache" : `public, max-age=${IMMUTABLE_MAX_AGE_SECONDS}, immutable`;
  const headers = securityHeaders({ "Content-Type": asset.contentType, "Cache-Control": cacheControl });
  return new Response(request.method === "HEAD" ? null : asset.body, { status: 200, headers });
}

function securityHeaders(init: Record<string, string>): Headers {
  const headers = new Headers(init);
  headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "no-referrer");
  return headers;
}

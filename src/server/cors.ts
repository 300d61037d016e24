/**
 * CORS for browsers calling with Connect-Web. Allowed origins come from the
 * CORS_ALLOWED_ORIGINS var: "*" or a comma-separated list.
 */
import { cors } from "@connectrpc/connect";
import { REQUEST_ID_HEADER } from "./request-id.js";
import { DATABASE_HEADER } from "../databases/names.js";
import { RETRY_AFTER_HEADER } from "../errors.js";
import { REROUTED_MS_HEADER, ROUTING_VERSION_HEADER } from "../routing/routing-header.js";

const MAX_AGE_S = 7200;

/** The CORS headers for `origin`, or null when it may not call. */
export function corsHeaders(origin: string | null, allowed: string): Headers | null {
  if (origin === null) return null;
  const list = allowed.split(",").map((o) => o.trim()).filter((o) => o.length > 0);
  const ok = list.includes("*") || list.includes(origin);
  if (!ok) return null;
  const headers = new Headers();
  headers.set("Access-Control-Allow-Origin", list.includes("*") ? "*" : origin);
  // Browsers may read the request id, to quote it in a bug report, and a
  // rate limit's retry-after (the RetryInfo detail is in the body or in
  // grpc-status-details-bin, which Connect's list exposes already).
  headers.set("Access-Control-Expose-Headers", [...cors.exposedHeaders, REQUEST_ID_HEADER, RETRY_AFTER_HEADER, ROUTING_VERSION_HEADER, REROUTED_MS_HEADER].join(", "));
  if (!list.includes("*")) headers.set("Vary", "Origin");
  return headers;
}

/** The answer to a preflight request from `origin`. */
export function preflightResponse(origin: string | null, allowed: string): Response {
  const headers = corsHeaders(origin, allowed);
  if (headers === null) return new Response(null, { status: 403 });
  headers.set("Access-Control-Allow-Methods", cors.allowedMethods.join(", "));
  headers.set("Access-Control-Allow-Headers", [...cors.allowedHeaders, REQUEST_ID_HEADER, "Authorization", DATABASE_HEADER].join(", "));
  headers.set("Access-Control-Max-Age", String(MAX_AGE_S));
  return new Response(null, { status: 204, headers });
}

/**
 * Refuses JSON requests whose google.protobuf.Timestamp strings name a
 * date or time that does not exist (`2026-02-30T00:00:00Z`, `T24:00:00`).
 *
 * protobuf-es (2.x) reads a Timestamp's RFC 3339 text with `Date.parse`,
 * which in V8 rolls an impossible day over into the next month
 * (February 30th becomes March 2nd), so such a request would store another
 * instant than the caller wrote, silently. The binary form and gRPC
 * clients cannot say such a date; Connect JSON (curl, browsers) can. So
 * before Connect decodes a JSON request, its message is walked along the
 * method's input descriptor and every Timestamp string is checked here.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { isRealDateTime } from "../values/timestamp.js";

/** How deep the walk follows nested messages; deeper JSON is refused by the documents' own depth limit anyway. */
const JSON_WALK_DEPTH_MAX = 64;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** Why a Timestamp's text names no real instant, or undefined (text that is not RFC 3339 at all is Connect's to refuse). */
export function impossibleDateTime(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const offsetOk = m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  if (isRealDateTime(year, month, day, hour, minute, second) && offsetOk) return undefined;
  return `${JSON.stringify(text)} is not a real date and time`;
}

/** The first impossible Timestamp in a JSON request message, as "field.path: why", or undefined. */
export function jsonTimestampProblem(desc: DescMessage, json: unknown, path = "", depth = 0): string | undefined {
  if (json === null || typeof json !== "object" || Array.isArray(json) || depth > JSON_WALK_DEPTH_MAX) return undefined;
  const obj = json as Record<string, unknown>;
  for (const field of desc.fields) {
    const value = Object.hasOwn(obj, field.jsonName) ? obj[field.jsonName] : Object.hasOwn(obj, field.name) ? obj[field.name] : undefined;
    if (value === undefined || value === null) continue;
    const at = path === "" ? field.name : `${path}.${field.name}`;
    let problem: string | undefined;
    if (field.fieldKind === "message") problem = messageProblem(field.message, value, at, depth);
    else if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(value)) {
      for (const [i, item] of value.entries()) if ((problem = messageProblem(field.message, item, `${at}[${i}]`, depth)) !== undefined) break;
    } else if (field.fieldKind === "map" && field.mapKind === "message" && typeof value === "object") {
      for (const [k, item] of Object.entries(value as Record<string, unknown>)) if ((problem = messageProblem(field.message, item, `${at}.${k}`, depth)) !== undefined) break;
    }
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function messageProblem(desc: DescMessage, value: unknown, at: string, depth: number): string | undefined {
  if (desc.typeName === "google.protobuf.Timestamp") {
    const why = typeof value === "string" ? impossibleDateTime(value) : undefined;
    return why === undefined ? undefined : `${at}: ${why}`;
  }
  return jsonTimestampProblem(desc, value, at, depth + 1);
}

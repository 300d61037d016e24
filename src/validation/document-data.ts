/**
 * Checks a document's fields against the document limits and encodes them
 * as the JSON text that is stored.
 *
 * The walk is iterative with an explicit stack, so a hostile, deeply nested
 * document cannot overflow the call stack before the depth check refuses it.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import {
  DOCUMENT_BYTES_MAX,
  DOCUMENT_DEPTH_MAX,
  DOCUMENT_FIELDS_MAX,
  FIELD_NAME_BYTES_MAX,
} from "../limits.js";
import type { Failure } from "../errors.js";
import { failure } from "../errors.js";

/** A document's data, checked and encoded. */
export interface EncodedDocument {
  readonly json: string;
  readonly bytes: number;
}

const encoder = new TextEncoder();

/** Checks `data` against every document limit and encodes it. */
export function encodeDocumentData(data: JsonObject): { ok: true; value: EncodedDocument } | Failure {
  const shape = checkShape(data);
  if (shape !== null) return shape;
  const json = JSON.stringify(data);
  const bytes = encoder.encode(json).length;
  if (bytes > DOCUMENT_BYTES_MAX) {
    return failure("resource_exhausted", `document is ${bytes} bytes, over DOCUMENT_BYTES_MAX (${DOCUMENT_BYTES_MAX})`);
  }
  return { ok: true, value: { json, bytes } };
}

function checkShape(root: JsonObject): Failure | null {
  if (!isObject(root)) return failure("invalid_argument", "document data must be a JSON object");
  const stack: Array<{ value: JsonValue; depth: number; path: string }> = [{ value: root, depth: 1, path: "" }];
  let fields = 0;
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value === "number" && !Number.isFinite(value)) {
      return failure("invalid_argument", `field ${path || "(root)"} is ${value}; numbers must be finite`);
    }
    if (value === null || typeof value !== "object") continue;
    if (depth > DOCUMENT_DEPTH_MAX) {
      return failure("invalid_argument", `field ${path} nests deeper than DOCUMENT_DEPTH_MAX (${DOCUMENT_DEPTH_MAX})`);
    }
    const entries: Array<[string, JsonValue]> = Array.isArray(value)
      ? value.map((v, i) => [String(i), v])
      : Object.entries(value);
    fields += entries.length;
    if (fields > DOCUMENT_FIELDS_MAX) {
      return failure("resource_exhausted", `document has more than DOCUMENT_FIELDS_MAX (${DOCUMENT_FIELDS_MAX}) fields`);
    }
    for (const [key, child] of entries) {
      if (!Array.isArray(value)) {
        const keyFailure = checkKey(key, path);
        if (keyFailure !== null) return keyFailure;
      }
      stack.push({ value: child, depth: depth + 1, path: path === "" ? key : `${path}.${key}` });
    }
  }
  return null;
}

function checkKey(key: string, parent: string): Failure | null {
  const where = parent === "" ? "at the top level" : `under ${parent}`;
  if (key.length === 0) return failure("invalid_argument", `empty field name ${where}`);
  if (encoder.encode(key).length > FIELD_NAME_BYTES_MAX) {
    return failure("invalid_argument", `field name ${where} is over FIELD_NAME_BYTES_MAX (${FIELD_NAME_BYTES_MAX}) bytes`);
  }
  return null;
}

/** True for a JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

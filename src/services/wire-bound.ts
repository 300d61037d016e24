/**
 * Upper bounds on the binary protobuf size of the messages a batch get
 * answers with, computed by one plain walk of the document's JSON instead
 * of encoding it. A response that fits its budget by these bounds needs no
 * encoding to check it (response-budget.ts `fittingPrefix`), so a batch of
 * small documents is encoded once, by Connect, instead of twice.
 *
 * Every length-delimited field costs at most 6 bytes of framing (a 1-byte
 * tag, a length varint of at most 5 bytes); a string at most 3 UTF-8 bytes
 * per UTF-16 unit; a google.protobuf.Value at most 9 bytes for a number
 * (tag + double) and 2 for a bool or null. An int64 is at most 11 bytes
 * with its tag, a Timestamp at most 6 + 11 + 11. Documents with typed
 * values (`fields` set) are not bounded here: the caller measures them.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { BatchGetResult } from "../../gen/impossibledb/v1/collection_service_pb.js";
import type { Document } from "../../gen/impossibledb/v1/document_pb.js";

/** Framing of one length-delimited field: tag and length varint. */
const FRAME_BYTES_MAX = 6;
/** A string field's bytes at most: framing plus 3 UTF-8 bytes per UTF-16 unit. */
const stringBytesMax = (s: string) => FRAME_BYTES_MAX + 3 * s.length;
/** An int64 field with its tag. */
const INT64_BYTES_MAX = 11;
/** A Timestamp field: framing, seconds (int64) and nanos (int32, never negative). */
const TIMESTAMP_BYTES_MAX = FRAME_BYTES_MAX + INT64_BYTES_MAX + 11;
/** A bool field with its tag. */
const BOOL_BYTES_MAX = 2;

/** A google.protobuf.Value holding `value`, with the framing of the field that holds it. */
function valueBytesMax(value: JsonValue, depth: number): number {
  if (depth > 64) throw new Error("invariant broken: stored documents nest within DOCUMENT_DEPTH_MAX");
  if (value === null || typeof value === "boolean") return FRAME_BYTES_MAX + 2;
  if (typeof value === "number") return FRAME_BYTES_MAX + 9;
  if (typeof value === "string") return FRAME_BYTES_MAX + stringBytesMax(value);
  if (Array.isArray(value)) {
    let bytes = 2 * FRAME_BYTES_MAX; // Value.list_value, then ListValue
    for (const element of value) bytes += valueBytesMax(element, depth + 1);
    return bytes;
  }
  return FRAME_BYTES_MAX + FRAME_BYTES_MAX + structEntriesBytesMax(value, depth + 1); // Value.struct_value, then Struct
}

/** A Struct's map entries: each an entry frame, its key and its Value. */
function structEntriesBytesMax(object: { [key: string]: JsonValue }, depth: number): number {
  let bytes = 0;
  for (const key in object) bytes += FRAME_BYTES_MAX + stringBytesMax(key) + valueBytesMax(object[key]!, depth);
  return bytes;
}

/** At least the encoded size of `doc` as a field (with its framing); null when it has typed `fields`. */
export function documentBytesMax(doc: Document): number | null {
  if (Object.keys(doc.fields).length > 0) return null;
  return (
    FRAME_BYTES_MAX +
    stringBytesMax(doc.collection) +
    stringBytesMax(doc.id) +
    (doc.data === undefined ? 0 : FRAME_BYTES_MAX + structEntriesBytesMax(doc.data, 1)) +
    INT64_BYTES_MAX +
    2 * TIMESTAMP_BYTES_MAX
  );
}

/** At least the encoded size of one BatchGetResult; null when its document has typed `fields`. */
export function batchGetResultBytesMax(result: BatchGetResult): number | null {
  const ref = result.ref === undefined ? 0 : FRAME_BYTES_MAX + stringBytesMax(result.ref.collection) + stringBytesMax(result.ref.id);
  const document = result.document === undefined ? 0 : documentBytesMax(result.document);
  return document === null ? null : ref + document + BOOL_BYTES_MAX;
}

/**
 * DOCUMENT_WIRE_BYTES_MAX bounds the binary protobuf size of any document
 * the server accepts, so that one document always fits a response
 * (RESPONSE_BYTES_MAX). Struct encoding is larger than JSON for many small
 * fields (a number takes 9 bytes against JSON's 1 or 2), so the worst cases
 * are documents with the most fields, padded to the size limit.
 */
import { create, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { DocumentSchema } from "../../gen/impossibledb/v1/document_pb.js";
import { DOCUMENT_BYTES_MAX, DOCUMENT_FIELDS_MAX, DOCUMENT_WIRE_BYTES_MAX, RESPONSE_BYTES_MAX } from "../../src/limits.js";
import { encodeDocumentData } from "../../src/validation/document-data.js";

/** Pads `data` with a string field so its JSON is just under DOCUMENT_BYTES_MAX. */
function padded(data: JsonObject): JsonObject {
  const bytes = new TextEncoder().encode(JSON.stringify({ ...data, pad: "" })).length;
  return { ...data, pad: "p".repeat(DOCUMENT_BYTES_MAX - bytes) };
}

function wireBytes(data: JsonObject): number {
  const accepted = encodeDocumentData(data);
  expect(accepted.ok, JSON.stringify(accepted).slice(0, 200)).toBe(true);
  const doc = create(DocumentSchema, {
    collection: "c".repeat(128),
    id: "i".repeat(256),
    data,
    version: 2n ** 62n,
    createTime: timestampFromMs(4_000_000_000_000),
    updateTime: timestampFromMs(4_000_000_000_000),
  });
  return toBinary(DocumentSchema, doc).length;
}

const fields = DOCUMENT_FIELDS_MAX - 2; // the array (or map) itself and the pad take one field each

describe("DOCUMENT_WIRE_BYTES_MAX", () => {
  const cases: Record<string, JsonObject> = {
    "an array of numbers": padded({ a: Array.from({ length: fields }, (_, i) => i + 0.5) }),
    "a map of numbers": padded({ m: Object.fromEntries(Array.from({ length: fields }, (_, i) => [`k${i}`, 1.5])) }),
    "an array of empty maps": padded({ a: Array.from({ length: fields }, () => ({})) }),
    "an array of nulls": padded({ a: Array.from({ length: fields }, () => null) }),
    "an array of booleans": padded({ a: Array.from({ length: fields }, () => true) }),
    "one big string": padded({}),
  };
  for (const [name, data] of Object.entries(cases)) {
    it(`bounds ${name} at the size limit`, () => {
      const bytes = wireBytes(data);
      expect(bytes).toBeLessThanOrEqual(DOCUMENT_WIRE_BYTES_MAX);
    });
  }

  it("fits in one response", () => {
    expect(DOCUMENT_WIRE_BYTES_MAX).toBeLessThanOrEqual(RESPONSE_BYTES_MAX);
  });
});

/**
 * The size bounds that let a batch get skip measuring its results
 * (services/wire-bound.ts) must never be below the real encoding, or a
 * response could pass RESPONSE_BYTES_MAX; and fittingPrefix must take the
 * same prefix with them as measuring every result.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { create, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { BatchGetResultSchema, type BatchGetResult } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { DocumentSchema } from "../../../gen/impossibledb/v1/document_pb.js";
import { batchGetResultBytesMax } from "../../../src/services/wire-bound.js";
import { fittingPrefix } from "../../../src/services/response-budget.js";

const json: fc.Arbitrary<JsonObject> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 5 }),
    tie("object"),
  ),
  object: fc.dictionary(fc.string({ unit: "binary", minLength: 1, maxLength: 12 }), tie("value"), { maxKeys: 6 }),
})).object as fc.Arbitrary<JsonObject>;

const result = fc.record({ data: json, id: fc.string({ minLength: 1, maxLength: 30 }), found: fc.boolean(), version: fc.bigInt({ min: 0n, max: (1n << 62n) }), ms: fc.integer({ min: 0, max: 4_102_444_800_000 }) }).map(
  ({ data, id, found, version, ms }): BatchGetResult =>
    create(BatchGetResultSchema, {
      ref: { collection: "things", id },
      found,
      document: found ? create(DocumentSchema, { collection: "things", id, data, version, createTime: timestampFromMs(ms), updateTime: timestampFromMs(ms) }) : undefined,
    }),
);

describe("batch get size bounds", () => {
  it("are at least the encoded size of every result", () => {
    fc.assert(
      fc.property(result, (r) => {
        const bound = batchGetResultBytesMax(r);
        expect(bound).not.toBeNull();
        expect(bound!).toBeGreaterThanOrEqual(toBinary(BatchGetResultSchema, r).length);
      }),
      { numRuns: 500 },
    );
  });

  it("leave fittingPrefix's answer as measuring every result would", () => {
    fc.assert(
      fc.property(fc.array(result, { maxLength: 30 }), fc.integer({ min: 1, max: 4_000 }), (results, bytesMax) => {
        const exact = fittingPrefix(results, BatchGetResultSchema, (r) => r, bytesMax);
        const bounded = fittingPrefix(results, BatchGetResultSchema, (r) => r, bytesMax, batchGetResultBytesMax);
        expect(bounded.length).toBe(exact.length);
      }),
      { numRuns: 300 },
    );
  });

  it("are not given for a document with typed fields, which is then measured", () => {
    const typed = create(BatchGetResultSchema, {
      ref: { collection: "things", id: "a" },
      found: true,
      document: create(DocumentSchema, { collection: "things", id: "a", fields: { n: { kind: { case: "integerValue", value: 5n } } } }),
    });
    expect(batchGetResultBytesMax(typed)).toBeNull();
  });
});

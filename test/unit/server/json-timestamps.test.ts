/** The JSON guard against impossible timestamps (src/server/json-timestamps.ts). */
import { describe, expect, it } from "vitest";
import { SetDocumentRequestSchema } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { impossibleDateTime, jsonTimestampProblem } from "../../../src/server/json-timestamps.js";

describe("impossible timestamps in JSON requests", () => {
  it("knows real dates and times from ones Date.parse would roll over", () => {
    for (const ok of ["2024-02-29T00:00:00Z", "2026-12-31T23:59:59.999999999Z", "0001-01-01T00:00:00Z", "2026-11-30T15:04:05+14:00", "not a date"]) expect(impossibleDateTime(ok), ok).toBeUndefined();
    for (const bad of ["2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T23:60:00Z", "2026-11-30T23:59:60Z", "2026-11-30T00:00:00+24:00"]) {
      expect(impossibleDateTime(bad), bad).toMatch(/not a real date and time/);
    }
  });

  it("finds them at any depth of typed values, by the method's descriptor", () => {
    const deep = { ref: { collection: "c", id: "d" }, fields: { m: { mapValue: { fields: { list: { arrayValue: { values: [{ stringValue: "2026-02-30T00:00:00Z" }, { timestampValue: "2026-02-30T00:00:00Z" }] } } } } } } };
    expect(jsonTimestampProblem(SetDocumentRequestSchema, deep)).toBe('fields.m.map_value.fields.list.array_value.values[1].timestamp_value: "2026-02-30T00:00:00Z" is not a real date and time');
    // A string that merely looks like a date is a string, and Struct data is not a Timestamp.
    expect(jsonTimestampProblem(SetDocumentRequestSchema, { data: { at: "2026-02-30T00:00:00Z" }, fields: { s: { stringValue: "2026-02-30T00:00:00Z" } } })).toBeUndefined();
  });
});

/**
 * A call that writes one document twice is refused INVALID_ARGUMENT naming
 * the second write, and what carries the writes: the SDKs refuse the same
 * write in the same words when it is added (src/services/convert.ts).
 */
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { WriteSchema } from "../../../gen/impossibledb/v1/document_pb.js";
import { shardWritesFrom } from "../../../src/services/convert.js";

const set = (collection: string, id: string) => create(WriteSchema, { ref: { collection, id }, operation: { case: "set", value: {} } });

describe("writes of one document twice", () => {
  it("are refused naming the second write, for a batch", () => {
    expect(() => shardWritesFrom([set("c", "a"), set("c", "b"), set("c", "a")], "writes")).toThrow("writes[2] writes c/a again; a batch may write each document once");
  });

  it("are refused as a transaction's when a transaction's Commit carries them (it said 'a batch')", () => {
    expect(() => shardWritesFrom([set("c", "a"), set("c", "a")], "writes", 1_000_000, "TX_BYTES_MAX", "a transaction")).toThrow("writes[1] writes c/a again; a transaction may write each document once");
  });

  it("are not a document of another collection with the same id", () => {
    expect(shardWritesFrom([set("c", "a"), set("d", "a")], "writes")).toHaveLength(2);
  });
});

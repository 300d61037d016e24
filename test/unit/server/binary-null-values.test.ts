/** The binary guard against unknown NullValue numbers in Struct data (src/server/binary-null-values.ts). */
import { describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StructSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { GetDocumentRequestSchema, SetDocumentRequestSchema } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { CommitBatchRequestSchema } from "../../../gen/impossibledb/v1/transaction_service_pb.js";
import { binaryNullValueProblem } from "../../../src/server/binary-null-values.js";

/** A Struct `{ outer: { list: [1, <null_value nullNumber>] } }`, in binary. */
function structBytes(nullNumber: number): Uint8Array {
  const odd = create(ValueSchema, { kind: { case: "nullValue", value: nullNumber as never } });
  const list = create(ValueSchema, { kind: { case: "listValue", value: { values: [create(ValueSchema, { kind: { case: "numberValue", value: 1 } }), odd] } } });
  const inner = create(StructSchema, { fields: { list } });
  return toBinary(StructSchema, create(StructSchema, { fields: { outer: create(ValueSchema, { kind: { case: "structValue", value: inner } }) } }));
}

/** A SetDocumentRequest whose `data` (field 2, a Struct) is `struct`; protobuf-es cannot build one itself, its `data` being a JSON object. */
function setDocumentBytes(struct: Uint8Array): Uint8Array {
  const head = toBinary(SetDocumentRequestSchema, create(SetDocumentRequestSchema, { ref: { collection: "c", id: "d" } }));
  const data = new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(struct).finish();
  return new Uint8Array([...head, ...data]);
}

describe("unknown NullValue numbers in binary Struct data", () => {
  it("are found at any depth, though protobuf-es parses them as null", () => {
    const bytes = setDocumentBytes(structBytes(5));
    // What the services would see: a plain null, the 5 gone.
    expect(fromBinary(SetDocumentRequestSchema, bytes).data).toEqual({ outer: { list: [1, null] } });
    expect(binaryNullValueProblem(SetDocumentRequestSchema, bytes)).toBe(
      "data.fields.outer.struct_value.fields.list.list_value.values[1].null_value is 5, not a NullValue; only NULL_VALUE (0) is one",
    );
  });

  it("let NULL_VALUE and requests without Struct data through", () => {
    expect(binaryNullValueProblem(SetDocumentRequestSchema, setDocumentBytes(structBytes(0)))).toBeUndefined();
    expect(binaryNullValueProblem(GetDocumentRequestSchema, toBinary(GetDocumentRequestSchema, create(GetDocumentRequestSchema, { ref: { collection: "c", id: "d" } })))).toBeUndefined();
  });

  it("are found inside a batch's writes", () => {
    // A Write's `set` (a Struct) inside CommitBatchRequest.writes.
    const setField = CommitBatchRequestSchema.fields.find((f) => f.name === "writes")!;
    const writeDesc = setField.message!;
    const setNo = writeDesc.fields.find((f) => f.name === "set")!.number;
    const writeBytes = new BinaryWriter().tag(setNo, WireType.LengthDelimited).bytes(structBytes(7)).finish();
    const request = new BinaryWriter().tag(setField.number, WireType.LengthDelimited).bytes(writeBytes).finish();
    expect(() => fromBinary(CommitBatchRequestSchema, request)).not.toThrow();
    expect(binaryNullValueProblem(CommitBatchRequestSchema, request)).toMatch(/^writes\[0\]\.set\.fields\.outer\..*null_value is 7, not a NullValue/);
  });
});

/**
 * The typed form (`fields`, impossibledb.v1.Value) and the JSON form
 * (`data`) of one document obey the same documented rules, end to end:
 * nesting counted one level per map or array in both, int64s in Connect
 * JSON read exactly as written or refused, unknown NullValue numbers
 * refused, and maximum/minimum keeping an integer field an integer as
 * increment does (a new user's findings).
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { StructSchema, ValueSchema as WireValueSchema } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { CollectionService, SetDocumentRequestSchema } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { ValueSchema, type Value } from "../../gen/impossibledb/v1/document_pb.js";
import { DOCUMENT_DEPTH_MAX } from "../../src/limits.js";
import { connectClient, expectCode, rawFetch } from "./helpers.js";

const db = connectClient(CollectionService);

const typed = (kind: MessageInitShape<typeof ValueSchema>["kind"]): Value => create(ValueSchema, { kind } as MessageInitShape<typeof ValueSchema>);

/** `maps` maps nested under one field, in the JSON form: the innermost at level maps + 1 (the document is level 1). */
function jsonMaps(maps: number): Record<string, unknown> {
  let node: unknown = "leaf";
  for (let i = 0; i < maps; i++) node = { x: node };
  return { a: node };
}

/** The same document in the typed form, with an integer leaf. */
function typedMaps(maps: number): { [key: string]: Value } {
  let node = typed({ case: "integerValue", value: 1n });
  for (let i = 0; i < maps; i++) node = typed({ case: "mapValue", value: { fields: { x: node } } });
  return { a: node };
}

/** `arrays` arrays nested under one field, in the typed form. */
function typedArrays(arrays: number): { [key: string]: Value } {
  let node = typed({ case: "integerValue", value: 1n });
  for (let i = 0; i < arrays; i++) node = typed({ case: "arrayValue", value: { values: [node] } });
  return { a: node };
}

function jsonArrays(arrays: number): Record<string, unknown> {
  let node: unknown = 1;
  for (let i = 0; i < arrays; i++) node = [node];
  return { a: node };
}

async function postJson(method: string, body: unknown): Promise<{ status: number; json: { code?: string; message?: string; document?: { fields?: Record<string, unknown> } } }> {
  const res = await rawFetch(`/impossibledb.v1.CollectionService/${method}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as never };
}

describe("nesting depth is counted the same in both forms", () => {
  // The document is level 1, so DOCUMENT_DEPTH_MAX - 1 maps (or arrays) fit under a field.
  const fit = DOCUMENT_DEPTH_MAX - 1;

  it("takes maps and arrays up to the limit in either form, and refuses one more in either", async () => {
    await db.setDocument({ ref: { collection: "depth", id: "json-maps" }, data: jsonMaps(fit) as never });
    await db.setDocument({ ref: { collection: "depth", id: "typed-maps" }, fields: typedMaps(fit) });
    await db.setDocument({ ref: { collection: "depth", id: "json-arrays" }, data: jsonArrays(fit) as never });
    await db.setDocument({ ref: { collection: "depth", id: "typed-arrays" }, fields: typedArrays(fit) });
    await expectCode(db.setDocument({ ref: { collection: "depth", id: "json-maps-over" }, data: jsonMaps(fit + 1) as never }), Code.InvalidArgument, /DOCUMENT_DEPTH_MAX \(20\)/);
    await expectCode(db.setDocument({ ref: { collection: "depth", id: "typed-maps-over" }, fields: typedMaps(fit + 1) }), Code.InvalidArgument, /fields\.a(\.x)+ nests deeper than DOCUMENT_DEPTH_MAX \(20\)/);
    await expectCode(db.setDocument({ ref: { collection: "depth", id: "json-arrays-over" }, data: jsonArrays(fit + 1) as never }), Code.InvalidArgument, /DOCUMENT_DEPTH_MAX \(20\)/);
    await expectCode(db.setDocument({ ref: { collection: "depth", id: "typed-arrays-over" }, fields: typedArrays(fit + 1) }), Code.InvalidArgument, /nests deeper than DOCUMENT_DEPTH_MAX \(20\)/);
    const stored = await db.getDocument({ ref: { collection: "depth", id: "typed-maps" } });
    expect(stored.document!.fields).toEqual(typedMaps(fit));
  });

  it("writes back, as fields, a deep JSON document that gained a typed value", async () => {
    const ref = { collection: "depth", id: "round-trip" };
    await db.setDocument({ ref, data: jsonMaps(fit) as never });
    await db.updateDocument({ ref, patch: {}, transforms: [{ fieldPath: "at", transformType: { case: "typedServerTimestamp", value: {} } }] });
    const read = (await db.getDocument({ ref })).document!;
    expect(read.fields["at"]!.kind.case).toBe("timestampValue");
    // What a client (or the CLI's import) sends back is the typed form it read.
    await db.setDocument({ ref: { collection: "depth", id: "round-trip-copy" }, fields: read.fields });
    expect((await db.getDocument({ ref: { collection: "depth", id: "round-trip-copy" } })).document!.fields).toEqual(read.fields);
  });
});

describe("int64 in Connect JSON is read exactly as written, or refused", () => {
  const set = (id: string, integerValue: unknown) => postJson("SetDocument", { ref: { collection: "int64", id }, fields: { n: { integerValue } } });

  it("refuses integer text that is not decimal, naming the field", async () => {
    for (const text of ["0x10", "01", "0b1", "0o7", " 1", "1e3", "+1"]) {
      const res = await set("hex", text);
      expect(res.status, text).toBe(400);
      expect(res.json.code, text).toBe("invalid_argument");
      expect(res.json.message, text).toMatch(/fields\.n\.integer_value: .* is not a decimal integer/);
    }
    expect((await postJson("GetDocument", { ref: { collection: "int64", id: "hex" } })).json.code).toBe("not_found");
  });

  it("refuses an unquoted number past 2^53 instead of rounding it, and stores the quoted one exactly", async () => {
    for (const body of ['{"ref":{"collection":"int64","id":"big"},"fields":{"n":{"integerValue":9007199254740993}}}', '{"ref":{"collection":"int64","id":"big"},"fields":{"n":{"integerValue":9223372036854775807}}}']) {
      const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", { method: "POST", headers: { "Content-Type": "application/json" }, body });
      const json = (await res.json()) as { code: string; message: string };
      expect(json.code).toBe("invalid_argument");
      expect(json.message).toMatch(/fields\.n\.integer_value: \d+ is a JSON number beyond 2\^53 - 1.*send a 64-bit integer as a decimal string/);
    }
    expect((await set("safe", 9007199254740991)).status).toBe(200);
    const quoted = await set("big", "9007199254740993");
    expect(quoted.json.document!.fields!["n"]).toEqual({ integerValue: "9007199254740993" });
  });

  it("holds the contract's other int64s to the same rule (a precondition's version)", async () => {
    await set("v", "1");
    for (const version of ["0x1", 9007199254740993]) {
      const res = await postJson("SetDocument", { ref: { collection: "int64", id: "v" }, data: {}, precondition: { version } });
      expect(res.json.code, String(version)).toBe("invalid_argument");
      expect(res.json.message).toMatch(/precondition\.version: /);
    }
  });

  it("names an unquoted number past 2^53 as the client sent it, not as JSON parsing rounded it", async () => {
    const body = '{"ref":{"collection":"int64","id":"big"},"fields":{"n":{"integerValue":9007199254740993}}}';
    const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", { method: "POST", headers: { "Content-Type": "application/json" }, body });
    const json = (await res.json()) as { code: string; message: string };
    expect(json.code).toBe("invalid_argument");
    expect(json.message).toMatch(/fields\.n\.integer_value: 9007199254740993 is a JSON number beyond 2\^53 - 1, which JSON cannot carry exactly \(JSON parsing rounded it to 9007199254740992\)/);
  });
});

describe("int32s in Connect JSON", () => {
  const runQuery = async (body: unknown): Promise<{ status: number; json: { code?: string; message?: string; documents?: unknown[] } }> => {
    const res = await rawFetch("/impossibledb.v1.QueryService/RunQuery", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as never };
  };

  it("refuses text that is not decimal in RunQuery's limit and ListDocuments' page_size, naming the field, instead of reading 0x10 as 16", async () => {
    for (let i = 0; i < 20; i++) await postJson("SetDocument", { ref: { collection: "int32", id: `i${i}` }, data: { i } });
    for (const limit of ["0x10", "01", "1e1", "0b11"]) {
      const res = await runQuery({ query: { collection: "int32", limit } });
      expect(res.status, limit).toBe(400);
      expect(res.json.code, limit).toBe("invalid_argument");
      expect(res.json.message, limit).toMatch(/query\.limit: ".*" is not a decimal integer/);
    }
    const page = await postJson("ListDocuments", { collection: "int32", pageSize: "0x3" });
    expect(page.json.code).toBe("invalid_argument");
    expect(page.json.message).toMatch(/page_size: "0x3" is not a decimal integer/);
    const ok = await runQuery({ query: { collection: "int32", limit: "16" } });
    expect(ok.json.documents).toHaveLength(16);
  });
});

describe("unknown enum numbers", () => {
  it("refuses a typed null_value other than NULL_VALUE in a binary request", async () => {
    const body = toBinary(SetDocumentRequestSchema, create(SetDocumentRequestSchema, { ref: { collection: "enum", id: "n" }, fields: { t: typed({ case: "nullValue", value: 5 as never }) } }));
    const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", { method: "POST", headers: { "Content-Type": "application/proto" }, body });
    expect(res.status).toBe(400);
    const binaryDb = connectClient(CollectionService, { binary: true });
    await expectCode(
      binaryDb.setDocument({ ref: { collection: "enum", id: "n" }, fields: { t: typed({ case: "nullValue", value: 5 as never }) } }),
      Code.InvalidArgument,
      /fields\.t\.null_value is 5, not a NullValue/,
    );
    expect((await db.batchGetDocuments({ refs: [{ collection: "enum", id: "n" }] })).results[0]!.found).toBe(false);
  });

  it("refuses one in binary Struct data too, which protobuf-es would read as null", async () => {
    const odd = create(WireValueSchema, { kind: { case: "nullValue", value: 5 as never } });
    const struct = toBinary(StructSchema, create(StructSchema, { fields: { t: odd } }));
    const head = toBinary(SetDocumentRequestSchema, create(SetDocumentRequestSchema, { ref: { collection: "enum", id: "s" } }));
    // SetDocumentRequest.data is field 2; protobuf-es cannot build this request itself (its `data` is a JSON object).
    const body = new Uint8Array([...head, ...new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(struct).finish()]);
    const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", { method: "POST", headers: { "Content-Type": "application/proto" }, body });
    expect(res.status).toBe(400);
    expect(decodeURIComponent(res.headers.get("grpc-message") ?? "") + (await res.text())).toMatch(/data\.fields\.t\.null_value is 5, not a NullValue/);
    expect((await db.batchGetDocuments({ refs: [{ collection: "enum", id: "s" }] })).results[0]!.found).toBe(false);
  });

  it("refuses one in a filter operand too", async () => {
    const { QueryService } = await import("../../gen/impossibledb/v1/query_service_pb.js");
    const q = connectClient(QueryService, { binary: true });
    const operand = create(WireValueSchema, { kind: { case: "nullValue", value: 5 as never } });
    await expectCode(
      q.runQuery({ query: { collection: "enum", where: { filterType: { case: "fieldFilter", value: { field: "t", op: 1, value: operand } } } } }),
      Code.InvalidArgument,
      /null_value is 5, not a NullValue/,
    );
  });
});

describe("maximum and minimum keep an integer field an integer, as increment does", () => {
  it("stores a whole JSON-form operand that wins as an integer", async () => {
    const ref = { collection: "extremes", id: "n" };
    await db.setDocument({ ref, fields: { hi: typed({ case: "integerValue", value: 5n }), lo: typed({ case: "integerValue", value: 5n }) } });
    const num = (n: number) => create(WireValueSchema, { kind: { case: "numberValue", value: n } });
    const res = await db.updateDocument({
      ref,
      patch: {},
      transforms: [
        { fieldPath: "hi", transformType: { case: "maximum", value: num(10) } },
        { fieldPath: "lo", transformType: { case: "minimum", value: num(-3) } },
      ],
    });
    expect(res.document!.fields["hi"]).toEqual(typed({ case: "integerValue", value: 10n }));
    expect(res.document!.fields["lo"]).toEqual(typed({ case: "integerValue", value: -3n }));
  });
});

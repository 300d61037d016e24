import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { create, toBinary } from "@bufbuild/protobuf";
import { AdminService, CreateIndexRequestSchema, type IndexField_Direction } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService, GetDocumentRequestSchema } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { toBase64Url } from "../../src/pagination/page-token.js";
import { DOCUMENT_BYTES_MAX, DOCUMENT_DEPTH_MAX, DOCUMENT_FIELDS_MAX, REQUEST_BYTES_MAX } from "../../src/limits.js";
import { connectClient, expectCode, rawFetch } from "./helpers.js";

const db = connectClient(CollectionService);
const binaryDb = connectClient(CollectionService, { binary: true });

async function expectAbsent(collection: string, id: string): Promise<void> {
  const res = await db.batchGetDocuments({ refs: [{ collection, id }] });
  expect(res.results[0]!.found).toBe(false);
}

function nested(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) node = { n: node };
  return node;
}

async function postJson(method: string, body: string, service = "CollectionService"): Promise<{ status: number; code: string; message: string }> {
  const res = await rawFetch(`/impossibledb.v1.${service}/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  const json = (await res.json()) as { code: string; message: string };
  return { status: res.status, ...json };
}

describe("limits and bad input", () => {
  it("an oversized document is ResourceExhausted and stores nothing", async () => {
    const big = { blob: "x".repeat(DOCUMENT_BYTES_MAX) };
    await expectCode(db.setDocument({ ref: { collection: "lim", id: "big" }, data: big }), Code.ResourceExhausted, /DOCUMENT_BYTES_MAX/);
    await expectAbsent("lim", "big");
  });

  it("a document just under the size limit is stored whole", async () => {
    const blob = "y".repeat(DOCUMENT_BYTES_MAX - 20);
    await db.setDocument({ ref: { collection: "lim", id: "fits" }, data: { blob } });
    expect((await db.getDocument({ ref: { collection: "lim", id: "fits" } })).document!.data).toEqual({ blob });
  });

  it("an update that would grow a document past the limit changes nothing", async () => {
    const half = "z".repeat(DOCUMENT_BYTES_MAX / 2 + 10);
    const before = (await db.setDocument({ ref: { collection: "lim", id: "grow" }, data: { a: half } })).document!;
    await expectCode(db.updateDocument({ ref: { collection: "lim", id: "grow" }, patch: { data: { b: half } } }), Code.ResourceExhausted);
    expect((await db.getDocument({ ref: { collection: "lim", id: "grow" } })).document).toEqual(before);
  });

  it("nesting deeper than the limit is InvalidArgument", async () => {
    await db.setDocument({ ref: { collection: "lim", id: "deep-ok" }, data: nested(DOCUMENT_DEPTH_MAX) as never });
    await expectCode(
      db.setDocument({ ref: { collection: "lim", id: "deep" }, data: nested(DOCUMENT_DEPTH_MAX + 1) as never }),
      Code.InvalidArgument,
      /DOCUMENT_DEPTH_MAX/,
    );
    await expectAbsent("lim", "deep");
  });

  it("too many fields is ResourceExhausted", async () => {
    const data = Object.fromEntries(Array.from({ length: DOCUMENT_FIELDS_MAX + 1 }, (_, i) => [`f${i}`, i]));
    await expectCode(db.setDocument({ ref: { collection: "lim", id: "wide" }, data }), Code.ResourceExhausted, /DOCUMENT_FIELDS_MAX/);
    await expectAbsent("lim", "wide");
  });

  it.each([
    ["empty id", "users", ""],
    ["slash in id", "users", "a/b"],
    ["dot-leading id", "users", ".."],
    ["space in id", "users", "a b"],
    ["non-ASCII id", "users", "ключ"],
    ["SQL in id", "users", "x'; DROP TABLE documents;--"],
    ["overlong id", "users", "i".repeat(257)],
    ["digit-leading collection", "1users", "a"],
    ["reserved collection", "__system", "a"],
    ["quote in collection", "us'ers", "a"],
  ])("%s is InvalidArgument and stores nothing", async (_name, collection, id) => {
    await expectCode(db.setDocument({ ref: { collection, id }, data: { a: 1 } }), Code.InvalidArgument);
  });

  it("a non-finite number (possible in the binary encoding) is InvalidArgument", async () => {
    await expectCode(binaryDb.setDocument({ ref: { collection: "lim", id: "nan" }, data: { x: Number.NaN } }), Code.InvalidArgument, /finite/);
    await expectAbsent("lim", "nan");
  });

  it.each([
    ["a..b", /unexpected "\."/],
    ["`unterminated", /unterminated backquote/],
    ["a.\u0000", /control character/],
    ["a.1b", /starts with a letter/],
    ["$where", /unexpected "\$"/],
  ])("a hostile field path %j is InvalidArgument and says where", async (path, message) => {
    await db.setDocument({ ref: { collection: "lim", id: "masked" }, data: { a: 1 } });
    await expectCode(db.getDocument({ ref: { collection: "lim", id: "masked" }, mask: { fieldPaths: [path] } }), Code.InvalidArgument, message);
  });

  it("wrong JSON types and unknown fields are InvalidArgument", async () => {
    const wrongType = await postJson("SetDocument", JSON.stringify({ ref: "users/x", data: { a: 1 } }));
    expect([wrongType.status, wrongType.code]).toEqual([400, "invalid_argument"]);
    const unknown = await postJson("SetDocument", JSON.stringify({ ref: { collection: "lim", id: "u" }, data: {}, bogus: 1 }));
    expect([unknown.status, unknown.code]).toEqual([400, "invalid_argument"]);
    const dataNotObject = await postJson("SetDocument", JSON.stringify({ ref: { collection: "lim", id: "u" }, data: [1, 2] }));
    expect(dataNotObject.code).toBe("invalid_argument");
    const malformed = await postJson("SetDocument", "{not json");
    expect(malformed.code).toBe("invalid_argument");
    await expectAbsent("lim", "u");
  });

  it("an unknown enum value is InvalidArgument, in JSON and in binary", async () => {
    const json = await rawFetch("/impossibledb.v1.AdminService/CreateIndex", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ index: { collection: "c", fields: [{ field: "a", direction: "DIRECTION_SIDEWAYS" }] } }),
    });
    expect(((await json.json()) as { code: string }).code).toBe("invalid_argument");
    const message = create(CreateIndexRequestSchema, { index: { collection: "c", fields: [{ field: "a", direction: 99 as IndexField_Direction }] } });
    const binary = await rawFetch("/impossibledb.v1.AdminService/CreateIndex", {
      method: "POST",
      headers: { "Content-Type": "application/proto" },
      body: toBinary(CreateIndexRequestSchema, message),
    });
    expect(((await binary.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("a batch over BATCH_SIZE_MAX is refused whole", async () => {
    const writes = Array.from({ length: 501 }, (_, i) => ({
      ref: { collection: "lim", id: `b${i}` },
      operation: { case: "set" as const, value: { i } },
    }));
    await expectCode(db.batchWriteDocuments({ writes }), Code.InvalidArgument);
    await expectAbsent("lim", "b0");
  });

  it("a page size over the maximum is InvalidArgument", async () => {
    await expectCode(db.listDocuments({ collection: "lim", pageSize: 1001 }), Code.InvalidArgument);
  });

  it("a request over REQUEST_BYTES_MAX is ResourceExhausted before it is parsed", async () => {
    const body = JSON.stringify({ ref: { collection: "lim", id: "huge" }, data: { s: "h".repeat(REQUEST_BYTES_MAX) } });
    const res = await postJson("SetDocument", body);
    expect(res.code).toBe("resource_exhausted");
    await expectAbsent("lim", "huge");
  });

  it("a malformed binary message is InvalidArgument", async () => {
    const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", {
      method: "POST",
      headers: { "Content-Type": "application/proto" },
      body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    });
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("a malformed binary message in a Connect GET URL is InvalidArgument (it answered INTERNAL)", async () => {
    const get = async (rpc: string, query: string) => {
      const res = await rawFetch(`/impossibledb.v1.${rpc}?connect=v1&${query}`, { method: "GET" });
      return { status: res.status, code: ((await res.json()) as { code: string }).code };
    };
    const bad = ["encoding=proto&message=%ff%ff%ff", "encoding=proto&base64=1&message=!!!!", "encoding=proto&base64=1&message=CgH_____Dw"];
    for (const rpc of ["CollectionService/GetDocument", "CollectionService/ListDocuments", "QueryService/RunQuery", "AdminService/ListShards"]) {
      for (const query of bad) expect(await get(rpc, query), `${rpc}?${query}`).toEqual({ status: 400, code: "invalid_argument" });
    }
    // A well-formed GET still works: GetDocument of a missing document is NOT_FOUND, not a parse error.
    const message = toBase64Url(toBinary(GetDocumentRequestSchema, create(GetDocumentRequestSchema, { ref: { collection: "lim", id: "absent" } })));
    expect(await get("CollectionService/GetDocument", `encoding=proto&base64=1&message=${message}`)).toEqual({ status: 404, code: "not_found" });
  });

  it("a request message flagged compressed with no encoding is InvalidArgument in every enveloped protocol (it answered INTERNAL)", async () => {
    const message = toBinary(GetDocumentRequestSchema, create(GetDocumentRequestSchema, { ref: { collection: "lim", id: "absent" } }));
    const json = new TextEncoder().encode(JSON.stringify({ collection: "lim" }));
    const framed = (flags: number, bytes: Uint8Array) => {
      const out = new Uint8Array(5 + bytes.byteLength);
      out[0] = flags;
      new DataView(out.buffer).setUint32(1, bytes.byteLength);
      out.set(bytes, 5);
      return out;
    };
    const grpcWeb = async (flags: number) => {
      const res = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", { method: "POST", headers: { "Content-Type": "application/grpc-web+proto" }, body: framed(flags, message) });
      return res.headers.get("grpc-status") ?? new TextDecoder().decode(new Uint8Array(await res.arrayBuffer())).match(/grpc-status:\s*(\d+)/)?.[1];
    };
    expect(await grpcWeb(0x01)).toBe(String(Code.InvalidArgument));
    expect(await grpcWeb(0xff)).toBe(String(Code.InvalidArgument));
    // Connect's streaming framing, binary and JSON: the error is in the end-of-stream message.
    for (const [contentType, bytes] of [["application/connect+proto", message], ["application/connect+json", json]] as const) {
      const res = await rawFetch("/impossibledb.v1.AdminService/ExportDocuments", { method: "POST", headers: { "Content-Type": contentType }, body: framed(0x01, bytes) });
      expect(new TextDecoder().decode(new Uint8Array(await res.arrayBuffer())), contentType).toMatch(/"code":"invalid_argument"/);
    }
    // Each protocol's own header names the encoding: a Connect stream's grpc-encoding does not count.
    const res = await rawFetch("/impossibledb.v1.AdminService/ExportDocuments", { method: "POST", headers: { "Content-Type": "application/connect+json", "Grpc-Encoding": "br" }, body: framed(0x01, json) });
    expect(new TextDecoder().decode(new Uint8Array(await res.arrayBuffer()))).toMatch(/"code":"invalid_argument"/);
    // Flagged compressed with the encoding named is fine when it is gzip.
    const gz = new Uint8Array(await new Response(new Blob([message]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
    const ok = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", { method: "POST", headers: { "Content-Type": "application/grpc-web+proto", "Grpc-Encoding": "gzip" }, body: framed(0x01, gz) });
    expect(ok.headers.get("grpc-status") ?? new TextDecoder().decode(new Uint8Array(await ok.arrayBuffer())).match(/grpc-status:\s*(\d+)/)?.[1]).toBe(String(Code.NotFound));
  });

  it("an empty precondition is InvalidArgument naming the field, on every write that takes one, and writes nothing", async () => {
    const ref = { collection: "lim", id: "empty-pre" };
    const none = { condition: { case: undefined } };
    const expected = /^precondition sets no condition; give exactly one of exists and version, or leave precondition out for none$/;
    await expectCode(db.setDocument({ ref, data: { a: 1 }, precondition: none }), Code.InvalidArgument, expected);
    await expectAbsent("lim", "empty-pre");
    await db.setDocument({ ref, data: { a: 1 } });
    await expectCode(db.updateDocument({ ref, patch: { data: { a: 2 } }, precondition: none }), Code.InvalidArgument, expected);
    await expectCode(db.deleteDocument({ ref, precondition: none }), Code.InvalidArgument, expected);
    await expectCode(
      db.batchWriteDocuments({ writes: [{ ref, operation: { case: "delete", value: {} }, precondition: none }] }),
      Code.InvalidArgument,
      /writes\[0\]\.precondition sets no condition/,
    );
    // Over Connect JSON, as a new user wrote it.
    const res = await rawFetch("/impossibledb.v1.CollectionService/DeleteDocument", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"ref":{"collection":"lim","id":"empty-pre"},"precondition":{}}',
    });
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
    expect((await db.getDocument({ ref })).document!.data).toEqual({ a: 1 });
  });

  it("a JSON number too small for a double is InvalidArgument and stores nothing (1e-400 was stored as 0)", async () => {
    const refused = await postJson("SetDocument", '{"ref":{"collection":"lim","id":"tiny"},"data":{"a":1e-400}}');
    expect(refused).toEqual({ status: 400, code: "invalid_argument", message: "request message does not parse: number 1e-400 is out of range: it is too small for a double and would read as 0 (the least positive double is about 5e-324)" });
    await expectAbsent("lim", "tiny");
    // A typed double may be written as a string in protobuf JSON: it was stored as 0.
    const typed = await postJson("SetDocument", '{"ref":{"collection":"lim","id":"tiny"},"fields":{"v":{"doubleValue":"1e-400"}}}');
    expect([typed.status, typed.code]).toEqual([400, "invalid_argument"]);
    expect(typed.message).toMatch(/fields\.v\.double_value: "1e-400": number 1e-400 is out of range/);
    await expectAbsent("lim", "tiny");
    // Zero however written, and the least subnormal, are numbers.
    expect((await postJson("SetDocument", '{"ref":{"collection":"lim","id":"tiny"},"data":{"a":0e-400,"b":5e-324}}')).status).toBe(200);
    expect((await db.getDocument({ ref: { collection: "lim", id: "tiny" } })).document!.data).toEqual({ a: 0, b: 5e-324 });
  });

  it("a JSON number too large for a double is refused in one set of words, naming its path, in data, typed doubles and filters alike; 3e-324 is refused in data as in a filter", async () => {
    const tooLarge = "number 1e400 is out of range: it is too large for a double (the largest is about 1.8e308)";
    // Data said "field a is Infinity; numbers must be finite", a typed double protobuf's own words.
    expect(await postJson("SetDocument", '{"ref":{"collection":"lim","id":"huge"},"data":{"a":{"b":1e400}}}')).toEqual({
      status: 400,
      code: "invalid_argument",
      message: `request message does not parse: data.a.b: ${tooLarge}`,
    });
    const typed = await postJson("SetDocument", '{"ref":{"collection":"lim","id":"huge"},"fields":{"v":{"doubleValue":1e400}}}');
    expect([typed.status, typed.code, typed.message]).toEqual([400, "invalid_argument", `request message does not parse: fields.v.double_value: ${tooLarge}`]);
    await expectAbsent("lim", "huge");
    const filtered = await postJson("RunQuery", '{"query":{"collection":"lim","filter":"a = 1e400"}}', "QueryService");
    expect([filtered.status, filtered.code, filtered.message]).toEqual([400, "invalid_argument", `filter: ${tooLarge} at offset 4`]);
    // One rule for subnormals: a document stored 3e-324 as 5e-324, while the filter refused the literal.
    const subnormal = "number 3e-324 is out of range: it is too small for a double to hold as written (it would read as 5e-324)";
    expect((await postJson("SetDocument", '{"ref":{"collection":"lim","id":"sub"},"data":{"a":3e-324}}')).message).toBe(`request message does not parse: ${subnormal}`);
    await expectAbsent("lim", "sub");
    expect((await postJson("RunQuery", '{"query":{"collection":"lim","filter":"a = 3e-324"}}', "QueryService")).message).toBe(`filter: ${subnormal} at offset 4`);
  });

  it("precondition versions out of range are InvalidArgument", async () => {
    await expectCode(
      binaryDb.setDocument({ ref: { collection: "lim", id: "v" }, data: {}, precondition: { condition: { case: "version", value: 2n ** 60n } } }),
      Code.InvalidArgument,
      /out of range/,
    );
  });
});

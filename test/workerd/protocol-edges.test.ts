/**
 * Protocol edges a client meets before any RPC logic: every answer carries
 * its request id, and framing the Connect protocol does not allow is
 * refused with the code the protocol gives (never a misleading one), and
 * changes nothing.
 */
import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { ExportDocumentsRequestSchema } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService, SetDocumentRequestSchema } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { connectClient, rawFetch } from "./helpers.js";

const db = connectClient(CollectionService);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** One message in the 5-byte envelope of Connect streams and gRPC-Web. */
function framed(flags: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + bytes.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, bytes.byteLength);
  out.set(bytes, 5);
  return out;
}

/** The end-of-stream JSON of a Connect stream's answer (the last envelope). */
function connectEndStream(body: Uint8Array): { error?: { code: string; message: string } } {
  let offset = 0;
  for (;;) {
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    if ((body[offset]! & 0x02) !== 0) return JSON.parse(new TextDecoder().decode(body.subarray(offset + 5, offset + 5 + length))) as never;
    offset += 5 + length;
  }
}

/** The grpc-status and grpc-message of a gRPC-Web answer's trailer. */
function grpcWebTrailer(body: Uint8Array): { status: string | undefined; message: string } {
  const text = new TextDecoder().decode(body);
  return { status: /grpc-status: *(\d+)/.exec(text)?.[1], message: decodeURIComponent(/grpc-message: *([^\r\n]*)/.exec(text)?.[1] ?? "") };
}

async function exists(id: string): Promise<boolean> {
  const res = await db.batchGetDocuments({ refs: [{ collection: "edges", id }] });
  return res.results[0]!.found;
}

describe("x-request-id on every answer", () => {
  const plain: Array<[string, RequestInit]> = [
    ["/healthz", { method: "GET" }],
    ["/healthz", { method: "HEAD" }],
    ["/healthz", { method: "POST" }],
    ["/nope", { method: "GET" }],
    ["/", { method: "GET" }],
    ["/console/", { method: "GET" }],
    ["/console/nope", { method: "GET" }],
    ["/impossibledb.v1.CollectionService/GetDocument", { method: "OPTIONS", headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "POST" } }],
  ];
  for (const [path, init] of plain) {
    it(`${init.method} ${path} carries a fresh id, or the caller's`, async () => {
      const fresh = await rawFetch(path, init);
      expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      const given = await rawFetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), "x-request-id": "plain-1" } });
      expect(given.headers.get("x-request-id")).toBe("plain-1");
    });
  }
});

describe("a streaming request with HTTP Content-Encoding", () => {
  it("is UNIMPLEMENTED, naming the per-message header and the supported encodings, on Connect streams and gRPC-Web (it was a misleading RESOURCE_EXHAUSTED about a 2 GB message)", async () => {
    const message = toBinary(ExportDocumentsRequestSchema, create(ExportDocumentsRequestSchema, { collection: "edges" }));
    const connect = await rawFetch("/impossibledb.v1.AdminService/ExportDocuments", {
      method: "POST",
      headers: { "Content-Type": "application/connect+proto", "Content-Encoding": "gzip" },
      body: await gzip(framed(0, message)),
    });
    const end = connectEndStream(new Uint8Array(await connect.arrayBuffer()));
    expect(end.error?.code).toBe("unimplemented");
    expect(end.error?.message).toMatch(/Content-Encoding "gzip" is not supported on a Connect streaming request.*Connect-Content-Encoding.*supported: gzip, identity/);

    const grpcWeb = await rawFetch("/impossibledb.v1.AdminService/ExportDocuments", {
      method: "POST",
      headers: { "Content-Type": "application/grpc-web+proto", "Content-Encoding": "gzip" },
      body: await gzip(framed(0, message)),
    });
    const trailer = grpcWebTrailer(new Uint8Array(await grpcWeb.arrayBuffer()));
    expect(trailer.status).toBe("12"); // UNIMPLEMENTED
    expect(trailer.message).toMatch(/grpc-encoding.*supported: gzip, identity/);
  });

  it("changes nothing: a gRPC-Web write sent so is not applied; compressed per message, it is", async () => {
    const set = toBinary(SetDocumentRequestSchema, create(SetDocumentRequestSchema, { ref: { collection: "edges", id: "w" }, data: { n: 1 } }));
    const refused = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", {
      method: "POST",
      headers: { "Content-Type": "application/grpc-web+proto", "Content-Encoding": "gzip" },
      body: await gzip(framed(0, set)),
    });
    const refusedTrailer = grpcWebTrailer(new Uint8Array(await refused.arrayBuffer()));
    expect(refusedTrailer.status).toBe("12");
    // A unary gRPC-Web call is told what it is (it was "a streaming request").
    expect(refusedTrailer.message).toMatch(/not supported on a gRPC-Web request.*grpc-encoding/);
    expect(await exists("w")).toBe(false);
    const perMessage = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", {
      method: "POST",
      headers: { "Content-Type": "application/grpc-web+proto", "Grpc-Encoding": "gzip" },
      body: framed(0x01, await gzip(set)),
    });
    expect(grpcWebTrailer(new Uint8Array(await perMessage.arrayBuffer())).status).toBe("0");
    expect(await exists("w")).toBe(true);
    // HTTP Content-Encoding "identity" says nothing is encoded: allowed.
    const identity = await rawFetch("/impossibledb.v1.AdminService/ExportDocuments", {
      method: "POST",
      headers: { "Content-Type": "application/connect+proto", "Content-Encoding": "identity" },
      body: framed(0, toBinary(ExportDocumentsRequestSchema, create(ExportDocumentsRequestSchema, { collection: "edges" }))),
    });
    expect(connectEndStream(new Uint8Array(await identity.arrayBuffer())).error).toBeUndefined();
  });
});

describe("the Connect protocol version", () => {
  const getUrl = (query: string) => `/impossibledb.v1.CollectionService/GetDocument?${query}encoding=json&message=${encodeURIComponent(JSON.stringify({ ref: { collection: "edges", id: "absent" } }))}`;

  it("a GET with connect other than v1 is INVALID_ARGUMENT (HTTP 400) saying so; connect=v1, or none, is served", async () => {
    for (const version of ["v2", "1", "V1", ""]) {
      const res = await rawFetch(getUrl(`connect=${version}&`), { method: "GET" });
      expect(res.status, version).toBe(400);
      expect(await res.json()).toEqual({ code: "invalid_argument", message: `the query parameter connect must be "v1" (the Connect protocol's GET form), got "${version}"` });
    }
    for (const query of ["connect=v1&", ""]) {
      const res = await rawFetch(getUrl(query), { method: "GET" });
      expect(((await res.json()) as { code: string }).code, query).toBe("not_found");
    }
  });

  it("a POST with Connect-Protocol-Version other than 1 is INVALID_ARGUMENT and writes nothing; 1, or none, is served", async () => {
    const post = (id: string, version?: string) =>
      rawFetch("/impossibledb.v1.CollectionService/SetDocument", {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(version === undefined ? {} : { "Connect-Protocol-Version": version }) },
        body: JSON.stringify({ ref: { collection: "edges", id }, data: { n: 1 } }),
      });
    const refused = await post("v2", "2");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ code: "invalid_argument", message: 'the header Connect-Protocol-Version must be "1", got "2"' });
    expect(await exists("v2")).toBe(false);
    expect((await post("v1", "1")).status).toBe(200);
    expect((await post("none")).status).toBe(200);
    expect([await exists("v1"), await exists("none")]).toEqual([true, true]);
  });
});

describe("raw gRPC sent to the Worker", () => {
  it("is 415 saying where gRPC is served (it was an empty 415), with the request id and gRPC's status headers", async () => {
    for (const contentType of ["application/grpc", "application/grpc+proto"]) {
      const res = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", { method: "POST", headers: { "Content-Type": contentType }, body: new Uint8Array(5) });
      expect(res.status).toBe(415);
      expect(await res.text()).toMatch(/raw gRPC is not served on this URL.*front door.*npm start/);
      expect(res.headers.get("grpc-status")).toBe("12");
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    // gRPC-Web on the same path is still served.
    const web = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", { method: "POST", headers: { "Content-Type": "application/grpc-web+proto" }, body: new Uint8Array(5) });
    expect(web.status).toBe(200);
  });
});

import { describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  BatchGetDocumentsRequestSchema,
  BatchGetDocumentsResponseSchema,
  CollectionService,
  SetDocumentRequestSchema,
} from "../../gen/impossibledb/v1/collection_service_pb.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { connectClient, grpcWebClient, rawFetch } from "./helpers.js";

const ref = (id: string) => ({ collection: "proto", id });

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("protocols", () => {
  it("Connect JSON, Connect binary and gRPC-Web see the same documents", async () => {
    await connectClient(CollectionService).setDocument({ ref: ref("j"), data: { via: "json" } });
    await connectClient(CollectionService, { binary: true }).setDocument({ ref: ref("b"), data: { via: "binary" } });
    await grpcWebClient(CollectionService).setDocument({ ref: ref("g"), data: { via: "grpc-web" } });
    for (const client of [connectClient(CollectionService), grpcWebClient(CollectionService)]) {
      const res = await client.batchGetDocuments({ refs: [ref("j"), ref("b"), ref("g")] });
      expect(res.results.map((r) => r.document?.data)).toEqual([{ via: "json" }, { via: "binary" }, { via: "grpc-web" }]);
    }
  });

  it("server streaming works over gRPC-Web", async () => {
    const ids: string[] = [];
    for await (const batch of grpcWebClient(AdminService).exportDocuments({ collection: "proto", batchSize: 2 })) {
      ids.push(...batch.documents.map((d) => d.id));
    }
    expect(ids).toEqual(["b", "g", "j"]);
  });

  it("accepts a gzip-compressed request, and a client that accepts gzip can read the answer", async () => {
    const body = toBinary(SetDocumentRequestSchema, create(SetDocumentRequestSchema, { ref: ref("z"), data: { packed: true } }));
    const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", {
      method: "POST",
      headers: { "Content-Type": "application/proto", "Content-Encoding": "gzip" },
      body: await gzip(body),
    });
    expect(res.status).toBe(200);
    const get = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Encoding": "gzip" },
      body: JSON.stringify({ ref: ref("z") }),
    });
    expect(get.status).toBe(200);
    expect(((await get.json()) as { document: { data: unknown } }).document.data).toEqual({ packed: true });
  });

  it("an answer large enough to compress reaches a gzip-accepting client readable (never gzipped twice)", async () => {
    const refs = Array.from({ length: 20 }, (_, i) => ref(`big-${i}`));
    for (const r of refs) await connectClient(CollectionService).setDocument({ ref: r, data: { filler: "x".repeat(200) } });
    const res = await rawFetch("/impossibledb.v1.CollectionService/BatchGetDocuments", {
      method: "POST",
      headers: { "Content-Type": "application/proto", "Accept-Encoding": "gzip" },
      body: toBinary(BatchGetDocumentsRequestSchema, create(BatchGetDocumentsRequestSchema, { refs })),
    });
    expect(res.status).toBe(200);
    // fetch undoes any gzip layer the response declares; a second layer,
    // Connect's under the runtime's, would be left and fail to parse.
    const decoded = fromBinary(BatchGetDocumentsResponseSchema, new Uint8Array(await res.arrayBuffer()));
    expect(decoded.results.map((r) => r.found)).toEqual(refs.map(() => true));
  });

  it("a corrupt gzip body is InvalidArgument", async () => {
    const res = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
      body: new Uint8Array([1, 2, 3, 4]),
    });
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("answers CORS preflights and marks responses for browsers", async () => {
    const pre = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,connect-protocol-version" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(pre.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    expect(pre.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("connect-protocol-version");
    const res = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", {
      method: "POST",
      headers: { Origin: "http://localhost:5173", "Content-Type": "application/json" },
      body: JSON.stringify({ ref: ref("j") }),
    });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Expose-Headers")?.toLowerCase()).toContain("grpc-status");
  });

  it("an unknown path is 404 with a hint", async () => {
    const res = await rawFetch("/impossibledb.v1.Nope/Nothing", { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/no RPC at/);
  });
});

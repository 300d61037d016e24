/**
 * The front door forwards gRPC to the Worker's gRPC-Web: what a gRPC caller
 * sends (messages, metadata, deadline, cancellation) reaches the Worker, and
 * what the Worker answers (messages, metadata, streams, errors with details)
 * reaches the caller unchanged.
 */
import http2 from "node:http2";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { AdminService } from "../../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { DocumentRefSchema, DocumentSchema } from "../../../gen/impossibledb/v1/document_pb.js";
import { isApplicationMetadata } from "../../../frontdoor/src/metadata.js";
import { forwardedError } from "../../../frontdoor/src/forward.js";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { startRig, type Rig } from "./fake-worker.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded; it should have failed");
}

describe("front door forwarding", () => {
  it("forwards the request and answer, and application metadata both ways", async () => {
    let seenTenant: string | null = null;
    let seenContentType: string | null = null;
    rig = await startRig({
      collection: {
        getDocument(req, ctx) {
          seenTenant = ctx.requestHeader.get("x-tenant");
          seenContentType = ctx.requestHeader.get("content-type");
          ctx.responseHeader.set("x-served-by", "shard-3");
          ctx.responseTrailer.set("x-rows-read", "1");
          return { document: { collection: req.ref?.collection, id: req.ref?.id, data: { ok: true }, version: 7n } };
        },
      },
    });
    const headers: Headers[] = [];
    const trailers: Headers[] = [];
    const res = await createClient(CollectionService, rig.grpc).getDocument(
      { ref: { collection: "users", id: "u1" } },
      { headers: { "x-tenant": "acme" }, onHeader: (h) => headers.push(h), onTrailer: (t) => trailers.push(t) },
    );
    expect(res.document).toMatchObject({ collection: "users", id: "u1", data: { ok: true }, version: 7n });
    expect(seenTenant).toBe("acme");
    // The Worker got gRPC-Web, not the caller's gRPC.
    expect(seenContentType).toMatch(/^application\/grpc-web/);
    expect(headers[0]?.get("x-served-by")).toBe("shard-3");
    expect(trailers[0]?.get("x-rows-read")).toBe("1");
  });

  it("serves gRPC's JSON codec (application/grpc+json): the message guard refused every such call as a binary message that does not parse (found by the conformance suite)", async () => {
    rig = await startRig({
      collection: {
        getDocument(req) {
          return { document: { collection: req.ref?.collection, id: req.ref?.id, data: { n: 1 }, version: 3n } };
        },
      },
    });
    const json = createGrpcTransport({ baseUrl: `http://${rig.frontDoor.target}`, useBinaryFormat: false });
    const res = await createClient(CollectionService, json).getDocument({ ref: { collection: "users", id: "u2" } });
    expect(res.document).toMatchObject({ collection: "users", id: "u2", data: { n: 1 }, version: 3n });
    // JSON that does not parse is still the caller's fault.
    const bad = await rawGrpcCall(rig.frontDoor.target, "/impossibledb.v1.CollectionService/GetDocument", "application/grpc+json", new TextEncoder().encode("{not json"));
    expect(bad).toBe(String(Code.InvalidArgument));
  });

  it("gives the Worker the caller's deadline, and fails with DEADLINE_EXCEEDED when it passes", async () => {
    let seenTimeoutMs: number | undefined;
    let workerSawAbort = false;
    rig = await startRig({
      collection: {
        getDocument(_req, ctx) {
          seenTimeoutMs = ctx.timeoutMs();
          return { document: { id: "fast" } };
        },
        async listDocuments(_req, ctx) {
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
          workerSawAbort = true;
          return {};
        },
      },
    });
    const client = createClient(CollectionService, rig.grpc);
    await client.getDocument({ ref: { collection: "c", id: "fast" } }, { timeoutMs: 4_000 });
    expect(seenTimeoutMs).toBeGreaterThan(0);
    expect(seenTimeoutMs).toBeLessThanOrEqual(4_000);

    const started = Date.now();
    const err = await failure(client.listDocuments({ collection: "c" }, { timeoutMs: 300 }));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect.poll(() => workerSawAbort, { timeout: 3_000 }).toBe(true);
  });

  it("holds a deadline years away (grpc-timeout 99999999H) as a long one, not as 1 ms (Node's timers overflowed: DEADLINE_EXCEEDED at once)", async () => {
    let seenTimeoutMs: number | undefined;
    rig = await startRig({
      collection: {
        async getDocument(_req, ctx) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          seenTimeoutMs = ctx.timeoutMs();
          return { document: { id: "slow" } };
        },
      },
    });
    for (const timeout of ["99999999H", "99999999M", "99999999S"]) {
      const answer = await rawCall(rig.frontDoor.target, "/impossibledb.v1.CollectionService/GetDocument", new Uint8Array(5), { "grpc-timeout": timeout });
      expect(answer.status, timeout).toBe("0");
      expect(seenTimeoutMs).toBeGreaterThan(24 * 3_600_000);
    }
  });

  it("cancels the Worker's call when the caller cancels", async () => {
    let workerSawAbort = false;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    rig = await startRig({
      collection: {
        async listDocuments(_req, ctx) {
          started();
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
          workerSawAbort = true;
          return {};
        },
      },
    });
    const controller = new AbortController();
    const call = failure(createClient(CollectionService, rig.grpc).listDocuments({ collection: "c" }, { signal: controller.signal }));
    await running;
    controller.abort();
    expect((await call).code).toBe(Code.Canceled);
    await expect.poll(() => workerSawAbort, { timeout: 3_000 }).toBe(true);
  });

  it("passes error codes, messages, details and metadata through", async () => {
    rig = await startRig({
      collection: {
        deleteDocument() {
          const err = new ConnectError("version 3 does not match 4", Code.FailedPrecondition, { "x-current-version": "4" });
          err.details.push({ desc: DocumentRefSchema, value: { collection: "users", id: "u1" } });
          throw err;
        },
      },
    });
    const err = await failure(createClient(CollectionService, rig.grpc).deleteDocument({ ref: { collection: "users", id: "u1" } }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toBe("version 3 does not match 4");
    expect(err.metadata.get("x-current-version")).toBe("4");
    expect(err.findDetails(DocumentRefSchema)).toEqual([create(DocumentRefSchema, { collection: "users", id: "u1" })]);
  });

  it("streams every message, then the Worker's error after them", async () => {
    rig = await startRig({
      admin: {
        async *exportDocuments(req) {
          for (let i = 0; i < 3; i++) yield { documents: [create(DocumentSchema, { collection: req.collection, id: `d${i}` })] };
          throw new ConnectError("shard-2 is unreachable", Code.Unavailable);
        },
      },
    });
    const seen: string[] = [];
    const err = await failure(
      (async () => {
        for await (const msg of createClient(AdminService, rig!.grpc).exportDocuments({ collection: "books" })) {
          seen.push(...msg.documents.map((d) => d.id));
        }
      })(),
    );
    expect(seen).toEqual(["d0", "d1", "d2"]);
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toBe("shard-2 is unreachable");
  });

  it("answers UNIMPLEMENTED where the Worker does", async () => {
    rig = await startRig({});
    const err = await failure(createClient(CollectionService, rig.grpc).getDocument({ ref: { collection: "c", id: "x" } }));
    expect(err.code).toBe(Code.Unimplemented);
  });
});

describe("application metadata", () => {
  it("keeps application headers and drops transport and protocol ones", () => {
    for (const name of ["x-tenant", "authorization", "x-request-id", "custom-bin"]) expect(isApplicationMetadata(name)).toBe(true);
    for (const name of ["content-type", "Transfer-Encoding", "grpc-timeout", "grpc-status", "connect-protocol-version", ":path", "te", "host"]) {
      expect(isApplicationMetadata(name)).toBe(false);
    }
  });

  it("answers INVALID_ARGUMENT, not INTERNAL, to a request message that does not parse, and forwards nothing", async () => {
    let calls = 0;
    rig = await startRig({ collection: { getDocument: () => ((calls += 1), {}) } });
    const send = (message: Uint8Array) =>
      new Promise<{ status: string | undefined; message: string | undefined }>((resolve, reject) => {
        const session = http2.connect(`http://${rig!.frontDoor.target}`);
        session.on("error", reject);
        const stream = session.request({ ":method": "POST", ":path": "/impossibledb.v1.CollectionService/GetDocument", "content-type": "application/grpc", te: "trailers" });
        stream.on("trailers", (t) => {
          resolve({ status: t["grpc-status"] as string | undefined, message: t["grpc-message"] as string | undefined });
          session.close();
        });
        stream.on("error", reject);
        stream.resume();
        const framed = new Uint8Array(5 + message.byteLength);
        new DataView(framed.buffer).setUint32(1, message.byteLength);
        framed.set(message, 5);
        stream.end(framed);
      });
    // A truncated field, and a string that is not UTF-8 (field 1 is a message: ref; its field 1 a string).
    for (const bad of [new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array([0x0a, 0x03, 0x0a, 0x01, 0xff])]) {
      const answer = await send(bad);
      expect(answer.status).toBe(String(Code.InvalidArgument));
      expect(decodeURIComponent(answer.message ?? "")).toMatch(/request message does not parse/);
    }
    expect(calls).toBe(0);
    // A well-formed message still goes through.
    await createClient(CollectionService, rig.grpc).getDocument({ ref: { collection: "users", id: "u1" } });
    expect(calls).toBe(1);
  });

  it("answers a method it does not know with UNIMPLEMENTED over gRPC, not a bare 404", async () => {
    rig = await startRig({});
    const answer = await rawCall(rig.frontDoor.target, "/impossibledb.v1.CollectionService/NoSuchMethod", new Uint8Array(5));
    expect(answer.httpStatus).toBe(200);
    expect(answer.status).toBe(String(Code.Unimplemented));
    expect(decodeURIComponent(answer.message ?? "")).toMatch(/unknown method/);
  });

  it("answers a request message over REQUEST_BYTES_MAX with RESOURCE_EXHAUSTED, not a reset stream, and forwards nothing", async () => {
    let calls = 0;
    rig = await startRig({ collection: { setDocument: () => ((calls += 1), {}) } });
    const err = await failure(
      createClient(CollectionService, rig.grpc).setDocument({ ref: { collection: "c", id: "big" }, data: { blob: "x".repeat(16 * 1024 * 1024 + 512 * 1024) } }),
    );
    expect(Code[err.code]).toBe(Code[Code.ResourceExhausted]);
    expect(err.rawMessage).toMatch(/REQUEST_BYTES_MAX/);
    expect(calls).toBe(0);
    // The connection still serves calls.
    await createClient(CollectionService, rig.grpc).setDocument({ ref: { collection: "c", id: "small" }, data: {} });
    expect(calls).toBe(1);
  });
});

/** Sends one raw gRPC request over HTTP/2 and returns the HTTP status and the gRPC status (from headers or trailers). */
function rawCall(target: string, path: string, body: Uint8Array, headers: Record<string, string> = {}) {
  return new Promise<{ httpStatus: number; status: string | undefined; message: string | undefined }>((resolve, reject) => {
    const session = http2.connect(`http://${target}`);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    let httpStatus = 0;
    let status: string | undefined;
    let message: string | undefined;
    stream.on("response", (h) => {
      httpStatus = Number(h[":status"]);
      status = h["grpc-status"] as string | undefined;
      message = h["grpc-message"] as string | undefined;
    });
    stream.on("trailers", (t) => {
      status = (t["grpc-status"] as string | undefined) ?? status;
      message = (t["grpc-message"] as string | undefined) ?? message;
    });
    stream.on("close", () => {
      session.close();
      resolve({ httpStatus, status, message });
    });
    stream.on("error", reject);
    stream.resume();
    stream.end(body);
  });
}

describe("errors of the hop to the Worker", () => {
  it("a hop lost mid-call (ABORTED or CANCELED no status carried) is UNAVAILABLE; the Worker's own ABORTED, and the caller's cancel, pass through", () => {
    expect(forwardedError(new ConnectError("aborted", Code.Aborted)).code).toBe(Code.Unavailable);
    expect(forwardedError(new ConnectError("read ECONNRESET", Code.Canceled)).code).toBe(Code.Unavailable);
    const conflict = new ConnectError("transaction aborted; retry it", Code.Aborted);
    conflict.isWireError = true;
    expect(forwardedError(conflict).code).toBe(Code.Aborted);
    expect(forwardedError(new ConnectError("aborted", Code.Aborted), true).code).toBe(Code.Aborted);
  });
});

/** Sends one raw gRPC request (one uncompressed message) and resolves to its grpc-status. */
function rawGrpcCall(target: string, path: string, contentType: string, message: Uint8Array): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${target}`);
    session.on("error", reject);
    const body = new Uint8Array(5 + message.byteLength);
    new DataView(body.buffer).setUint32(1, message.byteLength);
    body.set(message, 5);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": contentType, te: "trailers" });
    let status: string | undefined;
    stream.on("response", (h) => (status ??= h["grpc-status"] as string | undefined));
    stream.on("trailers", (t) => (status ??= t["grpc-status"] as string | undefined));
    stream.on("data", () => {});
    stream.on("close", () => {
      session.close();
      resolve(status);
    });
    stream.end(body);
  });
}

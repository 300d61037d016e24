/**
 * The binary guard's size check (src/server/binary-guard.ts): the request
 * size limit is on the message, as Connect's readMaxBytes is, so a message
 * exactly at the limit passes over every protocol, whatever framing it
 * travels in, and one byte more is refused without reading the body.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { GetDocumentRequestSchema } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { CommitRequestSchema } from "../../../gen/impossibledb/v1/transaction_service_pb.js";
import { guardBinaryRequest, readBodyCapped } from "../../../src/server/binary-guard.js";

const LIMIT_BYTES = 1_000;

/** A GetDocumentRequest whose binary form is exactly `bytes` long. */
function messageOf(bytes: number): Uint8Array {
  for (let pad = bytes; pad > 0; pad--) {
    const message = toBinary(GetDocumentRequestSchema, create(GetDocumentRequestSchema, { ref: { collection: "c", id: "x".repeat(pad) } }));
    if (message.byteLength === bytes) return message;
  }
  throw new Error(`no message of ${bytes} bytes`);
}

function enveloped(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.byteLength);
  new DataView(out.buffer).setUint32(1, message.byteLength);
  out.set(message, 5);
  return out;
}

function post(contentType: string, body: Uint8Array): Request {
  return new Request("http://db.test/impossibledb.v1.CollectionService/GetDocument", {
    method: "POST",
    headers: { "Content-Type": contentType, "Content-Length": String(body.byteLength) },
    body: body as Uint8Array<ArrayBuffer>,
  });
}

describe("the binary guard's request size limit", () => {
  const framings = [
    { name: "Connect unary", contentType: "application/proto", frame: (m: Uint8Array) => m },
    { name: "Connect streaming", contentType: "application/connect+proto", frame: enveloped },
    { name: "gRPC-Web", contentType: "application/grpc-web+proto", frame: enveloped },
  ];
  for (const { name, contentType, frame } of framings) {
    it(`${name}: passes a message exactly at the limit (gRPC-Web and Connect streams were refused: the 5-byte prefix counted), refuses one byte more`, async () => {
      const atLimit = await guardBinaryRequest(post(contentType, frame(messageOf(LIMIT_BYTES))), GetDocumentRequestSchema, LIMIT_BYTES);
      expect(atLimit.oversizedBytes).toBeUndefined();
      expect(atLimit.malformed).toBeUndefined();
      const over = await guardBinaryRequest(post(contentType, frame(messageOf(LIMIT_BYTES + 1))), GetDocumentRequestSchema, LIMIT_BYTES);
      expect(over.oversizedBytes).toBe(frame(messageOf(LIMIT_BYTES + 1)).byteLength);
    });
  }

  it("holds a body sent without Content-Length (chunked) to the limit too, reading it to its end but keeping none of it past the limit", async () => {
    const message = messageOf(LIMIT_BYTES + 1);
    const chunked = (bytes: Uint8Array) =>
      new Request("http://db.test/impossibledb.v1.CollectionService/GetDocument", {
        method: "POST",
        headers: { "Content-Type": "application/grpc-web+proto" },
        body: streamOf(bytes, 7),
        duplex: "half",
      } as RequestInit);
    const over = await guardBinaryRequest(chunked(enveloped(message)), GetDocumentRequestSchema, LIMIT_BYTES);
    expect(over.oversizedBytes).toBe(enveloped(message).byteLength);
    const atLimit = await guardBinaryRequest(chunked(enveloped(messageOf(LIMIT_BYTES))), GetDocumentRequestSchema, LIMIT_BYTES);
    expect(atLimit.oversizedBytes).toBeUndefined();
    expect(atLimit.malformed).toBeUndefined();
  });
});

describe("readBodyCapped", () => {
  it("returns the body when it fits, and only its length, after reading it all, when it does not", async () => {
    const bytes = new Uint8Array(100).map((_, i) => i);
    expect(await readBodyCapped(streamOf(bytes, 9), 100)).toEqual({ bytes });
    let pulled = 0;
    const counted = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled === 50) return c.close();
        pulled += 1;
        c.enqueue(new Uint8Array(10));
      },
    });
    expect(await readBodyCapped(counted, 100)).toEqual({ overBytes: 500 });
    expect(pulled).toBe(50);
  });
});

/** `bytes` as a stream of chunks of `chunkBytes`. */
function streamOf(bytes: Uint8Array, chunkBytes: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (offset >= bytes.byteLength) return c.close();
      c.enqueue(bytes.slice(offset, offset + chunkBytes));
      offset += chunkBytes;
    },
  });
}

describe("the binary guard on wire data fromBinary accepts but no encoder writes", () => {
  it("refuses a CommitRequest with a field of the wrong wire type as malformed (it threw: HTTP 500, found by the fuzz campaign)", async () => {
    // The fuzz campaign's case (seed 289466070, case 468): a transaction id, then a write whose Struct
    // data carries a field tagged with a wire type that does not match its declared type.
    const body = Uint8Array.from(atob("ClN0eDIuSjdHVG1CbzZ1a05jNkpUQ1pZVm90MEo2STBCUTNPQUFBQWNBQUFBQUFBQUFBRUo2STBCQ051QUEubnhfd0gxOXVyWlZ0QzdxUHpwQ0p3ZxoTCggKBgYP9ICOuxCAgICAgICAECQBKgwIARICCD0aBG51bGw="), (c) => c.charCodeAt(0));
    const request = new Request("http://db.test/impossibledb.v1.TransactionService/Commit", {
      method: "POST",
      headers: { "Content-Type": "application/proto", "Content-Length": String(body.byteLength) },
      body,
    });
    const guarded = await guardBinaryRequest(request, CommitRequestSchema);
    expect(guarded.malformed).toMatch(/binary encoding is malformed/);
  });
});

/**
 * The front door's request message guard (frontdoor/src/message-guard.ts):
 * what it refuses before connect-node would answer INTERNAL.
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetDocumentRequestSchema } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { grpcCodecOf, malformedReason } from "../../frontdoor/src/message-guard.js";

const message = toBinary(GetDocumentRequestSchema, create(GetDocumentRequestSchema, { ref: { collection: "c", id: "d" } }));

function framed(flags: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + bytes.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, bytes.byteLength);
  out.set(bytes, 5);
  return out;
}

describe("the front door's message guard", () => {
  it("refuses a message flagged compressed when the call names no grpc-encoding (connect-node answered INTERNAL)", () => {
    expect(malformedReason(framed(0x01, message), GetDocumentRequestSchema, undefined)).toMatch(/compressed/);
    expect(malformedReason(framed(0xff, message), GetDocumentRequestSchema, "identity")).toMatch(/compressed/);
  });

  it("refuses envelope flags other than compressed, and gzip that does not decompress (connect-node answered INTERNAL; found by the hostile input campaign)", () => {
    expect(malformedReason(framed(0xff, message), GetDocumentRequestSchema, "br")).toMatch(/flags 0xff/);
    expect(malformedReason(framed(0x80, message), GetDocumentRequestSchema, undefined)).toMatch(/flags 0x80/);
    expect(malformedReason(framed(0x01, Uint8Array.of(0x01, 0x94)), GetDocumentRequestSchema, "gzip")).toMatch(/does not decompress/);
    // Unknown encodings stay connect-node's to refuse (UNIMPLEMENTED).
    expect(malformedReason(framed(0x01, message), GetDocumentRequestSchema, "snappy")).toBeUndefined();
  });

  it("passes well-formed messages, compressed with gzip or not", () => {
    expect(malformedReason(framed(0x00, message), GetDocumentRequestSchema, undefined)).toBeUndefined();
    expect(malformedReason(framed(0x01, new Uint8Array(gzipSync(message))), GetDocumentRequestSchema, "gzip")).toBeUndefined();
  });

  it("does not parse JSON messages (application/grpc+json) as binary, but still checks their compression flag", () => {
    const json = new TextEncoder().encode('{"ref":{"collection":"c","id":"d"}}');
    expect(malformedReason(framed(0x00, json), GetDocumentRequestSchema, undefined, "json")).toBeUndefined();
    expect(malformedReason(framed(0x00, json), GetDocumentRequestSchema, undefined, "proto")).toBeDefined();
    expect(malformedReason(framed(0x01, json), GetDocumentRequestSchema, undefined, "json")).toMatch(/compressed/);
    // Binary sent as JSON (here a page token of emoji, cut mid-pair by a parser's excerpt) is refused in our words:
    // connect's own message quoted the text, and a lone surrogate in grpc-message made the front door answer HTTP 500.
    const binary = new Uint8Array([0x12, 0x08, ...new TextEncoder().encode("😀😀")]);
    expect(malformedReason(framed(0x00, binary), GetDocumentRequestSchema, undefined, "json")).toMatch(/^the request message is not valid JSON: unexpected character U\+0012 at line 1 column 1$/);
    expect(malformedReason(framed(0x00, new Uint8Array([0x7b, 0xff, 0x7d])), GetDocumentRequestSchema, undefined, "json")).toBe("the request message is not valid UTF-8, so it is not JSON");
  });

  it("tells the codec from the content type", () => {
    expect(grpcCodecOf("application/grpc")).toBe("proto");
    expect(grpcCodecOf("application/grpc+proto")).toBe("proto");
    expect(grpcCodecOf("application/grpc+json")).toBe("json");
    expect(grpcCodecOf("application/grpc+JSON; charset=utf-8")).toBe("json");
    expect(grpcCodecOf("application/grpc+thrift")).toBe("other");
    expect(grpcCodecOf("application/json")).toBe("other");
    expect(grpcCodecOf(undefined)).toBe("other");
  });
});

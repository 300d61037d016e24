/**
 * A request sent as JSON that does not parse is refused (INVALID_ARGUMENT)
 * saying what is wrong with it: a body cut short is "not valid JSON", not
 * "not valid UTF-8", which only bytes that are not UTF-8 are
 * (src/server/json-text.ts, used by the binary guard and the front door).
 */
import { describe, expect, it } from "vitest";
import { GetDocumentRequestSchema } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { guardBinaryRequest } from "../../../src/server/binary-guard.js";
import { readJsonText } from "../../../src/server/json-text.js";
import { malformedReason } from "../../../frontdoor/src/message-guard.js";

const utf8 = (text: string) => new TextEncoder().encode(text);
const problemOf = (bytes: Uint8Array) => {
  const read = readJsonText(bytes);
  return read.ok ? undefined : read.problem;
};

function post(body: Uint8Array): Request {
  return new Request("http://db.test/impossibledb.v1.CollectionService/GetDocument", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Content-Length": String(body.byteLength) },
    body: body as Uint8Array<ArrayBuffer>,
  });
}

describe("a JSON request message that does not parse", () => {
  it("cut short is refused as JSON that ends too soon, not as bad UTF-8", async () => {
    const guarded = await guardBinaryRequest(post(utf8('{"ref":{"collection":"a"')), GetDocumentRequestSchema);
    expect(guarded.malformed).toBe("the request message is not valid JSON: it ends before the JSON value is complete (cut short?)");
    expect(problemOf(utf8('{"ref":{"collection":"a'))).toMatch(/ends before the JSON value is complete/);
    expect(problemOf(utf8("   "))).toMatch(/not valid JSON: it is empty/);
  });

  it("with a stray character names it and where it is, line and column", () => {
    expect(problemOf(utf8('{"ref":\n  {x}}'))).toBe('the request message is not valid JSON: unexpected character "x" at line 2 column 4');
    expect(problemOf(utf8('{"a":1}}'))).toBe('the request message is not valid JSON: unexpected character "}" at line 1 column 8');
    // The parser names some tokens without their place: the character alone, then.
    expect(problemOf(utf8('{"ref":x}'))).toBe('the request message is not valid JSON: unexpected character "x"');
  });

  it("never quotes a character that is not printable ASCII (half a surrogate pair cannot travel in grpc-message)", () => {
    const problem = problemOf(new Uint8Array([0x12, 0x08, ...utf8("😀😀")]));
    expect(problem).toMatch(/^the request message is not valid JSON/);
    expect(problem).not.toMatch(/[^\x20-\x7e]/);
  });

  it("calls it UTF-8 only when the bytes are not UTF-8", async () => {
    const guarded = await guardBinaryRequest(post(new Uint8Array([0x7b, 0xff, 0x7d])), GetDocumentRequestSchema);
    expect(guarded.malformed).toBe("the request message is not valid UTF-8, so it is not JSON");
  });

  it("is refused in the same words by the front door (application/grpc+json)", () => {
    const message = utf8('{"ref":{"collection":"a"');
    const framed = new Uint8Array(5 + message.byteLength);
    new DataView(framed.buffer).setUint32(1, message.byteLength);
    framed.set(message, 5);
    expect(malformedReason(framed, GetDocumentRequestSchema, undefined, "json")).toBe("the request message is not valid JSON: it ends before the JSON value is complete (cut short?)");
  });

  it("that parses passes", async () => {
    const guarded = await guardBinaryRequest(post(utf8('{"ref":{"collection":"a","id":"b"}}')), GetDocumentRequestSchema);
    expect(guarded.malformed).toBeUndefined();
  });
});

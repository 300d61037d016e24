/**
 * A listener whose call has a deadline (Connect-Timeout-Ms, grpc-timeout)
 * ends with DEADLINE_EXCEEDED when it passes, never as if the stream had
 * finished: a listener never ends on its own, so an OK end would tell the
 * client its listener was complete (found by a new-user test: the stream
 * ended with an empty end-of-stream message, i.e. OK, while StreamQuery
 * answered deadline_exceeded for the same header).
 */
import { describe, expect, it } from "vitest";
import { jsonEnvelope, rawFetch } from "./helpers.js";

const LISTEN = "/impossibledb.v1.QueryService/Listen";


/** The envelopes of a whole streamed body: [flags, message text]. */
function envelopes(bytes: Uint8Array): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (let offset = 0; offset + 5 <= bytes.byteLength; ) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, 4).getUint32(0);
    out.push([bytes[offset]!, new TextDecoder().decode(bytes.subarray(offset + 5, offset + 5 + length))]);
    offset += 5 + length;
  }
  return out;
}

describe("Listen under a deadline", { timeout: 30_000 }, () => {
  it("Connect: the stream ends with deadline_exceeded when Connect-Timeout-Ms passes", async () => {
    const res = await rawFetch(LISTEN, {
      method: "POST",
      headers: { "Content-Type": "application/connect+json", "Connect-Timeout-Ms": "700" },
      body: jsonEnvelope(JSON.stringify({ query: { collection: "deadline_listen" } })),
    });
    expect(res.status).toBe(200);
    const frames = envelopes(new Uint8Array(await res.arrayBuffer()));
    const [flags, end] = frames.at(-1)!;
    expect(flags & 0x02, "the last envelope ends the stream").toBe(0x02);
    expect(JSON.parse(end)).toMatchObject({ error: { code: "deadline_exceeded" } });
  });

  it("gRPC-Web: the trailers carry grpc-status 4 (DEADLINE_EXCEEDED) when grpc-timeout passes", async () => {
    const res = await rawFetch(LISTEN, {
      method: "POST",
      headers: { "Content-Type": "application/grpc-web+json", "grpc-timeout": "700m" },
      body: jsonEnvelope(JSON.stringify({ query: { collection: "deadline_listen" } })),
    });
    expect(res.status).toBe(200);
    const frames = envelopes(new Uint8Array(await res.arrayBuffer()));
    const [flags, trailers] = frames.at(-1)!;
    expect(flags & 0x80, "the last envelope holds the trailers").toBe(0x80);
    expect(trailers).toMatch(/grpc-status: ?4\b/i);
  });
});

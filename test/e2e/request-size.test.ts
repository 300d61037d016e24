/**
 * Requests over REQUEST_BYTES_MAX, through the real HTTP server: the
 * caller gets RESOURCE_EXHAUSTED, not a reset connection (seen before: the
 * Worker read part of the body, stopped, and the runtime could not drain
 * the rest), and the server keeps serving.
 */
import { describe, expect, it } from "vitest";
import { REQUEST_BYTES_MAX } from "../../src/limits.js";
import { uniqueCollection, workerUrl } from "./env.js";

describe("an oversized request", () => {
  it("answers RESOURCE_EXHAUSTED over Connect JSON, stores nothing, and the server serves the next call", async () => {
    const collection = uniqueCollection("oversized");
    const body = JSON.stringify({ ref: { collection, id: "big" }, data: { s: "x".repeat(REQUEST_BYTES_MAX + 1024 * 1024) } });
    const res = await fetch(`${workerUrl()}/impossibledb.v1.CollectionService/SetDocument`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    const answer = (await res.json()) as { code: string; message: string };
    expect(answer.code).toBe("resource_exhausted");
    expect(answer.message).toMatch(/REQUEST_BYTES_MAX/);
    const get = await fetch(`${workerUrl()}/impossibledb.v1.CollectionService/GetDocument`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ref: { collection, id: "big" } }),
    });
    expect(((await get.json()) as { code: string }).code).toBe("not_found");
  });
});

describe("an oversized request sent without Content-Length (chunked)", () => {
  it("answers RESOURCE_EXHAUSTED over Connect JSON (the guard reads the body to its end, keeping none past the limit), stores nothing, and the server serves the next call", async () => {
    const collection = uniqueCollection("oversized_chunked");
    const prefix = new TextEncoder().encode(JSON.stringify({ ref: { collection, id: "big" }, data: { s: "" } }).slice(0, -3));
    const chunkBytes = 1024 * 1024;
    const chunks = Math.ceil(REQUEST_BYTES_MAX / chunkBytes) + 2;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent === 0) c.enqueue(prefix);
        if (sent === chunks) {
          c.enqueue(new TextEncoder().encode('"}}'));
          return c.close();
        }
        sent += 1;
        c.enqueue(new Uint8Array(chunkBytes).fill(0x61));
      },
    });
    const res = await fetch(`${workerUrl()}/impossibledb.v1.CollectionService/SetDocument`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    const answer = (await res.json()) as { code: string };
    expect(answer.code).toBe("resource_exhausted");
    const get = await fetch(`${workerUrl()}/impossibledb.v1.CollectionService/GetDocument`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ref: { collection, id: "big" } }),
    });
    expect(((await get.json()) as { code: string }).code).toBe("not_found");
  });
});

describe("a large request refused on its headers alone", () => {
  it("answers INVALID_ARGUMENT, not HTTP 500 'Network connection lost' (the unread body could not be drained)", async () => {
    const body = JSON.stringify({ writes: [{ ref: { collection: uniqueCollection("badtimeout"), id: "a" }, set: { s: "x".repeat(9 * 1024 * 1024) } }] });
    const res = await fetch(`${workerUrl()}/impossibledb.v1.CollectionService/BatchWriteDocuments`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Connect-Timeout-Ms": "x" },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
  });
});

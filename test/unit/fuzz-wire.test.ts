/**
 * The hostile input campaign's sender (scripts/fuzz/wire.mjs): a request's
 * time limit decides its outcome by itself, whatever the HTTP client does
 * with the abort. Node's fetch did not always settle after an abort: three
 * 100,000-request runs each reported one server stream "with no outcome in
 * 70 s" (cases 3225, 18830, 91190) that the server, replayed alone, answered
 * at once. The cause, reproduced here in a child process: workerd answers a
 * refused stream with a gzip body, and an abort that lands after the answer
 * is complete but before fetch has decompressed it is lost by the undici
 * that Node 22 bundles, which then leaves the body unread for ever
 * (test/support/fetch-abort-window.mjs). Before the fix the sender waited
 * on fetch, and these tests stay pending.
 */
import { execFile } from "node:child_process";
import http from "node:http";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

interface Progress {
  stage?: string;
  abandoned?: string;
}
interface Outcome {
  code: string;
  http: number;
  detail?: string;
}
interface Wire {
  protocol: string;
  method: "POST" | "GET";
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  stream: boolean;
}
interface WireModule {
  STREAM_READ_MS: number;
  ABANDONED_AFTER_MS: number;
  send(wire: Wire, target: { workerUrl: string }, progress?: Progress): Promise<Outcome>;
}

const execFileAsync = promisify(execFile);

const wireModule = async (): Promise<WireModule> => (await import(new URL("../../scripts/fuzz/wire.mjs", import.meta.url).href)) as WireModule;

/** A Listen over Connect JSON, as the campaign sends a server stream. */
const listen: Wire = {
  protocol: "connect-json",
  method: "POST",
  path: "/impossibledb.v1.QueryService/Listen",
  headers: { "content-type": "multipart/form-data" },
  body: new Uint8Array([0, 0, 0, 0, 2, 123, 125]),
  stream: true,
};

/** A fetch that never settles and ignores its signal: the HTTP client side of the campaign's hangs. */
const deafFetch = (() => new Promise<Response>(() => {})) as typeof fetch;

/** A fetch that answers headers at once and then a body that never ends and ignores the signal. */
const deafBodyFetch = (status: number) =>
  (async () => new Response(new ReadableStream<Uint8Array>({ pull: () => new Promise<void>(() => {}) }), { status })) as typeof fetch;

/** Resolves to "still pending" when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | "still pending"> {
  return Promise.race([promise, new Promise<"still pending">((resolve) => setTimeout(() => resolve("still pending"), ms))]);
}

describe("the campaign's sender", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("ends a stream at its time limit even when fetch ignores the abort", async () => {
    const { send, STREAM_READ_MS } = await wireModule();
    const progress: Progress = {};
    vi.stubGlobal("fetch", deafFetch);
    const outcome = await within(send(listen, { workerUrl: "http://127.0.0.1:1" }, progress), STREAM_READ_MS + 2_000);
    expect(outcome).toEqual({ code: "cut", http: 0 });
    expect(progress.stage).toMatch(/^timed out \(sent at \d+ ms\)/);
  });

  it("keeps the status of a stream whose body never ends, and says when the client did not let go", async () => {
    const { send, STREAM_READ_MS, ABANDONED_AFTER_MS } = await wireModule();
    const progress: Progress = {};
    vi.stubGlobal("fetch", deafBodyFetch(415));
    const outcome = await within(send(listen, { workerUrl: "http://127.0.0.1:1" }, progress), STREAM_READ_MS + 2_000);
    expect(outcome).toEqual({ code: "http_415", http: 415 });
    await new Promise((resolve) => setTimeout(resolve, ABANDONED_AFTER_MS + 200));
    expect(progress.abandoned).toMatch(/^fetch had not settled .* after its abort \(last: timed out \(HTTP 415 headers/);
  }, 15_000);

  it("ends a refused stream at its time limit when the abort lands while fetch decompresses its answer (Node's fetch then never settles)", async () => {
    // In a child process with one libuv pool thread (test/support/fetch-abort-window.mjs says why and how).
    const { STREAM_READ_MS } = await wireModule();
    const script = fileURLToPath(new URL("../support/fetch-abort-window.mjs", import.meta.url));
    const wireUrl = new URL("../../scripts/fuzz/wire.mjs", import.meta.url).href;
    const { stdout } = await execFileAsync(process.execPath, [script, wireUrl], { env: { ...process.env, UV_THREADPOOL_SIZE: "1" }, timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { outcome: Outcome | "still pending"; settledMs: number; abandoned: string | null };
    expect(result.outcome).toEqual({ code: "http_415", http: 415 });
    expect(result.settledMs).toBeLessThan(STREAM_READ_MS + 2_000);
    // When fetch itself settles (a Node whose undici no longer loses this abort), the window was not hit and nothing is abandoned.
    if (result.abandoned !== null) expect(result.abandoned).toMatch(/^fetch had not settled .* \(last: timed out \(HTTP 415 headers at \d+ ms\) at \d+ ms\)$/);
  }, 60_000);

  describe("against a real server", () => {
    let server: http.Server;
    let workerUrl: string;
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        req.resume();
        if (req.url?.endsWith("/Listen")) {
          // An accepted stream that stays open, as Listen does.
          res.writeHead(200, { "content-type": "application/connect+json" });
          res.write(Buffer.from([0, 0, 0, 0, 2, 123, 125]));
          return;
        }
        res.writeHead(415, { "content-type": "text/plain" });
        res.end("unsupported content type");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      workerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it("cuts an open stream at its time limit and classifies a refusal by its status", async () => {
      const { send, STREAM_READ_MS } = await wireModule();
      expect(await within(send(listen, { workerUrl }), STREAM_READ_MS + 2_000)).toEqual({ code: "cut", http: 200 });
      expect(await within(send({ ...listen, path: "/impossibledb.v1.QueryService/StreamQuery" }, { workerUrl }), STREAM_READ_MS + 2_000)).toEqual({ code: "http_415", http: 415, detail: "unsupported content type" });
    });
  });
});

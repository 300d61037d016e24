// Reproduces, deterministically, the window in which Node's fetch (the
// undici bundled with Node 22) stops settling after an abort, and runs the
// campaign's sender (scripts/fuzz/wire.mjs) through it. Run in a child
// process with UV_THREADPOOL_SIZE=1 (test/unit/fuzz-wire.test.ts does).
//
// A stream the server refuses answers like workerd's 415: gzip-compressed
// (fetch asks for it), headers first, then body and end in a later write.
// undici's onComplete (the end) unregisters the listener that errors the
// body stream on abort; the body still has to pass through the gunzip
// stream, whose work runs on the libuv thread pool. An abort that lands in
// between is lost: abortFetch cancels the response stream, which fails
// silently because the reader holds its lock, and when the decompressed
// bytes come, undici sees the fetch aborted and stops without closing or
// erroring the stream, so the reader waits for ever. Here the one pool
// thread is kept busy (pbkdf2) while the end arrives, which holds that
// window open for the abort at STREAM_READ_MS.
//
// Prints one JSON line: { outcome, settledMs, abandoned } or
// { outcome: "still pending" } if send had not settled WAIT_MS after the
// abort.
import { pbkdf2 } from "node:crypto";
import http from "node:http";
import { gzipSync } from "node:zlib";

const { send, STREAM_READ_MS, ABANDONED_AFTER_MS = 5_000 } = await import(process.argv[2]);
/** When the server sends the body and end, before the client's abort. */
const BODY_AT_MS = STREAM_READ_MS - 150;
/** How long the pool thread stays busy from just before the body arrives: well past the abort. */
const POOL_BUSY_ITERATIONS = Number(process.env.POOL_BUSY_ITERATIONS ?? 3_000_000);
/** How long after the abort the outcome is awaited. */
const WAIT_MS = ABANDONED_AFTER_MS + 2_000;

const body = gzipSync(Buffer.from('{"code":"unimplemented","message":"unsupported content type"}'));
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(415, { "content-type": "application/json", "content-encoding": "gzip" });
  res.flushHeaders();
  // The pool is made busy just before the end arrives.
  setTimeout(() => pbkdf2("x", "y", POOL_BUSY_ITERATIONS, 32, "sha256", () => {}), BODY_AT_MS - 20);
  setTimeout(() => res.end(body), BODY_AT_MS);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const workerUrl = `http://127.0.0.1:${server.address().port}`;
const wire = { protocol: "connect-json", method: "POST", path: "/impossibledb.v1.QueryService/Listen", headers: { "content-type": "multipart/form-data" }, body: new Uint8Array([0, 0, 0, 0, 2, 123, 125]), stream: true };
const progress = {};
const started = Date.now();
const outcome = await Promise.race([send(wire, { workerUrl }, progress), new Promise((resolve) => setTimeout(() => resolve("still pending"), STREAM_READ_MS + WAIT_MS))]);
const settledMs = Date.now() - started;
if (outcome !== "still pending") await new Promise((resolve) => setTimeout(resolve, ABANDONED_AFTER_MS + 500));
console.log(JSON.stringify({ outcome, settledMs, abandoned: progress.abandoned ?? null }));
server.closeAllConnections();
server.close();
process.exit(0);

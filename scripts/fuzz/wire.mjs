// Sends one campaign request over one protocol, exactly as built (the body
// may be damaged on purpose), and reads back the status code the server
// gave it: Connect JSON and binary (unary and streams), Connect GET,
// gRPC-Web, and gRPC over HTTP/2 to the front door. Streams are read for
// at most STREAM_READ_MS and then cancelled (Listen never ends by itself).
import http2 from "node:http2";
import { gunzipSync, gzipSync } from "node:zlib";

/** How long a server stream is read before the client cancels it. */
export const STREAM_READ_MS = 300;
/** How long any one request may take before it counts as hung. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** gRPC status numbers by name, and Connect's names. */
const GRPC_CODE_NAMES = ["ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated"];

/** A 5-byte-framed message (gRPC-Web, gRPC, Connect streams). */
export function envelope(flags, bytes, declaredLength = bytes.length) {
  const out = new Uint8Array(5 + bytes.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, declaredLength >>> 0);
  out.set(bytes, 5);
  return out;
}

/** gzip, as the servers accept it. */
export const gzip = (bytes) => new Uint8Array(gzipSync(bytes));

/** How long after its abort an HTTP exchange that has not settled counts as abandoned by the HTTP client (reported, not failed). */
export const ABANDONED_AFTER_MS = 5_000;

/**
 * Sends `wire` ({ protocol, method: "POST"|"GET", path, query?, headers, body, stream })
 * and resolves to { code, http, detail }: code is a Connect code name, "ok",
 * "cut" (a stream we cancelled after it answered well) or "transport"
 * (no HTTP answer at all: a crash or a reset).
 *
 * The time limit (STREAM_READ_MS for a stream, REQUEST_TIMEOUT_MS for the
 * rest) decides the outcome by itself: when it passes, the request resolves
 * as cut (a stream) or timed out (anything else) at once, and the abort it
 * sends the HTTP client only frees the connection. The outcome used to wait
 * for fetch to settle after that abort, and Node 22's fetch (its bundled
 * undici 6) does not always settle: workerd answers a refused stream with a
 * gzip body, and an abort that lands after the whole answer has arrived but
 * before fetch has decompressed it is lost (the response's abort listener
 * is already gone, cancelling the body fails silently because our reader
 * holds its lock, and undici then stops reading without closing the body).
 * Three campaign requests (cases 3225, 18830, 91190 of seed 20261130, all
 * refused server streams over Connect JSON cancelled at 300 ms) stayed
 * pending until the run's 70 s watchdog, while the gRPC path, whose timer
 * already decided its outcome, never hung; test/support/fetch-abort-window.mjs
 * reproduces the window deterministically. `progress.stage` says how far the
 * request got; `progress.abandoned` is set when the HTTP client has still
 * not settled ABANDONED_AFTER_MS after the abort (fuzz.mjs counts those).
 */
export async function send(wire, target, progress = {}) {
  if (wire.protocol === "grpc") return sendGrpc(wire, target.grpcSession());
  const url = `${target.workerUrl}${wire.path}${wire.query ?? ""}`;
  const controller = new AbortController();
  const startedMs = Date.now();
  const at = (stage) => (progress.stage = `${stage} at ${Date.now() - startedMs} ms`);
  at("sent");
  let res;
  let settled = false;
  const exchange = (async () => {
    try {
      res = await fetch(url, { method: wire.method, headers: wire.headers, body: wire.method === "GET" ? undefined : wire.body, signal: controller.signal });
      at(`HTTP ${res.status} headers`);
      const body = await readBody(res, controller.signal);
      at("body read");
      return classify(wire, res, body);
    } catch (err) {
      if (controller.signal.aborted) return timedOut(wire, res);
      return { code: "transport", http: 0, detail: err?.cause?.message ?? err?.message ?? String(err) };
    } finally {
      settled = true;
    }
  })();
  let timer;
  let watch;
  const limit = new Promise((resolve) => {
    timer = setTimeout(() => {
      at(`timed out (${progress.stage})`);
      resolve(timedOut(wire, res));
      controller.abort(new Error("timeout"));
      watch = setTimeout(() => {
        if (!settled) progress.abandoned = `fetch had not settled ${ABANDONED_AFTER_MS} ms after its abort (last: ${progress.stage})`;
      }, ABANDONED_AFTER_MS);
      watch.unref();
    }, wire.stream ? STREAM_READ_MS : REQUEST_TIMEOUT_MS);
  });
  try {
    return await Promise.race([exchange, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The outcome of a request its time limit ended: a stream is cut (after whatever status it had), anything else timed out. */
function timedOut(wire, res) {
  if (wire.stream && res !== undefined) return { code: res.status === 200 ? "cut" : `http_${res.status}`, http: res.status };
  if (wire.stream) return { code: "cut", http: 0 };
  return { code: "transport", http: 0, detail: "timeout" };
}

async function readBody(res, signal) {
  const chunks = [];
  for await (const chunk of res.body ?? []) {
    chunks.push(chunk);
    if (signal.aborted) break;
  }
  return Buffer.concat(chunks);
}

function classify(wire, res, body) {
  const http = res.status;
  const grpcStatus = res.headers.get("grpc-status");
  // By what was sent and answered, not by the plan: a gRPC-Web request sent with a Connect content type gets a Connect answer.
  if (wire.protocol === "grpc-web" && (res.headers.get("content-type") ?? "").startsWith("application/grpc-web")) {
    if (grpcStatus !== null) return { code: GRPC_CODE_NAMES[Number(grpcStatus)] ?? `grpc_${grpcStatus}`, http };
    const trailer = trailerFrame(body);
    if (trailer !== null) {
      const m = /grpc-status:\s*(\d+)/i.exec(trailer);
      return { code: m ? GRPC_CODE_NAMES[Number(m[1])] ?? `grpc_${m[1]}` : "no_status", http };
    }
    return { code: http === 200 ? "no_status" : `http_${http}`, http };
  }
  if (http !== 200) {
    try {
      const parsed = JSON.parse(body.toString("utf8"));
      if (typeof parsed.code === "string") return { code: parsed.code, http };
    } catch {
      // Not a Connect error body.
    }
    return { code: `http_${http}`, http, detail: body.toString("utf8").slice(0, 200) };
  }
  if (!wire.stream) return { code: "ok", http };
  const end = endStreamFrame(body);
  if (end === null) return { code: "no_end", http };
  try {
    const parsed = JSON.parse(end);
    return { code: parsed.error?.code ?? "ok", http };
  } catch {
    return { code: "bad_end", http };
  }
}

function frames(body) {
  const out = [];
  let i = 0;
  while (i + 5 <= body.length) {
    const len = body.readUInt32BE(i + 1);
    out.push({ flags: body[i], data: body.subarray(i + 5, i + 5 + len) });
    i += 5 + len;
  }
  return out;
}

function trailerFrame(body) {
  const trailer = frames(body).find((f) => (f.flags & 0x80) !== 0);
  if (trailer === undefined) return null;
  return ((trailer.flags & 0x01) !== 0 ? gunzipSync(trailer.data) : trailer.data).toString("utf8");
}
/** The end-of-stream message of a Connect stream, gunzipped when the server compressed it. */
function endStreamFrame(body) {
  const end = frames(body).find((f) => (f.flags & 0x02) !== 0);
  if (end === undefined) return null;
  return ((end.flags & 0x01) !== 0 ? gunzipSync(end.data) : end.data).toString("utf8");
}

/** Opens an HTTP/2 (h2c) session to the front door. */
export function connectGrpc(grpcTarget) {
  const session = http2.connect(`http://${grpcTarget}`);
  session.on("error", () => {});
  return session;
}

function sendGrpc(wire, session) {
  return new Promise((resolve) => {
    let settled = false;
    let headers = null;
    const done = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    let stream;
    try {
      stream = session.request({ ":method": "POST", ":path": wire.path, te: "trailers", ...wire.headers });
    } catch (err) {
      resolve({ code: "transport", http: 0, detail: err.message });
      return;
    }
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      done(wire.stream && headers !== null ? { code: "cut", http: 200 } : wire.stream ? { code: "cut", http: 0 } : { code: "transport", http: 0, detail: "timeout" });
    }, wire.stream ? STREAM_READ_MS : REQUEST_TIMEOUT_MS);
    stream.on("response", (h) => {
      headers = h;
      if (h["grpc-status"] !== undefined) done({ code: GRPC_CODE_NAMES[Number(h["grpc-status"])] ?? `grpc_${h["grpc-status"]}`, http: h[":status"] });
    });
    stream.on("trailers", (t) => done({ code: GRPC_CODE_NAMES[Number(t["grpc-status"])] ?? `grpc_${t["grpc-status"]}`, http: headers?.[":status"] ?? 0 }));
    stream.on("data", () => {});
    stream.on("close", () => done(headers === null ? { code: "transport", http: 0, detail: `stream closed (rst ${stream.rstCode})` } : { code: headers[":status"] === 200 ? "no_status" : `http_${headers[":status"]}`, http: headers[":status"] }));
    stream.on("error", () => {});
    stream.end(Buffer.from(wire.body));
  });
}

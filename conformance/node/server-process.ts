/**
 * The "server command" the conformance runner (connectconformance --mode
 * server) starts for each server configuration it tests: it reads one
 * length-prefixed ServerCompatRequest from stdin and answers with a
 * ServerCompatResponse naming where that server listens.
 *
 * The servers themselves are already running: scripts/conformance.mjs starts
 * the conformance Worker (workerd, HTTP/1.1: Connect and gRPC-Web) and the
 * gRPC front door (h2c) once, before the runner, because starting workerd
 * per configuration would cost seconds each. So this command only checks
 * that it is asked for something those servers are (the config files never
 * ask for more), names the right one, and waits to be stopped.
 *
 * Environment: CONFORMANCE_WORKER_URL (http://127.0.0.1:PORT of the Worker),
 * CONFORMANCE_GRPC_TARGET (127.0.0.1:PORT of the front door),
 * CONFORMANCE_RECEIVE_LIMIT_BYTES (the request size limit both serve with).
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { HTTPVersion, Protocol } from "../gen/connectrpc/conformance/v1/config_pb.js";
import { ServerCompatRequestSchema, ServerCompatResponseSchema, type ServerCompatRequest } from "../gen/connectrpc/conformance/v1/server_compat_pb.js";

const LENGTH_PREFIX_BYTES = 4;
/** A ServerCompatRequest is a few hundred bytes (more with TLS material, which we never get). */
const REQUEST_BYTES_MAX = 1024 * 1024;

const request = fromBinary(ServerCompatRequestSchema, await readPrefixed());
const target = targetFor(request);
const response = toBinary(ServerCompatResponseSchema, create(ServerCompatResponseSchema, { host: target.host, port: target.port }));
const prefix = new Uint8Array(LENGTH_PREFIX_BYTES);
new DataView(prefix.buffer).setUint32(0, response.byteLength);
process.stdout.write(prefix);
process.stdout.write(response);

// Stay up until the runner is done with this configuration.
const keepAlive = setInterval(() => {}, 60_000);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    clearInterval(keepAlive);
    process.exit(0);
  });
}

function targetFor(req: ServerCompatRequest): { host: string; port: number } {
  const what = `${Protocol[req.protocol]} over ${HTTPVersion[req.httpVersion]}${req.useTls ? " with TLS" : ""}`;
  if (req.useTls) fail(`asked for ${what}: the local servers speak cleartext only`);
  // The runner always names a limit (200 KiB) and tests it when the config
  // declares supports_message_receive_limit. The Worker and the front door
  // were started with the limit the harness expects the runner to ask for;
  // any other would be tested against the wrong one.
  const limit = Number(env("CONFORMANCE_RECEIVE_LIMIT_BYTES"));
  if (req.messageReceiveLimit !== limit) fail(`asked for a message receive limit of ${req.messageReceiveLimit} bytes; the servers were started with ${limit}`);
  if (req.protocol === Protocol.GRPC) {
    if (req.httpVersion !== HTTPVersion.HTTP_VERSION_2) fail(`asked for ${what}: gRPC needs HTTP/2`);
    return hostPort(`http://${env("CONFORMANCE_GRPC_TARGET")}`);
  }
  if (req.protocol !== Protocol.CONNECT && req.protocol !== Protocol.GRPC_WEB) fail(`asked for ${what}: unknown protocol`);
  if (req.httpVersion !== HTTPVersion.HTTP_VERSION_1) fail(`asked for ${what}: local workerd serves HTTP/1.1 only`);
  return hostPort(env("CONFORMANCE_WORKER_URL"));
}

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") fail(`${name} is not set: run this through scripts/conformance.mjs`);
  return value;
}

function fail(message: string): never {
  console.error(`conformance server-process: ${message}`);
  process.exit(1);
}

async function readPrefixed(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  let wanted = Number.POSITIVE_INFINITY;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.byteLength;
    if (wanted === Number.POSITIVE_INFINITY && total >= LENGTH_PREFIX_BYTES) {
      wanted = LENGTH_PREFIX_BYTES + Buffer.concat(chunks).readUInt32BE(0);
      if (wanted > REQUEST_BYTES_MAX) fail(`a ServerCompatRequest of ${wanted} bytes is over ${REQUEST_BYTES_MAX}`);
    }
    if (total >= wanted) break;
  }
  const all = Buffer.concat(chunks);
  if (all.byteLength < wanted || wanted === Number.POSITIVE_INFINITY) fail("stdin ended before a whole ServerCompatRequest");
  return new Uint8Array(all.subarray(LENGTH_PREFIX_BYTES, wanted));
}

// Turns a generated request and a protocol plan into the bytes on the wire:
// which protocol, which content type, which envelope and compression, and
// which damage (scripts/fuzz/mutate.mjs). Also says what a request that the
// server acknowledged may have written, for the data check.
import fc from "fast-check";
import { fromBinary, fromJsonString, toBinary, fromJson, toJson } from "@bufbuild/protobuf";
import { binaryMutation, jsonMutation } from "./mutate.mjs";
import { envelope, gzip } from "./wire.mjs";

/** Protocols and their shares of the requests. */
const PROTOCOLS = [
  { weight: 30, arbitrary: fc.constant("connect-json") },
  { weight: 20, arbitrary: fc.constant("connect-proto") },
  { weight: 22, arbitrary: fc.constant("grpc-web") },
  { weight: 10, arbitrary: fc.constant("connect-get") },
  { weight: 18, arbitrary: fc.constant("grpc") },
];
const ENVELOPES = ["plain", "plain", "plain", "plain", "gzip", "flag-no-gzip", "gzip-no-header", "long-length", "short-length", "two", "none", "trailer-flag", "flags-ff", "unknown-encoding"];
const WRONG_CONTENT_TYPES = ["text/plain", "application/json", "application/proto", "application/grpc-web-text", "application/grpc-web+thrift", "application/grpc+json", "", "application/connect+proto; charset=x", "multipart/form-data"];
const TIMEOUT_HEADERS = [
  ["connect-timeout-ms", "0"], ["connect-timeout-ms", "-1"], ["connect-timeout-ms", "x"], ["connect-timeout-ms", "99999999999"], ["connect-timeout-ms", "1"],
  ["grpc-timeout", "1n"], ["grpc-timeout", "0S"], ["grpc-timeout", "99999999H"], ["grpc-timeout", "x"], ["grpc-timeout", "1m"],
  ["connect-protocol-version", "2"], ["x-request-id", "\u00ff".repeat(3)], ["x-request-id", "a".repeat(300)], ["grpc-encoding", "br"], ["content-encoding", "gzip"],
];

/** The wire plan of one request: protocol and the damage done. */
export const wirePlan = fc.record({
  protocol: fc.oneof(...PROTOCOLS),
  damage: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 4, arbitrary: fc.constant(true) }),
  binary: binaryMutation,
  json: jsonMutation,
  envelope: fc.constantFrom(...ENVELOPES),
  contentType: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...WRONG_CONTENT_TYPES) }),
  header: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...TIMEOUT_HEADERS) }),
  getBase64: fc.boolean(),
});

/**
 * Builds `{ protocol, method, path, query, headers, body, stream, message, label }`
 * for `request` ({ service, method, json }) under `plan`. `message` is the
 * request message as sent (JSON text or binary bytes, before framing) for
 * the data check; `label` names protocol and damage for the report.
 */
export function buildWire(request, plan, services) {
  const desc = services[request.service].method[lowerFirst(request.method)];
  const path = `/impossibledb.v1.${request.service}/${request.method}`;
  const stream = desc.methodKind === "server_streaming";
  const text = JSON.stringify(request.json);
  const binary = encodeBinary(desc.input, request.json);
  let protocol = plan.protocol;
  if (protocol === "connect-get" && (stream || desc.idempotency !== 1)) protocol = "connect-json";
  // A request whose values do not fit the schema has no binary form: JSON is where it goes.
  if (binary === null && protocol !== "connect-json" && protocol !== "connect-get") protocol = "connect-json";
  const headers = { ...request.headers };
  if (plan.header !== null) headers[plan.header[0]] = plan.header[1];
  // A request that must reach the server as generated (admin-requests.mjs: a refused shard count that damage could make valid).
  if (request.intact === true) plan = { ...plan, damage: false, envelope: "plain" };
  const base = { protocol, path, stream, headers, method: "POST" };
  if (protocol === "connect-json" || (protocol === "connect-get" && (plan.getBase64 === false || binary === null))) {
    const message = plan.damage ? plan.json.apply(text) : text;
    const bytes = typeof message === "string" ? new TextEncoder().encode(message) : message;
    const label = plan.damage ? plan.json.name : "valid-shape";
    if (protocol === "connect-get") return { ...base, method: "GET", query: `?connect=v1&encoding=json&message=${encodeURIComponent(new TextDecoder().decode(bytes))}`, message: bytes, label, kind: "json" };
    if (stream) {
      const body = frame(bytes, plan.envelope, "connect-content-encoding", headers);
      return { ...base, headers: { ...headers, "content-type": plan.contentType ?? "application/connect+json" }, body, message: bytes, label: `${label}/${plan.envelope}`, kind: "json" };
    }
    return { ...base, headers: { ...headers, "content-type": plan.contentType ?? "application/json" }, body: bytes, message: bytes, label, kind: "json" };
  }
  const message = plan.damage ? plan.binary.apply(binary) : binary;
  const label = plan.damage ? plan.binary.name : "valid-shape";
  if (protocol === "connect-get") {
    return { ...base, method: "GET", query: `?connect=v1&encoding=proto&base64=1&message=${Buffer.from(message).toString("base64url")}`, message, label, kind: "proto" };
  }
  if (protocol === "connect-proto" && !stream) {
    const gz = plan.envelope === "gzip";
    return { ...base, headers: { ...headers, "content-type": plan.contentType ?? "application/proto", ...(gz ? { "content-encoding": "gzip" } : {}) }, body: gz ? gzip(message) : message, message, label: gz ? `${label}/gzip` : label, kind: "proto" };
  }
  const contentType = { "connect-proto": "application/connect+proto", "grpc-web": "application/grpc-web+proto", grpc: "application/grpc+proto" }[protocol];
  const encodingHeader = protocol === "connect-proto" ? "connect-content-encoding" : "grpc-encoding";
  // Framing first: it may set the encoding header.
  const body = frame(message, plan.envelope, encodingHeader, headers);
  return { ...base, headers: { ...headers, "content-type": plan.contentType ?? contentType }, body, message, label: `${label}/${plan.envelope}`, kind: "proto" };
}

/** Frames `message` as the envelope variant says, setting the encoding header on `headers`. */
function frame(message, variant, encodingHeader, headers) {
  switch (variant) {
    case "gzip":
      headers[encodingHeader] = "gzip";
      return envelope(1, gzip(message));
    case "flag-no-gzip":
      headers[encodingHeader] = "gzip";
      return envelope(1, message);
    case "gzip-no-header":
      return envelope(1, gzip(message));
    case "unknown-encoding":
      headers[encodingHeader] = "snappy";
      return envelope(1, message);
    case "long-length":
      return envelope(0, message, message.length + 7);
    case "short-length":
      return envelope(0, message, Math.max(0, message.length - 1));
    case "two":
      return Buffer.concat([envelope(0, message), envelope(0, message)]);
    case "none":
      return new Uint8Array(0);
    case "trailer-flag":
      return envelope(0x80, message);
    case "flags-ff":
      return envelope(0xff, message);
    default:
      return envelope(0, message);
  }
}

function encodeBinary(schema, json) {
  try {
    return toBinary(schema, fromJson(schema, json));
  } catch {
    return null;
  }
}

const lowerFirst = (s) => s[0].toLowerCase() + s.slice(1);

/**
 * What an acknowledged request may have written: the documents it names
 * ("collection/id") and the collections it may have added documents to or
 * emptied (AddDocument, DeleteCollection). Decoded from the message as
 * sent, the way the server parsed it.
 */
export function writesOf(request, wire, services) {
  const schema = services[request.service].method[lowerFirst(request.method)].input;
  let json;
  try {
    const msg = wire.kind === "json" ? fromJsonString(schema, new TextDecoder().decode(wire.message)) : fromBinary(schema, wire.message);
    json = toJson(schema, msg);
  } catch {
    return null;
  }
  const docs = new Set();
  const collections = new Set();
  const walk = (node) => {
    if (node === null || typeof node !== "object") return;
    if (typeof node.collection === "string" && typeof node.id === "string") docs.add(`${node.collection}/${node.id}`);
    for (const value of Object.values(node)) walk(value);
  };
  walk(json);
  if (request.method === "AddDocument" || request.method === "DeleteCollection") collections.add(json.collection ?? "");
  return { docs, collections };
}

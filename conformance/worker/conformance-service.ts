/**
 * connectrpc.conformance.v1.ConformanceService, as the Connect conformance
 * runner's reference client expects a server to answer it
 * (docs/testing_servers.md in the module connectrpc.com/conformance): each
 * call echoes what the server saw (headers, timeout, the request itself) and
 * answers with the headers, trailers, data, delay and error its request's
 * response definition asks for.
 *
 * Only unary and server-streaming methods are implemented: a Worker cannot
 * hold a client stream or a bidirectional stream open while it answers
 * (conformance/config-*.yaml say so), and
 * `Unimplemented` must stay unimplemented, which the router answers itself.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  ConformancePayload_ConnectGetInfoSchema,
  ConformancePayload_RequestInfoSchema,
  ConformancePayloadSchema,
  ConformanceService,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  UnaryRequestSchema,
  type ConformancePayload_RequestInfo,
  type Error as ConformanceError,
  type Header,
  type UnaryResponseDefinition,
} from "../gen/connectrpc/conformance/v1/service_pb.js";

/** The longest delay a response definition may ask for; the runner's own cases stay far below it. */
export const RESPONSE_DELAY_MS_MAX = 30_000;
/** The most messages one server stream may be asked to send. */
export const STREAM_RESPONSES_MAX = 1_000;

/** Builds the service implementation. */
export function createConformanceService(): Partial<ServiceImpl<typeof ConformanceService>> {
  return {
    unary: (req, ctx) => answerUnary(req.responseDefinition, anyPack(UnaryRequestSchema, req), ctx),
    idempotentUnary: (req, ctx) => answerUnary(req.responseDefinition, anyPack(IdempotentUnaryRequestSchema, req), ctx),
    async *serverStream(req, ctx) {
      const def = req.responseDefinition;
      if (def !== undefined && def.responseData.length > STREAM_RESPONSES_MAX) {
        throw new ConnectError(`at most ${STREAM_RESPONSES_MAX} responses per stream`, Code.ResourceExhausted);
      }
      appendHeaders(ctx.responseHeader, def?.responseHeaders ?? []);
      appendHeaders(ctx.responseTrailer, def?.responseTrailers ?? []);
      const info = requestInfo(ctx, anyPack(ServerStreamRequestSchema, req));
      let sent = 0;
      for (const data of def?.responseData ?? []) {
        await delay(def?.responseDelayMs ?? 0, ctx.signal);
        // Only the first response echoes the request.
        yield { payload: create(ConformancePayloadSchema, { data, ...(sent === 0 ? { requestInfo: info } : {}) }) };
        sent += 1;
      }
      if (def?.error !== undefined) throw errorOf(def.error, sent === 0 ? info : undefined);
    },
  };
}

async function answerUnary(def: UnaryResponseDefinition | undefined, request: Any, ctx: HandlerContext) {
  appendHeaders(ctx.responseHeader, def?.responseHeaders ?? []);
  appendHeaders(ctx.responseTrailer, def?.responseTrailers ?? []);
  const info = requestInfo(ctx, request);
  await delay(def?.responseDelayMs ?? 0, ctx.signal);
  if (def?.response.case === "error") throw errorOf(def.response.value, info);
  const data = def?.response.case === "responseData" ? def.response.value : undefined;
  return { payload: create(ConformancePayloadSchema, { requestInfo: info, ...(data === undefined ? {} : { data }) }) };
}

/** What the server saw of the call: its headers, its timeout, the request, and for a Connect GET the query parameters. */
function requestInfo(ctx: HandlerContext, request: Any): ConformancePayload_RequestInfo {
  const timeoutMs = ctx.timeoutMs();
  const init: MessageInitShape<typeof ConformancePayload_RequestInfoSchema> = {
    requestHeaders: headersOf(ctx.requestHeader),
    requests: [request],
    ...(timeoutMs === undefined ? {} : { timeoutMs: BigInt(timeoutMs) }),
  };
  if (ctx.requestMethod === "GET") {
    const params: Header[] = [];
    new URL(ctx.url).searchParams.forEach((value, name) => params.push(header(name, [value])));
    init.connectGetInfo = create(ConformancePayload_ConnectGetInfoSchema, { queryParams: params });
  }
  return create(ConformancePayload_RequestInfoSchema, init);
}

/** The error a response definition asks for, carrying `info` as a detail when no message did. */
function errorOf(spec: ConformanceError, info: ConformancePayload_RequestInfo | undefined): ConnectError {
  const err = new ConnectError(spec.message ?? "", spec.code as number as Code);
  // The requested details go out as they came (any type, packed), then the request info.
  err.details = spec.details.map((d) => ({ type: d.typeUrl.slice(d.typeUrl.lastIndexOf("/") + 1), value: d.value }));
  if (info !== undefined) err.details.push({ desc: ConformancePayload_RequestInfoSchema, value: info });
  return err;
}

function headersOf(headers: Headers): Header[] {
  const out: Header[] = [];
  headers.forEach((value, name) => out.push(header(name, [value])));
  return out;
}

function header(name: string, value: string[]): Header {
  return { $typeName: "connectrpc.conformance.v1.Header", name, value };
}

function appendHeaders(target: Headers, headers: readonly Header[]): void {
  for (const h of headers) for (const value of h.value) target.append(h.name, value);
}

/** Waits `ms` (capped at RESPONSE_DELAY_MS_MAX), or until the call is over (its deadline passed or the client went away). */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, Math.min(ms, RESPONSE_DELAY_MS_MAX));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The protocol layer of our Workers: which protocols a router speaks, its
 * compression, limits and JSON rules, and the two interceptors that keep a
 * failure from ever reaching the wire as anything but a well-formed answer
 * with the right code. The database's router (router.ts) and the Connect
 * conformance Worker (conformance/src/worker.ts) are both built from it, so
 * the conformance suite checks the request path the database really runs.
 */
import type { Registry } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { asConnectError, codeOf } from "../errors.js";
import { REQUEST_BYTES_MAX } from "../limits.js";
import { malformedRequestKey, oversizedRequestKey, refusedRequestKey, requestBytesMaxKey } from "./binary-guard.js";
import { compressionGzip } from "./compression.js";

/**
 * Turns whatever a handler throws into a ConnectError with the right code,
 * so bad input never surfaces as INTERNAL and bugs never leak their text.
 */
export const errorInterceptor: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    if (!res.stream) return res;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* res.message;
        } catch (err) {
          // A client that went away ends its stream: that is no fault of ours
          // (long-lived streams such as Listen end this way all the time).
          // A call whose deadline passed ends with DEADLINE_EXCEEDED (the
          // signal's reason), not as cancelled.
          if (req.signal.aborted) {
            const reason: unknown = req.signal.reason;
            if (reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) throw reason;
            throw new ConnectError("the client cancelled the call", Code.Canceled);
          }
          throw asConnectError(err);
        }
      })(),
    };
  } catch (err) {
    throw asConnectError(err);
  }
};

/**
 * Refuses a request whose protocol framing is not allowed
 * (protocol-refusal.ts), or whose binary body did not parse or was too
 * large (the fetch handler's binary guard found out). The database's router runs it
 * after authentication, so only a caller with a credential learns about its
 * request's shape.
 */
export const inputGuardInterceptor: Interceptor = (next) => async (req) => {
  const refusal = req.contextValues.get(refusedRequestKey);
  if (refusal !== undefined) throw new ConnectError(refusal.message, codeOf(refusal.kind));
  const malformed = req.contextValues.get(malformedRequestKey);
  if (malformed !== undefined) throw new ConnectError(`request message does not parse: ${malformed}`, Code.InvalidArgument);
  const oversized = req.contextValues.get(oversizedRequestKey);
  if (oversized !== undefined) {
    throw new ConnectError(`request is ${oversized} bytes, over REQUEST_BYTES_MAX (${req.contextValues.get(requestBytesMaxKey)})`, Code.ResourceExhausted);
  }
  return next(req);
};

/** Options of {@link createProtocolRouter}. */
export interface ProtocolRouterOptions {
  /** The whole interceptor chain, outermost first; it should hold {@link errorInterceptor} and {@link inputGuardInterceptor}. */
  readonly interceptors: Interceptor[];
  /** Message types that `google.protobuf.Any` fields may hold in JSON (none by default). */
  readonly jsonRegistry?: Registry;
  /**
   * The largest request message, in bytes (after decompression), that a call
   * may carry: REQUEST_BYTES_MAX unless given. The fetch handler's must be
   * the same (FetchHandlerOptions.requestBytesMax).
   */
  readonly requestBytesMax?: number;
}

/**
 * A router that serves the Connect protocol (JSON and binary, GET for
 * idempotent methods) and gRPC-Web, with gzip and a request size limit. Raw
 * gRPC needs HTTP trailers, which a Worker cannot send; Cloudflare's edge
 * (or the local gRPC front door) turns gRPC into gRPC-Web before it
 * reaches us.
 */
export function createProtocolRouter(options: ProtocolRouterOptions): ConnectRouter {
  return createConnectRouter({
    grpc: false,
    grpcWeb: true,
    connect: true,
    acceptCompression: [compressionGzip],
    readMaxBytes: options.requestBytesMax ?? REQUEST_BYTES_MAX,
    // Unknown JSON fields are refused (a misspelt field would otherwise be
    // silently dropped). Binary unknown fields are skipped, as protobuf
    // specifies, so older servers keep working with newer clients.
    jsonOptions: { ignoreUnknownFields: false, ...(options.jsonRegistry === undefined ? {} : { registry: options.jsonRegistry }) },
    interceptors: options.interceptors,
  });
}

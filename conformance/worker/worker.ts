/**
 * The Connect conformance Worker: serves connectrpc.conformance.v1's
 * ConformanceService through the SAME request path as the database's Worker
 * (src/index.ts): the fetch handler with its binary guard and CORS
 * (src/server/fetch-handler.ts), the protocol layer with gzip, limits and
 * the error and input-guard interceptors (src/server/protocol.ts). Only the
 * service behind them differs, so what the conformance runner finds wrong is
 * wrong in the database too. scripts/conformance.mjs runs it on workerd
 * (`wrangler dev -c conformance/wrangler.toml`); docs/conformance.md says how.
 */
import { createRegistry } from "@bufbuild/protobuf";
import type { Env } from "../../src/env.js";
import { createFetchHandler, type FetchHandler } from "../../src/server/fetch-handler.js";
import { createProtocolRouter, errorInterceptor, inputGuardInterceptor } from "../../src/server/protocol.js";
import {
  ConformancePayload_RequestInfoSchema,
  ConformanceService,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  UnaryRequestSchema,
} from "../gen/connectrpc/conformance/v1/service_pb.js";
import { createConformanceService } from "./conformance-service.js";

/** Builds the request path with the given request size limit (REQUEST_BYTES_MAX when undefined). */
function createHandler(requestBytesMax: number | undefined): FetchHandler {
  const router = createProtocolRouter({
    interceptors: [errorInterceptor, inputGuardInterceptor],
    // Responses echo requests as google.protobuf.Any, which JSON writes out by type.
    jsonRegistry: createRegistry(UnaryRequestSchema, IdempotentUnaryRequestSchema, ServerStreamRequestSchema, ConformancePayload_RequestInfoSchema),
    ...(requestBytesMax === undefined ? {} : { requestBytesMax }),
  });
  router.service(ConformanceService, createConformanceService());
  return createFetchHandler(router, requestBytesMax === undefined ? {} : { requestBytesMax });
}

/** The bindings this Worker has: the var the fetch handler reads on an RPC path, and the size limit to serve with. */
interface ConformanceEnv {
  readonly CORS_ALLOWED_ORIGINS: string;
  /**
   * The request size limit, in bytes, that the conformance runner asks
   * servers to enforce (it tests it with messages just over it);
   * REQUEST_BYTES_MAX when unset. scripts/conformance.mjs sets it.
   */
  readonly MESSAGE_RECEIVE_LIMIT_BYTES?: string;
}

// Built on the first request, when the bindings (and so the limit) are known.
let handle: FetchHandler | undefined;

export default {
  fetch(request, env) {
    if (handle === undefined) {
      const limit = env.MESSAGE_RECEIVE_LIMIT_BYTES;
      const requestBytesMax = limit === undefined || limit === "" ? undefined : Number(limit);
      if (requestBytesMax !== undefined && !(Number.isInteger(requestBytesMax) && requestBytesMax > 0)) {
        throw new Error(`MESSAGE_RECEIVE_LIMIT_BYTES must be a positive integer, got ${JSON.stringify(limit)}`);
      }
      handle = createHandler(requestBytesMax);
    }
    // The fetch handler is typed for the database's Env, but on an RPC path
    // it reads only CORS_ALLOWED_ORIGINS and hands the rest to services as a
    // context value, which the ConformanceService never reads.
    return handle(request, env as unknown as Env);
  },
} satisfies ExportedHandler<ConformanceEnv>;

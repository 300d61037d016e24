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
import { createFetchHandler } from "../../src/server/fetch-handler.js";
import { createProtocolRouter, errorInterceptor, inputGuardInterceptor } from "../../src/server/protocol.js";
import {
  ConformancePayload_RequestInfoSchema,
  ConformanceService,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  UnaryRequestSchema,
} from "../gen/connectrpc/conformance/v1/service_pb.js";
import { createConformanceService } from "./conformance-service.js";

const router = createProtocolRouter({
  interceptors: [errorInterceptor, inputGuardInterceptor],
  // Responses echo requests as google.protobuf.Any, which JSON writes out by type.
  jsonRegistry: createRegistry(UnaryRequestSchema, IdempotentUnaryRequestSchema, ServerStreamRequestSchema, ConformancePayload_RequestInfoSchema),
});
router.service(ConformanceService, createConformanceService());
const handle = createFetchHandler(router);

/** The bindings this Worker has: only the var the fetch handler reads on an RPC path. */
interface ConformanceEnv {
  readonly CORS_ALLOWED_ORIGINS: string;
}

export default {
  fetch(request, env) {
    // The fetch handler is typed for the database's Env, but on an RPC path
    // it reads only CORS_ALLOWED_ORIGINS and hands the rest to services as a
    // context value, which the ConformanceService never reads.
    return handle(request, env as unknown as Env);
  },
} satisfies ExportedHandler<ConformanceEnv>;

/**
 * The Connect router: every service of the v1 contract, with validation of
 * the protos' buf.validate rules, gzip, and the request size limit. It
 * serves the Connect protocol (JSON and binary) and gRPC-Web. Raw gRPC needs
 * HTTP trailers, which a Worker cannot send; Cloudflare's edge (or the local
 * gRPC front door) turns gRPC into gRPC-Web before it reaches us.
 */
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { createAuthInterceptor, type AuthInterceptorOptions } from "../auth/interceptor.js";
import { asConnectError } from "../errors.js";
import { REQUEST_BYTES_MAX } from "../limits.js";
import { createAdminService } from "../services/admin-service.js";
import { createCollectionService } from "../services/collection-service.js";
import { createQueryService } from "../services/query-service.js";
import { createTransactionService } from "../services/transaction-service.js";
import { malformedRequestKey, oversizedRequestKey } from "./binary-guard.js";
import { compressionGzip } from "./compression.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { createObserveInterceptor } from "./observe.js";
import { databaseInterceptor } from "./database.js";
import { routingRetryInterceptor } from "./routing-retry.js";

/**
 * Turns whatever a handler throws into a ConnectError with the right code,
 * so bad input never surfaces as INTERNAL and bugs never leak their text.
 */
const errorInterceptor: Interceptor = (next) => async (req) => {
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
          if (req.signal.aborted) throw new ConnectError("the client cancelled the call", Code.Canceled);
          throw asConnectError(err);
        }
      })(),
    };
  } catch (err) {
    throw asConnectError(err);
  }
};

/**
 * Refuses a request whose binary body did not parse or was too large (the
 * fetch handler's binary guard found out). It runs after authentication, so
 * only a caller with a credential learns about its request's shape.
 */
const inputGuardInterceptor: Interceptor = (next) => async (req) => {
  const malformed = req.contextValues.get(malformedRequestKey);
  if (malformed !== undefined) throw new ConnectError(`request message does not parse: ${malformed}`, Code.InvalidArgument);
  const oversized = req.contextValues.get(oversizedRequestKey);
  if (oversized !== undefined) {
    throw new ConnectError(`request is ${oversized} bytes, over REQUEST_BYTES_MAX (${REQUEST_BYTES_MAX})`, Code.ResourceExhausted);
  }
  return next(req);
};

/** Options of {@link createRouter}. */
export interface RouterOptions {
  /** Where calls are counted; a fresh set (this isolate's) unless given. */
  readonly metrics?: Metrics;
  /** Options of the auth interceptor (tests replace its JWKS and clock). */
  readonly auth?: AuthInterceptorOptions;
}

/** Builds the router with every service registered. */
export function createRouter(options: RouterOptions = {}): ConnectRouter {
  const metrics = options.metrics ?? createMetrics({ nowMs: () => Date.now() });
  const router = createConnectRouter({
    grpc: false,
    grpcWeb: true,
    connect: true,
    acceptCompression: [compressionGzip],
    readMaxBytes: REQUEST_BYTES_MAX,
    // Unknown JSON fields are refused (a misspelt field would otherwise be
    // silently dropped). Binary unknown fields are skipped, as protobuf
    // specifies, so older servers keep working with newer clients.
    jsonOptions: { ignoreUnknownFields: false },
    // The first interceptor is the outermost: the observer sees every call
    // with the code the error interceptor mapped it to. Authentication comes
    // before validation, so a caller without a credential learns nothing,
    // not even whether its request is well-formed (or whether the database
    // it names exists). The database is resolved last, so a request that is
    // refused for its shape costs no catalog lookup.
    interceptors: [
      createObserveInterceptor({ metrics }),
      errorInterceptor,
      createAuthInterceptor(options.auth),
      inputGuardInterceptor,
      createValidateInterceptor(),
      databaseInterceptor,
      routingRetryInterceptor,
    ],
  });
  router.service(CollectionService, createCollectionService());
  router.service(QueryService, createQueryService());
  router.service(TransactionService, createTransactionService());
  router.service(AdminService, createAdminService({ metrics }));
  return router;
}

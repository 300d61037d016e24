/**
 * The Connect router: every service of the v1 contract, with observation,
 * authentication and validation of the protos' buf.validate rules, on the
 * protocol layer of protocol.ts (Connect and gRPC-Web, gzip, the request
 * size limit).
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { createAuthInterceptor, type AuthInterceptorOptions } from "../auth/interceptor.js";
import { createAdminService } from "../services/admin-service.js";
import { createCollectionService } from "../services/collection-service.js";
import { createQueryService } from "../services/query-service.js";
import { createTransactionService } from "../services/transaction-service.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { createObserveInterceptor } from "./observe.js";
import { databaseInterceptor } from "./database.js";
import { createProtocolRouter, errorInterceptor, inputGuardInterceptor } from "./protocol.js";
import { routingRetryInterceptor } from "./routing-retry.js";

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
  const router = createProtocolRouter({
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

/**
 * The ImpossibleDB Worker: serves the v1 contract over Connect and gRPC-Web
 * and dispatches into the shard and shard-manager Durable Objects.
 */
import type { Env } from "./env.js";
import { createFetchHandler } from "./server/fetch-handler.js";
import { createRouter } from "./server/router.js";

export { StorageObject } from "./objects/StorageObject.js";
export { ShardManager } from "./objects/ShardManager.js";
export { TransactionCoordinator } from "./objects/TransactionCoordinator.js";
export { ApiKeyStore } from "./objects/ApiKeyStore.js";

const handle = createFetchHandler(createRouter());

export default {
  fetch(request, env, ctx) {
    return handle(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

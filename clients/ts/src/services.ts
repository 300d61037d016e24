/**
 * The generated clients of every service, over one transport. Collection,
 * QueryBuilder and Transaction are thin layers over these.
 */
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { AdminService } from "./gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "./gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "./gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "./gen/impossibledb/v1/transaction_service_pb.js";

/** One generated client per service. */
export interface Services {
  collection: Client<typeof CollectionService>;
  query: Client<typeof QueryService>;
  transaction: Client<typeof TransactionService>;
  admin: Client<typeof AdminService>;
  /**
   * QueryService without the transport's deadline and retries, for Listen:
   * a listener runs until it is cancelled and reconnects itself (listen.ts).
   */
  live: Client<typeof QueryService>;
}

/** The generated clients over `transport`; Listen's over `liveTransport`. */
export function createServices(transport: Transport, liveTransport: Transport = transport): Services {
  return {
    collection: createClient(CollectionService, transport),
    query: createClient(QueryService, transport),
    transaction: createClient(TransactionService, transport),
    admin: createClient(AdminService, transport),
    live: createClient(QueryService, liveTransport),
  };
}

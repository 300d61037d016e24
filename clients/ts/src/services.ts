/**
 * The generated clients of every service, over one transport, and how
 * their answers' typed values become JavaScript's (the decoder). Collection,
 * QueryBuilder and Transaction are thin layers over these.
 */
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { Collection } from "./Collection.js";
import { DocumentReference } from "./DocumentReference.js";
import type { ValueDecoder } from "./value-codec.js";
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
  /** How reads turn typed values into JavaScript's types (the client's `timestamps` and `values` options). */
  decoder: ValueDecoder;
}

/** How reads decode values: ImpossibleDBClientOptions' `timestamps` and `values`. */
export interface DecoderOptions {
  /** Timestamps as Dates ("date", the default) or Timestamps. */
  timestamps?: "date" | "timestamp";
  /** Documents in JavaScript's types ("typed", the default) or their JSON form. */
  values?: "typed" | "json";
}

/** The generated clients over `transport`; Listen's over `liveTransport`. */
export function createServices(transport: Transport, liveTransport: Transport = transport, options: DecoderOptions = {}): Services {
  const services: Services = {
    collection: createClient(CollectionService, transport),
    query: createClient(QueryService, transport),
    transaction: createClient(TransactionService, transport),
    admin: createClient(AdminService, transport),
    live: createClient(QueryService, liveTransport),
    decoder: {
      timestamps: options.timestamps ?? "date",
      values: options.values ?? "typed",
      // A reference read back is a handle of this client, as collection(name).doc(id) makes.
      reference: (collection, id) => new DocumentReference(services, new Collection(services, collection), id),
    },
  };
  return services;
}

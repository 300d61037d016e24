/**
 * How the console reaches the database: one set of Connect-Web clients per
 * (server, database). Everything the console calls goes through
 * `createConsoleClients`, so a database picker only has to make a new set
 * with another `database`, and live updates (Listen) another client here.
 */
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";

/** The request header that names the database a call is for. */
export const DATABASE_HEADER = "impossibledb-database";

/** Where the console's calls go. */
export interface ConnectionOptions {
  /** The Worker's base URL; the console is served by it, so normally its own origin. */
  readonly baseUrl: string;
  /** The database to call; unset means the server's default database. */
  readonly database?: string;
  /** The API key (or JWT) sent as `authorization: Bearer`, for a server with auth required. */
  readonly apiKey?: string;
}

/** The clients the panels call. */
export interface ConsoleClients {
  readonly options: ConnectionOptions;
  readonly collections: Client<typeof CollectionService>;
  readonly queries: Client<typeof QueryService>;
  readonly admin: Client<typeof AdminService>;
}

/** Makes the clients for one server and database, over Connect with binary messages. */
export function createConsoleClients(options: ConnectionOptions): ConsoleClients {
  const interceptors: Interceptor[] = [];
  const database = options.database;
  if (database !== undefined && database !== "") {
    interceptors.push((next) => (req) => {
      req.header.set(DATABASE_HEADER, database);
      return next(req);
    });
  }
  const apiKey = options.apiKey;
  if (apiKey !== undefined && apiKey !== "") {
    interceptors.push((next) => (req) => {
      req.header.set("authorization", `Bearer ${apiKey}`);
      return next(req);
    });
  }
  const transport = createConnectTransport({ baseUrl: options.baseUrl, useBinaryFormat: true, interceptors });
  return {
    options,
    collections: createClient(CollectionService, transport),
    queries: createClient(QueryService, transport),
    admin: createClient(AdminService, transport),
  };
}

/** Hands the current clients to every panel. */
export const ClientsContext = createContext<ConsoleClients | null>(null);

/** The clients of the surrounding `ClientsContext`; a panel outside one is a bug. */
export function useClients(): ConsoleClients {
  const clients = useContext(ClientsContext);
  if (clients === null) throw new Error("useClients: no ClientsContext above this component");
  return clients;
}

/**
 * ImpossibleDB through its public RPC: the real Worker (`wrangler.toml`,
 * `src/index.ts`) on local workerd, called with the generated
 * CollectionService client over Connect binary on HTTP/1.1.
 *
 * The gRPC path (the front door in front of this same Worker) is
 * `impossibledb-grpc.ts`; it reuses this system's driver over its own
 * transport.
 */
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { compressionGzip } from "@connectrpc/connect-node";
import { createTransport } from "@connectrpc/connect/protocol-connect";
import { createSizedBodyHttpClient } from "../lib/sized-bodies.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { COLLECTION, LISTENERS_MAX } from "../config.js";
import { workerdPids } from "../lib/cpu.js";
import { createKeepAliveAgent } from "../lib/http.js";
import type { Document, Driver, RunningSystem } from "./types.js";
import { startWorkerd } from "./workerd-host.js";
import { createImpossibleDbListen, createImpossibleDbQuery, createImpossibleDbTx } from "./impossibledb-extensions.js";

export interface ImpossibleDbOptions {
  readonly port: number;
  readonly shardCount: number;
  readonly socketsMax: number;
  /** False: shards keep no document cache (SHARD_DOCUMENT_CACHE=off), the cache benchmark's baseline. On by default, as deployed. */
  readonly documentCache?: boolean;
}


/** ImpossibleDB, plus probes of parts of its path (for profiling). */
export interface RunningImpossibleDb extends RunningSystem {
  /** The Worker's base URL. */
  readonly url: string;
  probeNoop(): Promise<void>;
  probeGetGzip(id: string): Promise<void>;
}

export async function startImpossibleDb(options: ImpossibleDbOptions): Promise<RunningImpossibleDb> {
  const before = await workerdPids();
  const host = await startWorkerd({ configPath: "wrangler.toml", port: options.port, vars: { SHARD_COUNT: String(options.shardCount), SHARD_DOCUMENT_CACHE: options.documentCache === false ? "off" : "on" } });
  const pids = (await workerdPids()).filter((p) => !before.includes(p));
  const transportWith = (acceptGzip: boolean, socketsMax = options.socketsMax) =>
    // connect-node's Connect transport, but with an HTTP client that sends
    // unary bodies with a Content-Length, as the floor's client does
    // (lib/sized-bodies.ts).
    createTransport({
      baseUrl: host.url,
      useBinaryFormat: true,
      // Compression off for the comparison: on a local link it only costs
      // CPU, and the floor sends its JSON uncompressed. The gzip probe
      // measures what accepting it costs.
      acceptCompression: acceptGzip ? [compressionGzip] : [],
      sendCompression: null,
      compressMinBytes: 1024,
      readMaxBytes: 0xffffffff,
      writeMaxBytes: 0xffffffff,
      interceptors: [],
      httpClient: createSizedBodyHttpClient({ httpVersion: "1.1", nodeOptions: { agent: createKeepAliveAgent(socketsMax) } }),
    });
  const transport = transportWith(false);
  // Listeners get their own agent: each open stream holds a socket, and
  // must not take the ones the workloads' requests queue for.
  const listenTransport = transportWith(false, LISTENERS_MAX);
  const gzipClient = createClient(CollectionService, transportWith(true));
  const admin = createClient(AdminService, transport);
  return {
    id: "impossibledb",
    label: "ImpossibleDB (Connect)",
    setup: `Worker + ${options.shardCount} shard DOs on workerd via Miniflare; Connect binary over HTTP/1.1 (connect-node), compression off${options.documentCache === false ? "; shard document cache OFF" : ""}`,
    url: host.url,
    driver: { ...createDriver(transport), listen: createImpossibleDbListen(transport, listenTransport) },
    serverPids: pids,
    concurrent: true,
    /** An RPC that goes through Connect, the interceptors and the routing cache but calls no shard. */
    async probeNoop() {
      await admin.getRoutingTable({});
    },
    /** A point get from a client that accepts gzip (connect-node's default). */
    async probeGetGzip(id: string) {
      await gzipClient.getDocument({ ref: { collection: COLLECTION, id } });
    },
    stop: () => host.stop(),
  };
}

/** The workload driver over any transport to the Worker (Connect here, gRPC through the front door). */
export function createDriver(transport: Transport): Driver {
  const client = createClient(CollectionService, transport);
  const ref = (id: string) => ({ collection: COLLECTION, id });
  return {
    tx: createImpossibleDbTx(transport),
    query: createImpossibleDbQuery(transport),
    async get(id) {
      try {
        const { document } = await client.getDocument({ ref: ref(id) });
        return document === undefined ? null : { data: (document.data ?? {}) as Document, version: Number(document.version) };
      } catch (err) {
        if (err instanceof ConnectError && err.code === Code.NotFound) return null;
        throw err;
      }
    },
    async put(id, data) {
      await client.setDocument({ ref: ref(id), data });
    },
    async putIfVersion(id, data, version) {
      try {
        await client.setDocument({ ref: ref(id), data, precondition: { condition: { case: "version", value: BigInt(version) } } });
        return true;
      } catch (err) {
        if (err instanceof ConnectError && err.code === Code.FailedPrecondition) return false;
        throw err;
      }
    },
    async increment(id, field, by) {
      const { transformResults } = await client.updateDocument({
        ref: ref(id),
        patch: { data: {} },
        transforms: [{ fieldPath: field, transformType: { case: "increment", value: { kind: { case: "numberValue", value: by } } } }],
      });
      const value = transformResults[0]?.kind;
      if (value?.case !== "numberValue") throw new Error(`UpdateDocument answered no number for ${field}`);
      return value.value;
    },
    async batchGet(ids) {
      const { results } = await client.batchGetDocuments({ refs: ids.map(ref) });
      return results.filter((r) => r.found).length;
    },
    async batchPut(entries) {
      const { statuses } = await client.batchWriteDocuments({
        writes: entries.map(([id, data]) => ({ ref: ref(id), operation: { case: "set", value: data } })),
      });
      const failed = statuses.find((s) => s.code !== 0);
      if (failed !== undefined) throw new Error(`batch write failed: code ${failed.code}: ${failed.message}`);
    },
  };
}

/**
 * Where ImpossibleDB's request path spends its time. workerd has no
 * --cpu-prof, so the path is cut into pieces that can each be driven on
 * their own, and each piece's workerd CPU per request is measured from
 * /proc while it runs at saturation:
 *
 *   floor /noop        HTTP + Worker invocation
 *   floor /do-noop     + a Durable Object call
 *   floor /get         + the SQL read (the floor)
 *   idb GetRoutingTable  HTTP + Worker + Connect + interceptors + routing cache, no shard call
 *   idb GetDocument    the whole path
 *
 * The Connect codec and protovalidate are also timed in the harness's Node
 * (the same V8 as workerd), on the messages a point get and put carry.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import type { ConnectRouter } from "@connectrpc/connect";
import { GetDocumentResponseSchema, SetDocumentRequestSchema } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { COLLECTION } from "../config.js";
import { createDocument } from "./document.js";
import { createRandom } from "./keys.js";
import { closedLoop, type Operation } from "./loops.js";
import { startCpuMeter } from "./cpu.js";

export interface ProbeResult {
  readonly probe: string;
  readonly opsPerSecond: number;
  /** workerd CPU per request, microseconds. */
  readonly serverCpuUsPerOp: number;
  /** Median latency at the probe's concurrency, milliseconds. */
  readonly p50Ms: number;
}

export async function runProbe(
  probe: string,
  serverPids: readonly number[],
  next: () => Operation,
  options: { concurrency: number; warmupMs: number; measureMs: number },
): Promise<ProbeResult> {
  await closedLoop(next, { concurrency: options.concurrency, warmupMs: 0, measureMs: options.warmupMs });
  const meter = await startCpuMeter(serverPids);
  const result = await closedLoop(next, { concurrency: options.concurrency, warmupMs: 0, measureMs: options.measureMs });
  const cpu = await meter.stop();
  return {
    probe,
    opsPerSecond: result.opsPerSecond,
    serverCpuUsPerOp: (cpu.serverCpuSeconds * 1e6) / Math.max(1, result.ops),
    p50Ms: result.histogram.getValueAtPercentile(50) / 1000,
  };
}

/** Microseconds per call of `fn`, over at least `minMs`. */
function timeUs(fn: () => unknown, minMs: number): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return ((performance.now() - t0) * 1000) / n;
}

/** Codec, validation and Connect plumbing costs, timed in Node. */
export async function nodeCosts(minMs: number): Promise<Record<string, number>> {
  // The fetch handler's imports reach src/server/database.ts, which imports
  // a Durable Object class (cloudflare:workers) that Node cannot load; until
  // that chain is cut, the probe is left out rather than failing the run
  // after every measurement is taken.
  const plumbingUs = await connectPlumbingUsInNode(minMs).catch((err: unknown) => {
    console.error(`bench: the Connect plumbing probe cannot run in Node, left out: ${String(err).split("\n")[0]}`);
    return undefined;
  });
  return {
    ...codecCosts(minMs),
    ...(plumbingUs === undefined ? {} : { "Connect plumbing: the Worker's fetch handler + router + interceptors, one empty unary call": plumbingUs }),
    "reference: a bare Request + Response round trip, bodies read": await bareFetchRoundTripUs(minMs),
  };
}

/** Codec and validation costs of a point get's response and a point put's request, in Node. */
function codecCosts(minMs: number): Record<string, number> {
  const data = createDocument(createRandom(7));
  const getResponse = create(GetDocumentResponseSchema, {
    document: { collection: COLLECTION, id: "user0000000001", data, version: 42n },
  });
  const getBytes = toBinary(GetDocumentResponseSchema, getResponse);
  const setRequest = create(SetDocumentRequestSchema, { ref: { collection: COLLECTION, id: "user0000000001" }, data });
  const setBytes = toBinary(SetDocumentRequestSchema, setRequest);
  const validator = createValidator();
  const json = JSON.stringify(data);
  return {
    "encode GetDocumentResponse (1 KB doc)": timeUs(() => toBinary(GetDocumentResponseSchema, getResponse), minMs),
    "decode GetDocumentResponse": timeUs(() => fromBinary(GetDocumentResponseSchema, getBytes), minMs),
    "encode SetDocumentRequest (1 KB doc)": timeUs(() => toBinary(SetDocumentRequestSchema, setRequest), minMs),
    "decode SetDocumentRequest": timeUs(() => fromBinary(SetDocumentRequestSchema, setBytes), minMs),
    "protovalidate SetDocumentRequest": timeUs(() => validator.validate(SetDocumentRequestSchema, setRequest), minMs),
    "JSON.stringify document (reference)": timeUs(() => JSON.stringify(data), minMs),
    "JSON.parse document (reference)": timeUs(() => JSON.parse(json), minMs),
  };
}

/**
 * The Worker's fetch handler and a Connect router with the same options and
 * interceptors as ImpossibleDB's, run in the harness's Node: an AdminService
 * whose GetRoutingTable answers a fixed table (the real one needs a Durable
 * Object binding). What Connect's plumbing costs in plain V8, to set beside
 * what the same call costs inside workerd.
 */
async function connectPlumbingUsInNode(minMs: number): Promise<number> {
  const { createConnectRouter } = await import("@connectrpc/connect");
  const { createValidateInterceptor } = await import("@connectrpc/validate");
  const { AdminService, GetRoutingTableRequestSchema } = await import("../../gen/impossibledb/v1/admin_service_pb.js");
  // Imported through a variable: the module's types reach into the Worker's
  // (Durable Object bindings), which the Node type-check does not load. At
  // run time it needs only web APIs and Connect.
  const fetchHandlerModule: string = "../../src/server/fetch-handler.js";
  const { createFetchHandler } = (await import(fetchHandlerModule)) as {
    createFetchHandler: (router: ConnectRouter) => (request: Request, env: unknown) => Promise<Response>;
  };
  const { compressionGzip } = await import("../../src/server/compression.js");
  const router = createConnectRouter({
    grpc: false,
    grpcWeb: true,
    connect: true,
    acceptCompression: [compressionGzip],
    jsonOptions: { ignoreUnknownFields: false },
    interceptors: [(next) => async (req) => next(req), createValidateInterceptor()],
  });
  router.service(AdminService, {
    getRoutingTable: () => ({ table: { version: 1n, shards: Array.from({ length: 8 }, (_, i) => ({ id: `shard-${i}` })), virtualNodesPerShard: 1024 } }),
  });
  const handle = createFetchHandler(router);
  const env = { CORS_ALLOWED_ORIGINS: "*" };
  const body = toBinary(GetRoutingTableRequestSchema, create(GetRoutingTableRequestSchema, {}));
  return timeAsyncUs(async () => {
    const res = await handle(
      new Request("http://bench/impossibledb.v1.AdminService/GetRoutingTable", { method: "POST", headers: { "Content-Type": "application/proto" }, body }),
      env,
    );
    await res.arrayBuffer();
  }, minMs);
}

/** The floor of the above: what Node's own Request and Response cost. */
function bareFetchRoundTripUs(minMs: number): Promise<number> {
  const body = new Uint8Array(0);
  return timeAsyncUs(async () => {
    const req = new Request("http://bench/x", { method: "POST", headers: { "Content-Type": "application/proto" }, body });
    await req.arrayBuffer();
    await new Response("null").arrayBuffer();
  }, minMs);
}

async function timeAsyncUs(fn: () => Promise<void>, minMs: number): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    await fn();
    n++;
  }
  return ((performance.now() - t0) * 1000) / n;
}

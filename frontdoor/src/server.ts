/**
 * The gRPC front door: an HTTP/2 (h2c) server that accepts real gRPC and
 * forwards it to the Worker as gRPC-Web. Locally it plays the part that
 * Cloudflare's edge plays in production, where gRPC is rewritten to gRPC-Web
 * before it reaches a Worker (which cannot send HTTP trailers). It also
 * serves grpc.health.v1 and server reflection, which live here rather than
 * in the Worker because only gRPC clients ask for them.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createRegistry, type DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, createGrpcWebTransport, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { Code, createConnectRouter, createContextValues } from "@connectrpc/connect";
import { clampGrpcTimeout } from "./grpc-timeout.js";
import { EMPTY_ENVELOPE, EMPTY_JSON_ENVELOPE, grpcCodecOf, malformedMessageInterceptor, malformedMessageKey, malformedReason } from "./message-guard.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createDescriptorIndex } from "./descriptor-index.js";
import { forwardService } from "./forward.js";
import { createWorkerProbe, registerHealth, type HealthProbe } from "./health.js";
import { REQUEST_BYTES_MAX, SHUTDOWN_GRACE_MS } from "./limits.js";
import { registerReflection } from "./reflection.js";

/** The services of the v1 contract, all forwarded to the Worker. */
export const FORWARDED_SERVICES: readonly DescService[] = [CollectionService, QueryService, TransactionService, AdminService];

/** Options of createFrontDoor. */
export interface FrontDoorOptions {
  /** The Worker's base URL, such as http://127.0.0.1:8787. */
  upstreamUrl: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to listen on; 127.0.0.1 when unset. */
  host?: string;
  /** Overrides the health probe (tests); asks the Worker when unset. */
  healthProbe?: HealthProbe;
  /** How often health Watch probes again. */
  healthWatchIntervalMs?: number;
  /**
   * The services to forward; FORWARDED_SERVICES (the v1 contract) when
   * unset. The Connect conformance harness forwards its ConformanceService
   * through the same front door (scripts/conformance.mjs). Their methods
   * that cannot reach a Worker answer UNIMPLEMENTED; those of the default
   * services make the front door refuse to start.
   */
  services?: readonly DescService[];
  /**
   * The largest request message in bytes: REQUEST_BYTES_MAX (the Worker's
   * own) unless given. The conformance harness gives the limit its runner
   * tests with.
   */
  requestBytesMax?: number;
}

/** A running front door. */
export interface FrontDoor {
  /** The port it listens on. */
  readonly port: number;
  /** host:port, the form gRPC clients take as their target. */
  readonly target: string;
  /** Stops accepting calls, waits up to SHUTDOWN_GRACE_MS for open ones, then closes. */
  close(): Promise<void>;
}

/** Builds the routes: forwarded services, health, reflection. */
export function frontDoorRoutes(options: Pick<FrontDoorOptions, "upstreamUrl" | "healthProbe" | "healthWatchIntervalMs" | "services">) {
  const upstream = createGrpcWebTransport({ baseUrl: options.upstreamUrl, httpVersion: "1.1" });
  const forwarded = options.services ?? FORWARDED_SERVICES;
  const served = [...forwarded, Health, ServerReflectionV1, ServerReflectionV1Alpha];
  return (router: ConnectRouter): void => {
    for (const service of forwarded) forwardService(router, service, upstream, options.services === undefined ? "refuse" : "unimplemented");
    registerHealth(router, {
      serviceNames: served.map((s) => s.typeName),
      probe: options.healthProbe ?? createWorkerProbe(options.upstreamUrl),
      watchIntervalMs: options.healthWatchIntervalMs,
    });
    registerReflection(router, createDescriptorIndex(served));
  };
}

/** Starts the front door and resolves once it listens. */
export async function createFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const host = options.host ?? "127.0.0.1";
  const server = http2.createServer(createGuardedHandler(options));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    target: `${host}:${port}`,
    close: () => closeServer(server, sessions),
  };
}

/**
 * Closes gracefully: new connections are refused, each session gets a
 * GOAWAY and may finish its open streams; sessions still open after
 * SHUTDOWN_GRACE_MS (a Watch stream, say) are destroyed.
 */
function closeServer(server: http2.Http2Server, sessions: Set<http2.ServerHttp2Session>): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => sessions.forEach((s) => s.destroy()), SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    sessions.forEach((s) => s.close());
  });
}

/** Answers a gRPC call with a status and no message: headers, then the status in trailers. */
function answerStatus(res: http2.Http2ServerResponse, code: Code, message: string): void {
  res.writeHead(200, { "content-type": "application/grpc" });
  res.addTrailers({ "grpc-status": String(code), "grpc-message": encodeURIComponent(message) });
  res.end();
}

/**
 * The request handler: connect-node's adapter, except that for methods
 * that take one request message (unary and server streaming) the request
 * body is read and its message checked first (message-guard.ts), so a message
 * that does not parse answers INVALID_ARGUMENT rather than INTERNAL. A body
 * over REQUEST_BYTES_MAX is passed on unread for connect to refuse.
 */
function createGuardedHandler(options: FrontDoorOptions) {
  const requestBytesMax = options.requestBytesMax ?? REQUEST_BYTES_MAX;
  const router = createConnectRouter({
    grpc: true,
    grpcWeb: false,
    connect: false,
    readMaxBytes: requestBytesMax,
    acceptCompression: [compressionGzip, compressionBrotli],
    // The JSON codec (application/grpc+json) writes a google.protobuf.Any
    // by its type, which must be known: every message of the forwarded
    // services' files is (the conformance service echoes requests as Any).
    jsonOptions: { registry: createRegistry(...(options.services ?? FORWARDED_SERVICES).map((s) => s.file)) },
    interceptors: [malformedMessageInterceptor],
  });
  frontDoorRoutes(options)(router);
  const paths = new Map(router.handlers.map((h) => [h.requestPath, h]));
  return (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void => {
    const path = req.url.split("?", 2)[0] ?? "";
    const handler = paths.get(path);
    if (handler === undefined) {
      // gRPC's answer to a method it does not know is UNIMPLEMENTED with
      // HTTP 200 (gRPC over HTTP/2, "Responses"); anything else gets a 404.
      if (String(req.headers["content-type"] ?? "").startsWith("application/grpc")) {
        answerStatus(res, Code.Unimplemented, `unknown method ${path}: ImpossibleDB's services are listed by server reflection`);
      } else {
        res.writeHead(404);
        res.end();
      }
      return;
    }
    // Streams of request messages (reflection is bidirectional) cannot be
    // read whole before answering: connect parses those as they come.
    if (handler.method.methodKind !== "unary" && handler.method.methodKind !== "server_streaming") {
      const uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
      clampGrpcTimeout(uReq.header);
      void handler(uReq)
        .then((uRes) => universalResponseToNodeResponse(uRes, res))
        .catch((reason: unknown) => console.error(`front door: ${handler.method.name} of ${handler.service.typeName} failed`, reason));
      return;
    }
    void (async () => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        bytes += chunk.byteLength;
        if (bytes > requestBytesMax + 5) {
          // Answer at once with the status (leaving the loop would reset the
          // stream, and the caller would see RST_STREAM instead of a code);
          // the rest of the body is read and dropped.
          answerStatus(res, Code.ResourceExhausted, `request message is over REQUEST_BYTES_MAX (${requestBytesMax} bytes)`);
          chunks.length = 0;
          for await (const _ of req as AsyncIterable<Buffer>) void _;
          return;
        }
      }
      const body = new Uint8Array(Buffer.concat(chunks));
      const encoding = req.headers["grpc-encoding"];
      const codec = grpcCodecOf(req.headers["content-type"]);
      const malformed = malformedReason(body, handler.method.input, typeof encoding === "string" ? encoding : undefined, codec, requestBytesMax);
      const uReq = universalRequestFromNodeRequest(req, res, undefined, createContextValues().set(malformedMessageKey, malformed));
      clampGrpcTimeout(uReq.header);
      const replay = malformed === undefined ? body : codec === "json" ? EMPTY_JSON_ENVELOPE : EMPTY_ENVELOPE;
      const uRes = await handler({ ...uReq, body: (async function* () { yield replay; })() });
      await universalResponseToNodeResponse(uRes, res);
    })().catch((reason: unknown) => {
      console.error(`front door: ${handler.method.name} of ${handler.service.typeName} failed`, reason);
      if (!res.headersSent) {
        res.writeHead(500);
        res.end();
      }
    });
  };
}

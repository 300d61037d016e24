/**
 * A stand-in for the Worker: a Node server that speaks gRPC-Web over
 * HTTP/1.1 like the Worker does, with handlers each test supplies, and a
 * front door in front of it. Lets the tests see exactly what reaches the
 * Worker (metadata, deadlines, cancellation) without workerd.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { AdminService } from "../../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { createFrontDoor, type FrontDoor } from "../../../frontdoor/src/server.js";
import type { HealthProbe } from "../../../frontdoor/src/health.js";

/** What a test implements of the Worker. */
export interface FakeWorkerImpl {
  collection?: Partial<ServiceImpl<typeof CollectionService>>;
  admin?: Partial<ServiceImpl<typeof AdminService>>;
}

/** A fake Worker with a front door, and a gRPC transport to the front door. */
export interface Rig {
  frontDoor: FrontDoor;
  grpc: ReturnType<typeof createGrpcTransport>;
  close(): Promise<void>;
}

/** Starts a fake Worker with `impl` and a front door forwarding to it. */
export async function startRig(impl: FakeWorkerImpl, health?: { probe: HealthProbe; watchIntervalMs: number }): Promise<Rig> {
  const worker = http.createServer(
    connectNodeAdapter({
      grpc: false,
      connect: false,
      grpcWeb: true,
      routes: (router) => {
        router.service(CollectionService, impl.collection ?? {});
        router.service(AdminService, impl.admin ?? {});
      },
    }),
  );
  await new Promise<void>((resolve) => worker.listen(0, "127.0.0.1", resolve));
  const workerPort = (worker.address() as AddressInfo).port;
  const frontDoor = await createFrontDoor({
    port: 0,
    upstreamUrl: `http://127.0.0.1:${workerPort}`,
    healthProbe: health?.probe,
    healthWatchIntervalMs: health?.watchIntervalMs,
  });
  const grpc = createGrpcTransport({ baseUrl: `http://${frontDoor.target}` });
  return {
    frontDoor,
    grpc,
    async close() {
      await frontDoor.close();
      worker.closeAllConnections();
      await new Promise<void>((resolve) => worker.close(() => resolve()));
    },
  };
}

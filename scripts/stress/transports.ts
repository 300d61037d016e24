/**
 * One client transport per way of calling the database (plan.ts's
 * TRANSPORTS): the real connect-es clients our SDK and users run, not
 * hand-made requests, so the stress run sees what they see.
 */
import type { Transport } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createConnectTransport as createWebConnectTransport } from "@connectrpc/connect-web";
import type { TransportName } from "./plan.js";

/** Every transport, keyed by name; gRPC goes to the front door at `grpcTarget`. */
export function createTransports(workerUrl: string, grpcTarget: string): Record<TransportName, Transport> {
  const gzip = { sendCompression: compressionGzip, acceptCompression: [compressionGzip], compressMinBytes: 64 };
  return {
    "connect-json": createConnectTransport({ baseUrl: workerUrl, httpVersion: "1.1", useBinaryFormat: false }),
    "connect-proto-gzip": createConnectTransport({ baseUrl: workerUrl, httpVersion: "1.1", useBinaryFormat: true, ...gzip }),
    "connect-get": createConnectTransport({ baseUrl: workerUrl, httpVersion: "1.1", useBinaryFormat: true, useHttpGet: true }),
    "connect-web-json": createWebConnectTransport({ baseUrl: workerUrl, useBinaryFormat: false }),
    "grpc-web-gzip": createGrpcWebTransport({ baseUrl: workerUrl, httpVersion: "1.1", useBinaryFormat: true, ...gzip }),
    "grpc-web-json": createGrpcWebTransport({ baseUrl: workerUrl, httpVersion: "1.1", useBinaryFormat: false }),
    "grpc-gzip": createGrpcTransport({ baseUrl: `http://${grpcTarget}`, ...gzip }),
  };
}

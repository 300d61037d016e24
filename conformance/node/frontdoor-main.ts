/**
 * The gRPC front door (frontdoor/src/server.ts) in front of the conformance
 * Worker: the same server the database runs behind, forwarding
 * ConformanceService instead of the v1 contract, so the conformance runner's
 * gRPC cases cross the same hop real gRPC clients do. Run with tsx by
 * scripts/conformance.mjs. Environment: FRONTDOOR_PORT, FRONTDOOR_HOST,
 * IMPOSSIBLEDB_URL (the conformance Worker). Argument: `--request-bytes-max
 * N`, the message size limit to serve with (REQUEST_BYTES_MAX when absent).
 * Prints `frontdoor listening on HOST:PORT` once it accepts calls.
 */
import { parseArgs } from "node:util";
import { createFrontDoor } from "../../frontdoor/src/server.js";
import { ConformanceService } from "../gen/connectrpc/conformance/v1/service_pb.js";

const upstreamUrl = process.env.IMPOSSIBLEDB_URL;
if (upstreamUrl === undefined || upstreamUrl === "") throw new Error("IMPOSSIBLEDB_URL (the conformance Worker) is not set");
const { values: args } = parseArgs({ options: { "request-bytes-max": { type: "string" } } });
const requestBytesMax = args["request-bytes-max"] === undefined ? undefined : Number(args["request-bytes-max"]);
if (requestBytesMax !== undefined && !(Number.isInteger(requestBytesMax) && requestBytesMax > 0)) throw new Error("--request-bytes-max must be a positive integer");
const frontDoor = await createFrontDoor({
  port: Number(process.env.FRONTDOOR_PORT ?? "0"),
  host: process.env.FRONTDOOR_HOST,
  upstreamUrl,
  services: [ConformanceService],
  ...(requestBytesMax === undefined ? {} : { requestBytesMax }),
});
console.log(`frontdoor listening on ${frontDoor.target} (gRPC over h2c, ConformanceService) -> ${upstreamUrl} (gRPC-Web)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void frontDoor.close().then(() => process.exit(0)));
}

/**
 * The gRPC front door (frontdoor/src/server.ts) in front of the conformance
 * Worker: the same server the database runs behind, forwarding
 * ConformanceService instead of the v1 contract, so the conformance runner's
 * gRPC cases cross the same hop real gRPC clients do. Run with tsx by
 * scripts/conformance.mjs. Environment: FRONTDOOR_PORT, FRONTDOOR_HOST,
 * IMPOSSIBLEDB_URL (the conformance Worker). Prints `frontdoor listening on
 * HOST:PORT` once it accepts calls.
 */
import { createFrontDoor } from "../../frontdoor/src/server.js";
import { ConformanceService } from "../gen/connectrpc/conformance/v1/service_pb.js";

const upstreamUrl = process.env.IMPOSSIBLEDB_URL;
if (upstreamUrl === undefined || upstreamUrl === "") throw new Error("IMPOSSIBLEDB_URL (the conformance Worker) is not set");
const frontDoor = await createFrontDoor({
  port: Number(process.env.FRONTDOOR_PORT ?? "0"),
  host: process.env.FRONTDOOR_HOST,
  upstreamUrl,
  services: [ConformanceService],
});
console.log(`frontdoor listening on ${frontDoor.target} (gRPC over h2c, ConformanceService) -> ${upstreamUrl} (gRPC-Web)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void frontDoor.close().then(() => process.exit(0)));
}

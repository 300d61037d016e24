#!/usr/bin/env node
// `npm start`: serves ImpossibleDB locally: the Worker on workerd (through
// wrangler dev, state kept in local SQLite files) and, beside it, the gRPC
// front door that turns real gRPC into gRPC-Web for the Worker. Prints
// where each protocol is served; Ctrl-C stops both.
//
// Environment: PORT (the Worker, default 8787), FRONTDOOR_PORT (the gRPC
// front door, default 8788), IMPOSSIBLEDB_STATE_DIR (default .wrangler/state).
import path from "node:path";
import { ROOT, freePort, startLocalServer } from "./local-server.mjs";

const workerPort = Number(process.env.PORT ?? 8787);
const frontdoorPort = Number(process.env.FRONTDOOR_PORT ?? 8788);
const stateDir = process.env.IMPOSSIBLEDB_STATE_DIR ?? path.join(ROOT, ".wrangler", "state");

const server = await startLocalServer({ workerPort, frontdoorPort, inspectorPort: await freePort(), stateDir, output: "inherit" });
const base = server.workerUrl;
const grpc = `http://${server.grpcTarget}`;
console.log(
  [
    "",
    "ImpossibleDB is serving on local workerd.",
    `  Connect (JSON and binary), HTTP/1.1:  ${base}`,
    `  gRPC-Web:                             ${base}`,
    `  gRPC (HTTP/2 cleartext, h2c):         ${grpc}   (front door; health and reflection too)`,
    `  State (SQLite files):                 ${stateDir}`,
    "",
    "Try it:",
    `  npx buf curl --schema proto --protocol connect -d '{"ref":{"collection":"users","id":"u1"},"data":{"name":"Alice"}}' ${base}/impossibledb.v1.CollectionService/SetDocument`,
    `  npx buf curl --reflect --protocol grpc --http2-prior-knowledge ${grpc} --list-services`,
    "",
  ].join("\n"),
);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void stop(0));
server.exited.then((why) => {
  if (stopping) return;
  console.error(`ImpossibleDB stopped: ${why}`);
  void stop(1);
});

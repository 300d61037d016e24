#!/usr/bin/env node
/**
 * Runs the gRPC front door as a process: `node frontdoor/dist/frontdoor/src/main.js`
 * (`npm start` starts it beside the Worker).
 *
 * Environment: FRONTDOOR_PORT (default 8788), FRONTDOOR_HOST (default
 * 127.0.0.1), IMPOSSIBLEDB_URL: the Worker (default http://127.0.0.1:8787).
 * Prints one line `frontdoor listening on HOST:PORT` once it accepts calls.
 */
import { createFrontDoor } from "./server.js";

const DEFAULT_PORT = 8788;
const DEFAULT_UPSTREAM_URL = "http://127.0.0.1:8787";

const port = parsePort(process.env.FRONTDOOR_PORT, DEFAULT_PORT);
const upstreamUrl = process.env.IMPOSSIBLEDB_URL ?? DEFAULT_UPSTREAM_URL;
const frontDoor = await createFrontDoor({ port, host: process.env.FRONTDOOR_HOST, upstreamUrl });
console.log(`frontdoor listening on ${frontDoor.target} (gRPC over h2c) -> ${upstreamUrl} (gRPC-Web)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void frontDoor.close().then(() => process.exit(0));
  });
}

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`FRONTDOOR_PORT must be a port number, got ${text}`);
  return value;
}

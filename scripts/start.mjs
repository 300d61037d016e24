#!/usr/bin/env node
// `npm start`: serves ImpossibleDB locally: the Worker on workerd (through
// wrangler dev, state kept in local SQLite files) and, beside it, the gRPC
// front door that turns real gRPC into gRPC-Web for the Worker. Prints
// where each protocol is served.
//
// The servers never outlive this script: Ctrl-C (SIGINT), SIGTERM and a
// closed terminal (SIGHUP) stop them in order, and if this script dies
// without a chance to (SIGKILL, a crash) each server's guard
// (scripts/child-guard.mjs) sees it and stops its server within seconds.
// This script in turn stops when npm, which started it, is killed
// (scripts/parent-watch.mjs).
// Both ports are checked before anything starts: a busy one is reported by
// name, with how to choose others, and nothing is left running.
//
// Environment: PORT (the Worker, default 8787), FRONTDOOR_PORT (the gRPC
// front door, default 8788), IMPOSSIBLEDB_STATE_DIR (default .wrangler/state),
// IMPOSSIBLEDB_AUTH (unset or "off": auth off, as wrangler.toml's local
// config says; "required": auth on, with a fresh development admin key,
// printed, given to the Worker as ADMIN_BOOTSTRAP_KEY).
import { randomBytes } from "node:crypto";
import path from "node:path";
import { ROOT, freePort, startLocalServer } from "./local-server.mjs";
import { watchParents } from "./parent-watch.mjs";
import { checkPorts, parsePort } from "./ports.mjs";

/** Exit code for a start that could not happen (busy port, bad setting, a server that failed). */
const EXIT_START_FAILED = 1;

// A closed terminal makes writes to it fail (EIO, EPIPE); that must not
// crash the script halfway through stopping the servers.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});

const ports = readPorts();
const stateDir = process.env.IMPOSSIBLEDB_STATE_DIR ?? path.join(ROOT, ".wrangler", "state");
const auth = readAuth();
const busy = await checkPorts(ports);
if (busy !== null) fail(busy);

// Handlers are registered as the start begins, so a signal during the start
// (which takes seconds) also stops what has started so far.
const aborter = new AbortController();
const starting = startLocalServer({
  workerPort: ports[0].port,
  frontdoorPort: ports[1].port,
  inspectorPort: await freePort(),
  stateDir,
  output: "inherit",
  signal: aborter.signal,
  vars: auth.vars,
});
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => void stop(0));
watchParents(() => {
  console.error("npm start: the process that started it has ended; stopping the servers");
  void stop(EXIT_START_FAILED);
});

try {
  const server = await starting;
  printBanner(server, stateDir, auth);
  server.exited.then((why) => {
    if (stopping) return;
    console.error(`ImpossibleDB stopped: ${why}`);
    void stop(EXIT_START_FAILED);
  });
} catch (err) {
  // Stopped while starting: stop() exits once everything is down.
  if (!stopping) fail(`could not start: ${err instanceof Error ? err.message : String(err)}`);
}

/** PORT and FRONTDOOR_PORT, checked; exits with a plain message when either is not a port. */
function readPorts() {
  const ports = [
    { name: "PORT", role: "the Worker", text: process.env.PORT, fallback: 8787 },
    { name: "FRONTDOOR_PORT", role: "the gRPC front door", text: process.env.FRONTDOOR_PORT, fallback: 8788 },
  ].map((p) => {
    const port = parsePort(p.text, p.fallback);
    if (port === null) fail(`${p.name} must be a port number from 1 to 65535, got ${JSON.stringify(p.text)}`);
    return { name: p.name, role: p.role, port };
  });
  if (ports[0].port === ports[1].port) fail(`PORT and FRONTDOOR_PORT must differ (both are ${ports[0].port})`);
  return ports;
}

/**
 * IMPOSSIBLEDB_AUTH, checked: auth off (wrangler.toml's local default), or
 * required with a development admin key made for this run (a bootstrap key:
 * an admin of every database; see docs/security.md).
 */
function readAuth() {
  const mode = process.env.IMPOSSIBLEDB_AUTH ?? "off";
  if (mode === "off" || mode === "") return { required: false, vars: {} };
  if (mode !== "required") fail(`IMPOSSIBLEDB_AUTH must be "off" or "required", got ${JSON.stringify(mode)}`);
  const adminKey = `idb_dev_admin_${randomBytes(24).toString("base64url")}`;
  return { required: true, adminKey, vars: { AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: adminKey } };
}

/** Stops the servers, started or still starting, then exits with `code`. */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  // A start still under way stops what it has started and rejects.
  aborter.abort(new Error("stopped"));
  const server = await starting.catch(() => null);
  await server?.stop();
  process.exit(code);
}

/** Prints `message` (no stack trace: these are the user's problems to fix, not ours) and exits. */
function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(EXIT_START_FAILED);
}

function printBanner(server, stateDir, auth) {
  const base = server.workerUrl;
  const grpc = `http://${server.grpcTarget}`;
  const authLines = auth.required
    ? [
        `auth: required; development admin key (every database, this run only): ${auth.adminKey}`,
        `  send it as 'authorization: Bearer <key>' (buf curl -H, the SDKs' apiKey option, the CLI's --api-key or IMPOSSIBLEDB_API_KEY)`,
      ]
    : ["auth: off (local development; IMPOSSIBLEDB_AUTH=required turns it on)"];
  const curlAuth = auth.required ? `-H 'authorization: Bearer ${auth.adminKey}' ` : "";
  console.log(
    [
      "",
      "ImpossibleDB is serving on local workerd.",
      `  Connect (JSON and binary), HTTP/1.1:  ${base}`,
      `  gRPC-Web:                             ${base}`,
      `  gRPC (HTTP/2 cleartext, h2c):         ${grpc}   (front door; health and reflection too)`,
      `  Health check (plain HTTP):            ${base}/healthz`,
      `  Web console (open in a browser):      ${base}/console/`,
      `  State (SQLite files):                 ${stateDir}`,
      ...authLines,
      "",
      "Try it:",
      `  npx buf curl --schema proto --protocol connect ${curlAuth}-d '{"ref":{"collection":"users","id":"u1"},"data":{"name":"Alice"}}' ${base}/impossibledb.v1.CollectionService/SetDocument`,
      `  npx buf curl --reflect --protocol grpc --http2-prior-knowledge ${curlAuth}${grpc} --list-services`,
      "",
      "Ctrl-C stops both.",
      "",
    ].join("\n"),
  );
}

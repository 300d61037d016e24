#!/usr/bin/env node
// The end-to-end harness: starts the whole local database (the Worker on
// workerd with a fresh, temporary state directory, and the gRPC front door)
// on free ports, waits until both answer, runs end-to-end suites against it,
// and stops everything, also when a suite fails or the harness is
// interrupted.
//
//   node scripts/e2e-server.mjs                   every suite of test/e2e/suites.mjs
//   node scripts/e2e-server.mjs --suite NAME ...  the named suites
//   node scripts/e2e-server.mjs -- CMD ARGS...    any command
//
// Commands run from the repository root with IMPOSSIBLEDB_URL (the Worker:
// Connect and gRPC-Web) and IMPOSSIBLEDB_GRPC_TARGET (host:port of the
// front door: gRPC over h2c) set. Suites marked `auth: "required"` run
// against a second server with authentication required, started when the
// first of them runs, with IMPOSSIBLEDB_API_KEY (an admin key made for the
// run) and IMPOSSIBLEDB_AUTH=required set too (see test/e2e/suites.mjs).
// Ports: free ones from the OS unless E2E_WORKER_PORT / E2E_FRONTDOOR_PORT
// say otherwise (they apply to the first server; the second always gets
// free ones). The servers' output
// goes to a log file whose last lines are printed when anything fails.
// Requires `npm run build` first (`npm run test:e2e` does it).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, freePort, startLocalServer } from "./local-server.mjs";
import { SUITES } from "../test/e2e/suites.mjs";

/** Lines of the servers' log printed after a failure. */
const LOG_TAIL_LINES = 60;
/** How long one suite may run before it is stopped and counted as failed. */
const SUITE_TIMEOUT_MS = 20 * 60 * 1000;

const argv = process.argv.slice(2);
const runs = selectRuns(argv);
const workDir = mkdtempSync(path.join(os.tmpdir(), "impossibledb-e2e-"));
const logFile = path.join(workDir, "servers.log");
let server = null;
/** The server with auth required, and the env its suites get; null until a suite needs it. */
let authed = null;
/** Servers with auth required that were started (for cleanup, also mid-start failures). */
const authServers = [];
let current = null;
let interrupted = false;

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    interrupted = true;
    if (current !== null) killGroup(current.pid, signal);
    void cleanup().then(() => process.exit(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]));
  });
}

const failed = [];
let passed = 0;
let harnessError = null;
try {
  const [workerPort, frontdoorPort, inspectorPort] = await Promise.all([
    portFromEnv("E2E_WORKER_PORT"),
    portFromEnv("E2E_FRONTDOOR_PORT"),
    freePort(),
  ]);
  console.log(`e2e: starting the Worker on :${workerPort} and the front door on :${frontdoorPort} (log: ${logFile})`);
  const started = Date.now();
  server = await startLocalServer({ workerPort, frontdoorPort, inspectorPort, stateDir: path.join(workDir, "state"), output: logFile });
  console.log(`e2e: ready in ${Date.now() - started} ms: IMPOSSIBLEDB_URL=${server.workerUrl} IMPOSSIBLEDB_GRPC_TARGET=${server.grpcTarget}`);
  // Suites run with the project's Node and tools first on PATH, as under `npm run`.
  const PATH = `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`;
  const env = { ...process.env, PATH, IMPOSSIBLEDB_URL: server.workerUrl, IMPOSSIBLEDB_GRPC_TARGET: server.grpcTarget };
  const died = server.exited.then((why) => {
    throw new Error(`a server stopped while suites ran: ${why}`);
  });
  // Raced only by the suites that run against this server; a stop at the
  // end must not surface as an unhandled rejection.
  died.catch(() => {});
  for (const run of runs) {
    if (interrupted) break;
    let suiteEnv = env;
    let suiteDied = died;
    if (run.auth === "required") {
      authed ??= await startAuthServer(env);
      ({ env: suiteEnv, died: suiteDied } = authed);
    }
    const where = run.auth === "required" ? ` (auth required, ${suiteEnv.IMPOSSIBLEDB_URL})` : "";
    console.log(`\ne2e: suite ${run.name}${where}: ${run.command.join(" ")}`);
    const code = await Promise.race([runCommand(run.command, suiteEnv), suiteDied]);
    if (code === 0) passed += 1;
    else failed.push(run.name);
  }
} catch (err) {
  harnessError = err instanceof Error ? err.message : String(err);
}

await cleanup();
// A suite that never ran (the harness failed first) counts as failed.
const notRun = runs.length - passed - failed.length;
console.log(`\nsuites: ${passed} passed, ${failed.length + notRun} failed`);
if (harnessError !== null) console.error(`e2e: ${harnessError}`);
if (failed.length > 0) console.error(`e2e: failed suites: ${failed.join(", ")}`);
if (harnessError !== null || failed.length > 0) printLogTail();
rmSync(workDir, { recursive: true, force: true });
process.exit(harnessError === null && failed.length === 0 && notRun === 0 ? 0 : 1);

function selectRuns(args) {
  const dash = args.indexOf("--");
  if (dash >= 0) {
    const command = args.slice(dash + 1);
    if (command.length === 0) usage("nothing after --");
    return [{ name: "command", command }];
  }
  if (args.length === 0) return SUITES;
  if (args[0] !== "--suite" || args.length < 2) usage(`unknown arguments: ${args.join(" ")}`);
  return args.slice(1).map((name) => SUITES.find((s) => s.name === name) ?? usage(`no suite named ${name}; suites: ${SUITES.map((s) => s.name).join(", ")}`));
}

function usage(message) {
  console.error(`e2e-server: ${message}\nusage: e2e-server.mjs [--suite NAME...] | [-- COMMAND ARGS...]`);
  process.exit(2);
}

async function portFromEnv(name) {
  const text = process.env[name];
  if (text === undefined || text === "") return freePort();
  const port = Number(text);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) usage(`${name} must be a port number, got ${text}`);
  return port;
}

function runCommand(command, env) {
  return new Promise((resolve) => {
    const [file, ...args] = command;
    // The suite leads its own process group, so a timeout or an interrupt
    // stops everything it started (npx, vitest workers, go test binaries).
    const child = spawn(file, args, { cwd: ROOT, env, stdio: "inherit", detached: true });
    current = child;
    const timer = setTimeout(() => {
      console.error(`e2e: ${command.join(" ")} ran longer than ${SUITE_TIMEOUT_MS} ms; stopping it`);
      killGroup(child.pid, "SIGKILL");
    }, SUITE_TIMEOUT_MS);
    child.once("error", (err) => {
      clearTimeout(timer);
      console.error(`e2e: cannot run ${file}: ${err.message}`);
      resolve(127);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      current = null;
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Starts the second server, with auth required (a random bootstrap key),
 * makes an API key that is an admin of every database, and answers the env
 * of the suites that run against it. Its output goes to the same log.
 */
async function startAuthServer(baseEnv) {
  const [workerPort, frontdoorPort, inspectorPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const bootstrapKey = randomBytes(32).toString("base64url");
  console.log(`e2e: starting a server with auth required: the Worker on :${workerPort} and the front door on :${frontdoorPort}`);
  const started = Date.now();
  const s = await startLocalServer({
    workerPort,
    frontdoorPort,
    inspectorPort,
    stateDir: path.join(workDir, "state-auth"),
    output: logFile,
    vars: { AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: bootstrapKey },
  });
  authServers.push(s);
  const res = await fetch(`${s.workerUrl}/impossibledb.v1.AdminService/CreateApiKey`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bootstrapKey}` },
    body: JSON.stringify({ displayName: "e2e clients", roles: { "*": "ROLE_ADMIN" } }),
  });
  const body = await res.json();
  if (!res.ok || typeof body.secret !== "string") throw new Error(`CreateApiKey on the auth server answered ${res.status}: ${JSON.stringify(body)}`);
  console.log(`e2e: auth server ready in ${Date.now() - started} ms, with an API key for its suites (IMPOSSIBLEDB_API_KEY)`);
  const env = { ...baseEnv, IMPOSSIBLEDB_URL: s.workerUrl, IMPOSSIBLEDB_GRPC_TARGET: s.grpcTarget, IMPOSSIBLEDB_API_KEY: body.secret, IMPOSSIBLEDB_AUTH: "required" };
  const died = s.exited.then((why) => {
    throw new Error(`the auth server stopped while suites ran: ${why}`);
  });
  died.catch(() => {});
  return { env, died };
}

async function cleanup() {
  const s = server;
  server = null;
  const started = authServers.splice(0);
  await Promise.all([s?.stop(), ...started.map((a) => a.stop())]);
}

function printLogTail() {
  try {
    const lines = readFileSync(logFile, "utf8").trimEnd().split("\n");
    console.error(`e2e: last ${Math.min(LOG_TAIL_LINES, lines.length)} lines of ${logFile}:`);
    console.error(lines.slice(-LOG_TAIL_LINES).join("\n"));
  } catch {
    // No log was written: the servers never started.
  }
}

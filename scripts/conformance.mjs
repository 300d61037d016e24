#!/usr/bin/env node
// The Connect conformance suite against our request path: starts the
// conformance Worker (conformance/worker/, built on src/server's fetch
// handler, protocol layer, compression and guards) on workerd and the gRPC
// front door (frontdoor/) in front of it, on free ports, then runs the
// conformance runner (connectconformance, installed into .bin/ by
// scripts/install-codegen.sh) in server mode:
//   worker   Connect and gRPC-Web over HTTP/1.1, against the Worker
//            (conformance/config-worker.yaml)
//   grpc     gRPC over h2c, against the front door (conformance/config-grpc.yaml)
// Cases listed in conformance/known-failing-<run>.txt must fail; any other failure
// fails the run. Prints each run's summary ("N passed, M failed").
//
//   node scripts/conformance.mjs [--only worker|grpc] [--verbose] [--trace] [--run PATTERN]...
//   npm run conformance
//
// The servers' output goes to a log file whose last lines are printed when
// anything fails.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, freePort, startLocalServer } from "./local-server.mjs";

/** The runs, in order. */
const RUNS = [
  { name: "worker", config: "conformance/config-worker.yaml", knownFailing: "conformance/known-failing-worker.txt", what: "Connect + gRPC-Web -> the conformance Worker" },
  { name: "grpc", config: "conformance/config-grpc.yaml", knownFailing: "conformance/known-failing-grpc.txt", what: "gRPC (h2c) -> the front door -> the conformance Worker" },
];
/**
 * The message size limit the runner asks servers for (it always asks for
 * 200 KiB, and tests it where a config declares supports_message_receive_limit):
 * the conformance Worker and its front door are started with it. conformance/node/server-process.ts
 * fails if the runner asks for another.
 */
const RECEIVE_LIMIT_BYTES = 200 * 1024;
/** How long one runner invocation may take before it is stopped and counted as failed. */
const RUN_TIMEOUT_MS = 10 * 60 * 1000;
/** RPCs the runner keeps in flight: enough to be quick, few enough for a shared 2-core machine. */
const RUNNER_PARALLEL = 4;
/** Lines of the servers' log printed after a failure. */
const LOG_TAIL_LINES = 40;

const { values: opts } = parseArgs({
  options: {
    only: { type: "string" },
    verbose: { type: "boolean", default: false },
    trace: { type: "boolean", default: false },
    run: { type: "string", multiple: true },
  },
});
const runs = opts.only === undefined ? RUNS : RUNS.filter((r) => r.name === opts.only);
if (runs.length === 0) {
  console.error(`conformance: --only must be one of ${RUNS.map((r) => r.name).join(", ")}`);
  process.exit(2);
}
const runner = path.join(ROOT, ".bin", "connectconformance");
if (!existsSync(runner)) {
  // Pinned there, with the code generators (about a minute the first time).
  console.log("conformance: installing the runner (scripts/install-codegen.sh)");
  const installed = spawnSync("bash", [path.join(ROOT, "scripts", "install-codegen.sh")], { cwd: ROOT, stdio: "inherit" });
  if (installed.status !== 0 || !existsSync(runner)) {
    console.error(`conformance: ${runner} is still missing after scripts/install-codegen.sh`);
    process.exit(2);
  }
}
const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");

const workDir = mkdtempSync(path.join(os.tmpdir(), "impossibledb-conformance-"));
const logFile = path.join(workDir, "servers.log");
let server = null;
let current = null;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (current !== null) killGroup(current.pid, "SIGTERM");
    void cleanup().then(() => process.exit(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]));
  });
}

const results = [];
let harnessError = null;
try {
  const [workerPort, frontdoorPort] = await Promise.all([freePort(), freePort()]);
  const started = Date.now();
  server = await startLocalServer({
    workerPort,
    frontdoorPort,
    stateDir: path.join(workDir, "state"),
    output: logFile,
    wranglerConfig: path.join(ROOT, "conformance", "wrangler.toml"),
    frontdoorCommand: [tsx, path.join(ROOT, "conformance", "node", "frontdoor-main.ts"), "--request-bytes-max", String(RECEIVE_LIMIT_BYTES)],
    frontdoor: runs.some((r) => r.name === "grpc"),
    vars: { MESSAGE_RECEIVE_LIMIT_BYTES: String(RECEIVE_LIMIT_BYTES) },
  });
  console.log(`conformance: servers ready in ${Date.now() - started} ms: Worker ${server.workerUrl}, front door ${server.grpcTarget ?? "(not started)"} (log: ${logFile})`);
  const died = server.exited.then((why) => {
    throw new Error(`a server stopped while the runner ran: ${why}`);
  });
  const PATH = `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`;
  const env = { ...process.env, PATH, CONFORMANCE_WORKER_URL: server.workerUrl, CONFORMANCE_GRPC_TARGET: server.grpcTarget ?? "", CONFORMANCE_RECEIVE_LIMIT_BYTES: String(RECEIVE_LIMIT_BYTES) };
  for (const run of runs) {
    const args = ["--mode", "server", "--conf", run.config, "--known-failing", `@${run.knownFailing}`, "--parallel", String(RUNNER_PARALLEL)];
    if (opts.verbose) args.push("--verbose");
    if (opts.trace) args.push("--trace");
    for (const pattern of opts.run ?? []) args.push("--run", pattern);
    args.push("--", tsx, "conformance/node/server-process.ts");
    console.log(`\nconformance: ${run.name}: ${run.what}`);
    const outcome = await Promise.race([runRunner(args, env), died]);
    results.push({ ...run, ...outcome });
  }
} catch (err) {
  harnessError = err instanceof Error ? err.message : String(err);
}
await cleanup();

console.log("\nconformance summary:");
for (const r of results) console.log(`  ${r.name.padEnd(7)} ${r.code === 0 ? "ok    " : "FAILED"} ${r.summary}`);
const failed = harnessError !== null || results.length < runs.length || results.some((r) => r.code !== 0);
if (harnessError !== null) console.error(`conformance: ${harnessError}`);
if (failed) printLogTail();
rmSync(workDir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);

/** Runs the runner, passing its output through; resolves to its exit code and its summary line(s). */
function runRunner(args, env) {
  return new Promise((resolve) => {
    const child = spawn(runner, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    current = child;
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk) => {
        output += String(chunk);
        process.stdout.write(chunk);
      });
    }
    const timer = setTimeout(() => {
      console.error(`conformance: the runner ran longer than ${RUN_TIMEOUT_MS} ms; stopping it`);
      killGroup(child.pid, "SIGKILL");
    }, RUN_TIMEOUT_MS);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      current = null;
      const passed = /(\d+) passed, (\d+) failed/.exec(output);
      const total = /Total cases: (\d+)/.exec(output);
      const known = /(\d+) failed as expected/.exec(output);
      const summary = passed
        ? `${total?.[1] ?? "?"} cases: ${passed[1]} passed, ${passed[2]} failed${known ? `, ${known[1]} known failing (failed as expected)` : ""}`
        : `no summary (exit ${code ?? signal})`;
      resolve({ code: code ?? 1, summary });
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

async function cleanup() {
  const s = server;
  server = null;
  if (s !== null) await s.stop();
}

function printLogTail() {
  try {
    const lines = readFileSync(logFile, "utf8").trimEnd().split("\n");
    console.error(`conformance: last ${Math.min(LOG_TAIL_LINES, lines.length)} lines of ${logFile}:`);
    console.error(lines.slice(-LOG_TAIL_LINES).join("\n"));
  } catch {
    // No log was written: the servers never started.
  }
}

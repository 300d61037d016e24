// Starts the whole local database: the Worker on workerd (through `wrangler
// dev`) and the gRPC front door beside it, and stops both. Used by
// `npm start` (scripts/start.mjs) and by the end-to-end harness
// (scripts/e2e-server.mjs). The front door must be built first
// (`npm run build`).
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const FRONTDOOR_MAIN = path.join(ROOT, "frontdoor", "dist", "frontdoor", "src", "main.js");
/** Runs each server so that it stops when this process dies (see the script). */
const CHILD_GUARD = path.join(ROOT, "scripts", "child-guard.mjs");

/** How long the Worker may take to answer after `wrangler dev` starts. */
const WORKER_READY_TIMEOUT_MS = 120_000;
/** How long the front door may take to listen. */
const FRONTDOOR_READY_TIMEOUT_MS = 30_000;
/** Pause between readiness probes of the Worker. */
const READY_POLL_INTERVAL_MS = 250;
/**
 * How long a stopped server may take to exit before its guard is killed.
 * Longer than the guard's own grace (GUARD_GRACE_MS, 2 s, in
 * child-guard.mjs), so that the guard has killed its server by then.
 */
const STOP_GRACE_MS = 5_000;
/** The path of the Worker's plain HTTP health check (src/server/health.ts). */
const HEALTH_PATH = "/healthz";

/** The lowest port freePort hands out (below it: ports services commonly claim). */
const FREE_PORT_LOW = 10_000;
/** Ports freePort tries before it asks the OS for any free one. */
const FREE_PORT_ATTEMPTS = 64;
/** Ports this process handed out, so two calls at once never answer the same one. */
const handedOut = new Set();

/**
 * The first port of the kernel's ephemeral range (Linux: ip_local_port_range,
 * 32768 by default), where outgoing connections take their local ports.
 */
function ephemeralLow() {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > FREE_PORT_LOW + 1_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether `port` can be listened on at 127.0.0.1 now. */
function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1 for a server started a little later, chosen
 * at random BELOW the kernel's ephemeral range: a port the OS hands out to
 * listen(0) is an ephemeral one, and in the seconds before the server
 * binds it, any outgoing connection of any process may take it as its
 * local port (CI saw the front door fail with EADDRINUSE that way). Falls
 * back to the OS's choice after FREE_PORT_ATTEMPTS busy candidates.
 */
export async function freePort() {
  const high = ephemeralLow();
  for (let attempt = 0; attempt < FREE_PORT_ATTEMPTS; attempt++) {
    const port = FREE_PORT_LOW + Math.floor(Math.random() * (high - FREE_PORT_LOW));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the Worker and the front door and resolves once both answer.
 *
 * options: workerPort, frontdoorPort, inspectorPort (optional), stateDir,
 * output: "inherit" to pass their output through, or a file path to write it
 * to; signal (optional): an AbortSignal that stops whatever has started and
 * makes the start fail; frontdoor (optional): false to start the Worker
 * only (grpcTarget is then null); vars (optional): { NAME: value } the Worker
 * sees instead of wrangler.toml's (e.g. AUTH_MODE, ADMIN_BOOTSTRAP_KEY);
 * wranglerConfig (optional): another Worker's wrangler config (the
 * conformance Worker's); frontdoorCommand (optional): [command, ...args]
 * that runs another front door, which must print `frontdoor listening on`
 * once ready (the default runs the database's, frontdoor/dist).
 * Resolves to { workerUrl, grpcTarget, stop(), exited, pids } where `exited`
 * resolves with a message if either process exits while the servers run,
 * and `pids` are the guards' process ids (the roots of the server trees;
 * scripts/durability.mjs kills those trees to simulate a crash).
 *
 * Each server runs under scripts/child-guard.mjs, so it stops when this
 * process dies, even by SIGKILL; `stop()` is still the orderly way.
 */
export async function startLocalServer(options) {
  const frontdoorCommand = options.frontdoorCommand ?? [path.join(ROOT, "node_modules", ".bin", "node"), FRONTDOOR_MAIN];
  if (options.frontdoorCommand === undefined && options.frontdoor !== false && !existsSync(FRONTDOOR_MAIN)) {
    throw new Error(`${FRONTDOOR_MAIN} is missing: run 'npm run build' first`);
  }
  const host = "127.0.0.1";
  const workerUrl = `http://${host}:${options.workerPort}`;
  const grpcTarget = `${host}:${options.frontdoorPort}`;
  const sink = options.output === "inherit" ? null : createWriteStream(options.output, { flags: "a" });
  // The project's own Node (the `node` devDependency, >= 22.12, which
  // wrangler needs) comes first, however this script was started.
  const bin = path.join(ROOT, "node_modules", ".bin");
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, WRANGLER_SEND_METRICS: "false" };
  const children = [];
  const stop = () => Promise.all(children.map(stopChild));
  const onAbort = () => void stop();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    options.signal?.throwIfAborted();
    const wranglerArgs = ["dev", "--port", String(options.workerPort), "--ip", host, "--persist-to", options.stateDir, "--show-interactive-dev-session=false"];
    if (options.inspectorPort !== undefined) wranglerArgs.push("--inspector-port", String(options.inspectorPort));
    if (options.wranglerConfig !== undefined) wranglerArgs.push("--config", options.wranglerConfig);
    // Vars that override wrangler.toml's (AUTH_MODE, ADMIN_BOOTSTRAP_KEY).
    for (const [name, value] of Object.entries(options.vars ?? {})) wranglerArgs.push("--var", `${name}:${value}`);
    const worker = launch(path.join(bin, "wrangler"), wranglerArgs, env, sink, "worker");
    children.push(worker);
    await waitForWorker(workerUrl, worker);

    if (options.frontdoor !== false) {
      const frontdoorEnv = { ...env, FRONTDOOR_PORT: String(options.frontdoorPort), FRONTDOOR_HOST: host, IMPOSSIBLEDB_URL: workerUrl };
      const frontdoor = launch(frontdoorCommand[0], frontdoorCommand.slice(1), frontdoorEnv, sink, "frontdoor");
      children.push(frontdoor);
      await waitForLine(frontdoor, /frontdoor listening on/, FRONTDOOR_READY_TIMEOUT_MS);
    }
    options.signal?.throwIfAborted();
  } catch (err) {
    await stop();
    sink?.end();
    throw options.signal?.aborted ? options.signal.reason : err;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }

  const exited = Promise.race(children.map((c) => c.exited.then((how) => `${c.name} exited (${how})`)));
  return {
    workerUrl,
    grpcTarget: options.frontdoor === false ? null : grpcTarget,
    exited,
    pids: children.map((c) => c.child.pid),
    async stop() {
      await stop();
      sink?.end();
    },
  };
}

function launch(command, args, env, sink, name) {
  // The guard runs `command` in a process group of its own and stops that
  // whole group (wrangler runs workerd) when told to or when this process
  // dies: it watches the pipe on its stdin, which nothing writes to and the
  // kernel closes when this process ends. The guard is detached from our
  // own group, so only we decide when it stops.
  const node = path.join(ROOT, "node_modules", ".bin", "node");
  const child = spawn(node, [CHILD_GUARD, command, ...args], { cwd: ROOT, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  const lines = [];
  const listeners = new Set();
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("data", (chunk) => {
      const text = String(chunk);
      if (sink === null) process.stdout.write(text);
      else sink.write(text.replace(/^(?=.)/gm, `[${name}] `));
      lines.push(text);
      listeners.forEach((l) => l(text));
    });
  }
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? `code ${code}`)));
  return { name, child, exited, listeners, lines, stopped: false };
}

async function stopChild(c) {
  if (c.stopped || c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.stopped = true;
  // The guard stops its server's group and exits once the server has.
  killGroup(c.child.pid, "SIGTERM");
  const timer = setTimeout(() => killGroup(c.child.pid, "SIGKILL"), STOP_GRACE_MS);
  await c.exited;
  clearTimeout(timer);
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has already exited.
  }
}

async function waitForWorker(url, worker) {
  const deadline = Date.now() + WORKER_READY_TIMEOUT_MS;
  let exitedHow = null;
  worker.exited.then((how) => (exitedHow = how));
  while (Date.now() < deadline) {
    if (exitedHow !== null) throw new Error(`wrangler dev exited (${exitedHow}) before the Worker answered`);
    let res;
    let body;
    try {
      // The whole answer, body included, within the probe's timeout: on a
      // busy machine the first answer (workerd warming up) can be slow, and a
      // probe that times out is simply tried again.
      res = await fetch(url + HEALTH_PATH, { signal: AbortSignal.timeout(2_000) });
      body = await res.text();
    } catch {
      // Not listening yet, or too slow this time.
      await new Promise((r) => setTimeout(r, READY_POLL_INTERVAL_MS));
      continue;
    }
    if (res.ok) return;
    // The Worker runs but says it cannot serve (a broken configuration):
    // waiting longer would not help.
    throw new Error(`the Worker answered ${res.status} at ${url}${HEALTH_PATH}: ${body.trim()}`);
  }
  throw new Error(`the Worker did not answer at ${url} within ${WORKER_READY_TIMEOUT_MS} ms`);
}

function waitForLine(c, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    if (c.lines.some((l) => pattern.test(l))) return resolve();
    const timer = setTimeout(() => done(new Error(`${c.name} did not print ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (text) => pattern.test(text) && done();
    c.listeners.add(listener);
    c.exited.then((how) => done(new Error(`${c.name} exited (${how}) before it was ready`)));
    function done(err) {
      clearTimeout(timer);
      c.listeners.delete(listener);
      err ? reject(err) : resolve();
    }
  });
}

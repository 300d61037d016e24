// Starts the whole local database: the Worker on workerd (through `wrangler
// dev`) and the gRPC front door beside it, and stops both. Used by
// `npm start` (scripts/start.mjs) and by the end-to-end harness
// (scripts/e2e-server.mjs). The front door must be built first
// (`npm run build`).
import { spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const FRONTDOOR_MAIN = path.join(ROOT, "frontdoor", "dist", "frontdoor", "src", "main.js");

/** How long the Worker may take to answer after `wrangler dev` starts. */
const WORKER_READY_TIMEOUT_MS = 120_000;
/** How long the front door may take to listen. */
const FRONTDOOR_READY_TIMEOUT_MS = 30_000;
/** Pause between readiness probes of the Worker. */
const READY_POLL_INTERVAL_MS = 250;
/** How long a stopped process may take to exit before it is killed. */
const STOP_GRACE_MS = 5_000;

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export function freePort() {
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
 * to.
 * Resolves to { workerUrl, grpcTarget, stop(), exited } where `exited`
 * resolves with a message if either process exits while the servers run.
 */
export async function startLocalServer(options) {
  if (!existsSync(FRONTDOOR_MAIN)) throw new Error(`${FRONTDOOR_MAIN} is missing: run 'npm run build' first`);
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

  try {
    const wranglerArgs = ["dev", "--port", String(options.workerPort), "--ip", host, "--persist-to", options.stateDir, "--show-interactive-dev-session=false"];
    if (options.inspectorPort !== undefined) wranglerArgs.push("--inspector-port", String(options.inspectorPort));
    const worker = launch(path.join(bin, "wrangler"), wranglerArgs, env, sink, "worker");
    children.push(worker);
    await waitForWorker(workerUrl, worker);

    const frontdoorEnv = { ...env, FRONTDOOR_PORT: String(options.frontdoorPort), FRONTDOOR_HOST: host, IMPOSSIBLEDB_URL: workerUrl };
    const frontdoor = launch(path.join(bin, "node"), [FRONTDOOR_MAIN], frontdoorEnv, sink, "frontdoor");
    children.push(frontdoor);
    await waitForLine(frontdoor, /frontdoor listening on/, FRONTDOOR_READY_TIMEOUT_MS);
  } catch (err) {
    await stop();
    sink?.end();
    throw err;
  }

  const exited = Promise.race(children.map((c) => c.exited.then((how) => `${c.name} exited (${how})`)));
  return {
    workerUrl,
    grpcTarget,
    exited,
    async stop() {
      await stop();
      sink?.end();
    },
  };
}

function launch(command, args, env, sink, name) {
  // Each child leads its own process group, so stopping it also stops what
  // it started (wrangler runs workerd).
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
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
  killGroup(c.child.pid, "SIGTERM");
  const timer = setTimeout(() => killGroup(c.child.pid, "SIGKILL"), STOP_GRACE_MS);
  await c.exited;
  clearTimeout(timer);
  // workerd may outlive wrangler for a moment; make sure the group is gone.
  killGroup(c.child.pid, "SIGKILL");
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
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, READY_POLL_INTERVAL_MS));
    }
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

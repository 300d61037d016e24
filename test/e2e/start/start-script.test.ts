/**
 * `npm start` (scripts/start.mjs) as a user meets it: its servers never
 * outlive it, however it ends, and busy ports are reported plainly before
 * anything starts. Each test starts its own `node scripts/start.mjs` on
 * free ports with a temporary state directory, beside (not using) the
 * harness's server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
/** How long `npm start` may take to serve (wrangler bundles, workerd starts). */
const READY_TIMEOUT_MS = 120_000;
/** How soon after start.mjs ends every server must be gone and the ports free. */
const GONE_WITHIN_MS = 5_000;
/** How long start.mjs may take to refuse busy ports (it starts nothing). */
const REFUSE_WITHIN_MS = 10_000;

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ports: { worker: number; frontdoor: number };
  /** The processes below start.mjs once it serves (they outlive it only if the fix breaks). */
  tree: number[];
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something listens on 127.0.0.1:`port` (a listen there fails). */
function portBusy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(true));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** Holds 127.0.0.1:`port` the way another `npm start` would, until the test ends. */
async function holdPort(port: number): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  cleanups.push(() => server.close());
}

/**
 * What `npm start` looks like to start.mjs: npm runs the script through
 * `sh -c`, which stays as start.mjs's parent (dash does not exec the last
 * command of `a && b`), and sets npm_lifecycle_event. Standing in for npm
 * (rather than running it) skips the build, which the harness has done.
 */
const FAKE_NPM = `require("node:child_process").spawn("sh", ["-c", ${JSON.stringify(`true && ${NODE} scripts/start.mjs`)}], { stdio: "inherit" });`;

/** Runs `node scripts/start.mjs` (or the fake npm above it) with PORT and FRONTDOOR_PORT set. */
function runStart(ports: { worker: number; frontdoor: number }, options: { viaNpm?: boolean; env?: Record<string, string> } = {}): Started {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "impossibledb-start-test-"));
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(ports.worker), FRONTDOOR_PORT: String(ports.frontdoor), IMPOSSIBLEDB_STATE_DIR: stateDir, ...options.env };
  if (options.env?.IMPOSSIBLEDB_AUTH === undefined) delete env.IMPOSSIBLEDB_AUTH;
  delete env.npm_lifecycle_event;
  if (options.viaNpm) env.npm_lifecycle_event = "start";
  const args = options.viaNpm ? ["-e", FAKE_NPM] : ["scripts/start.mjs"];
  const child = spawn(NODE, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c) => (output += String(c)));
  child.stderr!.on("data", (c) => (output += String(c)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const started: Started = { child, output: () => output, exit, ports, tree: [] };
  cleanups.push(() => {
    // Only if a test failed halfway: never leave a server behind. Orphans
    // no longer descend from start.mjs, hence the tree recorded earlier.
    for (const pid of new Set([child.pid!, ...started.tree, ...descendants(child.pid!)])) tryKill(pid);
    rmSync(stateDir, { recursive: true, force: true });
  });
  return started;
}

async function startServing(options: { viaNpm?: boolean; env?: Record<string, string> } = {}): Promise<Started> {
  const ports = { worker: await freePort(), frontdoor: await freePort() };
  const started = runStart(ports, options);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!started.output().includes("ImpossibleDB is serving")) {
    if (started.child.exitCode !== null) throw new Error(`start.mjs exited early:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`start.mjs did not serve within ${READY_TIMEOUT_MS} ms:\n${started.output()}`);
    await sleep(200);
  }
  started.tree = descendants(started.child.pid!);
  return started;
}

/** Every process below `pid`, from /proc (children first found through their parent pid). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat !== null) parentOf.set(Number(name), stat.ppid);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parentOf) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function procStat(pid: number): { state: string; ppid: number; command: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command is in parentheses and may hold spaces; fields follow it.
    const command = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
    const [state, ppid] = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: state!, ppid: Number(ppid), command };
  } catch {
    return null;
  }
}

/** Processes of `pids` still running (a zombie has exited; only its entry waits to be reaped). */
function running(pids: number[]): string[] {
  return pids.flatMap((pid) => {
    const stat = procStat(pid);
    return stat === null || stat.state === "Z" ? [] : [`${pid} (${stat.command})`];
  });
}

function tryKill(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone.
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until none of `tree` runs and both ports are free; fails with what is left after GONE_WITHIN_MS. */
async function expectAllGone(tree: number[], ports: { worker: number; frontdoor: number }) {
  const deadline = Date.now() + GONE_WITHIN_MS;
  for (;;) {
    const left = running(tree);
    const busy = [];
    if (await portBusy(ports.worker)) busy.push(`PORT ${ports.worker}`);
    if (await portBusy(ports.frontdoor)) busy.push(`FRONTDOOR_PORT ${ports.frontdoor}`);
    if (left.length === 0 && busy.length === 0) return;
    if (Date.now() > deadline) {
      expect({ stillRunning: left, portsStillBusy: busy }, `after ${GONE_WITHIN_MS} ms`).toEqual({ stillRunning: [], portsStillBusy: [] });
    }
    await sleep(100);
  }
}

describe("npm start with IMPOSSIBLEDB_AUTH=required", () => {
  it("prints a development admin key that works, and refuses calls without it", async () => {
    const s = await startServing({ env: { IMPOSSIBLEDB_AUTH: "required" } });
    const key = /development admin key[^:]*: (\S+)/.exec(s.output())?.[1];
    expect(key, s.output()).toMatch(/^idb_dev_admin_[A-Za-z0-9_-]{32}$/);
    const url = `http://127.0.0.1:${s.ports.worker}/impossibledb.v1.CollectionService/ListCollections`;
    const call = (headers: Record<string, string>) =>
      fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: "{}" });
    const refused = await call({});
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe("unauthenticated");
    expect((await call({ authorization: `Bearer ${key}` })).status).toBe(200);
    s.child.kill("SIGTERM");
    expect(await s.exit).toEqual({ code: 0, signal: null });
  });
});

describe("npm start: its servers never outlive it", () => {
  it("a closed terminal (SIGHUP) stops wrangler, workerd and the front door, and frees both ports", async () => {
    const s = await startServing();
    const tree = s.tree;
    // The tree really holds the servers this test is about.
    expect(tree.map((pid) => procStat(pid)?.command)).toEqual(expect.arrayContaining(["workerd"]));
    expect(await portBusy(s.ports.worker)).toBe(true);
    expect(await portBusy(s.ports.frontdoor)).toBe(true);
    // The banner names the web console, and the console is served there.
    const consoleUrl = /Web console[^\n]*?(http:\/\/\S+\/console\/)/.exec(s.output())?.[1];
    expect(consoleUrl, s.output()).toBe(`http://127.0.0.1:${s.ports.worker}/console/`);
    expect((await fetch(consoleUrl!)).headers.get("content-type")).toBe("text/html; charset=utf-8");
    // Auth is off, and the banner says so in one line.
    expect(s.output()).toContain("auth: off (local development; IMPOSSIBLEDB_AUTH=required turns it on)");

    s.child.kill("SIGHUP");
    expect(await s.exit).toEqual({ code: 0, signal: null });
    await expectAllGone(tree, s.ports);
  });

  it("when start.mjs is killed outright (SIGKILL), every server notices and exits within seconds", async () => {
    const s = await startServing();
    const tree = s.tree;
    expect(tree.map((pid) => procStat(pid)?.command)).toEqual(expect.arrayContaining(["workerd"]));

    s.child.kill("SIGKILL");
    expect(await s.exit).toEqual({ code: null, signal: "SIGKILL" });
    await expectAllGone(tree, s.ports);
  });

  it("Ctrl-C (SIGINT) while the servers are still starting stops what has started", async () => {
    const ports = { worker: await freePort(), frontdoor: await freePort() };
    const s = runStart(ports);
    // As soon as workerd runs, which is before the Worker answers and the
    // front door starts.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!descendants(s.child.pid!).some((pid) => procStat(pid)?.command === "workerd")) {
      if (Date.now() > deadline || s.child.exitCode !== null) throw new Error(`workerd never started:\n${s.output()}`);
      await sleep(50);
    }
    s.tree = descendants(s.child.pid!);

    s.child.kill("SIGINT");
    expect(await s.exit).toEqual({ code: 0, signal: null });
    await expectAllGone(s.tree, ports);
  });

  it("when npm itself is killed outright, the shell, start.mjs and every server stop within seconds", async () => {
    const s = await startServing({ viaNpm: true });
    const tree = s.tree;
    expect(tree.map((pid) => procStat(pid)?.command)).toEqual(expect.arrayContaining(["sh", "workerd"]));

    s.child.kill("SIGKILL");
    expect(await s.exit).toEqual({ code: null, signal: "SIGKILL" });
    await expectAllGone(tree, s.ports);
  });
});

describe("npm start: busy ports", () => {
  for (const which of ["worker", "frontdoor"] as const) {
    const name = which === "worker" ? "PORT" : "FRONTDOOR_PORT";
    it(`names ${name} when its port is taken, says how to choose others, exits non-zero and starts nothing`, async () => {
      const ports = { worker: await freePort(), frontdoor: await freePort() };
      await holdPort(ports[which]);
      const other = which === "worker" ? ports.frontdoor : ports.worker;
      const startedAt = Date.now();
      const s = runStart(ports);
      const exit = await s.exit;
      expect(Date.now() - startedAt).toBeLessThan(REFUSE_WITHIN_MS);
      expect(exit.code).toBe(1);
      const output = s.output();
      expect(output).toContain(`port ${ports[which]} (${name},`);
      expect(output).toContain("already in use");
      expect(output).toMatch(/PORT=\d+ FRONTDOOR_PORT=\d+ npm start/);
      // No stack trace, and nothing of the servers' own output: they never started.
      expect(output).not.toMatch(/^\s+at /m);
      expect(output).not.toMatch(/wrangler|frontdoor listening/);
      expect(await portBusy(other)).toBe(false);
    });
  }

  it("names both ports when both are taken", async () => {
    const ports = { worker: await freePort(), frontdoor: await freePort() };
    await holdPort(ports.worker);
    await holdPort(ports.frontdoor);
    const s = runStart(ports);
    expect((await s.exit).code).toBe(1);
    expect(s.output()).toContain(`port ${ports.worker} (PORT,`);
    expect(s.output()).toContain(`port ${ports.frontdoor} (FRONTDOOR_PORT,`);
  });
});

/**
 * Runs a Worker on local workerd through Miniflare, NOT through `wrangler
 * dev`, whose proxy costs about a quarter of the throughput. The Worker is
 * bundled exactly as it would deploy (`wrangler deploy --dry-run`), and its
 * bindings, vars and compatibility settings come from its own wrangler.toml,
 * so the benchmark cannot drift from the real configuration.
 */
import { execFile } from "node:child_process";
import { appendFileSync, rmSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { REPO_ROOT } from "../config.js";
import { onExitCleanup } from "../lib/exit-cleanup.js";

const run = promisify(execFile);

/** A Worker served on workerd; `url` ends without a slash. */
export interface WorkerdHost {
  readonly url: string;
  stop(): Promise<void>;
}

export interface WorkerdHostOptions {
  /** wrangler.toml of the Worker, relative to the repository root. */
  readonly configPath: string;
  readonly port: number;
  /** Vars that override the config's (e.g. SHARD_COUNT). */
  readonly vars?: Record<string, string>;
  /**
   * Workers Rate Limiting bindings to add, by binding name (the local
   * top-level configuration has none; the auth phase adds them to measure
   * what the production path's limiter costs).
   */
  readonly ratelimits?: Record<string, { readonly namespaceId: string; readonly limit: number; readonly periodS: 10 | 60 }>;
}

/** Bundles the Worker, starts workerd with SQLite state in a fresh temp dir, and waits until it serves. */
export async function startWorkerd(options: WorkerdHostOptions): Promise<WorkerdHost> {
  const workDir = await mkdtemp(path.join(tmpdir(), "idb-bench-workerd-"));
  const unregister = onExitCleanup(() => rmSync(workDir, { recursive: true, force: true }));
  const outDir = path.join(workDir, "bundle");
  const configPath = path.join(REPO_ROOT, options.configPath);
  await run(path.join(REPO_ROOT, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", outDir, "--config", configPath], {
    cwd: REPO_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "error" },
  });
  const entry = (await readdir(outDir)).find((f) => f.endsWith(".js"));
  if (entry === undefined) throw new Error(`wrangler produced no bundle for ${options.configPath}`);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
  // wrangler describes the Worker in Miniflare's v4 option shape; Miniflare 5
  // converts it.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...workerOptions,
      modulesRules: undefined,
      bindings: { ...(workerOptions.bindings ?? {}), ...(options.vars ?? {}) },
      ...(options.ratelimits === undefined
        ? {}
        : {
            ratelimits: Object.fromEntries(
              Object.entries(options.ratelimits).map(([name, r]) => [name, { namespace_id: r.namespaceId, simple: { limit: r.limit, period: r.periodS } }]),
            ),
          }),
      modules: true,
      modulesRoot: outDir,
      scriptPath: path.join(outDir, entry),
      host: "127.0.0.1",
      port: options.port,
      resourcePersistencePath: path.join(workDir, "state"),
      verbose: false,
      // A V8 inspector for CPU profiles of the request path (chrome://inspect
      // or bench/lib/cpu-profile.ts); off unless asked for.
      ...(process.env.BENCH_INSPECTOR_PORT === undefined ? {} : { inspectorPort: Number(process.env.BENCH_INSPECTOR_PORT) }),
      // workerd's own warnings and errors (a hung request, a promise settled
      // from another request's context), appended to the file named by
      // BENCH_WORKERD_LOG; off unless asked for (the Worker's own per-call
      // log lines are left out: they are level "log"/"info").
      ...(process.env.BENCH_WORKERD_LOG === undefined ? {} : { handleStructuredLogs: workerdLogTo(process.env.BENCH_WORKERD_LOG) }),
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return {
    url,
    async stop() {
      await mf.dispose();
      await rm(workDir, { recursive: true, force: true });
      unregister();
    },
  };
}

/** Appends workerd's structured log entries above level info to `file`, one JSON line each. */
function workerdLogTo(file: string): (entry: { timestamp: number; level: string; message: string }) => void {
  return (entry) => {
    if (entry.level === "log" || entry.level === "info" || entry.level === "debug") return;
    appendFileSync(file, `${JSON.stringify(entry)}\n`);
  };
}

/**
 * PostgreSQL from Debian's packages, with its own cluster in a temp dir: the
 * same document shape (jsonb), synchronous_commit on, driven with the `pg`
 * client through a pool of as many connections as requests in flight.
 *
 * The harness installs the packages with apt-get when they are missing, runs
 * the server as the `postgres` user when it runs as root (PostgreSQL refuses
 * root), and stops the server and deletes the cluster when done.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { COLLECTION } from "../config.js";
import { onExitCleanup } from "../lib/exit-cleanup.js";
import type { Driver, RunningSystem } from "./types.js";
import { createPostgresExtensions } from "./postgres-extensions.js";

export interface PostgresOptions {
  readonly port: number;
  readonly connections: number;
}

const CONNECT_WAIT_MS = 30_000;

/** The newest installed server's bin directory, installing PostgreSQL first if there is none. */
function serverBinDir(): string {
  const find = () => {
    const root = "/usr/lib/postgresql";
    const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "postgres"))) : [];
    const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
    return newest === undefined ? null : path.join(root, newest, "bin");
  };
  const found = find();
  if (found !== null) return found;
  console.error("[bench] PostgreSQL not found: installing it with apt-get (Debian packages)");
  const apt = { stdio: "inherit" as const, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } };
  execFileSync("apt-get", ["update"], apt);
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "postgresql"], apt);
  const installed = find();
  if (installed === null) throw new Error("apt-get installed postgresql but no server binary was found under /usr/lib/postgresql");
  return installed;
}

/** Runs `argv` as the postgres user when we are root, as ourselves otherwise. */
function asServerUser(argv: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
}

export async function startPostgres(options: PostgresOptions): Promise<RunningSystem> {
  const bin = serverBinDir();
  const dir = await mkdtemp(path.join(tmpdir(), "idb-bench-pg-"));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    await chown(dir, uid, gid);
  }
  const dataDir = path.join(dir, "data");
  const [initCmd, ...initArgs] = asServerUser([path.join(bin, "initdb"), "-D", dataDir, "-A", "trust", "-U", "bench", "-E", "UTF8", "--no-sync"]);
  execFileSync(initCmd!, initArgs, { stdio: "ignore" });
  const [cmd, ...args] = asServerUser([
    path.join(bin, "postgres"), "-D", dataDir, "-p", String(options.port), "-k", dir,
    "-c", "listen_addresses=127.0.0.1", "-c", "synchronous_commit=on", "-c", "fsync=on",
    "-c", `max_connections=${options.connections + 10}`, "-c", "shared_buffers=128MB",
  ]);
  const server: ChildProcess = spawn(cmd!, args, { stdio: ["ignore", "ignore", "pipe"] });
  const postmasterPid = () => Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const unregister = onExitCleanup(() => {
    process.kill(postmasterPid(), "SIGQUIT"); // immediate shutdown: nothing here is worth keeping
    rmSync(dir, { recursive: true, force: true });
  });
  let serverLog = "";
  server.stderr?.on("data", (c: Buffer) => (serverLog = (serverLog + c.toString()).slice(-4000)));
  const pool = new pg.Pool({ host: "127.0.0.1", port: options.port, user: "bench", database: "postgres", max: options.connections });
  // An idle connection that the server closes (at shutdown) must not crash the harness.
  pool.on("error", () => {});
  await waitForServer(pool, () => serverLog);
  await pool.query(`CREATE TABLE documents (
      collection text NOT NULL, id text NOT NULL, data jsonb NOT NULL,
      version bigint NOT NULL CHECK (version > 0),
      create_time_ms bigint NOT NULL, update_time_ms bigint NOT NULL, size_bytes integer NOT NULL,
      PRIMARY KEY (collection, id))`);
  // A sequence, not a counter row: PostgreSQL's idiomatic equivalent of a
  // shard's write sequence (a counter row would serialise every writer on its lock).
  await pool.query("CREATE SEQUENCE document_version");
  // Warm every connection so none is opened inside a measurement.
  await Promise.all(Array.from({ length: options.connections }, () => pool.query("SELECT 1")));

  const upsert = `INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes)
    SELECT $1, u.id, u.data, nextval('document_version'), $4, $4, octet_length(u.data::text)
    FROM unnest($2::text[], $3::jsonb[]) AS u(id, data)
    ON CONFLICT (collection, id) DO UPDATE SET
      data = excluded.data, version = excluded.version,
      update_time_ms = excluded.update_time_ms, size_bytes = excluded.size_bytes`;
  const driver: Driver = {
    ...createPostgresExtensions(pool),
    async get(id) {
      const { rows } = await pool.query({ name: "get", text: "SELECT data, version FROM documents WHERE collection = $1 AND id = $2", values: [COLLECTION, id] });
      const row = rows[0] as { data: Record<string, string>; version: string } | undefined;
      return row === undefined ? null : { data: row.data, version: Number(row.version) };
    },
    async put(id, data) {
      await pool.query({ name: "put", text: upsert, values: [COLLECTION, [id], [JSON.stringify(data)], Date.now()] });
    },
    async putIfVersion(id, data, version) {
      const json = JSON.stringify(data);
      const { rowCount } = await pool.query({
        name: "put-if",
        text: `UPDATE documents SET data = $3, version = nextval('document_version'), update_time_ms = $5, size_bytes = $6
               WHERE collection = $1 AND id = $2 AND version = $4`,
        values: [COLLECTION, id, json, version, Date.now(), Buffer.byteLength(json)],
      });
      return rowCount === 1;
    },
    async increment(id, field, by) {
      // One statement, as a PostgreSQL user writes a counter: the row lock
      // serialises concurrent increments, and no read round trip is needed.
      const { rows } = await pool.query({
        name: "increment",
        text: `UPDATE documents
               SET data = jsonb_set(data, ARRAY[$3::text], to_jsonb(COALESCE((data->>($3::text))::float8, 0) + $4::float8)),
                   version = nextval('document_version'), update_time_ms = $5
               WHERE collection = $1 AND id = $2
               RETURNING (data->>($3::text))::float8 AS n`,
        values: [COLLECTION, id, field, by, Date.now()],
      });
      const row = rows[0] as { n: number } | undefined;
      if (row === undefined) throw new Error(`document ${id} is missing`);
      return row.n;
    },
    async batchGet(ids) {
      const { rows } = await pool.query({ name: "batch-get", text: "SELECT id, data, version FROM documents WHERE collection = $1 AND id = ANY($2::text[])", values: [COLLECTION, ids] });
      return rows.length;
    },
    async batchPut(entries) {
      // In id order, so concurrent batches take their row locks in the same
      // order: otherwise two batches sharing hot rows deadlock, as any
      // PostgreSQL client that writes batches must avoid.
      const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      await pool.query({ name: "put", text: upsert, values: [COLLECTION, sorted.map(([id]) => id), sorted.map(([, d]) => JSON.stringify(d)), Date.now()] });
    },
  };
  const version = execFileSync(path.join(bin, "postgres"), ["--version"]).toString().trim();
  return {
    id: "postgres",
    label: "PostgreSQL (jsonb)",
    setup: `${version}; own cluster in a temp dir; synchronous_commit=on, fsync=on, shared_buffers=128MB; pg (node-postgres) pool of ${options.connections}`,
    driver,
    serverPids: server.pid === undefined ? [] : [server.pid],
    concurrent: true,
    async stop() {
      await pool.end();
      // Fast shutdown: SIGINT to the postmaster (its pid is the first line of postmaster.pid).
      const exited = new Promise((resolve) => server.once("exit", resolve));
      process.kill(postmasterPid(), "SIGINT");
      await exited;
      await rm(dir, { recursive: true, force: true });
      unregister();
    },
  };
}

async function waitForServer(pool: pg.Pool, log: () => string): Promise<void> {
  const deadline = Date.now() + CONNECT_WAIT_MS;
  for (;;) {
    try {
      await pool.query("SELECT 1");
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within ${CONNECT_WAIT_MS} ms: ${String(err)}\n${log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * The floor: a bare Worker and one Durable Object running the same SQL as a
 * shard (bench/floor/worker.ts), driven over plain HTTP/1.1 with the same
 * keep-alive client style as ImpossibleDB. What the platform costs by itself.
 */
import { workerdPids } from "../lib/cpu.js";
import { createKeepAliveAgent, post } from "../lib/http.js";
import type { Document, Driver, RunningSystem, VersionedDocument } from "./types.js";
import { startWorkerd } from "./workerd-host.js";

export interface FloorOptions {
  readonly port: number;
  readonly socketsMax: number;
}

/** The floor, plus probes of parts of the path (for profiling ImpossibleDB's). */
export interface RunningFloor extends RunningSystem {
  /** Answered by the Worker alone. */
  probeWorker(): Promise<void>;
  /** Worker alone, with bodies handled as streams (as Connect does). */
  probeWorkerStreams(): Promise<void>;
  /** Worker plus a Durable Object call that does nothing. */
  probeDoCall(): Promise<void>;
  /** `n` no-op calls to n distinct Durable Objects in parallel, from one request (a query's fan-out, without the query). */
  probeFanOut(n: number): Promise<void>;
  /**
   * The group-commit probe: writes `entries` in one request, in one
   * transactionSync (`batch`), one transactionSync each (`separate`), or
   * with none, in workerd's implicit transaction (`implicit`).
   */
  probeCommits(entries: ReadonlyArray<readonly [string, Document]>, style: "batch" | "separate" | "implicit"): Promise<void>;
}

export async function startFloor(options: FloorOptions): Promise<RunningFloor> {
  const before = await workerdPids();
  const host = await startWorkerd({ configPath: "bench/floor/wrangler.toml", port: options.port });
  const pids = (await workerdPids()).filter((p) => !before.includes(p));
  const agent = createKeepAliveAgent(options.socketsMax);
  const call = async (route: string, body = ""): Promise<string | null> => {
    const reply = await post(agent, `${host.url}${route}`, body);
    if (reply.status === 404) return null;
    if (reply.status !== 200) throw new Error(`floor ${route}: HTTP ${reply.status}: ${reply.body}`);
    return reply.body;
  };
  const enc = encodeURIComponent;
  const driver: Driver = {
    tx: {
      async commitPair(a, b) {
        await call("/commit-pair", JSON.stringify([a, b].map(([id, data]) => [id, JSON.stringify(data)])));
      },
      async loadAccounts(ids, balance) {
        await call("/load-accounts", JSON.stringify({ ids, balance }));
      },
      async transfer(from, to, amount) {
        await call(`/transfer?from=${enc(from)}&to=${enc(to)}&amount=${amount}`);
        return 0; // one DO runs one transaction at a time: nothing to abort
      },
      async totalBalance(ids) {
        return Number(await call("/total-balance", JSON.stringify(ids)));
      },
    },
    async get(id) {
      const body = await call(`/get?id=${enc(id)}`);
      return body === null ? null : (JSON.parse(body) as VersionedDocument);
    },
    async put(id, data) {
      await call(`/put?id=${enc(id)}`, JSON.stringify(data));
    },
    async increment(id, field, by) {
      return Number(await call(`/increment?id=${enc(id)}&field=${enc(field)}&by=${by}`, ""));
    },
    async putIfVersion(id, data, version) {
      return (await call(`/put-if?id=${enc(id)}&version=${version}`, JSON.stringify(data))) !== "0";
    },
    async batchGet(ids) {
      return (JSON.parse((await call("/batch-get", JSON.stringify(ids))) ?? "[]") as unknown[]).length;
    },
    async batchPut(entries) {
      await call("/batch-put", JSON.stringify(entries.map(([id, data]: readonly [string, Document]) => [id, JSON.stringify(data)])));
    },
  };
  const pairs = (entries: ReadonlyArray<readonly [string, Document]>) => JSON.stringify(entries.map(([id, data]) => [id, JSON.stringify(data)]));
  return {
    async probeCommits(entries, style) {
      await call(style === "batch" ? "/batch-put" : `/put-commits?style=${style}`, pairs(entries));
    },
    id: "floor",
    label: "Floor (bare Worker + 1 DO)",
    setup: "one Worker + one SQLite DO on workerd via Miniflare; same SQL as a shard; plain HTTP/1.1, JSON text",
    driver,
    serverPids: pids,
    concurrent: true,
    async probeWorker() {
      await call("/noop");
    },
    async probeWorkerStreams() {
      await call("/noop-stream", "{}");
    },
    async probeDoCall() {
      await call("/do-noop");
    },
    async probeFanOut(n) {
      await call(`/do-fanout?n=${n}`);
    },
    stop: () => host.stop(),
  };
}

/**
 * The auth phase (Security issue): what authentication costs a point get and
 * an indexed query, as a ratio to the same calls without it, in one run.
 *
 * Each variant (`AUTH_VARIANTS`) is its own Worker on workerd, started the
 * same way as the main benchmark's ImpossibleDB (8 shards, the same bundle
 * and wrangler.toml), loaded with the same seeded documents, and measured on
 * the same workloads (`ycsb-c`, the point get, and `query-top10-indexed`).
 * Variants take turns in many short rounds, their order rotating each
 * round: within a round each (workload, loop) is measured for every
 * variant back to back, seconds apart, so a neighbour's burst on the shared
 * cores falls on the variants of one round alike. Each round gives a ratio
 * per variant (its p50 and its workerd CPU per request over the baseline's
 * in the same round), and the phase reports the MEDIAN of those per-round
 * ratios, which a burst that hit one turn moves by one rank, beside the
 * pooled ratio (all rounds merged, as before), which it can move a lot.
 * Two loops per workload: ONE request in flight (latency on an idle system)
 * and the mode's concurrency (throughput and workerd CPU per request).
 *
 * The `api-key-rule` variant adds read rules in CEL that bind the read-only
 * key (it is no admin) and that every benchmark document satisfies, so the
 * answers stay the same and only the rule's cost shows: on the query set a
 * field-vs-constant comparison, which is pushed into each shard's SQL (its
 * `prepare` checks with Explain that it was pushed and not evaluated per
 * document); on the YCSB records a `has()` of a field, which a point get
 * checks in the Worker.
 */
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type * as hdr from "hdr-histogram-js";
import { AdminService, ApiKey_Role } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { ORDERS_COLLECTION } from "../systems/extensions.js";
import { COLLECTION, type ModeSettings } from "../config.js";
import type { OrderDoc } from "../systems/extensions.js";
import { Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { createImpossibleDbQuery } from "../systems/impossibledb-extensions.js";
import { createDriver } from "../systems/impossibledb.js";
import type { Driver } from "../systems/types.js";
import { startWorkerd, type WorkerdHost } from "../systems/workerd-host.js";
import { orderDocuments, queryTop10Indexed } from "../workloads/queries.js";
import type { ReadyWorkload } from "../workloads/types.js";
import { ycsbC } from "../workloads/ycsb.js";
import { startCpuMeter, workerdPids } from "./cpu.js";
import { createDocument } from "./document.js";
import { createKeepAliveAgent } from "./http.js";
import { createKeyChooser, createRandom, recordId } from "./keys.js";
import { closedLoop, newHistogram, summarize } from "./loops.js";

/** One way of calling the same Worker. */
export interface AuthVariant {
  readonly id: string;
  readonly label: string;
  /** "none": AUTH_MODE off. "api_key": AUTH_MODE required; every call carries an API key, read_only on `default`. */
  readonly credential: "none" | "api_key";
  /**
   * Binds RATE_LIMIT_PER_KEY and RATE_LIMIT_PER_DATABASE (as every deployed
   * environment does) with limits no run reaches, so the limiter's cost is
   * in the figures. Locally each check is a call to Miniflare's limiter
   * object; in production it is Cloudflare's, which may cost less or more.
   */
  readonly rateLimits: boolean;
  /**
   * Runs once the data is loaded and the measured credential made: where a
   * variant sets up what it measures (with `adminTransport`) and checks it
   * (with `measuredTransport`, the calls' own credential).
   */
  readonly prepare?: (ctx: { readonly adminTransport: Transport; readonly measuredTransport: Transport }) => Promise<void>;
}

/** The baseline every ratio divides by. */
export const AUTH_BASELINE: AuthVariant = { id: "no-auth", label: "no auth (AUTH_MODE off)", credential: "none", rateLimits: false };

/**
 * The benchmark's read rules: true for every document loaded, so a bound
 * caller gets the same answers as an unbound one. `total >= 0` compares a
 * field with a constant, which rules-as-filters pushes into the shards' SQL.
 */
export const BENCH_READ_RULES = [
  { collection: ORDERS_COLLECTION, read: "resource.data.total >= 0", write: "" },
  { collection: COLLECTION, read: "has(resource.data.field0)", write: "" },
] as const;

/** Sets BENCH_READ_RULES, then checks with Explain that the query's rule binds the measured key and is pushed whole into SQL. */
async function setPushedRules(ctx: { readonly adminTransport: Transport; readonly measuredTransport: Transport }): Promise<void> {
  await createClient(AdminService, ctx.adminTransport).setRules({ rules: { collections: [...BENCH_READ_RULES] } });
  const { plan } = await createClient(QueryService, ctx.measuredTransport).runQuery({
    query: { collection: ORDERS_COLLECTION, filter: `status = "s1" AND total >= 10`, orderBy: [{ field: "total", direction: Order_Direction.DESCENDING }], limit: 10 },
    pageSize: 10,
    explain: true,
  });
  const rule = plan?.rule;
  if (rule === undefined || !rule.pushed || rule.evaluatedPerDocument) {
    throw new Error(`the benchmark's read rule is not pushed whole into SQL: Explain says ${JSON.stringify(rule ?? null)}`);
  }
}

/** The variants, baseline first. */
export const AUTH_VARIANTS: readonly AuthVariant[] = [
  AUTH_BASELINE,
  { id: "api-key", label: "API key (auth required)", credential: "api_key", rateLimits: false },
  { id: "api-key-limits", label: "API key + rate limits (the deployed path)", credential: "api_key", rateLimits: true },
  { id: "api-key-rule", label: "API key + pushed read rule (no rate limits)", credential: "api_key", rateLimits: false, prepare: setPushedRules },
];

/** The workloads measured per variant. */
export const AUTH_WORKLOADS: readonly ReadyWorkload[] = [ycsbC, queryTop10Indexed];

/** How long and how much, per mode. */
export interface AuthPhaseSettings {
  /** Rounds; each measures every variant once per (workload, loop), back to back. Odd, so the median is one round's. */
  readonly rounds: number;
  readonly warmupMs: number;
  /** Measured per variant, workload, loop and round. */
  readonly measureMs: number;
  /** YCSB records (1 KB) for the point get. */
  readonly records: number;
  /** Documents of the query set for the indexed query. */
  readonly orders: number;
}

export const AUTH_MODES: Record<ModeSettings["name"], AuthPhaseSettings> = {
  quick: { rounds: 5, warmupMs: 200, measureMs: 600, records: 1_000, orders: 5_000 },
  full: { rounds: 11, warmupMs: 200, measureMs: 1_000, records: 10_000, orders: 20_000 },
};
for (const [name, s] of Object.entries(AUTH_MODES)) {
  if (s.rounds % 2 !== 1 || s.rounds < 3) throw new Error(`AUTH_MODES.${name}.rounds must be odd and at least 3 (a median of per-round ratios), got ${s.rounds}`);
}

/** One variant's figures in one round, on one workload and loop. */
export interface AuthRoundFigure {
  readonly p50Us: number;
  readonly serverCpuUsPerOp: number;
}

/** One variant's figures on one workload and loop, its rounds merged. */
export interface AuthRun {
  readonly variant: string;
  readonly workload: string;
  readonly concurrency: number;
  readonly ops: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly opsPerSecond: number;
  readonly latency: ReturnType<typeof summarize>;
  readonly serverCpuUsPerOp: number;
  /** The same figures per round, in round order (the report's per-round ratios). */
  readonly perRound: readonly AuthRoundFigure[];
}

export interface AuthPhaseResult {
  readonly settings: AuthPhaseSettings;
  readonly concurrency: number;
  readonly variants: ReadonlyArray<Pick<AuthVariant, "id" | "label" | "credential" | "rateLimits">>;
  readonly runs: readonly AuthRun[];
  readonly failures: readonly string[];
}

/** Rate limits no benchmark run reaches (calls per 60 s). */
const UNREACHED_LIMIT = 1_000_000_000;
/** The bootstrap key the auth variants' Workers get (local, thrown away with them). */
const BOOTSTRAP_KEY = "bench-bootstrap-key-0123456789abcdefghijklmnop";
/** Shards per Worker, as in the main benchmark. */
const SHARDS = 8;

interface StartedVariant {
  readonly variant: AuthVariant;
  readonly host: WorkerdHost;
  readonly pids: readonly number[];
  readonly driver: Driver;
}

/** Runs the phase: starts a Worker per variant on ports from `portFirst`, loads, measures, stops them. */
export async function runAuthPhase(options: {
  readonly mode: ModeSettings;
  readonly settings: AuthPhaseSettings;
  readonly seed: number;
  readonly portFirst: number;
  readonly log: (line: string) => void;
  readonly variants?: readonly AuthVariant[];
}): Promise<AuthPhaseResult> {
  const { mode, settings, seed, log } = options;
  const variants = options.variants ?? AUTH_VARIANTS;
  if (variants[0]?.id !== AUTH_BASELINE.id) throw new Error("the auth phase's first variant must be the baseline");
  const started: StartedVariant[] = [];
  try {
    for (const [i, variant] of variants.entries()) {
      log(`auth: starting ${variant.id} on :${options.portFirst + i} and loading ${settings.records} records and ${settings.orders} orders`);
      started.push(await startVariant(variant, options.portFirst + i, mode.concurrency, settings, seed));
    }
    const totals = new Map<string, { h: hdr.Histogram; ops: number; errors: number; firstError: string | null; seconds: number; cpuSeconds: number; allOps: number; perRound: AuthRoundFigure[] }>();
    let streamSeed = seed;
    for (let round = 0; round < settings.rounds; round++) {
      const order = started.map((_, i) => started[(i + round) % started.length]!);
      for (const workload of AUTH_WORKLOADS) {
        for (const concurrency of [1, mode.concurrency]) {
          for (const s of order) {
            const ctx = { driver: s.driver, random: createRandom(++streamSeed), nextKey: createKeyChooser(settings.records, streamSeed), recordCount: settings.records, batchSize: 1, counters: {} };
            const meter = await startCpuMeter(s.pids);
            const r = await closedLoop(() => workload.next(ctx), { concurrency, warmupMs: settings.warmupMs, measureMs: settings.measureMs });
            const cpu = await meter.stop();
            const key = `${s.variant.id}|${workload.id}|${concurrency}`;
            const t = totals.get(key) ?? { h: newHistogram(), ops: 0, errors: 0, firstError: null, seconds: 0, cpuSeconds: 0, allOps: 0, perRound: [] };
            t.perRound.push({ p50Us: r.histogram.getValueAtPercentile(50), serverCpuUsPerOp: (cpu.serverCpuSeconds * 1e6) / Math.max(1, r.allOps) });
            t.h.add(r.histogram);
            t.ops += r.ops;
            t.errors += r.errors;
            t.firstError ??= r.firstError;
            t.seconds += r.seconds;
            t.cpuSeconds += cpu.serverCpuSeconds;
            t.allOps += r.allOps;
            totals.set(key, t);
          }
        }
      }
      log(`auth: round ${round + 1}/${settings.rounds} done`);
    }
    const runs: AuthRun[] = [];
    const failures: string[] = [];
    for (const [key, t] of totals) {
      const [variant, workload, concurrency] = key.split("|") as [string, string, string];
      if (t.errors > 0) failures.push(`auth ${variant} ${workload} @${concurrency}: ${t.errors} errors, first: ${t.firstError}`);
      runs.push({
        variant,
        workload,
        concurrency: Number(concurrency),
        ops: t.ops,
        errors: t.errors,
        firstError: t.firstError,
        opsPerSecond: t.ops / t.seconds,
        latency: summarize(t.h),
        serverCpuUsPerOp: (t.cpuSeconds * 1e6) / Math.max(1, t.allOps),
        perRound: t.perRound,
      });
    }
    return {
      settings,
      concurrency: mode.concurrency,
      variants: variants.map(({ id, label, credential, rateLimits }) => ({ id, label, credential, rateLimits })),
      runs,
      failures,
    };
  } finally {
    for (const s of started) await s.host.stop();
  }
}

async function startVariant(variant: AuthVariant, port: number, socketsMax: number, settings: AuthPhaseSettings, seed: number): Promise<StartedVariant> {
  const before = await workerdPids();
  const host = await startWorkerd({
    configPath: "wrangler.toml",
    port,
    vars: {
      SHARD_COUNT: String(SHARDS),
      ...(variant.credential === "none" ? { AUTH_MODE: "off" } : { AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: BOOTSTRAP_KEY }),
    },
    ...(variant.rateLimits
      ? {
          ratelimits: {
            RATE_LIMIT_PER_KEY: { namespaceId: "1901", limit: UNREACHED_LIMIT, periodS: 60 },
            RATE_LIMIT_PER_DATABASE: { namespaceId: "1902", limit: UNREACHED_LIMIT, periodS: 60 },
          },
        }
      : {}),
  });
  try {
    const pids = (await workerdPids()).filter((p) => !before.includes(p));
    const transport = (token: string | null) =>
      createConnectTransport({
        baseUrl: host.url,
        httpVersion: "1.1",
        useBinaryFormat: true,
        acceptCompression: [],
        nodeOptions: { agent: createKeepAliveAgent(socketsMax) },
        interceptors: token === null ? [] : [bearer(token)],
      });
    const adminTransport = transport(variant.credential === "none" ? null : BOOTSTRAP_KEY);
    await load(createDriver(adminTransport), createImpossibleDbQuery(adminTransport), settings, seed);
    let token: string | null = null;
    if (variant.credential === "api_key") {
      const created = await createClient(AdminService, adminTransport).createApiKey({ displayName: `bench ${variant.id}`, roles: { default: ApiKey_Role.READ_ONLY } });
      token = created.secret;
    }
    const measured = transport(token);
    await variant.prepare?.({ adminTransport, measuredTransport: measured });
    return { variant, host, pids, driver: { ...createDriver(measured), query: createImpossibleDbQuery(measured) } };
  } catch (err) {
    await host.stop();
    throw err;
  }
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/** The same seeded documents on every variant: YCSB records and the query set, with its index. */
async function load(driver: Driver, query: ReturnType<typeof createImpossibleDbQuery>, settings: AuthPhaseSettings, seed: number): Promise<void> {
  const random = createRandom(seed);
  const BATCH = 100;
  for (let start = 0; start < settings.records; start += BATCH) {
    const end = Math.min(settings.records, start + BATCH);
    await driver.batchPut(Array.from({ length: end - start }, (_, i) => [recordId(start + i), createDocument(random)] as const));
  }
  let batch: Array<readonly [string, OrderDoc]> = [];
  for (const entry of orderDocuments(settings.orders, seed)) {
    batch.push(entry);
    if (batch.length === 500) {
      await query.load(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await query.load(batch);
  await query.createIndex();
}

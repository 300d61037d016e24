/**
 * The markdown report: absolute figures, ratios to the floor and to
 * PostgreSQL, the goals, the path profile, the capacity model, and what is
 * not yet measured. `--write-docs` puts it on docs/benchmarks.md between
 * markers (lib/docs-section.ts).
 */
import { authGoals, authSection } from "./report-auth.js";
import { DO_REQUESTS_PER_SECOND_SOFT, DO_WRITES_PER_SECOND_SOFT } from "./capacity.js";
import type { BenchResults, RunRecord } from "./results.js";
import { EXTENDED_WORKLOAD_IDS, extendedGoals, extendedSections } from "./report-extended.js";
import { hotDocument } from "../workloads/hot-document.js";
import { CACHE_OFF_SYSTEM_ID, CACHE_WORKLOAD_ID, type CachePhaseResult } from "./cache-phase.js";
import type { ModeSettings } from "../config.js";

const num = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (us: number) => (us / 1000).toFixed(us < 10_000 ? 2 : 1);
const ratio = (a: number, b: number | undefined) => (b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}x`);

function find(r: BenchResults, workload: string, system: string, loop: "closed" | "open"): RunRecord | undefined {
  return r.runs.find((x) => x.workload === workload && x.system === system && x.loop === loop);
}

function label(r: BenchResults, system: string): string {
  return r.systems.find((s) => s.id === system)?.label ?? system;
}

function runTable(r: BenchResults, loop: "closed" | "open", workloads: string[], perDoc: boolean): string[] {
  const lines = [
    `| workload | system | ${perDoc ? "docs/s" : "ops/s"} | p50 ms | p99 ms | p99.9 ms | vs floor | vs PostgreSQL | harness CPU | server CPU | server CPU µs/req | errors |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const w of workloads) {
    for (const run of r.runs.filter((x) => x.workload === w && x.loop === loop)) {
      const value = (x: RunRecord | undefined) => (x === undefined ? undefined : perDoc ? x.docsPerSecond : x.opsPerSecond);
      const head = loop === "open" ? `${w} @ ${num(run.ratePerSecond ?? 0)}/s` : w;
      const conflicts = run.counters["conflicts"] ? ` (${num(run.counters["conflicts"])} conflicts)` : "";
      // In the open loop every system is offered the same rate: the ratio worth showing is of p99 latency.
      const vsFloor = loop === "open" ? ratio(run.latency.p99Us, find(r, w, "floor", loop)?.latency.p99Us) : ratio(value(run)!, value(find(r, w, "floor", loop)));
      const vsPg = loop === "open" ? ratio(run.latency.p99Us, find(r, w, "postgres", loop)?.latency.p99Us) : ratio(value(run)!, value(find(r, w, "postgres", loop)));
      lines.push(
        `| ${head} | ${label(r, run.system)} | ${num(value(run)!)}${run.saturated ? " (saturated)" : ""} | ${ms(run.latency.p50Us)} | ${ms(run.latency.p99Us)} | ${ms(run.latency.p999Us)} | ${vsFloor} | ${vsPg} | ${run.harnessCores.toFixed(2)} | ${run.system === "sqlite" ? "(in harness)" : run.serverCores.toFixed(2)} | ${run.system === "sqlite" ? "–" : num(run.serverCpuUsPerOp)} | ${run.errors}${conflicts} |`,
      );
    }
  }
  return lines;
}

function goals(r: BenchResults): string[] {
  const v = (w: string, s: string) => find(r, w, s, "closed")?.docsPerSecond;
  const idbGet = v("ycsb-c", "impossibledb");
  const idbPut = v("point-put", "impossibledb");
  const lines = ["| goal | measured | target |", "| --- | ---: | --- |"];
  lines.push(`| ImpossibleDB point get / floor | ${ratio(idbGet ?? 0, v("ycsb-c", "floor"))} | >= 0.7x (stretch 0.85x) |`);
  lines.push(`| ImpossibleDB point put / floor | ${ratio(idbPut ?? 0, v("point-put", "floor"))} | >= 0.7x (stretch 0.85x) |`);
  // Throughput on a shared machine depends on the share of the cores each run got; CPU per request does not.
  const cpuPerOp = (w: string, s: string) => find(r, w, s, "closed")?.serverCpuUsPerOp;
  lines.push(`| same, from workerd CPU per request (floor µs ÷ ImpossibleDB µs), point get | ${ratio(cpuPerOp("ycsb-c", "floor") ?? 0, cpuPerOp("ycsb-c", "impossibledb"))} | >= 0.7x |`);
  lines.push(`| same, from workerd CPU per request, point put | ${ratio(cpuPerOp("point-put", "floor") ?? 0, cpuPerOp("point-put", "impossibledb"))} | >= 0.7x |`);
  for (const s of r.systems) {
    // Systems that ran no batch workload (the gRPC sidecar) have no ratio to show.
    if (v("batch-get", s.id) === undefined) continue;
    lines.push(`| ${s.label}: batch get docs/s / point get docs/s | ${ratio(v("batch-get", s.id) ?? 0, v("ycsb-c", s.id))} | ${s.id === "impossibledb" ? ">= 20x" : "(reference)"} |`);
    lines.push(`| ${s.label}: batch write docs/s / point put docs/s | ${ratio(v("batch-put", s.id) ?? 0, v("point-put", s.id))} | ${s.id === "impossibledb" ? ">= 20x" : "(reference)"} |`);
  }
  return lines;
}

/** The hot-document runs (bench/lib/hot-phase.ts): one document, many clients incrementing it. */
export function hotSection(r: BenchResults): string[] {
  if (!r.runs.some((x) => x.workload === hotDocument.id)) return [];
  return [
    `### One hot document (${r.hot?.concurrency ?? "?"} clients incrementing one document, closed loop)`,
    "",
    "ImpossibleDB: UpdateDocument with an `increment` field transform, applied by the document's shard inside the write's SQLite transaction (no read round trip). PostgreSQL: one `UPDATE ... SET data = jsonb_set(data, '{n}', n + 1)` on one row. Floor and SQLite: read, change and store the row in one transaction. After each run the document's count must equal the increments acknowledged.",
    "",
    ...runTable(r, "closed", [hotDocument.id], false),
    "",
  ];
}

/** The document-cache phase (bench/lib/cache-phase.ts): zipfian point gets with the shard cache on and off. */
export function cacheSection(c: CachePhaseResult, mode: ModeSettings): string[] {
  const row = (system: string, label: string) => {
    const runs = c.runs.filter((r) => r.system === system);
    const mean = (f: (r: RunRecord) => number) => runs.reduce((a, r) => a + f(r), 0) / Math.max(1, runs.length);
    return `| ${label} | ${num(mean((r) => r.opsPerSecond))} | ${ms(mean((r) => r.latency.p50Us))} | ${ms(mean((r) => r.latency.p99Us))} | ${num(mean((r) => r.serverCpuUsPerOp))} | ${runs.reduce((a, r) => a + r.errors, 0)} |`;
  };
  const cacheOnSystem = c.runs.find((r) => r.system !== CACHE_OFF_SYSTEM_ID)?.system ?? "impossibledb";
  return [
    `### The shard document cache (YCSB C: point gets, zipfian keys, ${mode.concurrency} in flight; on and off in alternating rounds)`,
    "",
    "| shard document cache | gets/s | p50 ms | p99 ms | workerd CPU µs/get | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    row(cacheOnSystem, "on"),
    row(CACHE_OFF_SYSTEM_ID, "off (SHARD_DOCUMENT_CACHE=off)"),
    `| on / off | ${c.opsRatio.toFixed(2)}x | ${c.p50Ratio.toFixed(2)}x | | ${c.cpuPerGetRatio.toFixed(2)}x | |`,
    "",
  ];
}

/** The hot-document goal: sustained increments per second to one document. */
export function hotGoals(r: BenchResults): string[] {
  const idb = find(r, hotDocument.id, "impossibledb", "closed");
  if (idb === undefined) return [];
  return [`| ImpossibleDB sustained increments/s to ONE document (${r.hot?.concurrency ?? "?"} clients; vs floor ${ratio(idb.opsPerSecond, find(r, hotDocument.id, "floor", "closed")?.opsPerSecond)}, vs PostgreSQL ${ratio(idb.opsPerSecond, find(r, hotDocument.id, "postgres", "closed")?.opsPerSecond)}) | ${num(idb.opsPerSecond)}/s | >= 500/s |`];
}

function profileSection(r: BenchResults): string[] {
  const p = r.profile;
  if (p === undefined) return [];
  const cpu = (name: string) => p.probes.find((x) => x.probe.startsWith(name))?.serverCpuUsPerOp ?? NaN;
  const worker = cpu("floor: HTTP");
  const doCall = cpu("floor: + DO");
  const floorGet = cpu("floor: point get");
  const noop = cpu("ImpossibleDB: Connect no-op");
  const idbGet = cpu("ImpossibleDB: point get");
  const parts: Array<[string, number]> = [
    ["HTTP + Worker invocation (floor /noop)", worker],
    ["Durable Object call (floor /do-noop − /noop)", doCall - worker],
    ["SQL read + JSON text in the DO (floor get − /do-noop)", floorGet - doCall],
    ["Connect router, interceptors (incl. protovalidate), routing cache (ImpossibleDB no-op − floor /noop)", noop - worker],
    ["  of which: bodies streamed as Connect's fetch adapter does (floor /noop-stream − /noop)", cpu("floor: HTTP + Worker, streamed") - worker],
    ["ImpossibleDB's get beyond the no-op: shard RPC, SQL, JSON.parse, Struct conversion, encode (get − no-op)", idbGet - noop],
  ];

  const lines = [
    "workerd CPU per request at saturation (microseconds), measured from /proc while each probe ran alone:",
    "",
    "| probe | req/s | workerd CPU µs/req | p50 ms |",
    "| --- | ---: | ---: | ---: |",
    // p50 is absent from results written before it was recorded.
    ...p.probes.map((x) => `| ${x.probe} | ${num(x.opsPerSecond)} | ${num(x.serverCpuUsPerOp)} | ${x.p50Ms === undefined ? "–" : x.p50Ms.toFixed(2)} |`),
    "",
    "The point get's path, piece by piece (differences of the rows above):",
    "",
    "| piece | µs/req |",
    "| --- | ---: |",
    ...parts.map(([name, us]) => `| ${name} | ${num(us)} |`),
    `| ImpossibleDB get overhead over the floor's get | ${num(idbGet - floorGet)} |`,
    `| (a client that accepts gzip: get with gzip − get without) | ${num(cpu("ImpossibleDB: point get, client accepts gzip") - idbGet)} |`,
    "",
    "Codec, validation and Connect's request plumbing, timed in the harness's Node (same V8 as workerd, but Node's own Request/Response), per call:",
    "",
    "| step | µs |",
    "| --- | ---: |",
    ...Object.entries(p.codecUs).map(([k, us]) => `| ${k} | ${us.toFixed(1)} |`),
  ];
  return lines;
}

function capacitySection(r: BenchResults): string[] {
  const c = r.capacity;
  if (c === undefined) return [];
  const get = find(r, "ycsb-c", "impossibledb", "closed")?.opsPerSecond ?? 0;
  const put = find(r, "point-put", "impossibledb", "closed")?.opsPerSecond ?? 0;
  const getShard = Math.min(get, DO_REQUESTS_PER_SECOND_SOFT);
  const putShard = Math.min(put, DO_WRITES_PER_SECOND_SOFT);
  return [
    `Per shard: point get ${num(get)}/s and point put ${num(put)}/s measured here for the whole ImpossibleDB (its Worker and all its shards share ONE workerd thread here), capped at the platform's soft limits per Durable Object (${num(DO_REQUESTS_PER_SECOND_SOFT)} requests/s, ${num(DO_WRITES_PER_SECOND_SOFT)} writes/s): ${num(getShard)} gets/s, ${num(putShard)} puts/s per shard.`,
    "",
    `Cluster capacity = per-shard capacity ÷ the busiest shard's share of requests, from the real hash ring (1,024 virtual nodes per shard) over ${num(c.modelRecords)} records:`,
    "",
    "| shards | busiest share, uniform keys | gets/s, uniform | puts/s, uniform | busiest share, zipfian 0.99 | gets/s, zipfian | puts/s, zipfian |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...c.shares.map(
      (s) =>
        `| ${s.shards} | ${(s.uniformMaxShare * 100).toFixed(2)}% | ${num(getShard / s.uniformMaxShare)} | ${num(putShard / s.uniformMaxShare)} | ${(s.zipfianMaxShare * 100).toFixed(2)}% | ${num(getShard / s.zipfianMaxShare)} | ${num(putShard / s.zipfianMaxShare)} |`,
    ),
    "",
    "Assumptions: on Cloudflare each shard DO runs on its own thread and the stateless Worker scales out separately, so a shard's capacity is at least what one local workerd thread gives the whole system here (conservative: here the Worker's CPU shares that thread); the soft limits hold; requests are spread by the ring with no hot-spot splitting; network latency between Worker and DO is not modelled (it adds latency, not CPU). Under zipfian keys the hottest document alone takes several percent of all requests, so its shard caps the cluster however many shards there are: spreading a hot key needs caching or replicas, not more shards.",
  ];
}

export function renderMarkdown(r: BenchResults): string {
  const point = [...new Set(r.runs.filter((x) => !x.workload.startsWith("batch") && !EXTENDED_WORKLOAD_IDS.has(x.workload) && x.workload !== hotDocument.id && x.workload !== CACHE_WORKLOAD_ID).map((x) => x.workload))];
  const batch = [...new Set(r.runs.filter((x) => x.workload.startsWith("batch")).map((x) => x.workload))];
  const m = r.machine;
  const mode = r.harness.mode;
  return [
    `Measured ${r.harness.startedAt.slice(0, 16).replace("T", " ")} UTC with \`${r.harness.command}\` (${mode.name} mode: ${num(mode.recordCount)} records of 1 KB, zipfian 0.99, ${mode.measureMs / 1000} s per run after ${mode.warmupMs / 1000} s warm-up; ${r.harness.durationSeconds ?? "?"} s in all).`,
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, Node ${m.node}; 1-minute load average ${m.loadAverage1mStart.toFixed(2)} at start, ${m.loadAverage1mEnd?.toFixed(2) ?? "?"} at end (above ${m.nproc} means the cores were shared with other work).`,
    "",
    "Systems:",
    "",
    ...r.systems.map((s) => `- **${s.label}**: ${s.setup}`),
    "",
    `### Closed loop (${mode.concurrency} requests in flight; in-process SQLite runs one at a time)`,
    "",
    "CPU columns are in cores (1.00 = one core busy): harness = the load generator (and, for SQLite, the database itself); server = the system's processes. On a shared machine the server CPU per request is the steadier figure: throughput depends on how much of the cores the system got.",
    "",
    ...runTable(r, "closed", point, false),
    "",
    `### Open loop (fixed rate = ${mode.openLoopLoadFraction} × the slowest system's closed-loop throughput on that workload; latency from each request's due time; ratios are of p99)`,
    "",
    ...runTable(r, "open", point, false),
    "",
    `### Batches of ${mode.batchSize} documents (closed loop, ${mode.batchConcurrency} requests in flight)`,
    "",
    ...runTable(r, "closed", batch, true),
    "",
    ...hotSection(r),
    ...(r.cache === undefined ? [] : cacheSection(r.cache, mode)),
    ...extendedSections(r),
    ...(r.auth === undefined ? [] : authSection(r.auth)),
    "### Goals (reported, not asserted)",
    "",
    ...goals(r),
    ...hotGoals(r),
    ...extendedGoals(r),
    ...(r.auth === undefined ? [] : authGoals(r.auth)),
    "",
    "### Where ImpossibleDB's request path spends its time",
    "",
    ...profileSection(r),
    "",
    "### Capacity model",
    "",
    ...capacitySection(r),
    "",
    ...(r.notYetMeasured.length === 0 ? [] : ["### Not yet measured", "", ...r.notYetMeasured.map((n) => `- ${n.title}: ${n.reason}`), ""]),
  ].join("\n");
}

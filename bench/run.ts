/**
 * `npm run bench [-- --quick] [-- --write-docs]`: ImpossibleDB side by side
 * with the platform's floor, PostgreSQL and in-process SQLite, in one run on
 * one machine. See bench/README.md for what is measured and how.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { MODES, PORTS, REPO_ROOT, RESULTS_DIR } from "./config.js";
import { busiestShardShares, MODEL_RECORDS } from "./lib/capacity.js";
import { createDocument } from "./lib/document.js";
import { createKeyChooser, createRandom, recordId } from "./lib/keys.js";
import { runExtendedPhases } from "./lib/extended-phases.js";
import { runHotPhase } from "./lib/hot-phase.js";
import { runCachePhase } from "./lib/cache-phase.js";
import { createMeasure } from "./lib/measure.js";
import { AUTH_MODES, runAuthPhase } from "./lib/auth-phase.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { nodeCosts, runProbe } from "./lib/profile.js";
import { renderMarkdown } from "./lib/report.js";
import { writeDocsSection } from "./lib/docs-section.js";
import type { BenchResults, RunRecord } from "./lib/results.js";
import { startFloor, type RunningFloor } from "./systems/floor.js";
import { createDriver as createImpossibleDbDriver, startImpossibleDb, type RunningImpossibleDb } from "./systems/impossibledb.js";
import { startImpossibleDbGrpc } from "./systems/impossibledb-grpc.js";
import { startPostgres } from "./systems/postgres.js";
import { startSqlite } from "./systems/sqlite.js";
import type { RunningSystem } from "./systems/types.js";
import { ALL_WORKLOADS, BATCH_WORKLOADS, POINT_WORKLOADS } from "./workloads/index.js";

const SEED = 20261126;
/** Shards in the ImpossibleDB under test: the development configuration's count. */
const IMPOSSIBLEDB_SHARDS = 8;

const args = new Set(process.argv.slice(2));
// The tables moved from the README to docs/benchmarks.md; say so before a
// ten-minute run rather than after it.
if (args.has("--write-readme")) throw new Error("--write-readme is now --write-docs: the tables live on docs/benchmarks.md");
const mode = MODES[args.has("--quick") ? "quick" : "full"];
const started = performance.now();
const log = (line: string) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);

/** Every system started so far, stopped on the way out: normally, on error, or on Ctrl-C. */
const systems: RunningSystem[] = [];
/** Systems that run only some workloads (stopped first, before the systems they front). */
const sidecars: RunningSystem[] = [];

async function stopAll(): Promise<void> {
  for (const system of [...sidecars.splice(0), ...systems.splice(0).reverse()]) await system.stop().catch((err: unknown) => log(`stopping ${system.id}: ${String(err)}`));
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping the systems`);
    void stopAll().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const machine = machineInfo();
  log(`${mode.name} mode on ${machine.nproc} cores (${machine.cpuModel}), load average ${machine.loadAverage1mStart.toFixed(2)}`);
  const sockets = Math.max(mode.concurrency, mode.batchConcurrency, mode.hotConcurrency);
  try {
    log("starting the floor (workerd)");
    const floor = await startFloor({ port: PORTS.floor, socketsMax: sockets });
    systems.push(floor);
    log(`starting ImpossibleDB (workerd, ${IMPOSSIBLEDB_SHARDS} shards)`);
    const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: IMPOSSIBLEDB_SHARDS, socketsMax: sockets });
    systems.push(idb);
    log("starting PostgreSQL (own cluster in a temp dir)");
    systems.push(await startPostgres({ port: PORTS.postgres, connections: sockets }));
    systems.push(await startSqlite());
    // gRPC through the front door runs the point workloads only (closed
    // loop): it shares the Connect system's Worker and data, and what it adds
    // is the front door's hop, not another database.
    log("starting the gRPC front door in front of the same Worker");
    const grpc = await startImpossibleDbGrpc({ workerUrl: idb.url, port: PORTS.frontDoor, driverFor: createImpossibleDbDriver });
    sidecars.push(grpc);

    const results: BenchResults = {
      harness: { mode, seed: SEED, command: `npm run bench${mode.name === "quick" ? " -- --quick" : ""}`, startedAt: new Date().toISOString() },
      machine,
      systems: [...systems, grpc].map(({ id, label, setup }) => ({ id, label, setup })),
      notYetMeasured: [
        ...ALL_WORKLOADS.filter((w) => w.status === "pending").map(({ id, title, reason }) => ({ id, title, reason })),
      ],
      load: [],
      runs: [],
    };

    for (const system of systems) results.load.push(await load(system));

    const total = POINT_WORKLOADS.length * (systems.length * 2 + 1) + BATCH_WORKLOADS.length * systems.length + systems.length;
    let done = 0;
    const progress = (what: string) => log(`[${++done}/${total}] ${what}`);

    for (const workload of POINT_WORKLOADS) {
      for (const system of systems) {
        const record = await measure(system, workload, "closed", mode.concurrency);
        results.runs.push(record);
        progress(`${workload.id} closed ${system.id}: ${fmt(record.opsPerSecond)} ops/s, p99 ${(record.latency.p99Us / 1000).toFixed(1)} ms`);
      }
      const record = await measure(grpc, workload, "closed", mode.concurrency);
      results.runs.push(record);
      progress(`${workload.id} closed ${grpc.id}: ${fmt(record.opsPerSecond)} ops/s, p99 ${(record.latency.p99Us / 1000).toFixed(1)} ms`);
    }
    for (const workload of POINT_WORKLOADS) {
      // One offered rate for every system: a fraction of the slowest system's closed-loop throughput.
      const slowest = Math.min(...results.runs.filter((r) => r.workload === workload.id && r.loop === "closed").map((r) => r.opsPerSecond));
      const rate = Math.max(10, Math.round(slowest * mode.openLoopLoadFraction));
      for (const system of systems) {
        const record = await measure(system, workload, "open", rate);
        results.runs.push(record);
        progress(`${workload.id} open @${rate}/s ${system.id}: p99 ${(record.latency.p99Us / 1000).toFixed(1)} ms${record.saturated ? " (SATURATED)" : ""}`);
      }
    }
    for (const workload of BATCH_WORKLOADS) {
      for (const system of systems) {
        const record = await measure(system, workload, "closed", mode.batchConcurrency);
        results.runs.push(record);
        progress(`${workload.id} ${system.id}: ${fmt(record.docsPerSecond)} docs/s`);
      }
    }

    // One hot document: many clients incrementing it (workloads/hot-document.ts).
    const hot = await runHotPhase({ systems, mode, measure, log: (line) => progress(line) });
    results.runs.push(...hot.runs);
    results.hot = { concurrency: mode.hotConcurrency, failures: hot.failures };

    // The shard document cache: zipfian gets with it on (this Worker) and off (a second one).
    log("document cache: starting a second ImpossibleDB with SHARD_DOCUMENT_CACHE=off");
    results.cache = await runCachePhase({ cacheOn: idb, offPort: PORTS.cacheOff, mode, seed: SEED, measure, log });

    results.extended = await runExtendedPhases({ systems, mode, seed: SEED, log, measure, runs: results.runs });

    // Auth: Workers of its own (auth off, API key, API key + rate limits),
    // taking turns; the systems above sit idle meanwhile.
    results.auth = await runAuthPhase({ mode, settings: AUTH_MODES[mode.name], seed: SEED, portFirst: PORTS.authFirst, log });

    log("profiling ImpossibleDB's request path");
    results.profile = await profile(floor, idb);
    log(`capacity model: busiest-shard shares over ${MODEL_RECORDS} records`);
    results.capacity = { shares: busiestShardShares(), modelRecords: MODEL_RECORDS };

    results.machine.loadAverage1mEnd = currentLoadAverage();
    results.harness.durationSeconds = Math.round((performance.now() - started) / 1000);
    const markdown = renderMarkdown(results);
    await mkdir(RESULTS_DIR, { recursive: true });
    const base = path.join(RESULTS_DIR, `${mode.name}-latest`);
    await writeFile(`${base}.json`, JSON.stringify(results, null, 2) + "\n");
    await writeFile(`${base}.md`, markdown);
    if (args.has("--write-docs")) log(`tables written to ${path.relative(process.cwd(), await writeDocsSection(REPO_ROOT, markdown))}`);
    console.log(markdown);
    log(`done in ${results.harness.durationSeconds}s; results in ${path.relative(process.cwd(), base)}.{json,md}`);
    if (hot.failures.length > 0) throw new Error(`the hot-document phase lost updates:\n${hot.failures.join("\n")}`);
    if (results.extended.failures.length > 0) throw new Error(`the run found wrong results:\n${results.extended.failures.join("\n")}`);
    if (results.auth.failures.length > 0) throw new Error(`the auth phase had errors:\n${results.auth.failures.join("\n")}`);
  } finally {
    await stopAll();
  }
}

/** Loads `recordCount` documents in batches (the same documents on every system). */
async function load(system: RunningSystem) {
  const random = createRandom(SEED);
  const t0 = performance.now();
  const chunks: Array<Array<readonly [string, ReturnType<typeof createDocument>]>> = [];
  for (let start = 0; start < mode.recordCount; start += mode.batchSize) {
    const end = Math.min(mode.recordCount, start + mode.batchSize);
    chunks.push(Array.from({ length: end - start }, (_, i) => [recordId(start + i), createDocument(random)] as const));
  }
  let next = 0;
  const loader = async () => {
    while (next < chunks.length) await system.driver.batchPut(chunks[next++]!);
  };
  await Promise.all(Array.from({ length: mode.batchConcurrency }, loader));
  const seconds = (performance.now() - t0) / 1000;
  log(`loaded ${mode.recordCount} documents into ${system.id} in ${seconds.toFixed(1)} s`);
  return { system: system.id, docs: mode.recordCount, seconds, docsPerSecond: mode.recordCount / seconds };
}

/** One measured run: a seeded random stream per run, CPU metered (lib/measure.ts). */
const measure = createMeasure(mode, SEED);

async function profile(floor: RunningFloor, idb: RunningImpossibleDb) {
  const options = { concurrency: mode.concurrency, warmupMs: mode.warmupMs, measureMs: mode.probeMs };
  const key = createKeyChooser(mode.recordCount, SEED);
  const doc = createDocument(createRandom(SEED));
  const probes = [
    await runProbe("floor: HTTP + Worker only (/noop)", floor.serverPids, () => () => floor.probeWorker(), options),
    await runProbe("floor: HTTP + Worker, streamed bodies as Connect does (/noop-stream)", floor.serverPids, () => () => floor.probeWorkerStreams(), options),
    await runProbe("floor: + DO call, no SQL (/do-noop)", floor.serverPids, () => () => floor.probeDoCall(), options),
    await runProbe("floor: 8 DO calls in parallel, no SQL (/do-fanout?n=8)", floor.serverPids, () => () => floor.probeFanOut(8), options),
    await runProbe("floor: point get", floor.serverPids, () => { const id = key(); return async () => void (await floor.driver.get(id)); }, options),
    await runProbe("floor: point put", floor.serverPids, () => { const id = key(); return () => floor.driver.put(id, doc); }, options),
    await runProbe("ImpossibleDB: Connect no-op (GetRoutingTable, cached, no shard call)", idb.serverPids, () => () => idb.probeNoop(), options),
    await runProbe("ImpossibleDB: point get (GetDocument)", idb.serverPids, () => { const id = key(); return async () => void (await idb.driver.get(id)); }, options),
    await runProbe("ImpossibleDB: point get, client accepts gzip", idb.serverPids, () => { const id = key(); return () => idb.probeGetGzip(id); }, options),
    await runProbe("ImpossibleDB: point put (SetDocument)", idb.serverPids, () => { const id = key(); return () => idb.driver.put(id, doc); }, options),
  ];
  for (const p of probes) log(`  ${p.probe}: ${fmt(p.opsPerSecond)} req/s, ${p.serverCpuUsPerOp.toFixed(0)} µs workerd CPU/req`);
  return { probes, codecUs: await nodeCosts(mode.name === "quick" ? 200 : 1000) };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

main().catch((err: unknown) => {
  // After Ctrl-C the runs fail as their systems stop: the signal handler exits once they have.
  if (interrupted) return;
  console.error(err);
  process.exit(1);
});

/**
 * `npm run bench:reshard [-- --quick] [-- --shrink] [-- --write-docs]`: live resharding
 * under load, on ImpossibleDB alone (issue 10's benchmark). Starts the real
 * Worker on workerd with 8 shards (as the harness does), loads the YCSB
 * records, runs YCSB A at a fixed concurrency before, during and after
 * AdminService.StartResharding {shard_count: 12}, then checks the data.
 * Prints the tables and writes bench/results/reshard-<mode>-latest.{json,md};
 * `--write-docs` also puts them on docs/benchmarks.md between the
 * `bench:reshard:start`/`end` markers. Quick mode (10,000 records) takes
 * about a minute and a half on 2 cores; the full one (100,000) several.
 * `--shrink` moves 12 → 6 shards instead. `--sources-at-once=N` and
 * `--rest-ratio=R` pass StartResharding a throttle (ReshardingThrottle;
 * unset: the server's defaults) and name the result files after it.
 * `--in-flight=N` runs the load with N requests in flight instead of 8 (a
 * load that leaves local workerd's one thread time to spare, so a pause
 * is not hidden in the queueing of a saturated server).
 *
 * Exits non-zero when the load saw an error or a stale read, the move did
 * not succeed, or the data after it is wrong.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createConnectTransport } from "@connectrpc/connect-node";
import { PORTS, REPO_ROOT, RESULTS_DIR } from "./config.js";
import { writeNamedDocsSection } from "./lib/docs-section.js";
import { startCpuMeter, type CpuMeter } from "./lib/cpu.js";
import { createKeepAliveAgent } from "./lib/http.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { routingSwitch, timeline, windowStats } from "./lib/reshard-analysis.js";
import { checkData, loadRecords } from "./lib/reshard-data.js";
import { recordId } from "./lib/keys.js";
import { startLoad, type LoadOp } from "./lib/reshard-load.js";
import { runResharding, type ReshardingRun } from "./lib/reshard-operation.js";
import { probeStats, startProbe } from "./lib/reshard-probe.js";
import { RESHARD_MODES, SHRINK_FROM_SHARDS, SHRINK_TO_SHARDS } from "./lib/reshard-settings.js";
import { reshardFailures, reshardSection, type ReshardFigures } from "./lib/report-reshard.js";
import { startImpossibleDb } from "./systems/impossibledb.js";

const argv = process.argv.slice(2);
const args = new Set(argv);
/** The value of `--name=value`, or undefined. */
const valueOf = (name: string): string | undefined => argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
/** `--sources-at-once=N` / `--rest-ratio=R`: the move's throttle (the server checks the bounds). */
const throttleArgs = { sourcesAtOnce: valueOf("--sources-at-once"), restRatio: valueOf("--rest-ratio") };
const throttle =
  throttleArgs.sourcesAtOnce === undefined && throttleArgs.restRatio === undefined
    ? undefined
    : { sourcesAtOnce: Number(throttleArgs.sourcesAtOnce ?? 0), restRatio: throttleArgs.restRatio === undefined ? undefined : Number(throttleArgs.restRatio) };
/**
 * `--idle`: the same move with no load at all (the probe still runs), to
 * time the move alone: how long it takes when nothing competes with it.
 */
const idle = args.has("--idle");
/**
 * `--shrink`: the issue's other direction, 12 → 6 shards (every document
 * moves onto 6 new shards).
 */
const shrink = args.has("--shrink");
const mode = RESHARD_MODES[args.has("--quick") ? "quick" : "full"];
const shaped = shrink ? { ...mode, sourceShards: SHRINK_FROM_SHARDS, targetShards: SHRINK_TO_SHARDS } : mode;
const inFlight = valueOf("--in-flight");
if (inFlight !== undefined && !(Number.isInteger(Number(inFlight)) && Number(inFlight) >= 1)) throw new Error(`--in-flight takes a whole number of requests of at least 1, not ${inFlight}`);
const settings = idle ? { ...shaped, concurrency: 0 } : inFlight === undefined ? shaped : { ...shaped, concurrency: Number(inFlight) };
const SEED = Number(process.env["BENCH_SEED"] ?? 42);
/** Sockets for the admin calls (start, polls, checks): their own, so they never queue behind the load. */
const ADMIN_SOCKETS_MAX = 2;
/** Timeline kept on either side of the move, and its slices (the result file's `timeline`; the report's per-second line). */
const TIMELINE_MARGIN_MS = 5_000;
const TIMELINE_SLICE_MS = 100;
/** Requests sent during the move kept one by one in the result file (the first ones, if there are more). */
const MOVE_OPS_KEPT_MAX = 5_000;
const started = performance.now();
const log = (line: string) => console.error(`[bench:reshard ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const machine = machineInfo();
log(`${settings.name} mode on ${machine.nproc} cores (${machine.cpuModel}), load average ${machine.loadAverage1mStart.toFixed(2)}`);
const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: settings.sourceShards, socketsMax: settings.concurrency });
const transport = (socketsMax: number) =>
  createConnectTransport({ baseUrl: idb.url, httpVersion: "1.1", useBinaryFormat: true, acceptCompression: [], nodeOptions: { agent: createKeepAliveAgent(socketsMax) } });
try {
  const admin = transport(ADMIN_SOCKETS_MAX);
  log(`loading ${settings.recordCount} records`);
  const loadSeconds = await loadRecords(transport(settings.loadConcurrency), { recordCount: settings.recordCount, batchSize: settings.loadBatchSize, concurrency: settings.loadConcurrency, seed: SEED });
  log(`loaded in ${loadSeconds.toFixed(1)} s; YCSB A, ${settings.concurrency} in flight: ${settings.warmupMs / 1000} s warm-up, ${settings.beforeMs / 1000} s before`);
  const probe = startProbe(idb.url);
  const cpuBefore = await startCpuMeter(idb.serverPids);
  const load = startLoad(transport(settings.concurrency), { recordCount: settings.recordCount, concurrency: settings.concurrency, seed: SEED + 1, hotKeys: settings.hotKeys });
  const beforeFromMs = performance.now() + settings.warmupMs;
  await sleep(settings.warmupMs + settings.beforeMs);
  log(`StartResharding {shardCount: ${settings.targetShards}} (${load.count()} requests so far)`);
  const cpu = { before: await cpuBefore.stop(), during: null as Awaited<ReturnType<CpuMeter["stop"]>> | null };
  const cpuDuring = await startCpuMeter(idb.serverPids);
  let run: ReshardingRun;
  try {
    run = await runResharding(admin, settings.targetShards, { pollMs: settings.pollMs, timeoutMs: settings.reshardTimeoutMs, log, throttle });
  } catch (err) {
    await Promise.all([load.stop(), probe.stop()]);
    throw err;
  }
  cpu.during = await cpuDuring.stop();
  log(`DONE seen after ${((run.doneSeenAtMs - run.startedAtMs) / 1000).toFixed(1)} s: ${run.outcome.state}; ${settings.afterMs / 1000} s after`);
  await sleep(settings.afterMs);
  const afterToMs = performance.now();
  const [loadLog, probes] = await Promise.all([load.stop(), probe.stop()]);
  log(`load stopped (${loadLog.ops.length} requests); checking the data`);
  const data = await checkData(admin, { recordCount: settings.recordCount, shards: settings.targetShards, routingVersion: run.outcome.targetRoutingVersion, ackedVersions: loadLog.ackedVersions });
  machine.loadAverage1mEnd = currentLoadAverage();

  const hot = new Set(loadLog.hotRecords);
  const origin = run.startedAtMs;
  const stats = (name: string, fromMs: number, toMs: number, more: { sent?: boolean; gapsOverlapping?: boolean } = {}) =>
    windowStats(name, loadLog.ops, { fromMs, toMs, originMs: origin, ...more }, hot);
  const phaseWindows = run.phases
    .filter((p) => p.phase !== "DONE")
    .map((p, i, all) => stats(`${p.phase.toLowerCase().replace("_", " ")}`, i === 0 ? run.startedAtMs : p.seenAtMs, all[i + 1]?.seenAtMs ?? run.doneSeenAtMs));
  const cutover = cutoverWindow(run);
  const figures: ReshardFigures = {
    settings,
    loadSeconds,
    run,
    copy: copyAlone(run),
    cutoverWindowMs: cutover === null ? null : cutover.toMs - cutover.fromMs,
    before: stats("before", beforeFromMs, run.startedAtMs),
    during: stats("during the move", run.startedAtMs, run.doneSeenAtMs, { gapsOverlapping: true }),
    after: stats("after", run.doneSeenAtMs, afterToMs),
    phases: phaseWindows,
    cutover: cutover === null ? null : stats("cutover", cutover.fromMs, cutover.toMs, { sent: false }),
    routingSwitch: routingSwitch(loadLog.ops, run.outcome.sourceRoutingVersion, run.outcome.targetRoutingVersion, origin),
    serverCores: { before: cpu.before.serverCores, during: cpu.during.serverCores },
    probes: {
      before: probeStats(probes, beforeFromMs, run.startedAtMs),
      during: probeStats(probes, run.startedAtMs, run.doneSeenAtMs),
      after: probeStats(probes, run.doneSeenAtMs, afterToMs),
    },
    perSecond: timeline(loadLog.ops, run.startedAtMs - TIMELINE_MARGIN_MS, run.doneSeenAtMs + TIMELINE_MARGIN_MS, origin, 1000),
    staleReads: loadLog.staleReads.length,
    data,
  };
  const durationSeconds = Math.round((performance.now() - started) / 1000);
  const throttleFlags = [
    ...(throttleArgs.sourcesAtOnce === undefined ? [] : [`--sources-at-once=${throttleArgs.sourcesAtOnce}`]),
    ...(throttleArgs.restRatio === undefined ? [] : [`--rest-ratio=${throttleArgs.restRatio}`]),
  ];
  const flags = [...(settings.name === "quick" ? ["--quick"] : []), ...(idle ? ["--idle"] : []), ...(shrink ? ["--shrink"] : []), ...(inFlight === undefined ? [] : [`--in-flight=${inFlight}`]), ...throttleFlags];
  const command = `npm run bench:reshard${flags.length > 0 ? ` -- ${flags.join(" ")}` : ""}`;
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`${command}\` (${durationSeconds} s in all), on ${idb.setup}.`,
    `Machine: ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}; 1-minute load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${machine.loadAverage1mEnd.toFixed(2)} at end (above ${machine.nproc} means the cores were shared with other work).`,
    "",
    ...reshardSection(figures),
    "",
  ].join("\n");
  await mkdir(RESULTS_DIR, { recursive: true });
  const throttleName = throttle === undefined ? "" : `-s${throttleArgs.sourcesAtOnce ?? "d"}-r${throttleArgs.restRatio ?? "d"}`;
  const base = path.join(RESULTS_DIR, `reshard-${settings.name}${idle ? "-idle" : ""}${shrink ? "-shrink" : ""}${inFlight === undefined ? "" : `-f${inFlight}`}${throttleName}-latest`);
  const json = { command, seed: SEED, machine, durationSeconds, figures, staleReads: loadLog.staleReads, moveOps: moveOps(loadLog.ops, run, origin), timeline: timeline(loadLog.ops, run.startedAtMs - TIMELINE_MARGIN_MS, run.doneSeenAtMs + TIMELINE_MARGIN_MS, origin, TIMELINE_SLICE_MS) };
  await writeFile(`${base}.json`, JSON.stringify(json, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
  if (args.has("--write-docs") && (idle || shrink || throttle !== undefined || inFlight !== undefined)) throw new Error("--write-docs takes the 8 → 12 run under load, not an --idle or --shrink one");
  if (args.has("--write-docs")) log(`tables written to ${path.relative(process.cwd(), await writeNamedDocsSection(REPO_ROOT, "reshard", markdown))}`);
  log(`done in ${durationSeconds}s; results in ${path.relative(process.cwd(), base)}.{json,md}`);
  const failures = reshardFailures(figures);
  if (failures.length > 0) {
    console.error(`THE RESHARDING RUN FOUND PROBLEMS:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
    process.exitCode = 1;
  }
} finally {
  await idb.stop();
}

/** Every request in flight at some moment of the move (at most MOVE_OPS_KEPT_MAX), times in seconds from the StartResharding call. */
function moveOps(ops: readonly LoadOp[], run: ReshardingRun, originMs: number) {
  const r = (ms: number) => Math.round(ms - originMs) / 1000;
  return ops
    .filter((o) => o.endMs >= run.startedAtMs && o.startMs < run.doneSeenAtMs)
    .slice(0, MOVE_OPS_KEPT_MAX)
    .map((o) => ({ sentS: r(o.startMs), answeredS: r(o.endMs), write: o.write, id: recordId(o.record), routingVersion: o.routingVersion, error: o.error }));
}

/**
 * The copy alone: from the poll that first saw COPYING to the one that
 * first saw CATCHING_UP. Null when the polls did not see both (a poll
 * that waited through the copy cannot time it).
 */
function copyAlone(run: ReshardingRun): { seconds: number; documents: number } | null {
  const i = run.phases.findIndex((p) => p.phase === "COPYING");
  const next = run.phases[i + 1];
  if (i < 0 || next === undefined || next.phase !== "CATCHING_UP") return null;
  return { seconds: (next.seenAtMs - run.phases[i]!.seenAtMs) / 1000, documents: next.documentsCopied - run.phases[i]!.documentsCopied };
}

/** The cutover as the client can bound it: from the last poll before it began to the first that saw CLEANING_UP (or DONE). */
function cutoverWindow(run: ReshardingRun): { fromMs: number; toMs: number } | null {
  const cutting = run.phases.find((p) => p.phase === "CUTTING_OVER");
  const after = run.phases.find((p) => p.phase === "CLEANING_UP") ?? run.phases.find((p) => p.phase === "DONE");
  if (after === undefined) return null;
  return { fromMs: (cutting ?? after).previousPollAtMs, toMs: after.seenAtMs };
}

/**
 * The resharding benchmark's tables (bench/reshard.ts): the move, the
 * load before / during / after it and in each phase, the pauses a client
 * saw, the goal beside the issue's anchors, and the checks of the data.
 */
import type { DataCheck } from "./reshard-data.js";
import type { NotableOp, TimelineSlice, WindowStats } from "./reshard-analysis.js";
import type { ReshardingRun } from "./reshard-operation.js";
import type { ReshardSettings } from "./reshard-settings.js";

/** The issue's goal: the longest write pause on any key at most this at p99. */
export const WRITE_PAUSE_GOAL_MS = 50;

export interface ReshardFigures {
  readonly settings: ReshardSettings;
  readonly loadSeconds: number;
  readonly run: ReshardingRun;
  /** Copy alone, timed by the polls that first saw COPYING and then the next phase. */
  readonly copy: { seconds: number; documents: number } | null;
  /** The cutover as the client saw it: from the last poll before CUTTING_OVER (or CLEANING_UP) to the first that saw CLEANING_UP. */
  readonly cutoverWindowMs: number | null;
  readonly before: WindowStats;
  readonly during: WindowStats;
  readonly after: WindowStats;
  readonly phases: readonly WindowStats[];
  readonly cutover: WindowStats | null;
  /** The load's answers: the last under the old routing table and the first under the new one (the response header), seconds. */
  readonly routingSwitch: { lastOldAnswerS: number | null; firstNewAnswerS: number | null; unversionedAnswers: number };
  /** CPU of the server's processes (all of workerd), in cores, before the move and during it. */
  readonly serverCores: { before: number; during: number };
  /** Probes (lib/reshard-probe.ts): a GET the Worker answers 404 by itself, no object called. */
  readonly probes: Record<"before" | "during" | "after", { probes: number; longestMs: number; errors: number }>;
  /** Requests sent per second from 5 s before the move to 5 s after it. */
  readonly perSecond: readonly TimelineSlice[];
  readonly staleReads: number;
  readonly data: DataCheck;
}

const ms = (us: number) => (us / 1000).toFixed(1);
const n0 = (x: number) => Math.round(x).toLocaleString("en-US");
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : "–");
const probe = (p: { probes: number; longestMs: number; errors: number }) => `${p.longestMs.toFixed(1)} ms (${p.probes} probes${p.errors > 0 ? `, ${p.errors} FAILED` : ""})`;
/** No write in the window at all (an --idle run) is no stall: there was nothing to acknowledge. */
const stall = (w: WindowStats) => (w.ops === 0 ? "–" : `${w.writeStallMs.toFixed(1)} ms`);
const switchText = (w: ReshardFigures["routingSwitch"]) =>
  w.lastOldAnswerS === null && w.firstNewAnswerS === null
    ? `– (no answer carried the routing version; ${w.unversionedAnswers} without it)`
    : `${w.lastOldAnswerS?.toFixed(2) ?? "–"} s / ${w.firstNewAnswerS?.toFixed(2) ?? "–"} s`;
/** Writes the cutover rerouted in a window: count, and the pause the Worker measured at p50 / p99 / max. */
const rerouted = (w: WindowStats) => {
  const r = w.reroutedWrites;
  return r.count === 0 ? "none" : `${r.count}: pause p50 ${ms(r.pause.p50Us)} / p99 ${ms(r.pause.p99Us)} / max ${ms(r.pause.maxUs)} ms (client saw p99 ${ms(r.client.p99Us)} ms)`;
};
const notable = (o: NotableOp | null) => (o === null ? "–" : `${o.ms.toFixed(1)} ms (${o.id}, sent at ${o.atS.toFixed(2)} s)`);

/**
 * The goal's verdict, from the client's side: writes sent during the move
 * at most WRITE_PAUSE_GOAL_MS at p99, and so are the writes the cutover
 * rerouted (their pause as the Worker timed it) and the server's cutover.
 * Locally every object shares workerd's one thread, so the cutover's fence
 * and promotion stall every call for their CPU time rather than refusing
 * the moving keys' writes as "moved" (few or none are rerouted), and the
 * copy's CPU shows in every call's latency; on Cloudflare each shard runs
 * apart.
 */
export function pauseVerdict(f: ReshardFigures): string {
  const r = f.during.reroutedWrites;
  const cutover = Number(f.run.outcome.cutoverMillis);
  const p99 = f.during.writes.p99Us / 1000;
  const reroutedP99 = r.count === 0 ? 0 : r.pause.p99Us / 1000;
  const met = p99 <= WRITE_PAUSE_GOAL_MS && reroutedP99 <= WRITE_PAUSE_GOAL_MS && cutover <= WRITE_PAUSE_GOAL_MS;
  return `${met ? "met" : "NOT MET"}: writes sent during the move p99 ${p99.toFixed(1)} ms; ${r.count === 0 ? "no write met the fence (none rerouted)" : `${r.count} rerouted, pause p99 ${reroutedP99.toFixed(1)} ms`}; server cutover ${cutover} ms`;
}

/** Every failure of the run, in words: errors, stale reads, wrong data, a failed move. */
export function reshardFailures(f: ReshardFigures): string[] {
  const failures: string[] = [];
  if (f.run.outcome.state !== "SUCCEEDED") failures.push(`the resharding ended ${f.run.outcome.state}: ${f.run.outcome.errors.join("; ")}`);
  for (const w of [f.before, f.during, f.after]) if (w.errors > 0) failures.push(`${w.errors} load errors ${w.name}: ${w.firstErrors.join(" | ")}`);
  for (const [name, p] of Object.entries(f.probes)) if (p.errors > 0) failures.push(`${p.errors} GetRoutingTable probes failed ${name}`);
  if (f.staleReads > 0) failures.push(`${f.staleReads} stale reads (older than an acknowledged write)`);
  if (f.run.pollErrors.length > 0) failures.push(`${f.run.pollErrors.length} GetResharding polls failed: ${f.run.pollErrors.map((e) => e.error).join(" | ")}`);
  return [...failures, ...f.data.failures];
}

export function reshardSection(f: ReshardFigures): string[] {
  const { settings: s, run, before, during, after } = f;
  const o = run.outcome;
  const wallS = (run.doneSeenAtMs - run.startedAtMs) / 1000;
  const row = (w: WindowStats) =>
    `| ${w.name} | ${(w.toS - w.fromS).toFixed(1)} | ${n0(w.ops)} | ${n0(w.opsPerSecond)} | ${ms(w.all.p50Us)} | ${ms(w.all.p99Us)} | ${ms(w.all.maxUs)} | ${ms(w.writes.p99Us)} | ${ms(w.writes.maxUs)} | ${ms(w.reads.maxUs)} | ${w.errors} | ${ratio(w.all.p50Us, before.all.p50Us)} | ${ratio(w.all.p99Us, before.all.p99Us)} |`;
  const failures = reshardFailures(f);
  return [
    `Resharding ${s.sourceShards} → ${s.targetShards} shards of ${n0(s.recordCount)} YCSB records (10 fields of 100 characters, about 1 KB; loaded with BatchWriteDocuments of ${s.loadBatchSize} in ${f.loadSeconds.toFixed(1)} s) ${s.concurrency === 0 ? "with NO load (--idle: the move alone; the load's tables below are empty, the probe still ran):" : `under YCSB A (50% GetDocument, 50% whole-document SetDocument, zipfian keys), closed loop with ${s.concurrency} requests in flight:`} ${s.warmupMs / 1000} s warm-up, ${s.beforeMs / 1000} s before, through the move until GetResharding reports DONE (polled every ${s.pollMs} ms), ${s.afterMs / 1000} s after. Times are seconds from the StartResharding call.`,
    "",
    failures.length === 0 ? "**No errors, no stale reads, and the data checked out (below).**" : `**THE RUN FOUND ${failures.length} PROBLEM(S):**\n\n${failures.map((x) => `- ${x}`).join("\n")}`,
    "",
    "### The move",
    "",
    "| figure | measured |",
    "| --- | ---: |",
    `| state | ${o.state} |`,
    `| documents copied (catch-up included) / on the sources at start | ${n0(o.documentsCopied)} / ${n0(o.documentsTotal)} |`,
    `| wall time, StartResharding → DONE seen | ${wallS.toFixed(1)} s (server: ${(o.serverWallMs / 1000).toFixed(1)} s) |`,
    `| documents moved per second, over the whole operation | ${n0(o.documentsCopied / wallS)} |`,
    `| documents moved per second, over the copy alone | ${f.copy === null ? "– (no poll saw both the start of the copy and the start of the catch-up)" : `${n0(f.copy.documents / f.copy.seconds)} (${n0(f.copy.documents)} in ${f.copy.seconds.toFixed(1)} s)`} |`,
    `| cutover_millis (server: first fence → publication) | ${o.cutoverMillis} ms |`,
    `| cutover as the polls bound it (last poll before CUTTING_OVER, or before the first later phase seen → first poll that saw CLEANING_UP or DONE) | ${f.cutoverWindowMs === null ? "–" : `${f.cutoverWindowMs.toFixed(0)} ms`} |`,
    `| phases seen (s) | ${run.phases.map((p) => `${p.phase} ${((p.seenAtMs - run.startedAtMs) / 1000).toFixed(1)}`).join(", ")} |`,
    `| routing version | ${o.sourceRoutingVersion} → ${o.targetRoutingVersion} |`,
    `| load's last answer under the old table / first under the new (response header) | ${switchText(f.routingSwitch)} |`,
    `| server CPU (all of workerd), before → during the move | ${f.serverCores.before.toFixed(2)} → ${f.serverCores.during.toFixed(2)} cores |`,
    `| errors the operation recorded | ${o.errors.length === 0 ? "none" : o.errors.join("; ")} |`,
    "",
    "### The load before, during and after (a request counts in the window it was sent in; ratios against before)",
    "",
    "| window | s | requests | req/s | p50 ms | p99 ms | max ms | write p99 ms | write max ms | read max ms | errors | p50 vs before | p99 vs before |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    row(before),
    row(during),
    ...f.phases.map((p) => row({ ...p, name: `· ${p.name}` })),
    ...(f.cutover === null ? [] : [row({ ...f.cutover, name: "· in flight during the cutover" })]),
    row(after),
    "",
    `Throughput during the move: ${ratio(during.opsPerSecond, before.opsPerSecond)} of before (${n0(during.opsPerSecond)} against ${n0(before.opsPerSecond)} requests/s).`,
    "",
    `Requests sent in each second from 5 s before the move to 5 s after it (the longest of them in ms in brackets; the move is seconds 0 to ${((run.doneSeenAtMs - run.startedAtMs) / 1000).toFixed(1)}): ${f.perSecond.map((t) => `${t.atS}s ${t.ops} (${t.maxMs.toFixed(0)})`).join(", ")}.`,
    "",
    "### Pauses, from the client's side",
    "",
    "| figure | before | during the move | after |",
    "| --- | --- | --- | --- |",
    `| longest single write | ${notable(before.longestWrite)} | ${notable(during.longestWrite)} | ${notable(after.longestWrite)} |`,
    `| longest single read | ${notable(before.longestRead)} | ${notable(during.longestRead)} | ${notable(after.longestRead)} |`,
    `| longest gap between two acknowledged writes to one of the ${s.hotKeys} hottest records | ${notable(before.hotKeyWriteGap)} | ${notable(during.hotKeyWriteGap)} | ${notable(after.hotKeyWriteGap)} |`,
    `| longest stretch with no write acknowledged at all | ${stall(before)} | ${stall(during)} | ${stall(after)} |`,
    `| longest probe (a GET the Worker answers 404 itself, no object called; one every 50 ms) | ${probe(f.probes.before)} | ${probe(f.probes.during)} | ${probe(f.probes.after)} |`,
    `| writes rerouted by the cutover (a shard answered "moved"; pause = the call's time in the Worker from its first attempt to its answer, the \`impossibledb-rerouted-ms\` header) | ${rerouted(before)} | ${rerouted(during)} | ${rerouted(after)} |`,
    "",
    "A hot record's gap counts in before or after when it lies inside that period, and in the move when it overlaps it at all; it includes the time nobody happened to write that record (zipfian choice), so read it against the before column. The probe tells a stall of the whole server from a wait at one shard.",
    "",
    "### Against the goal and the anchors",
    "",
    "| | longest write pause at cutover |",
    "| --- | --- |",
    s.concurrency === 0
      ? `| **ImpossibleDB, measured here** | no load in this run (--idle); server cutover ${o.cutoverMillis} ms |`
      : `| **ImpossibleDB, measured here** | writes sent during the move p99 ${ms(during.writes.p99Us)} ms (before: ${ms(before.writes.p99Us)} ms), longest ${during.longestWrite?.ms.toFixed(1) ?? "–"} ms; longest write in flight during the cutover ${f.cutover?.longestWrite?.ms.toFixed(1) ?? "–"} ms; writes rerouted by the fence: ${rerouted(during)}; server cutover (first fence → publication) ${o.cutoverMillis} ms |`,
    s.concurrency === 0
      ? `| goal (issue 10) | at most ${WRITE_PAUSE_GOAL_MS} ms at p99: not measured (no load in this run: --idle) |`
      : `| goal (issue 10) | the longest write pause on any key at most ${WRITE_PAUSE_GOAL_MS} ms at p99: **${pauseVerdict(f)}** |`,
    "| MongoDB resharding (documented) | writes blocked up to 2 s at cutover (500 ms from 8.0.13) |",
    "| Vitess SwitchTraffic (documented) | buffers traffic up to 30 s while the target catches up |",
    "",
    "### The data after",
    "",
    "| check | measured |",
    "| --- | ---: |",
    `| routing table | ${f.data.routingShards} shards, version ${f.data.routingVersion} |`,
    `| ListShards document counts | ${f.data.shardDocumentCounts.map((c) => n0(c.documents)).join(" + ")} = ${n0(f.data.shardDocumentSum)} (loaded: ${n0(s.recordCount)}) |`,
    `| ListDocuments walk | ${n0(f.data.walked)} documents; ${f.data.walkDuplicates} twice, ${f.data.walkMissing} missing, ${f.data.walkUnexpected} unknown |`,
    `| written records read back at their newest acknowledged version | ${n0(f.data.readBack - f.data.readBackWrong)} of ${n0(f.data.readBack)} |`,
    `| stale reads during the load | ${f.staleReads} |`,
    `| load errors (before / during / after) | ${before.errors} / ${during.errors} / ${after.errors} |`,
  ];
}

/**
 * `npm run bench:batch [-- --quick] [-- --rounds N]`: issue 13 item 3's
 * ratios alone. Starts ImpossibleDB on workerd as `run.ts` does (8 shards),
 * loads the YCSB records, then measures in alternating rounds point get
 * (YCSB C) and point put at the mode's concurrency, and batch get and batch
 * write of `batchSize` documents at the mode's batch concurrency, all in ONE
 * run. Reports documents/s, p50, workerd CPU per document, and the two ratios
 * batch docs/s ÷ single-call docs/s (goal >= 20x both). Writes
 * bench/results/batch-<mode>-latest.{json,md}.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { MODES, PORTS, RESULTS_DIR } from "./config.js";
import { createDocument } from "./lib/document.js";
import { createRandom, recordId } from "./lib/keys.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { createMeasure } from "./lib/measure.js";
import type { RunRecord } from "./lib/results.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import type { RunningSystem } from "./systems/types.js";
import { batchGet, batchPut } from "./workloads/batch.js";
import type { ReadyWorkload } from "./workloads/types.js";
import { pointPut, ycsbC } from "./workloads/ycsb.js";

const mode = MODES[process.argv.includes("--quick") ? "quick" : "full"];
const roundsArg = process.argv.indexOf("--rounds");
/** Alternating rounds of the four workloads; their figures are pooled. */
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 2;
const SEED = 20261130;
const log = (line: string) => console.error(`[bench:batch] ${line}`);

/** The four workloads, with the concurrency each runs at and its docs per request. */
const WORKLOADS: ReadonlyArray<{ workload: ReadyWorkload; concurrency: number }> = [
  { workload: ycsbC, concurrency: mode.concurrency },
  { workload: batchGet, concurrency: mode.batchConcurrency },
  { workload: pointPut, concurrency: mode.concurrency },
  { workload: batchPut, concurrency: mode.batchConcurrency },
];

/** Loads the YCSB records (the main run's, from the same seed). */
async function loadRecords(system: RunningSystem): Promise<void> {
  const random = createRandom(SEED);
  for (let start = 0; start < mode.recordCount; start += mode.batchSize) {
    const end = Math.min(mode.recordCount, start + mode.batchSize);
    await system.driver.batchPut(Array.from({ length: end - start }, (_, i) => [recordId(start + i), createDocument(random)] as const));
  }
}

/** Pooled figures of one workload over the rounds. */
interface Pooled {
  readonly id: string;
  readonly docsPerSecond: number;
  readonly p50Ms: number;
  readonly cpuUsPerDoc: number;
  readonly errors: number;
}

function pool(runs: RunRecord[], id: string): Pooled {
  const mine = runs.filter((r) => r.workload === id);
  const docsPerOp = id.startsWith("batch") ? mode.batchSize : 1;
  const mean = (f: (r: RunRecord) => number) => mine.reduce((a, r) => a + f(r), 0) / mine.length;
  return {
    id,
    docsPerSecond: mean((r) => r.docsPerSecond),
    p50Ms: mean((r) => r.latency.p50Us) / 1000,
    cpuUsPerDoc: mean((r) => r.serverCpuUsPerOp) / docsPerOp,
    errors: mine.reduce((a, r) => a + r.errors, 0),
  };
}

const machine = machineInfo();
log(`${mode.name} mode on ${machine.nproc} cores, load average ${machine.loadAverage1mStart.toFixed(2)}, ${ROUNDS} rounds`);
const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: mode.concurrency });
try {
  await loadRecords(idb);
  const measure = createMeasure(mode, SEED);
  const runs: RunRecord[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const { workload, concurrency } of WORKLOADS) {
      const record = await measure(idb, workload, "closed", concurrency);
      runs.push(record);
      const perDoc = record.serverCpuUsPerOp / (workload.kind === "batch" ? mode.batchSize : 1);
      log(`round ${round + 1} ${workload.id}: ${Math.round(record.docsPerSecond)} docs/s, p50 ${(record.latency.p50Us / 1000).toFixed(2)} ms, ${perDoc.toFixed(0)} µs workerd CPU/doc, ${record.errors} errors`);
    }
  }
  machine.loadAverage1mEnd = currentLoadAverage();
  const [get, bget, put, bput] = WORKLOADS.map(({ workload }) => pool(runs, workload.id)) as [Pooled, Pooled, Pooled, Pooled];
  const row = (p: Pooled) => `| ${p.id} | ${Math.round(p.docsPerSecond)} | ${p.p50Ms.toFixed(2)} | ${p.cpuUsPerDoc.toFixed(0)} | ${p.errors} |`;
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`npm run bench:batch${mode.name === "quick" ? " -- --quick" : ""}${roundsArg > 0 ? ` -- --rounds ${ROUNDS}` : ""}\` (${ROUNDS} alternating rounds, ${mode.measureMs / 1000} s each after ${mode.warmupMs / 1000} s warm-up; point calls ${mode.concurrency} in flight, batches of ${mode.batchSize} ${mode.batchConcurrency} in flight); load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${machine.loadAverage1mEnd.toFixed(2)} at end, ${machine.nproc} cores.`,
    "",
    "| workload | docs/s | p50 ms (per request) | workerd CPU µs/doc | errors |",
    "| --- | ---: | ---: | ---: | ---: |",
    row(get),
    row(bget),
    row(put),
    row(bput),
    "",
    `| ratio | measured | goal |`,
    `| --- | ---: | --- |`,
    `| batch get docs/s ÷ point get docs/s | ${(bget.docsPerSecond / get.docsPerSecond).toFixed(1)}x | >= 20x |`,
    `| batch write docs/s ÷ point put docs/s | ${(bput.docsPerSecond / put.docsPerSecond).toFixed(1)}x | >= 20x |`,
    `| workerd CPU per doc, point get ÷ batch get | ${(get.cpuUsPerDoc / bget.cpuUsPerDoc).toFixed(1)}x | |`,
    `| workerd CPU per doc, point put ÷ batch write | ${(put.cpuUsPerDoc / bput.cpuUsPerDoc).toFixed(1)}x | |`,
    "",
  ].join("\n");
  await mkdir(RESULTS_DIR, { recursive: true });
  const base = path.join(RESULTS_DIR, `batch-${mode.name}-latest`);
  await writeFile(`${base}.json`, JSON.stringify({ mode, machine, rounds: ROUNDS, runs, pooled: { get, bget, put, bput } }, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
} finally {
  await idb.stop();
}

/**
 * `npm run bench:cache [-- --quick]`: the shard document cache's effect
 * (storage/document-cache.ts; issue 13, item 6) in one run. Two ImpossibleDB
 * Workers with the same configuration, one with SHARD_DOCUMENT_CACHE=off,
 * get the same YCSB records; YCSB C (100% point gets, zipfian 0.99 keys, so
 * a few records take most reads) then runs on each in turn, twice, closed
 * loop at the mode's concurrency. Reported: ops/s, latency and workerd CPU
 * per get of each, and the ratios cache on / off. Prints the table and
 * writes bench/results/cache-<mode>-latest.{json,md}.
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
import { ycsbC } from "./workloads/ycsb.js";

const mode = MODES[process.argv.includes("--quick") ? "quick" : "full"];
const SEED = 20261130;
const ROUNDS = 2;
const log = (line: string) => console.error(`[bench:cache] ${line}`);

async function load(system: RunningSystem): Promise<void> {
  const random = createRandom(SEED);
  for (let start = 0; start < mode.recordCount; start += mode.batchSize) {
    const end = Math.min(mode.recordCount, start + mode.batchSize);
    await system.driver.batchPut(Array.from({ length: end - start }, (_, i) => [recordId(start + i), createDocument(random)] as const));
  }
}

const systems: RunningSystem[] = [];
try {
  const machine = machineInfo();
  log(`${mode.name} mode on ${machine.nproc} cores, load average ${machine.loadAverage1mStart.toFixed(2)}`);
  const on = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: mode.concurrency });
  systems.push(on);
  const off = await startImpossibleDb({ port: PORTS.authFirst, shardCount: 8, socketsMax: mode.concurrency, documentCache: false });
  systems.push(off);
  for (const s of systems) await load(s);
  log(`loaded ${mode.recordCount} records into each`);
  const measure = createMeasure(mode, SEED);
  const runs: Array<{ cache: "on" | "off"; record: RunRecord }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [cache, system] of [["on", on], ["off", off]] as const) {
      const record = await measure(system, ycsbC, "closed", mode.concurrency);
      runs.push({ cache, record });
      log(`round ${round + 1}, cache ${cache}: ${Math.round(record.opsPerSecond)} gets/s, ${Math.round(record.serverCpuUsPerOp)} µs CPU/get`);
    }
  }
  const sum = (cache: "on" | "off", f: (r: RunRecord) => number) => runs.filter((r) => r.cache === cache).reduce((a, r) => a + f(r.record), 0) / ROUNDS;
  const row = (cache: "on" | "off") => ({
    opsPerSecond: sum(cache, (r) => r.opsPerSecond),
    p50Ms: sum(cache, (r) => r.latency.p50Us) / 1000,
    p99Ms: sum(cache, (r) => r.latency.p99Us) / 1000,
    cpuUsPerOp: sum(cache, (r) => r.serverCpuUsPerOp),
    errors: sum(cache, (r) => r.errors) * ROUNDS,
  });
  const [a, b] = [row("on"), row("off")];
  const loadEnd = currentLoadAverage();
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`npm run bench:cache${mode.name === "quick" ? " -- --quick" : ""}\`: YCSB C (point gets, zipfian 0.99 over ${mode.recordCount} records of 1 KB), ${mode.concurrency} in flight, ${mode.measureMs / 1000} s per run after ${mode.warmupMs / 1000} s warm-up, ${ROUNDS} rounds alternating; load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end, ${machine.nproc} cores.`,
    "",
    "| shard document cache | gets/s | p50 ms | p99 ms | workerd CPU µs/get | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    `| on | ${Math.round(a.opsPerSecond)} | ${a.p50Ms.toFixed(2)} | ${a.p99Ms.toFixed(2)} | ${Math.round(a.cpuUsPerOp)} | ${a.errors} |`,
    `| off | ${Math.round(b.opsPerSecond)} | ${b.p50Ms.toFixed(2)} | ${b.p99Ms.toFixed(2)} | ${Math.round(b.cpuUsPerOp)} | ${b.errors} |`,
    `| on / off | ${(a.opsPerSecond / b.opsPerSecond).toFixed(2)}x | ${(a.p50Ms / b.p50Ms).toFixed(2)}x | ${(a.p99Ms / b.p99Ms).toFixed(2)}x | ${(a.cpuUsPerOp / b.cpuUsPerOp).toFixed(2)}x | |`,
    "",
  ].join("\n");
  await mkdir(RESULTS_DIR, { recursive: true });
  const base = path.join(RESULTS_DIR, `cache-${mode.name}-latest`);
  await writeFile(`${base}.json`, JSON.stringify({ mode, machine: { ...machine, loadAverage1mEnd: loadEnd }, runs }, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
} finally {
  for (const s of systems.reverse()) await s.stop().catch((err: unknown) => log(`stopping ${s.id}: ${String(err)}`));
}

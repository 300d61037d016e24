/**
 * `npx tsx bench/hot.ts [--quick]` (or `npm run bench:hot`): the
 * hot-document workload alone (bench/lib/hot-phase.ts) on the four systems
 * of `npm run bench`, started and configured as there, side by side in one
 * run: many clients incrementing one document. Prints the table and writes
 * bench/results/hot-<mode>-latest.{json,md}. Well under a minute.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { MODES, PORTS, RESULTS_DIR } from "./config.js";
import { runHotPhase } from "./lib/hot-phase.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { createMeasure } from "./lib/measure.js";
import { hotGoals, hotSection } from "./lib/report.js";
import type { BenchResults } from "./lib/results.js";
import { startFloor } from "./systems/floor.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import { startPostgres } from "./systems/postgres.js";
import { startSqlite } from "./systems/sqlite.js";
import type { RunningSystem } from "./systems/types.js";

const mode = MODES[process.argv.includes("--quick") ? "quick" : "full"];
const SEED = 20261130;
const log = (line: string) => console.error(`[bench:hot] ${line}`);

const systems: RunningSystem[] = [];
try {
  const machine = machineInfo();
  log(`${mode.name} mode on ${machine.nproc} cores, load average ${machine.loadAverage1mStart.toFixed(2)}`);
  const sockets = mode.hotConcurrency;
  systems.push(await startFloor({ port: PORTS.floor, socketsMax: sockets }));
  systems.push(await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: sockets }));
  systems.push(await startPostgres({ port: PORTS.postgres, connections: sockets }));
  systems.push(await startSqlite());
  const hot = await runHotPhase({ systems, mode, measure: createMeasure(mode, SEED), log });
  machine.loadAverage1mEnd = currentLoadAverage();
  const results: BenchResults = {
    harness: { mode, seed: SEED, command: `npm run bench:hot${mode.name === "quick" ? " -- --quick" : ""}`, startedAt: new Date().toISOString() },
    machine,
    systems: systems.map(({ id, label, setup }) => ({ id, label, setup })),
    notYetMeasured: [],
    load: [],
    runs: hot.runs,
    hot: { concurrency: mode.hotConcurrency, failures: hot.failures },
  };
  const markdown = [
    `Measured ${results.harness.startedAt.slice(0, 16).replace("T", " ")} UTC with \`${results.harness.command}\` (${mode.measureMs / 1000} s per run after ${mode.warmupMs / 1000} s warm-up); load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${machine.loadAverage1mEnd.toFixed(2)} at end, ${machine.nproc} cores.`,
    "",
    ...hotSection(results),
    "| goal | measured | target |",
    "| --- | ---: | --- |",
    ...hotGoals(results),
    "",
  ].join("\n");
  await mkdir(RESULTS_DIR, { recursive: true });
  const base = path.join(RESULTS_DIR, `hot-${mode.name}-latest`);
  await writeFile(`${base}.json`, JSON.stringify(results, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
  if (hot.failures.length > 0) throw new Error(`lost updates:\n${hot.failures.join("\n")}`);
} finally {
  for (const s of systems.reverse()) await s.stop().catch((err: unknown) => log(`stopping ${s.id}: ${String(err)}`));
}

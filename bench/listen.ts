/**
 * `npm run bench:listen [-- --quick]`: the listen phase alone
 * (bench/lib/listen-phase.ts), on ImpossibleDB alone, without the rest of
 * the benchmark: starts the Worker, then for 1, 10 and 100 listeners on one
 * collection measures the event delay beside a plain get, and the write
 * throughput without and with the listeners; prints the tables, writes
 * bench/results/listen-<mode>-latest.{json,md}, stops. Under about 2
 * minutes in full mode on 2 cores.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { LISTENER_COUNTS, MODES, PORTS, RESULTS_DIR } from "./config.js";
import { EXTENDED_MODES } from "./lib/extended-phases.js";
import { runListen } from "./lib/listen-phase.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { listenGoals, listenSection } from "./lib/report-listen.js";
import { startImpossibleDb } from "./systems/impossibledb.js";

const mode = MODES[process.argv.includes("--quick") ? "quick" : "full"];
const SEED = Number(process.env["BENCH_SEED"] ?? 42);
/** Shards in the ImpossibleDB under test, as in the full benchmark. */
const SHARDS = 8;
const started = performance.now();
const log = (line: string) => console.error(`[bench:listen ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);

const machine = machineInfo();
log(`${mode.name} mode on ${machine.nproc} cores (${machine.cpuModel}), load average ${machine.loadAverage1mStart.toFixed(2)}`);
const settings = EXTENDED_MODES[mode.name].listen;
const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: SHARDS, socketsMax: mode.concurrency });
try {
  const result = await runListen(idb, settings, mode, LISTENER_COUNTS, SEED, log);
  if (result === null) throw new Error("ImpossibleDB's driver has no listeners");
  machine.loadAverage1mEnd = currentLoadAverage();
  const durationSeconds = Math.round((performance.now() - started) / 1000);
  const command = `npm run bench:listen${mode.name === "quick" ? " -- --quick" : ""}`;
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`${command}\` (${durationSeconds} s in all).`,
    `Machine: ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}; 1-minute load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${machine.loadAverage1mEnd.toFixed(2)} at end (above ${machine.nproc} means the cores were shared with other work).`,
    "",
    ...listenSection(result, settings, mode.concurrency, idb.label),
    "",
    "| goal | measured | target |",
    "| --- | ---: | --- |",
    ...listenGoals(result),
    "",
  ].join("\n");
  await mkdir(RESULTS_DIR, { recursive: true });
  const base = path.join(RESULTS_DIR, `listen-${mode.name}-latest`);
  await writeFile(`${base}.json`, JSON.stringify({ command, seed: SEED, machine, settings, durationSeconds, result }, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
  log(`done in ${durationSeconds}s; results in ${path.relative(process.cwd(), base)}.{json,md}`);
  if (result.failures.length > 0) {
    console.error(`the run found wrong results:\n${result.failures.join("\n")}`);
    process.exitCode = 1;
  }
} finally {
  await idb.stop();
}

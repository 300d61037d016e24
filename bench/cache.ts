/**
 * `npm run bench:cache [-- --quick]`: the document-cache phase alone
 * (lib/cache-phase.ts): ImpossibleDB with the shard document cache on and
 * a second Worker with it off, the same YCSB records, YCSB C (zipfian point
 * gets) in alternating rounds; prints the ratios cache on / off and writes
 * bench/results/cache-<mode>-latest.{json,md}. `npm run bench` runs the
 * same phase.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { MODES, PORTS, RESULTS_DIR } from "./config.js";
import { runCachePhase } from "./lib/cache-phase.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { createMeasure } from "./lib/measure.js";
import { cacheSection } from "./lib/report.js";
import { startImpossibleDb } from "./systems/impossibledb.js";

const mode = MODES[process.argv.includes("--quick") ? "quick" : "full"];
const SEED = 20261130;
const log = (line: string) => console.error(`[bench:cache] ${line}`);

const machine = machineInfo();
log(`${mode.name} mode on ${machine.nproc} cores, load average ${machine.loadAverage1mStart.toFixed(2)}`);
const on = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: mode.concurrency });
try {
  const cache = await runCachePhase({ cacheOn: on, offPort: PORTS.cacheOff, mode, seed: SEED, measure: createMeasure(mode, SEED), log, loadOn: true });
  machine.loadAverage1mEnd = currentLoadAverage();
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`npm run bench:cache${mode.name === "quick" ? " -- --quick" : ""}\`; load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${machine.loadAverage1mEnd.toFixed(2)} at end, ${machine.nproc} cores.`,
    "",
    ...cacheSection(cache, mode),
  ].join("\n");
  await mkdir(RESULTS_DIR, { recursive: true });
  const base = path.join(RESULTS_DIR, `cache-${mode.name}-latest`);
  await writeFile(`${base}.json`, JSON.stringify({ mode, machine, cache }, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
} finally {
  await on.stop();
}

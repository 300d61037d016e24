/**
 * `npm run bench:auth [-- --quick]`: the auth phase alone
 * (bench/lib/auth-phase.ts): a point get and an indexed query through
 * Workers with auth off, with an API key, with an API key and the rate
 * limiter, and with an API key and a read rule pushed into SQL, as ratios
 * to auth off, in one run: interleaved short rounds, judged by the median of
 * per-round ratios (bench/lib/auth-phase.ts). Prints the table, writes
 * bench/results/auth-<mode>-latest.{json,md}. About 2 minutes quick, 5 full,
 * on 2 cores. `npm run bench` runs the same phase after the others.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { MODES, PORTS, RESULTS_DIR } from "./config.js";
import { AUTH_MODES, runAuthPhase } from "./lib/auth-phase.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { authGoals, authSection } from "./lib/report-auth.js";

const mode = MODES[process.argv.includes("--quick") ? "quick" : "full"];
const SEED = Number(process.env["BENCH_SEED"] ?? 20261130);
const started = performance.now();
const log = (line: string) => console.error(`[bench:auth ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);

const machine = machineInfo();
log(`${mode.name} mode on ${machine.nproc} cores (${machine.cpuModel}), load average ${machine.loadAverage1mStart.toFixed(2)}`);
const settings = AUTH_MODES[mode.name];
const result = await runAuthPhase({ mode, settings, seed: SEED, portFirst: PORTS.authFirst, log });
machine.loadAverage1mEnd = currentLoadAverage();
const durationSeconds = Math.round((performance.now() - started) / 1000);
const command = `npm run bench:auth${mode.name === "quick" ? " -- --quick" : ""}`;
const markdown = [
  `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`${command}\` (${durationSeconds} s in all).`,
  `Machine: ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}; 1-minute load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${machine.loadAverage1mEnd.toFixed(2)} at end (above ${machine.nproc} means the cores were shared with other work).`,
  "",
  ...authSection(result),
  "| goal | measured | target |",
  "| --- | ---: | --- |",
  ...authGoals(result),
  "",
].join("\n");
await mkdir(RESULTS_DIR, { recursive: true });
const base = path.join(RESULTS_DIR, `auth-${mode.name}-latest`);
await writeFile(`${base}.json`, JSON.stringify({ command, seed: SEED, machine, durationSeconds, result }, null, 2) + "\n");
await writeFile(`${base}.md`, markdown);
console.log(markdown);
log(`done in ${durationSeconds}s; results in ${path.relative(process.cwd(), base)}.{json,md}`);
if (result.failures.length > 0) {
  console.error(`the run had errors:\n${result.failures.join("\n")}`);
  process.exitCode = 1;
}

/**
 * `npx tsx bench/contention.ts [--quick]`: the contention phase alone, on
 * ImpossibleDB alone (bench/lib/contention-phase.ts), without the rest of
 * the benchmark: starts the Worker, loads the bank's accounts, runs
 * zipfian transfers beside read-only audits, prints the figures, stops.
 */
import { MODES, PORTS } from "./config.js";
import { EXTENDED_MODES } from "./lib/extended-phases.js";
import { describeContention, runContention } from "./lib/contention-phase.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import { accountIds, OPENING_BALANCE } from "./workloads/bank.js";

const mode = MODES[process.argv.includes("--quick") ? "quick" : "full"];
const SEED = Number(process.env["BENCH_SEED"] ?? 42);
/** Accounts per load call (the API's batch maximum). */
const LOAD_BATCH = 500;

const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: mode.concurrency });
try {
  for (let i = 0; i < accountIds.length; i += LOAD_BATCH) await idb.driver.tx.loadAccounts(accountIds.slice(i, i + LOAD_BATCH), OPENING_BALANCE);
  const result = await runContention(idb, EXTENDED_MODES[mode.name].contention, mode.concurrency, SEED);
  if (result === null) throw new Error("ImpossibleDB's driver cannot audit");
  console.log(describeContention(result));
  if (result.wrongTotals > 0) process.exitCode = 1;
} finally {
  await idb.stop();
}

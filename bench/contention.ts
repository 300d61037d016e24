/**
 * `npx tsx bench/contention.ts [--quick]`: the contention phase alone, on
 * ImpossibleDB alone (bench/lib/contention-phase.ts), without the rest of
 * the benchmark: starts the Worker, loads the bank's accounts, runs
 * zipfian transfers alone, read-only audits alone, then both together,
 * prints the figures side by side, stops.
 */
import { MODES, PORTS } from "./config.js";
import { EXTENDED_MODES } from "./lib/extended-phases.js";
import { describeContention, runContention, type ContentionSettings } from "./lib/contention-phase.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import { accountIds, OPENING_BALANCE } from "./workloads/bank.js";

const mode = MODES[process.argv.includes("--quick") ? "quick" : "full"];
const SEED = Number(process.env["BENCH_SEED"] ?? 42);
/** Accounts per load call (the API's batch maximum). */
const LOAD_BATCH = 500;

const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: mode.concurrency });
try {
  for (let i = 0; i < accountIds.length; i += LOAD_BATCH) await idb.driver.tx.loadAccounts(accountIds.slice(i, i + LOAD_BATCH), OPENING_BALANCE);
  // Side by side in one run: each side alone (the baselines), then both together.
  const settings = EXTENDED_MODES[mode.name].contention;
  const run = async (label: string, s: ContentionSettings) => {
    const result = await runContention(idb, s, mode.concurrency, SEED);
    if (result === null) throw new Error("ImpossibleDB's driver cannot audit");
    console.log(`${label}: ${describeContention(result)}`);
    if (result.wrongTotals > 0) process.exitCode = 1;
    return result;
  };
  const transfersAlone = await run("transfers alone", { ...settings, auditClients: 0 });
  const auditsAlone = await run("audits alone", { ...settings, transferClients: 0 });
  const both = await run("together", settings);
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "n/a");
  console.log(
    [
      "| measure | alone | beside the other | ratio |",
      "| --- | ---: | ---: | ---: |",
      `| transfers/s | ${(transfersAlone.transfers / transfersAlone.seconds).toFixed(1)} | ${(both.transfers / both.seconds).toFixed(1)} | ${ratio(both.transfers / both.seconds, transfersAlone.transfers / transfersAlone.seconds)}x |`,
      `| transfer abort rate | ${(100 * transfersAlone.transferAbortRate).toFixed(1)}% | ${(100 * both.transferAbortRate).toFixed(1)}% | |`,
      `| audit p50 ms | ${auditsAlone.auditP50Ms.toFixed(1)} | ${both.auditP50Ms.toFixed(1)} | ${ratio(both.auditP50Ms, auditsAlone.auditP50Ms)}x |`,
      `| audit p99 ms | ${auditsAlone.auditP99Ms.toFixed(1)} | ${both.auditP99Ms.toFixed(1)} | ${ratio(both.auditP99Ms, auditsAlone.auditP99Ms)}x |`,
      `| audits aborted / audits | ${auditsAlone.auditAborts} / ${auditsAlone.audits} | ${both.auditAborts} / ${both.audits} | |`,
    ].join("\n"),
  );
} finally {
  await idb.stop();
}

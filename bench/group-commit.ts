/**
 * `npx tsx bench/group-commit.ts`: does a shard's write pay for its own
 * durable commit, and would sharing one between concurrent writes help?
 * (Issue 13, item 4: group commit.) On the floor (bench/floor/worker.ts, one
 * SQLite Durable Object on workerd) it times ONE request that writes 100
 * documents of 1 KB three ways, interleaved, many times:
 * - batch: one transactionSync, one SQLite commit;
 * - separate: one transactionSync per document, 100 commits (how concurrent
 *   writes reach a shard: each applyWrites is its own transactionSync);
 * - implicit: no transactionSync; workerd's implicit transaction commits
 *   every write of the turn at once.
 * (separate - batch) / 99 is what one more commit costs here. Then it runs
 * ImpossibleDB's hot-document increments at 1, 8 and 32 clients, beside
 * the server CPU per increment, to see whether one shard's increments are
 * bound by commits or by CPU. Findings: src/storage/README.md.
 */
import { PORTS } from "./config.js";
import { startCpuMeter } from "./lib/cpu.js";
import { createDocument } from "./lib/document.js";
import { createRandom } from "./lib/keys.js";
import { closedLoop } from "./lib/loops.js";
import { machineInfo, currentLoadAverage } from "./lib/machine.js";
import { startFloor } from "./systems/floor.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import { HOT_DOCUMENT_ID, HOT_FIELD } from "./workloads/hot-document.js";

const DOCS = 100;
const ROUNDS = Number(process.env["GROUP_COMMIT_ROUNDS"] ?? 30);
const CLIENTS = [1, 8, 32];
const random = createRandom(7);
const log = (line: string) => console.error(`[group-commit] ${line}`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const floor = await startFloor({ port: PORTS.floor, socketsMax: 32 });
const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: 32 });
try {
  const machine = machineInfo();
  log(`load average ${machine.loadAverage1mStart.toFixed(2)} on ${machine.nproc} cores`);
  const times: Record<"batch" | "separate" | "implicit", number[]> = { batch: [], separate: [], implicit: [] };
  for (let round = 0; round < ROUNDS + 3; round++) {
    for (const style of ["batch", "separate", "implicit"] as const) {
      const entries = Array.from({ length: DOCS }, (_, i) => [`gc${i}`, createDocument(random)] as const);
      const t0 = performance.now();
      await floor.probeCommits(entries, style);
      // The first rounds warm the object and its statements.
      if (round >= 3) times[style].push(performance.now() - t0);
    }
  }
  const [batch, separate, implicit] = [median(times.batch), median(times.separate), median(times.implicit)];
  const lines = [
    `| one request writing ${DOCS} documents of 1 KB (floor, median of ${ROUNDS}) | ms |`,
    "| --- | ---: |",
    `| one transactionSync (1 commit) | ${batch.toFixed(2)} |`,
    `| one transactionSync per document (${DOCS} commits) | ${separate.toFixed(2)} |`,
    `| no transactionSync: workerd's implicit transaction (1 commit) | ${implicit.toFixed(2)} |`,
    `| => one more commit costs | ${((separate - batch) / (DOCS - 1)).toFixed(3)} |`,
    "",
    "| ImpossibleDB hot-document increments, closed loop 3 s | increments/s | p50 ms | server CPU µs/increment |",
    "| --- | ---: | ---: | ---: |",
  ];
  await idb.driver.put(HOT_DOCUMENT_ID, {});
  for (const clients of CLIENTS) {
    const meter = await startCpuMeter(idb.serverPids);
    const result = await closedLoop(() => async () => void (await idb.driver.increment(HOT_DOCUMENT_ID, HOT_FIELD, 1)), { concurrency: clients, warmupMs: 500, measureMs: 3_000 });
    const cpu = await meter.stop();
    lines.push(`| ${clients} client${clients === 1 ? "" : "s"} | ${Math.round(result.opsPerSecond)} | ${(result.histogram.getValueAtPercentile(50) / 1000).toFixed(1)} | ${Math.round((cpu.serverCpuSeconds * 1e6) / Math.max(1, result.allOps))} |`);
  }
  lines.push("", `Load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${currentLoadAverage().toFixed(2)} at end, ${machine.nproc} cores.`);
  console.log(lines.join("\n"));
} finally {
  await idb.stop();
  await floor.stop();
}

/**
 * `npm run bench:tx [-- --quick]`: what a transaction costs next to a plain
 * put, in ONE run on one server (issue 13, item 2 and its goal rows):
 * - put: SetDocument of one 1 KB YCSB record;
 * - CommitBatch, two shards: two 1 KB records on two shards, atomically;
 * - interactive transfer, two shards: read two accounts on two shards and
 *   commit both new balances with the read set, begun two ways:
 *   `begin-call` (BeginTransaction + GetDocuments + Commit, the form before
 *   new_transaction) and `first-read` (GetDocuments with new_transaction +
 *   Commit, what the SDKs do now);
 * - the same transfer on one shard, both ways.
 * Closed loop with ONE request in flight, so each figure is a latency on an
 * idle system, not queueing. The workloads take turns (ROUNDS rounds) so a
 * drift in the machine's load falls on all of them alike; the p50 is over
 * every round. Prints a table of p50s and the ratios to the put's p50.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { TransactionService } from "../gen/impossibledb/v1/transaction_service_pb.js";
import { COLLECTION, PORTS } from "./config.js";
import { createDocument } from "./lib/document.js";
import { createKeepAliveAgent } from "./lib/http.js";
import { createRandom, recordId } from "./lib/keys.js";
import { closedLoop, newHistogram, type Operation } from "./lib/loops.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { createPairChooser } from "./lib/shard-pairs.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import { transferOnce, type TransferBegin } from "./systems/impossibledb-extensions.js";
import { accountChooser, accountIds, OPENING_BALANCE } from "./workloads/bank.js";

const quick = process.argv.includes("--quick");
/** Turns each workload takes, and how long one turn measures (after its warm-up). */
const ROUNDS = quick ? 3 : 6;
const MEASURE_MS = quick ? 1_000 : 3_000;
const WARMUP_MS = quick ? 200 : 500;
/** YCSB records the put and CommitBatch pick from. */
const RECORDS = 1_000;
/** Accounts loaded per BatchWriteDocuments call (the API's maximum). */
const LOAD_BATCH = 500;
const log = (line: string) => console.error(`[tx] ${line}`);

const random = createRandom(13);
const machine = machineInfo();
log(`load average ${machine.loadAverage1mStart.toFixed(2)} on ${machine.nproc} cores; ${ROUNDS} rounds of ${MEASURE_MS} ms per workload`);
const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: 4 });
try {
  const transport = createConnectTransport({ baseUrl: idb.url, httpVersion: "1.1", useBinaryFormat: true, nodeOptions: { agent: createKeepAliveAgent(4) } });
  const tx = createClient(TransactionService, transport);
  for (let i = 0; i < accountIds.length; i += LOAD_BATCH) await idb.driver.tx.loadAccounts(accountIds.slice(i, i + LOAD_BATCH), OPENING_BALANCE);
  const records = createPairChooser(COLLECTION, Array.from({ length: RECORDS }, (_, i) => recordId(i)));
  const accounts = accountChooser();
  const transfer = (shards: 1 | 2, begin: TransferBegin) => (): Operation => {
    const [from, to] = shards === 2 ? accounts.twoShards(random) : accounts.sameShard(random);
    return async () => void (await transferOnce(tx, from, to, 1, begin));
  };
  const workloads: Array<{ id: string; title: string; next: () => Operation }> = [
    {
      id: "put",
      title: "plain put (1 document)",
      next: () => {
        const id = recordId(Math.floor(random() * RECORDS));
        const doc = createDocument(random);
        return () => idb.driver.put(id, doc);
      },
    },
    {
      id: "batch-2",
      title: "CommitBatch, two shards",
      next: () => {
        const [a, b] = records.twoShards(random);
        const [da, db] = [createDocument(random), createDocument(random)];
        return () => idb.driver.tx.commitPair([a, da], [b, db]);
      },
    },
    { id: "rw-2-begin", title: "interactive transfer, two shards: BeginTransaction + GetDocuments + Commit", next: transfer(2, "begin-call") },
    { id: "rw-2-first-read", title: "interactive transfer, two shards: GetDocuments(new_transaction) + Commit", next: transfer(2, "first-read") },
    { id: "rw-1-begin", title: "interactive transfer, one shard: BeginTransaction + GetDocuments + Commit", next: transfer(1, "begin-call") },
    { id: "rw-1-first-read", title: "interactive transfer, one shard: GetDocuments(new_transaction) + Commit", next: transfer(1, "first-read") },
  ];
  const histograms = new Map(workloads.map((w) => [w.id, newHistogram()]));
  const errors = new Map(workloads.map((w) => [w.id, 0]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const w of workloads) {
      const result = await closedLoop(w.next, { concurrency: 1, warmupMs: WARMUP_MS, measureMs: MEASURE_MS });
      if (result.errors > 0) log(`${w.id}: ${result.errors} errors, first: ${result.firstError}`);
      histograms.get(w.id)!.add(result.histogram);
      errors.set(w.id, errors.get(w.id)! + result.errors);
    }
    log(`round ${round + 1} of ${ROUNDS} done`);
  }
  const p50Ms = (id: string) => histograms.get(id)!.getValueAtPercentile(50) / 1000;
  const p99Ms = (id: string) => histograms.get(id)!.getValueAtPercentile(99) / 1000;
  const put = p50Ms("put");
  const lines = [
    "| workload (one request in flight) | ops | p50 ms | p99 ms | p50 / put p50 |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...workloads.map((w) => `| ${w.title} | ${histograms.get(w.id)!.totalCount}${errors.get(w.id)! > 0 ? ` (${errors.get(w.id)} errors)` : ""} | ${p50Ms(w.id).toFixed(2)} | ${p99Ms(w.id).toFixed(2)} | ${(p50Ms(w.id) / put).toFixed(2)}x |`),
    "",
    `Interactive two-shard transfer, first-read vs begin-call p50: ${(p50Ms("rw-2-first-read") / p50Ms("rw-2-begin")).toFixed(2)}x; one shard: ${(p50Ms("rw-1-first-read") / p50Ms("rw-1-begin")).toFixed(2)}x.`,
    `Load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${currentLoadAverage().toFixed(2)} at end, ${machine.nproc} cores; ${ROUNDS} rounds x ${MEASURE_MS} ms per workload (${quick ? "--quick" : "full"}).`,
  ];
  console.log(lines.join("\n"));
} finally {
  await idb.stop();
}

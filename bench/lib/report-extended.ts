/**
 * The report's sections for transactions, bank transfers, the query set and
 * listeners (bench/lib/extended-phases.ts), with their goals from the
 * Transactions, Query and Listen issues: reported, never asserted.
 */
import { BANK_WORKLOADS, QUERY_WORKLOADS, TX_LATENCY_WORKLOADS } from "../workloads/index.js";
import type { BenchResults, RunRecord } from "./results.js";
import { listenGoals, listenSection } from "./report-listen.js";

export const EXTENDED_WORKLOAD_IDS: ReadonlySet<string> = new Set([...TX_LATENCY_WORKLOADS, ...BANK_WORKLOADS, ...QUERY_WORKLOADS].map((w) => w.id));

const num = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (us: number) => (us / 1000).toFixed(us < 10_000 ? 2 : 1);
const x = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}x`);

function run(r: BenchResults, workload: string, system: string): RunRecord | undefined {
  return r.runs.find((z) => z.workload === workload && z.system === system && z.loop === "closed");
}

function label(r: BenchResults, system: string): string {
  return r.systems.find((s) => s.id === system)?.label ?? system;
}

// A negative figure means a server process left the tree during the run (e.g. the pg pool closed an idle connection): not measured.
const cpu = (z: RunRecord) => (z.system === "sqlite" ? "(in harness)" : z.serverCpuUsPerOp < 0 ? "n/a" : num(z.serverCpuUsPerOp));

function txSection(r: BenchResults): string[] {
  const e = r.extended!;
  const lines = [
    `### Transactions: latency (closed loop, ONE request in flight, ${e.settings.txLatency.measureMs / 1000} s each after ${e.settings.txLatency.warmupMs / 1000} s warm-up)`,
    "",
    "Atomic 2-document write = two 1 KB YCSB records written in one transaction with no reads: ImpossibleDB's `TransactionService.CommitBatch`, the two ids chosen with the bench Worker's router (`createShardRouter(createInitialRoutingTable(8))`) to fall on one shard (one-phase commit on that shard) or on two (two-phase commit through the TransactionCoordinator). Interactive transfer = GetDocuments of both accounts, which begins the transaction (new_transaction), + Commit of both new balances with the read set (runs before 2026-11-30 called BeginTransaction first: three calls). The floor runs each as one DO `transactionSync`, PostgreSQL as BEGIN … COMMIT (a transfer: SELECT … FOR UPDATE, UPDATE), SQLite as BEGIN IMMEDIATE … COMMIT; they are single-node, so their \"two-shard\" rows are the same single-node transaction on other ids.",
    "",
    "| operation | system | p50 ms | p99 ms | ops/s | p50 vs this system's plain put | p50 vs floor | p50 vs PostgreSQL | server CPU µs/op | errors |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const w of TX_LATENCY_WORKLOADS) {
    for (const s of r.systems) {
      const z = run(r, w.id, s.id);
      if (z === undefined) continue;
      const put = run(r, "tx-put", s.id);
      lines.push(
        `| ${w.title} | ${s.label} | ${ms(z.latency.p50Us)} | ${ms(z.latency.p99Us)} | ${num(z.opsPerSecond)} | ${x(z.latency.p50Us, put?.latency.p50Us)} | ${x(z.latency.p50Us, run(r, w.id, "floor")?.latency.p50Us)} | ${x(z.latency.p50Us, run(r, w.id, "postgres")?.latency.p50Us)} | ${cpu(z)} | ${z.errors} |`,
      );
    }
  }
  return lines;
}

function bankSection(r: BenchResults): string[] {
  const e = r.extended!;
  const lines = [
    `### Bank transfers (closed loop, ${r.harness.mode.concurrency} transfers in flight, ${e.settings.bank.measureMs / 1000} s each; ${num(e.bank.accounts)} accounts)`,
    "",
    "Each transfer reads two balances and writes both back in one transaction, retrying on ABORTED; the cross-shard share of transfers is exact for ImpossibleDB's 8 shards (pairs chosen with the router). Aborts = attempts that lost a conflict and were retried (ImpossibleDB: ABORTED; PostgreSQL: serialization failure or deadlock; SQLite and the floor run one transaction at a time and never abort).",
    "",
    "| workload | system | transfers/s | p50 ms | p99 ms | vs floor | vs PostgreSQL | aborts per 100 transfers | server CPU µs/transfer | errors |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const w of BANK_WORKLOADS) {
    for (const s of r.systems) {
      const z = run(r, w.id, s.id);
      if (z === undefined) continue;
      const aborts = z.counters["aborts"] ?? 0;
      lines.push(
        `| ${w.id} | ${s.label} | ${num(z.opsPerSecond)} | ${ms(z.latency.p50Us)} | ${ms(z.latency.p99Us)} | ${x(z.opsPerSecond, run(r, w.id, "floor")?.opsPerSecond)} | ${x(z.opsPerSecond, run(r, w.id, "postgres")?.opsPerSecond)} | ${((100 * aborts) / Math.max(1, z.ops)).toFixed(1)} | ${cpu(z)} | ${z.errors} |`,
      );
    }
  }
  lines.push("", "Total balance after every transfer (opening total " + num(e.bank.openingTotal) + "):", "");
  for (const b of e.bank.systems) lines.push(`- ${label(r, b.system)}: ${num(b.closingTotal)}, ${b.conserved ? "conserved" : "**NOT CONSERVED**"}`);
  // Results from before the contention phase existed carry none.
  const contention = e.contention ?? [];
  if (contention.length > 0) {
    lines.push(
      "",
      `### Contention (${e.settings.contention.measureMs / 1000} s: zipfian transfers beside ${e.settings.contention.auditClients} clients auditing every account in one read-only transaction)`,
      "",
      "| system | transfers/s | transfer abort rate | audits | audit aborts | audit p50 ms | audit p99 ms | audit totals |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    );
    for (const c of contention) {
      lines.push(
        `| ${label(r, c.system)} | ${num(Math.round(c.transfers / c.seconds))} | ${(100 * c.transferAbortRate).toFixed(1)}% | ${c.audits} | ${c.auditAborts} | ${c.auditP50Ms.toFixed(1)} | ${c.auditP99Ms.toFixed(1)} | ${c.wrongTotals === 0 ? "all conserved" : `**${c.wrongTotals} wrong**`} |`,
      );
    }
  }
  return lines;
}

function querySection(r: BenchResults): string[] {
  const e = r.extended!;
  const q = e.queries;
  const systems = r.systems.filter((s) => run(r, "query-count", s.id) !== undefined);
  const lines = [
    `### The query set (${num(q.documents)} documents${r.harness.mode.name === "quick" ? ", quick mode: the full mode has 100,000" : ""}; closed loop, ONE query in flight, ${e.settings.query.measureMs / 1000} s each)`,
    "",
    "Documents `{status: s0..s9, total: 0..99,999, region: r0..r7, ustatus, utotal (copies, unindexed), note}`. ImpossibleDB holds them over 8 shards with an index on (status, total) made by `AdminService.CreateIndex` (declared ascending: walked backwards it serves `ORDER BY total DESC, id DESC`, which a (status, total DESC) index cannot, see bench/README.md); the single-node floor is ONE in-process SQLite database holding all of them, with a `json_extract` expression index on the same fields; PostgreSQL uses `jsonb` and an expression index. Status and threshold are random per query. Answers to a fixed query were compared with SQLite's on every system: " +
      (q.answers.length === 0 ? "not compared." : q.answers.every((a) => a.agrees) ? "all agree." : "**some differ** (see the result file)."),
    "",
    "Loading (batch writes of " + e.settings.queryLoadBatch + " documents, " + r.harness.mode.batchConcurrency + " in flight), then creating the index:",
    "",
    "| system | load s | docs/s | index s |",
    "| --- | ---: | ---: | ---: |",
    ...q.load.map((l) => `| ${label(r, l.system)} | ${l.seconds.toFixed(1)} | ${num(l.docsPerSecond)} | ${l.indexSeconds.toFixed(2)} |`),
    "",
    "| query | system | queries/s | p50 ms | p99 ms | p50 vs single SQLite | p50 vs PostgreSQL | server CPU µs/query | ImpossibleDB rows read (all shards) | errors |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const w of QUERY_WORKLOADS) {
    const plan = q.explain.find((p) => p.query === w.id);
    for (const s of systems) {
      const z = run(r, w.id, s.id)!;
      const rows = s.id === "impossibledb" && plan !== undefined ? `${num(plan.rowsRead)} (${plan.rowsReadPerShard.join(" / ")}; index: ${plan.indexes.join(", ")})` : "";
      lines.push(
        `| ${w.title} | ${s.label} | ${num(z.opsPerSecond)} | ${ms(z.latency.p50Us)} | ${ms(z.latency.p99Us)} | ${x(z.latency.p50Us, run(r, w.id, "sqlite")?.latency.p50Us)} | ${x(z.latency.p50Us, run(r, w.id, "postgres")?.latency.p50Us)} | ${cpu(z)} | ${rows} | ${z.errors} |`,
      );
    }
  }
  lines.push("", "Rows read are from `explain: true` on the fixed query (status s3, total >= 50,000), per shard.");
  return lines;
}

/** Goal rows for the Goals table. */
export function extendedGoals(r: BenchResults): string[] {
  if (r.extended === undefined) return [];
  const p50 = (w: string, s: string) => run(r, w, s)?.latency.p50Us;
  const put = p50("tx-put", "impossibledb");
  return [
    `| ImpossibleDB two-shard atomic write (CommitBatch) p50 / plain put p50 | ${x(p50("tx-2shard", "impossibledb"), put)} | <= 2.5x |`,
    `| ImpossibleDB single-shard atomic write (CommitBatch) p50 / plain put p50 | ${x(p50("tx-1shard", "impossibledb"), put)} | <= 1.3x |`,
    `| (interactive form) two-shard transfer p50 / plain put p50 | ${x(p50("tx-rw-2shard", "impossibledb"), put)} | (reference) |`,
    `| (interactive form) single-shard transfer p50 / plain put p50 | ${x(p50("tx-rw-1shard", "impossibledb"), put)} | (reference) |`,
    `| ImpossibleDB indexed limit-10 query p50 / single SQLite p50 | ${x(p50("query-top10-indexed", "impossibledb"), p50("query-top10-indexed", "sqlite"))} | <= 3x |`,
    `| (reference) unindexed / count / group-by p50 vs single SQLite | ${["query-top10-unindexed", "query-count", "query-group-by"].map((w) => x(p50(w, "impossibledb"), p50(w, "sqlite"))).join(" / ")} | (no goal) |`,
    // Results from before the listen phase existed carry none.
    ...(r.extended.listen ?? []).flatMap(listenGoals),
  ];
}

export function extendedSections(r: BenchResults): string[] {
  if (r.extended === undefined) return [];
  const listen = (r.extended.listen ?? []).flatMap((l) => [...listenSection(l, r.extended!.settings.listen, r.harness.mode.concurrency, label(r, l.system)), ""]);
  return [...txSection(r), "", ...bankSection(r), "", ...querySection(r), "", ...listen];
}


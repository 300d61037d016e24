/**
 * The phases that came with transactions and queries, run after the point
 * and batch workloads, on the same systems in the same run:
 *
 * 1. the bank's accounts are loaded on every system;
 * 2. transaction latency (one request in flight);
 * 3. bank transfers at 0%, 10% and 100% cross-shard (the mode's concurrency),
 *    then every system's total balance is checked against the opening total;
 *    then the contention phase (contention-phase.ts): zipfian transfers beside
 *    read-only audits of every account, on systems that can audit;
 * 4. the query set: its documents are loaded with 500-document batch writes
 *    (timed), the index is created (timed), each system's answers to fixed
 *    queries are compared with SQLite's, ImpossibleDB explains each query
 *    (rows read per shard), then each query is measured;
 * 5. the listen phase (listen-phase.ts), on systems with listeners: event
 *    delay with 1, 10 and 100 listeners on one collection, beside a plain
 *    get and the write throughput without and with them.
 *
 * A balance that is not conserved, a query answer that differs from
 * SQLite's, or an event that never reached its listener is recorded as a
 * failure, and the run exits non-zero.
 */
import { LISTENER_COUNTS, type ModeSettings } from "../config.js";
import type { QueryExplain } from "../systems/extensions.js";
import type { RunningSystem } from "../systems/types.js";
import { ACCOUNT_COUNT, accountIds, OPENING_BALANCE } from "../workloads/bank.js";
import { BANK_WORKLOADS, QUERY_WORKLOADS, TX_LATENCY_WORKLOADS } from "../workloads/index.js";
import { orderDocuments } from "../workloads/queries.js";
import type { ReadyWorkload } from "../workloads/types.js";
import type { RunRecord } from "./results.js";
import { describeContention, runContention, type ContentionResult, type ContentionSettings } from "./contention-phase.js";
import { runListen, type ListenResult, type ListenSettings } from "./listen-phase.js";

export interface PhaseTiming {
  readonly warmupMs: number;
  readonly measureMs: number;
}

export interface ExtendedSettings {
  readonly txLatency: PhaseTiming;
  readonly bank: PhaseTiming;
  readonly query: PhaseTiming;
  readonly contention: ContentionSettings;
  readonly listen: ListenSettings;
  /** Documents in the query set's collection. */
  readonly queryDocuments: number;
  /** Documents per batch write when loading the query set (the API's maximum). */
  readonly queryLoadBatch: number;
}

/** Per mode: quick keeps the whole run under 3 minutes, full under 15, on 2 cores. */
export const EXTENDED_MODES: Record<ModeSettings["name"], ExtendedSettings> = {
  quick: {
    txLatency: { warmupMs: 200, measureMs: 1_000 },
    bank: { warmupMs: 300, measureMs: 1_500 },
    query: { warmupMs: 200, measureMs: 1_000 },
    contention: { measureMs: 3_000, auditClients: 2 },
    listen: {
      documents: 64,
      delayWarmupWrites: 3,
      delayWritesMax: 50,
      delayMeasureMs: 2_000,
      eventWaitMsMax: 5_000,
      get: { warmupMs: 200, measureMs: 700 },
      put: { warmupMs: 300, measureMs: 1_000 },
      drainMsMax: 10_000,
      openConcurrency: 10,
    },
    queryDocuments: 10_000,
    queryLoadBatch: 500,
  },
  full: {
    txLatency: { warmupMs: 1_000, measureMs: 4_000 },
    bank: { warmupMs: 1_000, measureMs: 5_000 },
    query: { warmupMs: 1_000, measureMs: 4_000 },
    contention: { measureMs: 10_000, auditClients: 2 },
    // The whole listen phase stays under about 2 minutes (bench/listen.ts runs it alone).
    listen: {
      documents: 64,
      delayWarmupWrites: 5,
      delayWritesMax: 200,
      delayMeasureMs: 8_000,
      eventWaitMsMax: 5_000,
      get: { warmupMs: 300, measureMs: 2_000 },
      put: { warmupMs: 500, measureMs: 3_000 },
      drainMsMax: 10_000,
      openConcurrency: 10,
    },
    queryDocuments: 100_000,
    queryLoadBatch: 500,
  },
};

/** Fixed parameters of the queries whose answers are compared across systems. */
const CHECK_STATUS = "s3";
const CHECK_THRESHOLD = 50_000;
const ANSWER_REFERENCE = "sqlite";

export type Measure = (system: RunningSystem, workload: ReadyWorkload, loop: "closed", concurrency: number, timing: PhaseTiming) => Promise<RunRecord>;

export interface ExtendedResults {
  readonly settings: ExtendedSettings;
  readonly bank: {
    readonly accounts: number;
    readonly openingTotal: number;
    readonly systems: Array<{ system: string; loadSeconds: number; closingTotal: number; conserved: boolean }>;
  };
  /** The contention phase, per system that can audit (absent in results from before it existed). */
  readonly contention?: ContentionResult[];
  /** The listen phase, per system with listeners (absent in results from before it existed). */
  readonly listen?: ListenResult[];
  readonly queries: {
    readonly documents: number;
    readonly load: Array<{ system: string; seconds: number; docsPerSecond: number; indexSeconds: number }>;
    readonly answers: Array<{ system: string; query: string; agrees: boolean; answer: string }>;
    readonly explain: Array<{ query: string } & QueryExplain>;
  };
  readonly failures: string[];
}

export async function runExtendedPhases(env: {
  systems: readonly RunningSystem[];
  mode: ModeSettings;
  seed: number;
  log: (line: string) => void;
  measure: Measure;
  runs: RunRecord[];
}): Promise<ExtendedResults> {
  const { systems, mode, log, measure, runs } = env;
  const settings = EXTENDED_MODES[mode.name];
  const querySystems = systems.filter((s) => s.driver.query !== undefined);
  const failures: string[] = [];
  const total =
    (TX_LATENCY_WORKLOADS.length + BANK_WORKLOADS.length) * systems.length + QUERY_WORKLOADS.length * querySystems.length;
  let done = 0;
  const ms = (us: number) => (us / 1000).toFixed(2);
  const run = async (system: RunningSystem, workload: ReadyWorkload, concurrency: number, timing: PhaseTiming) => {
    const record = await measure(system, workload, "closed", concurrency, timing);
    runs.push(record);
    const extra = record.counters["aborts"] ? `, ${record.counters["aborts"]} aborts` : "";
    log(`[ext ${++done}/${total}] ${workload.id} ${system.id}: ${Math.round(record.opsPerSecond)} ops/s, p50 ${ms(record.latency.p50Us)} ms, p99 ${ms(record.latency.p99Us)} ms${extra}${record.errors ? `, ${record.errors} errors (${record.firstError})` : ""}`);
    return record;
  };

  // 1. Accounts.
  const bank: ExtendedResults["bank"] = { accounts: ACCOUNT_COUNT, openingTotal: ACCOUNT_COUNT * OPENING_BALANCE, systems: [] };
  const accountLoad = new Map<string, number>();
  for (const system of systems) {
    const t0 = performance.now();
    for (let i = 0; i < accountIds.length; i += settings.queryLoadBatch) {
      await again(() => system.driver.tx.loadAccounts(accountIds.slice(i, i + settings.queryLoadBatch), OPENING_BALANCE));
    }
    accountLoad.set(system.id, (performance.now() - t0) / 1000);
  }
  log(`loaded ${ACCOUNT_COUNT} bank accounts on every system`);

  // 2. Transaction latency, one request in flight.
  for (const workload of TX_LATENCY_WORKLOADS) for (const system of systems) await run(system, workload, 1, settings.txLatency);

  // 3. Bank transfers, then conservation.
  for (const workload of BANK_WORKLOADS) for (const system of systems) await run(system, workload, mode.concurrency, settings.bank);
  for (const system of systems) {
    const closingTotal = await again(() => system.driver.tx.totalBalance(accountIds));
    const conserved = closingTotal === bank.openingTotal;
    bank.systems.push({ system: system.id, loadSeconds: accountLoad.get(system.id) ?? 0, closingTotal, conserved });
    log(`bank total on ${system.id}: ${closingTotal} (opening ${bank.openingTotal})${conserved ? "" : " NOT CONSERVED"}`);
    if (!conserved) failures.push(`${system.id}: the bank's total balance is ${closingTotal}, not ${bank.openingTotal}`);
  }

  // 3b. Contention: zipfian transfers beside read-only audits.
  const contention: ContentionResult[] = [];
  for (const system of systems) {
    const result = await runContention(system, settings.contention, mode.concurrency, env.seed);
    if (result === null) continue;
    contention.push(result);
    log(describeContention(result));
    if (result.wrongTotals > 0) failures.push(`${system.id}: ${result.wrongTotals} audits saw a total other than ${bank.openingTotal}`);
  }

  // 4. The query set.
  const queries: ExtendedResults["queries"] = { documents: settings.queryDocuments, load: [], answers: [], explain: [] };
  for (const system of querySystems) {
    const q = system.driver.query!;
    const t0 = performance.now();
    const batches = chunks(orderDocuments(settings.queryDocuments, env.seed), settings.queryLoadBatch);
    const loader = async () => {
      for (let next = batches.next(); next.done !== true; next = batches.next()) {
        const batch = next.value;
        await again(() => q.load(batch));
      }
    };
    await Promise.all(Array.from({ length: mode.batchConcurrency }, loader));
    const seconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await again(() => q.createIndex());
    const indexSeconds = (performance.now() - t1) / 1000;
    queries.load.push({ system: system.id, seconds, docsPerSecond: settings.queryDocuments / seconds, indexSeconds });
    log(`query set: loaded ${settings.queryDocuments} documents into ${system.id} in ${seconds.toFixed(1)} s (batches of ${settings.queryLoadBatch}), index built in ${indexSeconds.toFixed(1)} s`);
  }
  const answersOf = async (system: RunningSystem) => {
    const q = system.driver.query!;
    return {
      "query-top10-indexed": JSON.stringify(await q.top10(true, CHECK_STATUS, CHECK_THRESHOLD)),
      "query-top10-unindexed": JSON.stringify(await q.top10(false, CHECK_STATUS, CHECK_THRESHOLD)),
      "query-count": JSON.stringify(await q.count(CHECK_STATUS)),
      "query-group-by": JSON.stringify(await q.groupBy()),
    };
  };
  const reference = querySystems.find((s) => s.id === ANSWER_REFERENCE);
  if (reference !== undefined) {
    const expected = await answersOf(reference);
    for (const system of querySystems) {
      const got = system === reference ? expected : await answersOf(system);
      for (const [query, answer] of Object.entries(got)) {
        const agrees = answer === expected[query as keyof typeof expected];
        queries.answers.push({ system: system.id, query, agrees, answer: answer.length > 200 ? `${answer.slice(0, 200)}…` : answer });
        if (!agrees) failures.push(`${system.id}: ${query} answered ${answer}, SQLite ${expected[query as keyof typeof expected]}`);
      }
    }
    log(`query set: answers compared with SQLite's: ${queries.answers.every((a) => a.agrees) ? "all agree" : "MISMATCH"}`);
  }
  for (const system of querySystems) {
    const explain = system.driver.query!.explain;
    if (explain === undefined) continue;
    for (const query of ["top10-indexed", "top10-unindexed", "count", "group-by"] as const) {
      const plan = await explain(query, CHECK_STATUS, CHECK_THRESHOLD);
      queries.explain.push({ query: `query-${query}`, ...plan });
      log(`explain ${system.id} ${query}: ${plan.rowsRead} rows read (${plan.rowsReadPerShard.join("/")}), index ${plan.indexes.join(", ")}; shard plan: ${plan.sqlPlan.replace(/\s+/g, " ")}`);
    }
  }
  for (const workload of QUERY_WORKLOADS) for (const system of querySystems) await run(system, workload, 1, settings.query);

  // 5. Listeners.
  const listen: ListenResult[] = [];
  for (const system of systems) {
    const result = await runListen(system, settings.listen, mode, LISTENER_COUNTS, env.seed, log);
    if (result === null) continue;
    listen.push(result);
    failures.push(...result.failures);
  }

  return { settings, bank, contention, queries, listen, failures };
}

/**
 * Runs an idempotent setup or check call, once more if the connection was
 * reset: a keep-alive socket that sat idle while the other systems ran may
 * be closed by the server just as it is reused.
 */
async function again<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: string }).code !== "ECONNRESET") throw err;
    return fn();
  }
}

function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

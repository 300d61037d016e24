/**
 * `npm run bench:types [-- --quick]`: what typed values cost, beside the
 * same documents in their JSON form, in one run on one Worker (8 shards).
 *
 * Two collections hold the same records: `bench_json` as JSON (numbers are
 * doubles; the time, bytes, reference and geo point in their JSON forms)
 * and `bench_typed` in the typed form (an int64 sequence number, a
 * timestamp, bytes, a reference and a geo point beside the same strings
 * and doubles). Each has an index on
 * (seq, at). Three workloads run on both, in alternating rounds so a
 * neighbour's burst on the shared cores falls on both alike: a point get,
 * an indexed query (seq >= X ORDER BY seq LIMIT 10) and SUM(seq) over the
 * collection. Reported: p50 and throughput of each, typed over JSON, as the
 * median of the per-round ratios. Writes bench/results/types-<mode>-latest.{json,md}.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService } from "../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../gen/impossibledb/v1/collection_service_pb.js";
import { ValueSchema, type Value } from "../gen/impossibledb/v1/document_pb.js";
import { Aggregation_Function, FieldFilter_Operator } from "../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../gen/impossibledb/v1/query_service_pb.js";
import { PORTS, RESULTS_DIR } from "./config.js";
import { createKeepAliveAgent } from "./lib/http.js";
import { closedLoop, summarize, type Operation } from "./lib/loops.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { startImpossibleDb } from "./systems/impossibledb.js";

const quick = process.argv.includes("--quick");
const RECORDS = quick ? 500 : 2000;
const ROUNDS = quick ? 3 : 7;
const ROUND_MS = quick ? 1500 : 3000;
const WARMUP_MS = 500;
const CONCURRENCY = 8;
const BATCH = 100;
const log = (line: string) => console.error(`[bench:types] ${line}`);

type KindInit = NonNullable<MessageInitShape<typeof ValueSchema>["kind"]>;
const v = (kind: KindInit): Value => create(ValueSchema, { kind } as MessageInitShape<typeof ValueSchema>);
const BASE_SEQ = 2n ** 53n;
const BASE_SECONDS = 1_767_225_600n; // 2026-01-01T00:00:00Z

/** Record `i` in both forms. */
function record(i: number) {
  const at = new Date(Number(BASE_SECONDS) * 1000 + i * 1000);
  // The same fields, the typed ones in their JSON form, so only the handling of types differs.
  const json = {
    seq: Number(BASE_SEQ) + i,
    at: at.toISOString(),
    name: `user-${i}`,
    amount: i * 1.25,
    tags: ["a", "b"],
    digest: Buffer.from(new Uint8Array(16).fill(i % 256)).toString("base64"),
    owner: `users/u${i % 100}`,
    place: { latitude: (i % 180) - 89.5, longitude: (i % 360) - 179.5 },
  };
  const typed: Record<string, Value> = {
    seq: v({ case: "integerValue", value: BASE_SEQ + BigInt(i) }),
    at: v({ case: "timestampValue", value: { seconds: BASE_SECONDS + BigInt(i), nanos: (i % 1000) * 1000 } }),
    name: v({ case: "stringValue", value: `user-${i}` }),
    amount: v({ case: "doubleValue", value: i * 1.25 }),
    tags: v({ case: "arrayValue", value: { values: [v({ case: "stringValue", value: "a" }), v({ case: "stringValue", value: "b" })] } }),
    digest: v({ case: "bytesValue", value: new Uint8Array(16).fill(i % 256) }),
    owner: v({ case: "referenceValue", value: { collection: "users", id: `u${i % 100}` } }),
    place: v({ case: "geoPointValue", value: { latitude: (i % 180) - 89.5, longitude: (i % 360) - 179.5 } }),
  };
  return { json, typed };
}

const machine = machineInfo();
log(`${quick ? "quick" : "full"} mode on ${machine.nproc} cores, load average ${machine.loadAverage1mStart.toFixed(2)}`);
const db = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: CONCURRENCY });
try {
  const transport = createConnectTransport({ baseUrl: db.url, httpVersion: "1.1", useBinaryFormat: true, nodeOptions: { agent: createKeepAliveAgent(CONCURRENCY) } });
  const col = createClient(CollectionService, transport);
  const query = createClient(QueryService, transport);
  const admin = createClient(AdminService, transport);
  for (const collection of ["bench_json", "bench_typed"]) await admin.createIndex({ index: { collection, fields: [{ field: "seq" }, { field: "at" }] } });
  for (let i = 0; i < RECORDS; i += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, RECORDS - i) }, (_, k) => ({ id: `r${String(i + k).padStart(6, "0")}`, ...record(i + k) }));
    await col.batchWriteDocuments({ writes: rows.map((r) => ({ ref: { collection: "bench_json", id: r.id }, operation: { case: "set" as const, value: r.json } })) });
    await col.batchWriteDocuments({ writes: rows.map((r) => ({ ref: { collection: "bench_typed", id: r.id }, operation: { case: "setFields" as const, value: { fields: r.typed } } })) });
  }
  log(`loaded ${RECORDS} records into each collection`);
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % RECORDS;
  const id = () => `r${String(next()).padStart(6, "0")}`;
  const seqFilter = (typed: boolean, i: number) => ({
    filterType: {
      case: "fieldFilter" as const,
      value: typed
        ? { field: "seq", op: FieldFilter_Operator.GREATER_THAN_OR_EQUAL, typedValue: v({ case: "integerValue", value: BASE_SEQ + BigInt(i) }) }
        : { field: "seq", op: FieldFilter_Operator.GREATER_THAN_OR_EQUAL, value: { kind: { case: "numberValue" as const, value: Number(BASE_SEQ) + i } } },
    },
  });
  const workloads: Record<string, (collection: string, typed: boolean) => Operation> = {
    "point get": (collection) => async () => {
      await col.getDocument({ ref: { collection, id: id() } });
    },
    "indexed query, limit 10": (collection, typed) => async () => {
      await query.runQuery({ query: { collection, where: seqFilter(typed, next()), orderBy: [{ field: "seq" }], limit: 10 } });
    },
    "SUM(seq) over the collection": (collection) => async () => {
      await query.runAggregationQuery({ query: { collection }, aggregations: [{ alias: "s", function: Aggregation_Function.SUM, field: "seq" }] });
    },
  };
  const rows: Array<{ workload: string; p50Ratio: number; opsRatio: number; json: ReturnType<typeof summarize> & { ops: number }; typed: ReturnType<typeof summarize> & { ops: number } }> = [];
  for (const [name, op] of Object.entries(workloads)) {
    const p50Ratios: number[] = [];
    const opsRatios: number[] = [];
    let lastJson = null as null | (ReturnType<typeof summarize> & { ops: number });
    let lastTyped = null as null | (ReturnType<typeof summarize> & { ops: number });
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (["bench_json", "bench_typed"] as const) : (["bench_typed", "bench_json"] as const);
      const results: Record<string, { p50: number; ops: number; s: ReturnType<typeof summarize> }> = {};
      for (const collection of order) {
        const typed = collection === "bench_typed";
        const r = await closedLoop(() => op(collection, typed), { concurrency: CONCURRENCY, warmupMs: WARMUP_MS, measureMs: ROUND_MS });
        if (r.errors > 0) throw new Error(`${name} on ${collection}: ${r.errors} errors, first: ${r.firstError}`);
        results[collection] = { p50: r.histogram.getValueAtPercentile(50), ops: r.opsPerSecond, s: summarize(r.histogram) };
      }
      p50Ratios.push(results["bench_typed"]!.p50 / results["bench_json"]!.p50);
      opsRatios.push(results["bench_typed"]!.ops / results["bench_json"]!.ops);
      lastJson = { ...results["bench_json"]!.s, ops: Math.round(results["bench_json"]!.ops) };
      lastTyped = { ...results["bench_typed"]!.s, ops: Math.round(results["bench_typed"]!.ops) };
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    rows.push({ workload: name, p50Ratio: median(p50Ratios), opsRatio: median(opsRatios), json: lastJson!, typed: lastTyped! });
    log(`${name}: p50 typed/json ${median(p50Ratios).toFixed(2)}x, throughput typed/json ${median(opsRatios).toFixed(2)}x`);
  }
  machine.loadAverage1mEnd = currentLoadAverage();
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`npm run bench:types${quick ? " -- --quick" : ""}\` (${RECORDS} records a collection, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s, ${CONCURRENCY} in flight); load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${machine.loadAverage1mEnd.toFixed(2)} at end, ${machine.nproc} cores.`,
    "",
    "| workload | JSON p50 (µs) | typed p50 (µs) | p50 typed / JSON | throughput typed / JSON |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.workload} | ${r.json.p50Us} | ${r.typed.p50Us} | ${r.p50Ratio.toFixed(2)}x | ${r.opsRatio.toFixed(2)}x |`),
    "",
    "Ratios are medians of the per-round ratios; the p50 columns are the last round's. Both collections hold the same fields; the JSON one holds the typed values in their JSON forms.",
    "",
  ].join("\n");
  await mkdir(RESULTS_DIR, { recursive: true });
  const base = path.join(RESULTS_DIR, `types-${quick ? "quick" : "full"}-latest`);
  await writeFile(`${base}.json`, JSON.stringify({ machine, records: RECORDS, rounds: ROUNDS, roundMs: ROUND_MS, concurrency: CONCURRENCY, rows }, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
} finally {
  await db.stop();
}

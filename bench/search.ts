/**
 * `npm run bench:search [-- --quick]`: full-text search over 100,000
 * documents (quick: 10,000) on ImpossibleDB with 8 shards, beside ONE
 * node:sqlite FTS5 database holding everything (the same pre-tokenized
 * text, ranked by its own bm25(), running the very expression ImpossibleDB
 * compiled, so both do the same work), the same FTS5 database inside ONE
 * Durable Object behind a bare Worker on the same local workerd
 * (bench/floor: what one SQLite database costs on the platform, HTTP and
 * an object call included, with no Connect, routing or shards) and
 * PostgreSQL (tsvector with a GIN index, ts_rank), in the same run. For each query shape (rare term, common
 * term, two terms, prefix, phrase) it measures the p50 and p99 of the top
 * 10, one request at a time, and reports ImpossibleDB's p50 as ratios to
 * the others (goal: within 3x of the single FTS5 database). It also checks
 * that ImpossibleDB's top 10 is FTS5's top 10 (global statistics).
 *
 * Phases: PHASES below; geo near is meant to be added as another phase
 * (a function of the same shape) when the geo part lands.
 *
 * BENCH_SEARCH_SHAPES (shape names separated by `|`, e.g. `rare term|two
 * terms`) measures only those shapes, for old-versus-new runs of the
 * shapes a change is about; unset, every shape.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { AdminService } from "../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../gen/impossibledb/v1/query_service_pb.js";
import { PORTS, RESULTS_DIR } from "./config.js";
import { createKeepAliveAgent } from "./lib/http.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { searchCorpus, searchShapes, type SearchDoc, type SearchShape } from "./lib/search-corpus.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import { startPostgres } from "./systems/postgres.js";
import { startWorkerd, type WorkerdHost } from "./systems/workerd-host.js";
import { post } from "./lib/http.js";
import { tokenTexts } from "../src/search/tokenizer.js";
import { waitForCompaction } from "./lib/search-compaction.js";

const quick = process.argv.includes("--quick");
const SEED = Number(process.env["BENCH_SEED"] ?? 42);
const SHARDS = 8;
const DOCS = quick ? 10_000 : 100_000;
const SAMPLES = quick ? 60 : 200;
const WARMUP = quick ? 10 : 30;
const LOAD_BATCH = 500;
const LOAD_CONCURRENCY = 4;
const COLLECTION = "articles";
const TOP = 10;
const SHAPES = process.env["BENCH_SEARCH_SHAPES"]?.split("|") ?? null;
const started = performance.now();
const log = (line: string) => console.error(`[bench:search ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);

/** One system's latencies for one shape, in ms. */
interface Latency {
  readonly p50: number;
  readonly p99: number;
}

/** One system under test: runs a shape once and returns the top ids. */
interface SearchSystem {
  readonly label: string;
  run(shape: SearchShape, compiled: string): Promise<string[]>;
}

async function measure(system: SearchSystem, shape: SearchShape, compiled: string): Promise<Latency> {
  for (let i = 0; i < WARMUP; i++) await system.run(shape, compiled);
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await system.run(shape, compiled);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** ONE node:sqlite database with FTS5, holding every document, tokenized as ImpossibleDB does. */
function startSingleFts5(docs: readonly SearchDoc[]): SearchSystem & { close(): void } {
  const db = new DatabaseSync(":memory:");
  db.exec("CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, data TEXT NOT NULL)");
  db.exec("CREATE VIRTUAL TABLE t USING fts5(c0, c1, tokenize = 'ascii', prefix = '2 3')");
  const insertDoc = db.prepare("INSERT INTO docs (rowid, id, data) VALUES (?, ?, ?)");
  const insertText = db.prepare("INSERT INTO t (rowid, c0, c1) VALUES (?, ?, ?)");
  db.exec("BEGIN");
  docs.forEach((d, i) => {
    insertDoc.run(i + 1, d.id, JSON.stringify({ title: d.title, body: d.body }));
    insertText.run(i + 1, tokenTexts(d.title).join(" "), tokenTexts(d.body).join(" "));
  });
  db.exec("COMMIT");
  // Merged into one segment, as ImpossibleDB's shards compact an index at rest (src/search/compaction.ts).
  db.exec("INSERT INTO t (t) VALUES ('optimize')");
  const query = db.prepare(`SELECT d.id, d.data, bm25(t, 2.0, 1.0) AS s FROM t JOIN docs AS d ON d.rowid = t.rowid WHERE t MATCH ? ORDER BY s, d.id LIMIT ${TOP}`);
  return {
    label: "one SQLite FTS5 database (node:sqlite, in process)",
    async run(_shape, compiled) {
      // The documents are decoded, as a client of ImpossibleDB gets them decoded.
      return (query.all(compiled) as Array<{ id: string; data: string }>).map((r) => {
        JSON.parse(r.data);
        return r.id;
      });
    },
    close: () => db.close(),
  };
}

/** ONE FTS5 database inside one Durable Object behind a bare Worker (bench/floor/worker.ts `/fts-*`), loaded with the same text. */
async function loadFts5Object(host: WorkerdHost, docs: readonly SearchDoc[]): Promise<SearchSystem> {
  const agent = createKeepAliveAgent(2);
  for (let i = 0; i < docs.length; i += 2000) {
    const rows = docs.slice(i, i + 2000).map((d) => [d.id, tokenTexts(d.title).join(" "), tokenTexts(d.body).join(" "), JSON.stringify({ title: d.title, body: d.body })]);
    const reply = await post(agent, `${host.url}/fts-load`, JSON.stringify(rows));
    if (reply.status !== 200) throw new Error(`floor /fts-load: HTTP ${reply.status}: ${reply.body}`);
  }
  // Merged into one segment, as ImpossibleDB's shards compact an index at rest (src/search/compaction.ts).
  const optimized = await post(agent, `${host.url}/fts-optimize`, "");
  if (optimized.status !== 200) throw new Error(`floor /fts-optimize: HTTP ${optimized.status}: ${optimized.body}`);
  return {
    label: "one SQLite FTS5 database in one Durable Object behind a bare Worker (same workerd, HTTP/1.1)",
    async run(_shape, compiled) {
      const reply = await post(agent, `${host.url}/fts-search?limit=${TOP}`, compiled);
      if (reply.status !== 200) throw new Error(`floor /fts-search: HTTP ${reply.status}: ${reply.body}`);
      // Decoded, as ImpossibleDB's client decodes its documents.
      return (JSON.parse(reply.body) as Array<{ id: string }>).map((r) => r.id);
    },
  };
}

async function loadPostgres(docs: readonly SearchDoc[], port: number): Promise<SearchSystem & { close(): Promise<void> }> {
  const pool = new pg.Pool({ host: "127.0.0.1", port, user: "bench", database: "postgres", max: 2 });
  await pool.query(`CREATE TABLE articles (
      id text PRIMARY KEY, data jsonb NOT NULL,
      tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', data->>'title'), 'A') || setweight(to_tsvector('simple', data->>'body'), 'B')) STORED)`);
  for (let i = 0; i < docs.length; i += 2000) {
    const batch = docs.slice(i, i + 2000);
    await pool.query("INSERT INTO articles (id, data) SELECT * FROM unnest($1::text[], $2::jsonb[])", [batch.map((d) => d.id), batch.map((d) => JSON.stringify({ title: d.title, body: d.body }))]);
  }
  await pool.query("CREATE INDEX articles_tsv ON articles USING gin (tsv)");
  await pool.query("ANALYZE articles");
  return {
    label: "PostgreSQL (tsvector + GIN, ts_rank)",
    async run(shape) {
      const { rows } = await pool.query({
        name: `search-${shape.name}`,
        text: `SELECT id, data, ts_rank(tsv, q) AS r FROM articles, to_tsquery('simple', $1) AS q WHERE tsv @@ q ORDER BY r DESC, id LIMIT ${TOP}`,
        values: [shape.tsquery],
      });
      return (rows as Array<{ id: string }>).map((r) => r.id);
    },
    close: () => pool.end(),
  };
}

/** The text phase: load, index, measure every shape on every system. */
async function textPhase(idbUrl: string, postgresPort: number, floor: WorkerdHost, docs: readonly SearchDoc[]) {
  const transport = createConnectTransport({ baseUrl: idbUrl, httpVersion: "1.1", useBinaryFormat: true, nodeOptions: { agent: createKeepAliveAgent(8) } });
  const collections = createClient(CollectionService, transport);
  const admin = createClient(AdminService, transport);
  const queries = createClient(QueryService, transport);
  const loadStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: LOAD_CONCURRENCY }, async () => {
      for (;;) {
        const from = next;
        next += LOAD_BATCH;
        if (from >= docs.length) return;
        await collections.batchWriteDocuments({
          writes: docs.slice(from, from + LOAD_BATCH).map((d) => ({ ref: { collection: COLLECTION, id: d.id }, operation: { case: "set" as const, value: { title: d.title, body: d.body } } })),
        });
      }
    }),
  );
  log(`loaded ${docs.length} documents into ImpossibleDB in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
  const indexStart = performance.now();
  await admin.createSearchIndex({ index: { collection: COLLECTION, textFields: [{ field: "title", weight: 2 }, { field: "body", weight: 1 }] } });
  const backfillSeconds = (performance.now() - indexStart) / 1000;
  log(`CreateSearchIndex (backfill on ${SHARDS} shards) took ${backfillSeconds.toFixed(1)} s`);
  log(`search index compacted on every shard ${(await waitForCompaction(admin, COLLECTION)).toFixed(1)} s after its backfill`);
  const fts5 = startSingleFts5(docs);
  log("loaded the single FTS5 database");
  const fts5Object = await loadFts5Object(floor, docs);
  log("loaded the FTS5 Durable Object");
  const postgres = await loadPostgres(docs, postgresPort);
  log("loaded PostgreSQL");
  const idb: SearchSystem = {
    label: `ImpossibleDB (${SHARDS} shards, Connect over HTTP/1.1)`,
    async run(shape) {
      const res = await queries.runQuery({ query: { collection: COLLECTION, search: { text: shape.text, exact: shape.exact ?? false } }, pageSize: TOP });
      return res.documents.map((d) => d.id);
    },
  };
  const rows = [];
  try {
    for (const shape of searchShapes().filter((s) => SHAPES === null || SHAPES.includes(s.name))) {
      const explained = await queries.runQuery({ query: { collection: COLLECTION, search: { text: shape.text, exact: shape.exact ?? false } }, pageSize: TOP, explain: true });
      const compiled = explained.plan!.search!.compiled;
      const matches = explained.plan!.search!.terms.map((t) => `${t.term}: ${t.documents}`).join(", ");
      const expected = JSON.stringify(await fts5.run(shape, compiled));
      const sameTop = JSON.stringify(await idb.run(shape, compiled)) === expected;
      if (JSON.stringify(await fts5Object.run(shape, compiled)) !== expected) throw new Error(`the FTS5 Durable Object's top ${TOP} differs from node:sqlite's for ${shape.name}`);
      const [i, f, o, p] = [await measure(idb, shape, compiled), await measure(fts5, shape, compiled), await measure(fts5Object, shape, compiled), await measure(postgres, shape, compiled)];
      log(`${shape.name}: ImpossibleDB p50 ${i.p50.toFixed(2)} ms, FTS5 ${f.p50.toFixed(2)} ms, FTS5 object ${o.p50.toFixed(2)} ms, PostgreSQL ${p.p50.toFixed(2)} ms`);
      rows.push({ shape: shape.name, text: shape.text, compiled, matches, sameTop, impossibledb: i, fts5: f, fts5Object: o, postgres: p });
    }
  } finally {
    fts5.close();
    await postgres.close();
  }
  return { backfillSeconds, labels: { impossibledb: idb.label, fts5: fts5.label, fts5Object: fts5Object.label, postgres: postgres.label }, rows };
}

/** The benchmark's phases; geo near goes here as another phase when the geo part lands. */
const PHASES = { text: textPhase } as const;

const machine = machineInfo();
log(`${quick ? "quick" : "full"} mode: ${DOCS} documents on ${machine.nproc} cores (${machine.cpuModel}), load average ${machine.loadAverage1mStart.toFixed(2)}`);
const docs = searchCorpus(DOCS, SEED);
const idbSystem = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: SHARDS, socketsMax: 8 });
const postgresSystem = await startPostgres({ port: PORTS.postgres, connections: 2 });
const floorHost = await startWorkerd({ configPath: "bench/floor/wrangler.toml", port: PORTS.floor });
try {
  const text = await PHASES.text(idbSystem.url, PORTS.postgres, floorHost, docs);
  machine.loadAverage1mEnd = currentLoadAverage();
  const durationSeconds = Math.round((performance.now() - started) / 1000);
  const command = `${SHAPES === null ? "" : `BENCH_SEARCH_SHAPES='${SHAPES.join("|")}' `}npm run bench:search${quick ? " -- --quick" : ""}`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`${command}\` (${durationSeconds} s in all): ${DOCS} documents (title 3-8 words, body 20-60, Zipfian over 20,000 words), top ${TOP} per query, one request at a time, ${SAMPLES} samples after ${WARMUP} warm-up.`,
    `Machine: ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}; 1-minute load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${machine.loadAverage1mEnd.toFixed(2)} at end.`,
    `Systems: ${text.labels.impossibledb}; ${text.labels.fts5}; ${text.labels.fts5Object}; ${text.labels.postgres}. CreateSearchIndex's backfill took ${text.backfillSeconds.toFixed(1)} s.`,
    "",
    "| query | ImpossibleDB p50 / p99 (ms) | one FTS5 p50 / p99 | one FTS5 object p50 / p99 | PostgreSQL p50 / p99 | ImpossibleDB p50 / FTS5 p50 | / FTS5 object p50 | / PostgreSQL p50 | same top 10 as FTS5 | documents per phrase |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ...text.rows.map((r) =>
      `| ${r.shape} (\`${r.text}\`) | ${r.impossibledb.p50.toFixed(2)} / ${r.impossibledb.p99.toFixed(2)} | ${r.fts5.p50.toFixed(2)} / ${r.fts5.p99.toFixed(2)} | ${r.fts5Object.p50.toFixed(2)} / ${r.fts5Object.p99.toFixed(2)} | ${r.postgres.p50.toFixed(2)} / ${r.postgres.p99.toFixed(2)} | ${ratio(r.impossibledb.p50, r.fts5.p50)} | ${ratio(r.impossibledb.p50, r.fts5Object.p50)} | ${ratio(r.impossibledb.p50, r.postgres.p50)} | ${r.sameTop ? "yes" : "NO"} | ${r.matches} |`,
    ),
    "",
    "The in-process FTS5 database runs in the benchmark's own process (no network, no RPC); the FTS5 object is the same database on the platform (one HTTP request to a bare Worker, one call to one Durable Object, the documents returned as JSON); ImpossibleDB's figure includes HTTP, Connect, the Worker and one or two passes over 8 shard Durable Objects (one when a shard has at most SEARCH_ONE_PASS_CANDIDATES_MAX candidates).",
    "",
  ].join("\n");
  await mkdir(RESULTS_DIR, { recursive: true });
  const base = path.join(RESULTS_DIR, `search-${quick ? "quick" : "full"}-latest`);
  await writeFile(`${base}.json`, JSON.stringify({ command, seed: SEED, machine, durationSeconds, ...text }, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
  log(`done in ${durationSeconds}s; results in ${path.relative(process.cwd(), base)}.{json,md}`);
  if (text.rows.some((r) => !r.sameTop)) {
    console.error("ImpossibleDB's top 10 differed from the single FTS5 database's for some shape");
    process.exitCode = 1;
  }
} finally {
  await floorHost.stop();
  await postgresSystem.stop();
  await idbSystem.stop();
}

/**
 * `npm run bench:search-ab -- <other worktree> [--quick]`: the search
 * shapes on THIS checkout's ImpossibleDB against ANOTHER checkout's (the
 * code before a change: `git worktree add /tmp/base main`), both 8 shards
 * on local workerd at once and loaded with bench:search's corpus (100,000
 * documents; quick: 10,000), beside the FTS5 Durable Object of
 * bench/floor. Each sample runs a shape once on each system, the order
 * rotating, so a machine whose load moves (2 cores shared with other
 * people's runs) moves all three alike: back-to-back runs of bench:search
 * under a load of 5 to 9 differed by 2x between two runs of the same code.
 * Prints p50 and p99 per system, the p50 ratios to the FTS5 object, and
 * each system's workerd CPU per search (its processes' CPU time over the
 * samples, which a busy machine moves far less than latency).
 *
 * With BENCH_AB_RUNQUERY=1 a last row measures a plain RunQuery of 10
 * documents (no search) on both checkouts, the fan-out's own cost (its
 * FTS5 object column runs the rare term, for scale). With BENCH_AB_VARIED=1
 * a row searches a different rare word each sample (typo tolerance off):
 * the rare term's cold cost, with nothing kept from an earlier search of
 * the same word.
 *
 * Ports: this checkout's BENCH_PORT_BASE (+11 ImpossibleDB, +12 the floor)
 * and BENCH_AB_OTHER_PORT_BASE (default BENCH_PORT_BASE + 1000) for the
 * other checkout's ImpossibleDB. BENCH_SEARCH_SHAPES as in bench:search.
 */
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService } from "../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../gen/impossibledb/v1/query_service_pb.js";
import { PORTS } from "./config.js";
import { createKeepAliveAgent, post } from "./lib/http.js";
import { treeCpuSeconds, workerdPids } from "./lib/cpu.js";
import { currentLoadAverage } from "./lib/machine.js";
import { searchCorpus, searchShapes, wordOf, type SearchDoc, type SearchShape } from "./lib/search-corpus.js";
import { startImpossibleDb, type RunningImpossibleDb } from "./systems/impossibledb.js";
import { startWorkerd } from "./systems/workerd-host.js";
import { waitForCompaction } from "./lib/search-compaction.js";
import { tokenTexts } from "../src/search/tokenizer.js";

const other = process.argv[2];
if (other === undefined || other.startsWith("--")) throw new Error("usage: npm run bench:search-ab -- <other worktree> [--quick]");
const quick = process.argv.includes("--quick");
const DOCS = quick ? 10_000 : 100_000;
const SAMPLES = quick ? 100 : 200;
const WARMUP = 20;
const COLLECTION = "articles";
const TOP = 10;
const SHAPES = process.env["BENCH_SEARCH_SHAPES"]?.split("|") ?? null;
const otherPortBase = Number(process.env["BENCH_AB_OTHER_PORT_BASE"] ?? Number(process.env["BENCH_PORT_BASE"] ?? 19400) + 1000);
const log = (line: string) => console.error(`[bench:search-ab] ${line}`);

type Run = (shape: SearchShape, compiled: string) => Promise<string[]>;

async function loadImpossibleDb(idb: RunningImpossibleDb, docs: readonly SearchDoc[]): Promise<{ run: Run; compile: (shape: SearchShape) => Promise<string>; plain: () => Promise<void> }> {
  const transport = createConnectTransport({ baseUrl: idb.url, httpVersion: "1.1", useBinaryFormat: true, nodeOptions: { agent: createKeepAliveAgent(4) } });
  const collections = createClient(CollectionService, transport);
  const queries = createClient(QueryService, transport);
  for (let i = 0; i < docs.length; i += 500) {
    await collections.batchWriteDocuments({
      writes: docs.slice(i, i + 500).map((d) => ({ ref: { collection: COLLECTION, id: d.id }, operation: { case: "set" as const, value: { title: d.title, body: d.body } } })),
    });
  }
  const admin = createClient(AdminService, transport);
  await admin.createSearchIndex({ index: { collection: COLLECTION, textFields: [{ field: "title", weight: 2 }, { field: "body", weight: 1 }] } });
  // A checkout from before compaction (src/search/compaction.ts) has no uncompacted_shards: it reads 0 there.
  log(`${idb.url}: search index compacted on every shard ${(await waitForCompaction(admin, COLLECTION)).toFixed(1)} s after its backfill`);
  const query = (shape: SearchShape) => ({ collection: COLLECTION, search: { text: shape.text, exact: shape.exact ?? false } });
  return {
    run: async (shape) => (await queries.runQuery({ query: query(shape), pageSize: TOP })).documents.map((d) => d.id),
    compile: async (shape) => (await queries.runQuery({ query: query(shape), pageSize: TOP, explain: true })).plan!.search!.compiled,
    plain: async () => {
      await queries.runQuery({ query: { collection: COLLECTION }, pageSize: TOP });
    },
  };
}

const docs = searchCorpus(DOCS, Number(process.env["BENCH_SEED"] ?? 42));
const { startImpossibleDb: startOther } = (await import(path.resolve(other, "bench/systems/impossibledb.ts"))) as { startImpossibleDb: typeof startImpossibleDb };
const mine = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: 4 });
const theirs = await startOther({ port: otherPortBase + 11, shardCount: 8, socketsMax: 4 });
const beforeFloor = await workerdPids();
const floor = await startWorkerd({ configPath: "bench/floor/wrangler.toml", port: PORTS.floor });
const floorPids = (await workerdPids()).filter((p) => !beforeFloor.includes(p));
try {
  const [a, b] = await Promise.all([loadImpossibleDb(mine, docs), loadImpossibleDb(theirs, docs)]);
  const agent = createKeepAliveAgent(2);
  for (let i = 0; i < docs.length; i += 2000) {
    const rows = docs.slice(i, i + 2000).map((d) => [d.id, tokenTexts(d.title).join(" "), tokenTexts(d.body).join(" "), JSON.stringify({ title: d.title, body: d.body })]);
    const reply = await post(agent, `${floor.url}/fts-load`, JSON.stringify(rows));
    if (reply.status !== 200) throw new Error(`floor /fts-load: HTTP ${reply.status}: ${reply.body}`);
  }
  // Merged into one segment, as ImpossibleDB's shards compact an index at rest.
  const optimized = await post(agent, `${floor.url}/fts-optimize`, "");
  if (optimized.status !== 200) throw new Error(`floor /fts-optimize: HTTP ${optimized.status}: ${optimized.body}`);
  const fts: Run = async (_shape, compiled) => {
    const reply = await post(agent, `${floor.url}/fts-search?limit=${TOP}`, compiled);
    if (reply.status !== 200) throw new Error(`floor /fts-search: HTTP ${reply.status}: ${reply.body}`);
    return (JSON.parse(reply.body) as Array<{ id: string }>).map((r) => r.id);
  };
  log(`loaded ${DOCS} documents into both and the FTS5 object; load average ${currentLoadAverage().toFixed(2)}`);
  const systems: Array<[string, Run, readonly number[]]> = [["this checkout", a.run, mine.serverPids], ["other checkout", b.run, theirs.serverPids], ["FTS5 object", fts, floorPids]];
  const lines = [
    "| query | this checkout p50 / p99 (ms) | other checkout p50 / p99 | FTS5 object p50 / p99 | this / FTS5 object | other / FTS5 object | this / other | workerd CPU per search: this / other / FTS5 object (ms) | load at end |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const shapes = searchShapes().filter((s) => SHAPES === null || SHAPES.includes(s.name));
  const rows: Array<{ shape: SearchShape; label: string; runs: Run[] }> = shapes.map((shape) => ({ shape, label: `${shape.name} (\`${shape.text}\`)`, runs: systems.map(([, run]) => run) }));
  if (process.env["BENCH_AB_RUNQUERY"] === "1") {
    const rare = searchShapes().find((s) => s.name === "rare term")!;
    rows.push({ shape: rare, label: "plain RunQuery of 10 documents (FTS5 object: rare term)", runs: [async () => (await a.plain(), []), async () => (await b.plain(), []), fts] });
  }
  for (const { shape, label, runs } of rows) {
    const compiled = await a.compile(shape);
    if (compiled !== (await b.compile(shape))) throw new Error(`the two checkouts compile ${shape.name} differently`);
    const expected = JSON.stringify(await fts(shape, compiled));
    if (runs[0] === a.run) for (const [name, run] of systems) if (JSON.stringify(await run(shape, compiled)) !== expected) throw new Error(`${name}'s top ${TOP} differs from the FTS5 object's for ${shape.name}`);
    const samples: number[][] = systems.map(() => []);
    let cpu0: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      if (i === WARMUP) cpu0 = await Promise.all(systems.map(([, , pids]) => treeCpuSeconds(pids)));
      for (let k = 0; k < systems.length; k++) {
        const s = (i + k) % systems.length;
        const t0 = performance.now();
        await runs[s]!(shape, compiled);
        if (i >= WARMUP) samples[s]!.push(performance.now() - t0);
      }
    }
    const cpu = (await Promise.all(systems.map(([, , pids]) => treeCpuSeconds(pids)))).map((c, k) => ((c - cpu0[k]!) * 1000) / SAMPLES);
    const [p50, p99] = [0.5, 0.99].map((q) => samples.map((xs) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!));
    const f = (x: number) => x.toFixed(2);
    lines.push(`| ${label} | ${f(p50![0]!)} / ${f(p99![0]!)} | ${f(p50![1]!)} / ${f(p99![1]!)} | ${f(p50![2]!)} / ${f(p99![2]!)} | ${f(p50![0]! / p50![2]!)}x | ${f(p50![1]! / p50![2]!)}x | ${f(p50![0]! / p50![1]!)}x | ${cpu.map(f).join(" / ")} | ${currentLoadAverage().toFixed(2)} |`);
    log(lines[lines.length - 1]!);
  }
  if (process.env["BENCH_AB_VARIED"] === "1") {
    // Every sample a word no sample searched before, of about the rare
    // term's popularity (ranks 4,001 on; the rare term is rank 4,000), typo
    // tolerance off so each system's query is the word alone: nothing a
    // shard keeps between searches of one word (its count, its postings)
    // helps, so this row is the rare term's cold cost.
    const words = Array.from({ length: WARMUP + SAMPLES }, (_, i) => wordOf(4_001 + i));
    const shapeOf = (word: string): SearchShape => ({ name: "rare term, varied", text: word, tsquery: word, exact: true });
    for (const word of words.slice(0, 3)) {
      const expected = JSON.stringify(await fts(shapeOf(word), `"${word}"`));
      for (const [name, run] of systems) if (JSON.stringify(await run(shapeOf(word), `"${word}"`)) !== expected) throw new Error(`${name}'s top ${TOP} differs from the FTS5 object's for ${word}`);
    }
    const samples: number[][] = systems.map(() => []);
    let cpu0: number[] = [];
    // The three words checked above are warm: the samples start after them.
    for (let i = 3; i < words.length; i++) {
      if (i === WARMUP) cpu0 = await Promise.all(systems.map(([, , pids]) => treeCpuSeconds(pids)));
      for (let k = 0; k < systems.length; k++) {
        const s = (i + k) % systems.length;
        const t0 = performance.now();
        await systems[s]![1](shapeOf(words[i]!), `"${words[i]!}"`);
        if (i >= WARMUP) samples[s]!.push(performance.now() - t0);
      }
    }
    const n = words.length - WARMUP;
    const cpu = (await Promise.all(systems.map(([, , pids]) => treeCpuSeconds(pids)))).map((c, k) => ((c - cpu0[k]!) * 1000) / n);
    const [p50, p99] = [0.5, 0.99].map((q) => samples.map((xs) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!));
    const f = (x: number) => x.toFixed(2);
    lines.push(`| rare terms, exact, a different word each sample (ranks 4,001-${4_000 + words.length}) | ${f(p50![0]!)} / ${f(p99![0]!)} | ${f(p50![1]!)} / ${f(p99![1]!)} | ${f(p50![2]!)} / ${f(p99![2]!)} | ${f(p50![0]! / p50![2]!)}x | ${f(p50![1]! / p50![2]!)}x | ${f(p50![0]! / p50![1]!)}x | ${cpu.map(f).join(" / ")} | ${currentLoadAverage().toFixed(2)} |`);
    log(lines[lines.length - 1]!);
  }
  console.log(`${DOCS} documents on 8 shards, ${SAMPLES} samples per system after ${WARMUP} warm-up, interleaved\n\n${lines.join("\n")}`);
} finally {
  await floor.stop();
  await theirs.stop();
  await mine.stop();
}

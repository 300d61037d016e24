/**
 * `npm run bench:profile -- [get|put|batch-get|batch-put|noop|commit2|increment|query|search] [seconds]`: a V8 CPU
 * profile of ImpossibleDB's Worker and objects (one workerd isolate
 * locally) while 8 clients send point gets, point puts, batch gets or
 * batch writes of BATCH_DOCS distinct 1 KB documents (bench:batch's
 * calls; the per-call figures are then per batch), a Connect no-op or
 * two-shard CommitBatch calls (two 1 KB documents on two shards),
 * increments of ONE document (the hot-document workload's call), or a
 * RunQuery of 10 documents over all 8 shards (a fan-out's fixed cost), or
 * a search's top 10 (`"open source"`, 190 of bench:search's quick corpus of
 * 10,000 documents: one pass over 8 shards; PROFILE_SEARCH sets another
 * search text, PROFILE_SEARCH_DOCS another corpus size, e.g. 100000 as
 * bench:search's full run; PROFILE_SEARCH_VARIED=1 a different rare word
 * each call, exact, as bench:search-ab's cold row; PROFILE_SEARCH_WORDS=1
 * the same one every call). Prints the
 * functions with the most self time and the files they live in, and writes
 * the whole profile to bench/results/path.cpuprofile (open it in Chrome's
 * DevTools, Performance panel). For finding where the request path spends
 * its CPU; measures nothing for the record (the profiler itself slows every
 * call).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { RESULTS_DIR, PORTS } from "./config.js";
import { createDocument } from "./lib/document.js";
import { createRandom, recordId } from "./lib/keys.js";
import { createPairChooser } from "./lib/shard-pairs.js";
import { COLLECTION } from "./config.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { QueryService } from "../gen/impossibledb/v1/query_service_pb.js";
import { createKeepAliveAgent } from "./lib/http.js";
import { AdminService } from "../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../gen/impossibledb/v1/collection_service_pb.js";
import { searchCorpus, wordOf } from "./lib/search-corpus.js";
import { waitForCompaction } from "./lib/search-compaction.js";

const INSPECTOR_PORT = PORTS.inspector;
process.env.BENCH_INSPECTOR_PORT = String(INSPECTOR_PORT);
const what = process.argv[2] ?? "get";
const seconds = Number(process.argv[3] ?? 5);
const RECORDS = 500;
const IN_FLIGHT = 8;
/** Documents per batch in the batch-get and batch-put modes (bench:batch's batch size). */
const BATCH_DOCS = 100;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One CDP session over the inspector's WebSocket. */
async function connect(url: string) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  let next = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.error === undefined ? msg.result : Promise.reject(new Error(JSON.stringify(msg.error))));
  });
  return {
    send<T>(method: string, params: object = {}): Promise<T> {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve) => pending.set(id, resolve as (r: unknown) => void));
    },
    close: () => ws.close(),
  };
}

const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: IN_FLIGHT });
try {
  const doc = createDocument(createRandom(1));
  for (let i = 0; i < RECORDS; i += 1) await idb.driver.put(recordId(i), doc);
  const transport = createConnectTransport({ baseUrl: idb.url, httpVersion: "1.1", useBinaryFormat: true, nodeOptions: { agent: createKeepAliveAgent(IN_FLIGHT) } });
  if (what === "search") {
    const corpus = searchCorpus(Number(process.env["PROFILE_SEARCH_DOCS"] ?? 10_000), 42);
    const collections = createClient(CollectionService, transport);
    for (let i = 0; i < corpus.length; i += 500) {
      await collections.batchWriteDocuments({ writes: corpus.slice(i, i + 500).map((d) => ({ ref: { collection: "articles", id: d.id }, operation: { case: "set" as const, value: { title: d.title, body: d.body } } })) });
    }
    const admin = createClient(AdminService, transport);
    await admin.createSearchIndex({ index: { collection: "articles", textFields: [{ field: "title", weight: 2 }, { field: "body", weight: 1 }] } });
    await waitForCompaction(admin, "articles");
  }
  const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as { id: string; title: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => t.webSocketDebuggerUrl !== undefined && !t.id.includes("loopback")) ?? targets[0]!;
  console.error(`profiling ${target.id} (${targets.map((t) => t.id).join(", ")})`);
  const cdp = await connect(target.webSocketDebuggerUrl);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  const pairs = createPairChooser(COLLECTION, Array.from({ length: RECORDS }, (_, i) => recordId(i)));
  const random = createRandom(2);
  const queries = createClient(QueryService, transport);
  let varied = 0;
  const call = (i: number, kind: string = what): Promise<void> => {
    if (kind === "search" && process.env["PROFILE_SEARCH_VARIED"] === "1") {
      return queries.runQuery({ query: { collection: "articles", search: { text: wordOf(4_001 + (varied++ % Number(process.env["PROFILE_SEARCH_WORDS"] ?? 20_000))), exact: true } }, pageSize: 10 }).then(() => undefined);
    }
    if (kind === "search") return queries.runQuery({ query: { collection: "articles", search: { text: process.env["PROFILE_SEARCH"] ?? '"open source"' } }, pageSize: 10 }).then(() => undefined);
    if (kind === "query") return queries.runQuery({ query: { collection: COLLECTION }, pageSize: 10 }).then(() => undefined);
    if (kind === "put") return idb.driver.put(recordId(i % RECORDS), doc);
    // Batch i takes the BATCH_DOCS records after i * BATCH_DOCS, wrapping: distinct ids, spread over every shard.
    const batchIds = () => Array.from({ length: BATCH_DOCS }, (_, k) => recordId((i * BATCH_DOCS + k) % RECORDS));
    if (kind === "batch-get") {
      return idb.driver.batchGet(batchIds()).then((found) => {
        if (found !== BATCH_DOCS) throw new Error(`batch get found ${found} of ${BATCH_DOCS}`);
      });
    }
    if (kind === "batch-put") return idb.driver.batchPut(batchIds().map((id) => [id, doc] as const));
    if (kind === "noop") return idb.probeNoop();
    if (kind === "increment") return idb.driver.increment(recordId(0), "n", 1).then(() => undefined);
    if (kind === "commit2") {
      const [a, b] = pairs.twoShards(random);
      // Two clients may pick overlapping pairs: an ABORTED commit is
      // counted like any other call (its work was done too).
      return idb.driver.tx.commitPair([a, doc], [b, doc]).catch((err: unknown) => {
        if (!String(err).includes("aborted")) throw err;
      });
    }
    return idb.driver.get(recordId(i % RECORDS)).then(() => undefined);
  };
  // PROFILE_WARMUP_S: that many seconds of the same calls (or of
  // PROFILE_WARMUP_WHAT's) before profiling, to see whether a call's cost
  // grows with what earlier calls left behind.
  const warmupEndAt = performance.now() + Number(process.env["PROFILE_WARMUP_S"] ?? 0) * 1000;
  let warmupCalls = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, w) => {
      for (let i = w; performance.now() < warmupEndAt; i += IN_FLIGHT) {
        await call(i, process.env["PROFILE_WARMUP_WHAT"] ?? what);
        warmupCalls += 1;
      }
    }),
  );
  if (warmupCalls > 0) console.error(`${warmupCalls} calls before profiling`);
  await cdp.send("Profiler.start");
  const endAt = performance.now() + seconds * 1000;
  let calls = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, w) => {
      for (let i = w; performance.now() < endAt; i += IN_FLIGHT) {
        await call(i);
        calls += 1;
      }
    }),
  );
  const { profile } = await cdp.send<{ profile: CpuProfile }>("Profiler.stop");
  cdp.close();
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(path.join(RESULTS_DIR, "path.cpuprofile"), JSON.stringify(profile));
  // Self time per node from the samples.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
  const idleUs = [...self.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)").reduce((a, [, v]) => a + v, 0);
  const busyUs = totalUs - idleUs;
  const perFn = new Map<string, number>();
  const perFile = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === "(idle)") continue;
    const file = f.url.split("/").slice(-1)[0] || "(native)";
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    perFn.set(key, (perFn.get(key) ?? 0) + us);
    perFile.set(file, (perFile.get(file) ?? 0) + us);
  }
  console.log(`${calls} ${what} calls in ${seconds} s; busy ${(busyUs / 1000).toFixed(0)} ms of ${(totalUs / 1000).toFixed(0)} ms sampled; ${(busyUs / calls).toFixed(0)} µs busy per call`);
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${((us / busyUs) * 100).toFixed(1).padStart(5)}%  ${(us / calls).toFixed(1).padStart(7)} µs/call  ${k}`);
  console.log("-- self time by function --\n" + top(perFn, 45).join("\n"));
  console.log("-- by file --\n" + top(perFile, 10).join("\n"));
} finally {
  await idb.stop();
}

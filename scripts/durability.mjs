#!/usr/bin/env node
// Crash durability check (R2): runs the local server (scripts/local-server.mjs,
// the Worker on workerd with its state in a temporary directory), drives
// acknowledged writes at it, kills the whole server process tree with SIGKILL
// at a random moment, restarts it on the same state, and checks that
//   - every acknowledged write is there at the version it was acknowledged
//     with, or a later write of this run replaced it (one whose answer was
//     lost in the crash: the check then learns its version);
//   - no write appears that this run never sent;
//   - no multi-document atomic batch (a CommitBatch over two shards) is half
//     applied: both documents of a pair carry the same write.
// Writes: single SetDocument calls, BatchWriteDocuments of three documents,
// and CommitBatch transactions whose two documents sit on different shards
// (found with the real router, src/routing/router.ts). Several workers write
// at once, each to keys of its own, so each key's writes are ordered.
//
//   node scripts/durability.mjs [--trials N] [--seed S] [--workers N]
//                               [--kill-min-ms MS] [--kill-max-ms MS]
//   npm run durability -- --trials 100
//
// Seeded: the seed (printed first) fixes each worker's operations and each
// kill's moment, so a failure replays with --seed. The network's timing is
// not seeded: a replay runs the same schedule, not the same interleaving.
// Requires `npm run build` first (the SDK's dist/).
import { readdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { tsImport } from "tsx/esm/api";
import { ImpossibleDBClient } from "@impossibledb/client";
import { freePort, startLocalServer } from "./local-server.mjs";

/** Keys each worker writes one at a time. */
const SINGLE_KEYS_PER_WORKER = 6;
/** Documents in each BatchWriteDocuments call. */
const BATCH_DOCUMENTS = 3;
/** Two-shard pairs each worker commits atomically. */
const PAIRS_PER_WORKER = 2;
/** How long a call may take before the check gives up on it (its outcome is then unknown). */
const CALL_TIMEOUT_MS = 10_000;
/** How long the killed processes may take to disappear. */
const KILL_WAIT_MS = 10_000;
/** Lines of the server log printed when something fails. */
const LOG_TAIL_LINES = 40;

const SINGLE = "dur_single";
const BATCH = "dur_batch";
const PAIRS = "dur_pairs";

const { values: opts } = parseArgs({
  options: {
    trials: { type: "string", default: "5" },
    seed: { type: "string" },
    workers: { type: "string", default: "4" },
    "kill-min-ms": { type: "string", default: "100" },
    "kill-max-ms": { type: "string", default: "1500" },
  },
});
const trials = positiveInt(opts.trials, "--trials");
const workers = positiveInt(opts.workers, "--workers");
const killMinMs = positiveInt(opts["kill-min-ms"], "--kill-min-ms");
const killMaxMs = positiveInt(opts["kill-max-ms"], "--kill-max-ms");
if (killMaxMs < killMinMs) usage("--kill-max-ms must be at least --kill-min-ms");
const seed = opts.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : positiveInt(opts.seed, "--seed", 0);
console.log(`durability: seed ${seed}, ${trials} trials, ${workers} workers (replay: node scripts/durability.mjs --trials ${trials} --seed ${seed})`);

const workDir = mkdtempSync(path.join(os.tmpdir(), "impossibledb-durability-"));
const stateDir = path.join(workDir, "state");
const logFile = path.join(workDir, "servers.log");
const [workerPort, inspectorPort] = [await freePort(), await freePort()];
let server = null;
let failed = false;
const startedMs = Date.now();

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    void (server?.stop() ?? Promise.resolve()).then(() => {
      rmSync(workDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

try {
  await run();
} catch (err) {
  failed = true;
  console.error(`durability: FAILED (seed ${seed}): ${err instanceof Error ? err.message : String(err)}`);
  printLogTail();
} finally {
  await server?.stop();
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

async function run() {
  server = await start();
  const { createShardRouter } = await tsImport("../src/routing/router.ts", import.meta.url);
  const client = newClient();
  const { table } = await client.services.admin.getRoutingTable({});
  const router = createShardRouter({ version: Number(table.version), shards: table.shards.map((s) => s.id), virtualNodesPerShard: table.virtualNodesPerShard });
  const model = createModel(router);
  const totals = { acknowledged: 0, unknown: 0, checked: 0, adopted: 0 };
  for (let trial = 1; trial <= trials; trial++) {
    const rng = mulberry32(seed ^ Math.imul(trial, 0x9e3779b1));
    const killAfterMs = killMinMs + Math.floor(rng() * (killMaxMs - killMinMs + 1));
    const counts = await workload(model, trial, killAfterMs);
    totals.acknowledged += counts.acknowledged;
    totals.unknown += counts.unknown;
    server = await start();
    const checked = await verify(model, newClient());
    totals.checked += checked.keys;
    totals.adopted += checked.adopted;
    console.log(
      `durability: trial ${trial}/${trials}: killed after ${killAfterMs} ms; ${counts.acknowledged} writes acknowledged, ${counts.unknown} not (${refusedText(counts.refused)}); ` +
        `after restart ${checked.keys} documents and ${checked.pairs} atomic pairs checked, ${checked.adopted} unacknowledged writes found applied`,
    );
  }
  const seconds = ((Date.now() - startedMs) / 1000).toFixed(0);
  console.log(
    `durability: PASSED: ${trials} crashes, ${totals.acknowledged} acknowledged writes, ${totals.unknown} not acknowledged (${totals.adopted} of them found applied), no acknowledged write lost, no atomic pair half applied (seed ${seed}, ${seconds} s)`,
  );
}

/** Starts the Worker on the same port and state as every other start. */
function start() {
  return startLocalServer({ workerPort, inspectorPort, stateDir, output: logFile, frontdoor: false });
}

function newClient() {
  return new ImpossibleDBClient({ baseUrl: `http://127.0.0.1:${workerPort}`, retry: false, timeoutMs: CALL_TIMEOUT_MS });
}

/**
 * What the check knows of each key: the last acknowledged write (seq and
 * version) and the writes sent since whose answers were lost. Each worker
 * owns its keys, so a key's writes happen one after another.
 */
function createModel(router) {
  const keys = new Map();
  const key = (collection, id) => {
    const k = `${collection}/${id}`;
    if (!keys.has(k)) keys.set(k, { collection, id, acked: null, pending: new Set() });
    return keys.get(k);
  };
  const perWorker = [];
  for (let w = 0; w < workers; w++) {
    const singles = Array.from({ length: SINGLE_KEYS_PER_WORKER }, (_, i) => key(SINGLE, `w${w}-s${i}`));
    const batch = Array.from({ length: BATCH_DOCUMENTS }, (_, i) => key(BATCH, `w${w}-b${i}`));
    const pairs = Array.from({ length: PAIRS_PER_WORKER }, (_, p) => {
      const a = `w${w}-p${p}-a`;
      // The second document of a pair on another shard than the first.
      let i = 0;
      while (router.shardFor(PAIRS, `w${w}-p${p}-b${i}`) === router.shardFor(PAIRS, a)) i++;
      return [key(PAIRS, a), key(PAIRS, `w${w}-p${p}-b${i}`)];
    });
    perWorker.push({ singles, batch, pairs });
  }
  return { keys, perWorker, nextSeq: 1 };
}

/** The data of write `seq` to a key: what the check expects to read back. */
function dataFor(seq, entry) {
  return { seq, key: `${entry.collection}/${entry.id}`, fill: "x".repeat(seq % 200) };
}

function acknowledge(entry, seq, version) {
  entry.acked = { seq, version };
  entry.pending.clear();
}

function wireSet(entry, seq) {
  return { ref: { collection: entry.collection, id: entry.id }, operation: { case: "set", value: dataFor(seq, entry) } };
}

/** Runs the workers until the server is killed after `killAfterMs`; counts what was acknowledged and what was cut off. */
async function workload(model, trial, killAfterMs) {
  const client = newClient();
  const counts = { acknowledged: 0, unknown: 0, refused: new Map() };
  // A failed call: cut off by the crash (no answer), or refused by the
  // server with a code (counted by code; its writes are still treated as
  // possibly applied, which only makes the check more lenient, never blind).
  const failed = (err, writes) => {
    counts.unknown += writes;
    const code = err?.code;
    // The workload sends only valid writes: a refusal of one is a bug here,
    // and would leave that kind of write unchecked.
    if (code === 3) throw new Error(`the server refused a write of the workload as invalid: ${err.message}`);
    // connect-node reports a reset connection as ABORTED with the socket's
    // error (ECONNRESET) as its cause: that is a cut-off call, not a refusal.
    const cutOff = typeof err?.cause?.code === "string" || [2, 4, 14].includes(code);
    if (typeof code === "number" && !cutOff) counts.refused.set(code, (counts.refused.get(code) ?? 0) + writes);
  };
  let killed = false;
  const loops = model.perWorker.map(async (mine, w) => {
    const rng = mulberry32(seed ^ Math.imul(trial, 0x85ebca6b) ^ Math.imul(w + 1, 0xc2b2ae35));
    while (!killed) {
      const pick = rng();
      if (pick < 0.5) {
        const entry = mine.singles[Math.floor(rng() * mine.singles.length)];
        const seq = model.nextSeq++;
        entry.pending.add(seq);
        try {
          const res = await client.services.collection.setDocument({ ref: { collection: entry.collection, id: entry.id }, data: dataFor(seq, entry) });
          acknowledge(entry, seq, res.document.version);
          counts.acknowledged++;
        } catch (err) {
          failed(err, 1);
        }
      } else if (pick < 0.75) {
        const seqs = mine.batch.map(() => model.nextSeq++);
        mine.batch.forEach((e, i) => e.pending.add(seqs[i]));
        try {
          const res = await client.services.collection.batchWriteDocuments({ writes: mine.batch.map((e, i) => wireSet(e, seqs[i])) });
          res.statuses.forEach((s, i) => {
            if (s.code !== 0) return;
            acknowledge(mine.batch[i], seqs[i], res.results[i].version);
            counts.acknowledged++;
          });
        } catch (err) {
          failed(err, seqs.length);
        }
      } else {
        const pair = mine.pairs[Math.floor(rng() * mine.pairs.length)];
        const seq = model.nextSeq++;
        pair.forEach((e) => e.pending.add(seq));
        try {
          const res = await client.services.transaction.commitBatch({ writes: pair.map((e) => wireSet(e, seq)) });
          pair.forEach((e, i) => acknowledge(e, seq, res.results[i].version));
          counts.acknowledged += 2;
        } catch (err) {
          failed(err, 2);
        }
      }
    }
  });
  await new Promise((resolve) => setTimeout(resolve, killAfterMs));
  // No new calls from here: the calls in flight are the ones the crash cuts off.
  killed = true;
  await killServer();
  await Promise.all(loops);
  return counts;
}

/** SIGKILLs every process of the server trees at once, and waits until they are gone. */
async function killServer() {
  const tree = processTree(server.pids);
  for (const pid of tree) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + KILL_WAIT_MS;
  while (tree.some(alive)) {
    if (Date.now() > deadline) throw new Error(`processes ${tree.filter(alive).join(", ")} survived SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await server.stop();
  server = null;
}

/** The pids under (and including) `roots`, from /proc. */
function processTree(roots) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat === null) continue;
    if (!children.has(stat.ppid)) children.set(stat.ppid, []);
    children.get(stat.ppid).push(Number(name));
  }
  const out = [];
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.shift();
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: read after the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

function alive(pid) {
  const stat = readStat(pid);
  return stat !== null && stat.state !== "Z";
}

/** Reads every key back and checks it against the model; throws on the first violation. */
async function verify(model, client) {
  let keys = 0;
  let adopted = 0;
  const seen = new Map();
  for (const entry of model.keys.values()) {
    const doc = await getDocument(client, entry);
    const where = `${entry.collection}/${entry.id}`;
    keys++;
    if (doc === null) {
      if (entry.acked !== null) throw new Error(`${where}: LOST: acknowledged write ${entry.acked.seq} (version ${entry.acked.version}) is missing`);
      entry.pending.clear();
      seen.set(where, null);
      continue;
    }
    const seq = doc.data?.seq;
    if (JSON.stringify(doc.data) !== JSON.stringify(dataFor(seq, entry))) throw new Error(`${where}: holds data no write of this run sent: ${JSON.stringify(doc.data).slice(0, 200)}`);
    if (entry.acked !== null && seq === entry.acked.seq) {
      if (doc.version !== entry.acked.version) throw new Error(`${where}: write ${seq} was acknowledged at version ${entry.acked.version} but reads back at ${doc.version}`);
    } else if (entry.pending.has(seq)) {
      // A write whose answer the crash cut off, applied after all: now known.
      acknowledge(entry, seq, doc.version);
      adopted++;
    } else {
      const expected = entry.acked === null ? "no document" : `write ${entry.acked.seq}`;
      throw new Error(`${where}: LOST or STALE: reads write ${seq}, expected ${expected} or one of the cut-off writes [${[...entry.pending].join(", ")}]`);
    }
    entry.pending.clear();
    seen.set(where, seq);
  }
  let pairs = 0;
  for (const mine of model.perWorker) {
    for (const [a, b] of mine.pairs) {
      const sa = seen.get(`${a.collection}/${a.id}`);
      const sb = seen.get(`${b.collection}/${b.id}`);
      if (sa !== sb) throw new Error(`HALF APPLIED: atomic pair ${a.id} + ${b.id} reads writes ${sa} and ${sb}`);
      pairs++;
    }
  }
  return { keys, pairs, adopted };
}

async function getDocument(client, entry) {
  try {
    const res = await client.services.collection.getDocument({ ref: { collection: entry.collection, id: entry.id } });
    return res.document;
  } catch (err) {
    if (err?.code === 5) return null; // NOT_FOUND
    throw err;
  }
}

/** "N refused with CODE, …" for the failed writes the server answered, by Connect code; the rest were cut off. */
function refusedText(refused) {
  if (refused.size === 0) return "all cut off";
  const names = { 1: "CANCELED", 3: "INVALID_ARGUMENT", 5: "NOT_FOUND", 6: "ALREADY_EXISTS", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION", 10: "ABORTED", 13: "INTERNAL" };
  return [...refused].map(([code, n]) => `${n} refused with ${names[code] ?? code}`).join(", ") + ", the rest cut off";
}

/** A small seeded generator (mulberry32): uniform in [0, 1). */
function mulberry32(a) {
  let t = a >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function positiveInt(text, name, min = 1) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) usage(`${name} must be an integer >= ${min}, got ${text}`);
  return n;
}

function usage(message) {
  console.error(`durability: ${message}`);
  process.exit(2);
}

function printLogTail() {
  try {
    const lines = readFileSync(logFile, "utf8").trimEnd().split("\n");
    console.error(`durability: last ${Math.min(LOG_TAIL_LINES, lines.length)} lines of the server log:`);
    console.error(lines.slice(-LOG_TAIL_LINES).join("\n"));
  } catch {
    // No log: the server never started.
  }
}

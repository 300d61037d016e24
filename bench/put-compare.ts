/**
 * `npx tsx bench/put-compare.ts [--base <worktree>] [--rounds N] [--seconds S] [--op put|get|batch-get|batch-put]`:
 * point puts (SetDocument of one 1 KB YCSB record, zipfian keys, 8 in
 * flight; with `--op get`, point gets of those records instead; with
 * `--op batch-get` or `--op batch-put`, bench:batch's calls: batches of
 * BATCH_DOCS distinct records, BATCH_IN_FLIGHT in flight, figures per
 * document) on
 * ImpossibleDB beside the floor's, in ONE run, the
 * systems taking turns for N rounds (4 by default) of S seconds (4), so a
 * shared machine's load falls on each alike. With `--base`, a second
 * ImpossibleDB is built from another worktree (e.g. main checked out
 * beside this one, with its node_modules linked) and takes its turn too:
 * old code against new, back to back. Prints, pooled over the rounds,
 * puts/s, workerd CPU per put (from /proc, Worker and shards together)
 * and p50, with each ratio to the floor and new ÷ old. Issue 13's point-put
 * comparison (docs/benchmarks.md, "Point put"). Writes nothing.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PORTS } from "./config.js";
import { createDocument } from "./lib/document.js";
import { createKeyChooser, createRandom, distinctKeys, recordId } from "./lib/keys.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { runProbe, type ProbeResult } from "./lib/profile.js";
import { startFloor } from "./systems/floor.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import type { RunningSystem } from "./systems/types.js";

const argAfter = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i === -1 ? undefined : process.argv[i + 1];
};
const base = argAfter("--base");
const ROUNDS = Number(argAfter("--rounds") ?? 4);
const OP = argAfter("--op") ?? "put";
if (!["put", "get", "batch-get", "batch-put"].includes(OP)) throw new Error(`--op ${OP}: give put, get, batch-get or batch-put`);
const BATCH = OP.startsWith("batch-");
/** Documents per batch call and batch calls in flight: bench:batch's (config.ts MODES). */
const BATCH_DOCS = 100;
const BATCH_IN_FLIGHT = 4;
const SECONDS = Number(argAfter("--seconds") ?? 4);
const RECORDS = 2_000;
const IN_FLIGHT = 8;
const SEED = 20261201;
const log = (line: string) => console.error(`[put-compare] ${line}`);

type Start = typeof startImpossibleDb;
const systems: RunningSystem[] = [];
try {
  const machine = machineInfo();
  log(`${ROUNDS} rounds of ${SECONDS} s on ${machine.nproc} cores, load average ${machine.loadAverage1mStart.toFixed(2)}`);
  const floor = await startFloor({ port: PORTS.floor, socketsMax: IN_FLIGHT });
  systems.push(floor);
  const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: IN_FLIGHT });
  systems.push(idb);
  const contenders: Array<{ name: string; system: typeof idb | typeof floor }> = [
    { name: "floor", system: floor },
    { name: "ImpossibleDB (this tree)", system: idb },
  ];
  if (base !== undefined) {
    // The other tree's own harness bundles the other tree's Worker.
    const { startImpossibleDb: startBase } = (await import(pathToFileURL(path.resolve(base, "bench/systems/impossibledb.ts")).href)) as { startImpossibleDb: Start };
    const old = await startBase({ port: PORTS.cacheOff, shardCount: 8, socketsMax: IN_FLIGHT });
    systems.push(old);
    contenders.push({ name: `ImpossibleDB (${base})`, system: old });
  }
  const doc = createDocument(createRandom(SEED));
  for (const { system } of contenders) for (let i = 0; i < RECORDS; i += 1) await system.driver.put(recordId(i), doc);
  const key = createKeyChooser(RECORDS, SEED);
  const options = { concurrency: BATCH ? BATCH_IN_FLIGHT : IN_FLIGHT, warmupMs: 500, measureMs: SECONDS * 1000 };
  const random = createRandom(SEED + 1);
  const results = new Map<string, ProbeResult[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    // Each round in another order, so no system always follows the same one.
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const { name, system } of order) {
      const call = (id: string) => (OP === "get" ? async () => void (await system.driver.get(id)) : () => system.driver.put(id, doc));
      const batchCall = () => {
        const ids = distinctKeys(key, BATCH_DOCS, RECORDS);
        if (OP === "batch-put") {
          const entries = ids.map((id) => [id, createDocument(random)] as const);
          return () => system.driver.batchPut(entries);
        }
        return async () => {
          const found = await system.driver.batchGet(ids);
          if (found !== ids.length) throw new Error(`batch get found ${found} of ${ids.length}`);
        };
      };
      // Per document: a batch call's rate and CPU divided by its documents.
      const perCall = await runProbe(name, system.serverPids, BATCH ? batchCall : () => call(key()), options);
      const docs = BATCH ? BATCH_DOCS : 1;
      const r = { ...perCall, opsPerSecond: perCall.opsPerSecond * docs, serverCpuUsPerOp: perCall.serverCpuUsPerOp / docs };
      results.get(name)!.push(r);
      log(`round ${round + 1}: ${name}: ${r.opsPerSecond.toFixed(0)} ${OP}s/s, ${r.serverCpuUsPerOp.toFixed(0)} µs CPU/${OP} (load ${currentLoadAverage().toFixed(2)})`);
    }
  }
  // Pooled: total calls over total time, total CPU over total calls (each round ran the same time).
  const pooled = (name: string) => {
    const rs = results.get(name)!;
    const ops = rs.reduce((s, r) => s + r.opsPerSecond, 0) / rs.length;
    const cpu = rs.reduce((s, r) => s + r.serverCpuUsPerOp * r.opsPerSecond, 0) / rs.reduce((s, r) => s + r.opsPerSecond, 0);
    const p50 = [...rs.map((r) => r.p50Ms)].sort((a, b) => a - b)[Math.floor(rs.length / 2)]!;
    return { ops, cpu, p50 };
  };
  const floorFig = pooled("floor");
  console.log(`load average ${machine.loadAverage1mStart.toFixed(2)} → ${currentLoadAverage().toFixed(2)}, ${machine.nproc} cores; ${ROUNDS} rounds of ${SECONDS} s, ${IN_FLIGHT} in flight`);
  console.log(`| system | ${OP}s/s | ÷ floor | workerd CPU µs/${OP} | floor ÷ this (CPU) | p50 ms (median round) |\n| --- | ---: | ---: | ---: | ---: | ---: |`);
  for (const { name } of contenders) {
    const f = pooled(name);
    console.log(`| ${name} | ${f.ops.toFixed(0)} | ${(f.ops / floorFig.ops).toFixed(2)}x | ${f.cpu.toFixed(0)} | ${(floorFig.cpu / f.cpu).toFixed(2)}x | ${f.p50.toFixed(2)} |`);
  }
  if (base !== undefined) {
    const now = pooled(contenders[1]!.name);
    const old = pooled(contenders[2]!.name);
    console.log(`this tree ÷ ${base}: ${OP}s/s ${(now.ops / old.ops).toFixed(2)}x, CPU per ${OP} ${(now.cpu / old.cpu).toFixed(2)}x`);
  }
} finally {
  for (const system of systems.reverse()) await system.stop().catch(() => undefined);
}

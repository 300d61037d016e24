/**
 * `npm run bench:path [-- --quick]`: the request path's profile alone (the
 * probes at the end of `npm run bench`): workerd CPU per request and
 * requests/s for the floor's bare Worker, its Durable Object call, its point
 * get and put, and ImpossibleDB's Connect no-op, point get and point put, in
 * one run. For iterating on the request path; writes nothing. A minute or so.
 */
import { MODES, PORTS } from "./config.js";
import { createDocument } from "./lib/document.js";
import { createKeyChooser, createRandom, recordId } from "./lib/keys.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { runProbe } from "./lib/profile.js";
import { startFloor } from "./systems/floor.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import type { RunningSystem } from "./systems/types.js";

const mode = MODES[process.argv.includes("--quick") ? "quick" : "full"];
const SEED = 20261130;
const log = (line: string) => console.error(`[bench:path] ${line}`);
const RECORDS = 2_000;

const systems: RunningSystem[] = [];
try {
  const machine = machineInfo();
  log(`${mode.name} mode on ${machine.nproc} cores, load average ${machine.loadAverage1mStart.toFixed(2)}`);
  const floor = await startFloor({ port: PORTS.floor, socketsMax: mode.concurrency });
  systems.push(floor);
  const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: mode.concurrency });
  systems.push(idb);
  const doc = createDocument(createRandom(SEED));
  for (const system of [floor, idb]) {
    for (let i = 0; i < RECORDS; i += 1) await system.driver.put(recordId(i), doc);
  }
  const key = createKeyChooser(RECORDS, SEED);
  const options = { concurrency: mode.concurrency, warmupMs: mode.warmupMs, measureMs: mode.probeMs };
  const probes = [
    await runProbe("floor: HTTP + Worker only (/noop)", floor.serverPids, () => () => floor.probeWorker(), options),
    await runProbe("floor: + DO call, no SQL (/do-noop)", floor.serverPids, () => () => floor.probeDoCall(), options),
    await runProbe("floor: 8 DO calls in parallel, no SQL (/do-fanout?n=8)", floor.serverPids, () => () => floor.probeFanOut(8), options),
    await runProbe("floor: point get", floor.serverPids, () => { const id = key(); return async () => void (await floor.driver.get(id)); }, options),
    await runProbe("floor: point put", floor.serverPids, () => { const id = key(); return () => floor.driver.put(id, doc); }, options),
    await runProbe("ImpossibleDB: Connect no-op (GetRoutingTable)", idb.serverPids, () => () => idb.probeNoop(), options),
    await runProbe("ImpossibleDB: point get", idb.serverPids, () => { const id = key(); return async () => void (await idb.driver.get(id)); }, options),
    await runProbe("ImpossibleDB: point put", idb.serverPids, () => { const id = key(); return () => idb.driver.put(id, doc); }, options),
  ];
  const floorOf = (name: string) => probes.find((p) => p.probe === name)!;
  console.log(`load average ${machine.loadAverage1mStart.toFixed(2)} → ${currentLoadAverage().toFixed(2)}, ${machine.nproc} cores`);
  console.log(`| probe | req/s | workerd CPU µs/req | p50 ms (${options.concurrency} in flight) |\n| --- | ---: | ---: | ---: |`);
  for (const p of probes) console.log(`| ${p.probe} | ${Math.round(p.opsPerSecond)} | ${p.serverCpuUsPerOp.toFixed(0)} | ${p.p50Ms.toFixed(2)} |`);
  const ratio = (a: string, b: string) => (floorOf(a).opsPerSecond / floorOf(b).opsPerSecond).toFixed(2);
  console.log(`point get / floor: ${ratio("ImpossibleDB: point get", "floor: point get")}x; point put / floor: ${ratio("ImpossibleDB: point put", "floor: point put")}x (req/s, same run)`);
} finally {
  for (const system of systems.reverse()) await system.stop().catch(() => undefined);
}

/**
 * The listen phase: how long a write's event takes to reach listeners, and
 * what listeners cost the writers. For each listener count (1, 10, 100, all
 * on one collection), in one run:
 *
 * 1. without listeners: write throughput (closed loop, the mode's
 *    concurrency), a plain get's latency and a plain write's (one in
 *    flight);
 * 2. N listeners are opened on the whole collection, each waited for until
 *    its snapshot is complete (current);
 * 3. event delay: ONE writer, each write's acknowledgement time noted, then
 *    the time each listener received that write's event; the next write
 *    goes once every listener has it (or after `eventWaitMsMax`), so each
 *    delay is measured on a system with nothing else in flight. A delay is
 *    negative when the event arrived before the acknowledgement; it is
 *    recorded as such (signed-histogram.ts);
 * 4. with the listeners attached: the same get and the same write
 *    throughput (listeners receiving every write), then the time the
 *    listeners took to receive every one of those writes' events;
 * 5. the listeners are closed.
 *
 * Both times are the harness's one clock (performance.now()), read when the
 * write's promise resolves and when the listener's message is yielded, so a
 * delay includes the client's decoding of the message; with 100 listeners
 * the last of them waits behind the other 99 in the harness's event loop.
 *
 * What the change log itself costs a write (every write now also inserts a
 * change-log row) is not measured: that needs a build without the log, which
 * cannot run beside this one in the same run.
 */
import type { ModeSettings } from "../config.js";
import type { Document, RunningSystem } from "../systems/types.js";
import type { ListenDriver, OpenListener, ReceivedChange } from "../systems/extensions.js";
import { startCpuMeter } from "./cpu.js";
import { createDocument } from "./document.js";
import { createRandom } from "./keys.js";
import { closedLoop, newHistogram, summarize, type Operation } from "./loops.js";
import type { LatencySummary } from "./results.js";
import { createSignedHistogram } from "./signed-histogram.js";
import type * as hdr from "hdr-histogram-js";
import type { PhaseTiming } from "./extended-phases.js";

/** How the phase runs in each mode. */
export interface ListenSettings {
  /** Documents in the listen collection (written before any listener opens; every write overwrites one). */
  readonly documents: number;
  /** Writes of the delay measurement that are not counted (the first after the listeners opened). */
  readonly delayWarmupWrites: number;
  /** Most writes in one delay measurement, and most time it takes (whichever ends it first). */
  readonly delayWritesMax: number;
  readonly delayMeasureMs: number;
  /** Longest wait for every listener to receive one write's event before the next write goes. */
  readonly eventWaitMsMax: number;
  /** Plain get (one in flight). */
  readonly get: PhaseTiming;
  /** Write throughput (the mode's concurrency in flight). */
  readonly put: PhaseTiming;
  /** Longest wait after the throughput run for the listeners to receive its events. */
  readonly drainMsMax: number;
  /** Listeners opened at once while attaching N. */
  readonly openConcurrency: number;
}

/** The event delays of one listener count, microseconds, signed. */
export interface EventDelay {
  /** Writes counted, each seen by every listener unless missing. */
  readonly writes: number;
  readonly events: number;
  /** Events that never arrived (counted writes × listeners − events). */
  readonly missing: number;
  /** Events received more than once. */
  readonly duplicates: number;
  /** Events that arrived before their write's acknowledgement (negative delays). */
  readonly negative: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly minUs: number;
  readonly maxUs: number;
  /** The writer's own latency (write sent → acknowledged) in the same measurement. */
  readonly writeAck: LatencySummary;
  /** Write sent → event received (the acknowledgement's latency plus the delay), µs. */
  readonly fromSentP50Us: number;
  readonly fromSentP99Us: number;
  /** Both sides of the signed histogram, HdrHistogram's compressed form. */
  readonly hdr: { nonNegative: string; negativeMagnitudes: string };
}

/** A write throughput run. */
export interface PutThroughput {
  readonly opsPerSecond: number;
  readonly p50Us: number;
  readonly errors: number;
  readonly firstError: string | null;
  /** Server CPU per write (warm-up included), µs: steadier than throughput on a shared machine. */
  readonly serverCpuUsPerOp: number;
}

/** With listeners: how far the listeners kept up with the throughput run's writes. */
export interface ListenerCatchUp {
  /** Acknowledged writes × listeners. */
  readonly eventsExpected: number;
  readonly eventsReceived: number;
  /** From the run's end until every event had arrived (or drainMsMax, if some never did). */
  readonly drainMs: number;
}

/** One listener count's figures. */
export interface ListenRun {
  readonly listeners: number;
  /** Time to open every listener until all were current. */
  readonly openSeconds: number;
  readonly delay: EventDelay;
  readonly getWithout: LatencySummary;
  readonly getWith: LatencySummary;
  /** A plain write's latency without listeners, one in flight (the same timing as the get): the writer's side of the delay measurement, without them. */
  readonly writeWithout: LatencySummary;
  readonly putWithout: PutThroughput;
  readonly putWith: PutThroughput & ListenerCatchUp;
  /** Listeners whose stream failed during the run. */
  readonly listenerFailures: number;
}

/** What one system did in the phase. */
export interface ListenResult {
  readonly system: string;
  readonly documents: number;
  readonly runs: ListenRun[];
  /** Events that never arrived, or listeners that failed: each a failure of the run. */
  readonly failures: string[];
}

/** How often the harness checks whether the listeners have caught up, ms. */
const CATCH_UP_POLL_MS = 5;

/** Runs the phase on `system` for each of `listenerCounts`; null when the system has no listeners. */
export async function runListen(
  system: RunningSystem,
  settings: ListenSettings,
  mode: ModeSettings,
  listenerCounts: readonly number[],
  seed: number,
  log: (line: string) => void,
): Promise<ListenResult | null> {
  const driver = system.driver.listen;
  if (driver === undefined) return null;
  const ids = Array.from({ length: settings.documents }, (_, i) => `l${String(i).padStart(5, "0")}`);
  const base = createDocument(createRandom(seed));
  for (const id of ids) await driver.write(id, base);
  const runs: ListenRun[] = [];
  const failures: string[] = [];
  for (const listeners of listenerCounts) {
    const run = await runOneCount({ system, driver, settings, mode, ids, base, listeners, seed: seed + listeners, log });
    runs.push(run);
    log(describeListenRun(run));
    if (run.delay.missing > 0) failures.push(`${system.id}: ${run.delay.missing} of ${run.delay.writes * listeners} events never reached their listener (${listeners} listeners)`);
    if (run.delay.duplicates > 0) failures.push(`${system.id}: ${run.delay.duplicates} events arrived twice (${listeners} listeners)`);
    if (run.listenerFailures > 0) failures.push(`${system.id}: ${run.listenerFailures} of ${listeners} listeners failed`);
  }
  return { system: system.id, documents: settings.documents, runs, failures };
}

interface OneCount {
  readonly system: RunningSystem;
  readonly driver: ListenDriver;
  readonly settings: ListenSettings;
  readonly mode: ModeSettings;
  readonly ids: readonly string[];
  readonly base: Document;
  readonly listeners: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

/**
 * Where the listeners' events go: the delay measurement's receive times by
 * (write, listener), and a count of the throughput run's events. Writes are
 * told apart by two fields the harness adds to each document: `run` (which
 * measurement) and `seq` (which write of it).
 */
class EventSink {
  /** Receive time of write `seq`'s event at listener `l`: received[seq * listeners + l]; NaN until it arrives. */
  readonly received: Float64Array;
  /** Listeners that have received each write's event. */
  readonly seen: Uint32Array;
  duplicates = 0;
  throughputEvents = 0;

  constructor(
    private readonly delayRun: string,
    private readonly throughputRun: string,
    private readonly listeners: number,
    writesMax: number,
  ) {
    this.received = new Float64Array(writesMax * listeners).fill(NaN);
    this.seen = new Uint32Array(writesMax);
  }

  /** The callback for listener `l`. */
  forListener(l: number): (changes: readonly ReceivedChange[], receivedMs: number) => void {
    return (changes, receivedMs) => {
      for (const { data } of changes) {
        if (data["run"] === this.throughputRun) {
          this.throughputEvents++;
          continue;
        }
        if (data["run"] !== this.delayRun) continue;
        const seq = Number(data["seq"]);
        if (!Number.isInteger(seq) || seq < 0 || seq >= this.seen.length) throw new Error(`an event carries an unknown write number: ${data["seq"]}`);
        const at = seq * this.listeners + l;
        if (!Number.isNaN(this.received[at]!)) {
          this.duplicates++;
          continue;
        }
        this.received[at] = receivedMs;
        this.seen[seq]!++;
      }
    };
  }
}

async function runOneCount(c: OneCount): Promise<ListenRun> {
  const { driver, settings, mode, ids, base, listeners } = c;
  const random = createRandom(c.seed);
  const randomId = () => ids[Math.floor(random() * ids.length)]!;
  const read = () => {
    const id = randomId();
    return () => driver.read(id);
  };
  const tag = (run: string, seq: number): Document => ({ ...base, run, seq: String(seq) });

  // 1. Without listeners. The warm-up writes also wake any feed call still
  // held for the listeners of the count before, so none is left to count here.
  const putWithout = await putThroughput(c, `put-0-before-${listeners}`, () => {});
  const getWithout = summarize((await closedLoop(read, { concurrency: 1, ...settings.get })).histogram);
  let writeSeq = 0;
  const writeOne = () => {
    const id = randomId();
    const data = tag(`write-0-before-${listeners}`, writeSeq++);
    return () => driver.write(id, data);
  };
  const writeWithout = summarize((await closedLoop(writeOne, { concurrency: 1, ...settings.get })).histogram);

  // 2. Attach the listeners.
  const delayRun = `delay-${listeners}`;
  const throughputRun = `put-${listeners}`;
  const sink = new EventSink(delayRun, throughputRun, listeners, settings.delayWarmupWrites + settings.delayWritesMax);
  const t0 = performance.now();
  const open: OpenListener[] = [];
  try {
    for (let next = 0; next < listeners; next += settings.openConcurrency) {
      const batch = Array.from({ length: Math.min(settings.openConcurrency, listeners - next) }, (_, i) => driver.open(sink.forListener(next + i)));
      // Keep every listener that did open, so the finally below closes it even when another failed.
      const settled = await Promise.allSettled(batch);
      for (const s of settled) if (s.status === "fulfilled") open.push(s.value);
      const refused = settled.find((s) => s.status === "rejected");
      if (refused !== undefined) throw refused.reason;
    }
    const openSeconds = (performance.now() - t0) / 1000;
    c.log(`listen ${c.system.id}: ${listeners} listeners current in ${openSeconds.toFixed(1)} s`);

    // 3. Event delay, one write at a time.
    const delay = await measureDelay(c, sink, (seq) => tag(delayRun, seq));

    // 4. With the listeners attached.
    const getWith = summarize((await closedLoop(read, { concurrency: 1, ...settings.get })).histogram);
    let acked = 0;
    const putWith = await putThroughput(c, throughputRun, () => acked++);
    const drainFrom = performance.now();
    const drainEnd = drainFrom + settings.drainMsMax;
    while (sink.throughputEvents < acked * listeners && performance.now() < drainEnd) await sleep(CATCH_UP_POLL_MS);
    const catchUp: ListenerCatchUp = { eventsExpected: acked * listeners, eventsReceived: sink.throughputEvents, drainMs: performance.now() - drainFrom };
    const listenerFailures = open.filter((l) => l.failure !== null).length;
    return { listeners, openSeconds, delay, getWithout, getWith, writeWithout, putWithout, putWith: { ...putWith, ...catchUp }, listenerFailures };
  } finally {
    // 5. Close every listener that opened, even when the run failed.
    await Promise.all(open.map((l) => l.close()));
  }
}

/** Write throughput on the listen collection, each write tagged `run`; `onAck` is called per acknowledged write. */
async function putThroughput(c: OneCount, run: string, onAck: () => void): Promise<PutThroughput> {
  let seq = 0;
  const random = createRandom(c.seed ^ 0x5bd1e995);
  const next = (): Operation => {
    const id = c.ids[Math.floor(random() * c.ids.length)]!;
    const data = { ...c.base, run, seq: String(seq++) };
    return async () => {
      await c.driver.write(id, data);
      onAck();
    };
  };
  const meter = await startCpuMeter(c.system.serverPids);
  const result = await closedLoop(next, { concurrency: c.mode.concurrency, ...c.settings.put });
  const cpu = await meter.stop();
  return {
    opsPerSecond: result.opsPerSecond,
    p50Us: result.histogram.getValueAtPercentile(50),
    errors: result.errors,
    firstError: result.firstError,
    serverCpuUsPerOp: (cpu.serverCpuSeconds * 1e6) / Math.max(1, result.allOps),
  };
}

/** The delay measurement: one write at a time, each followed by a wait for every listener's event. */
async function measureDelay(c: OneCount, sink: EventSink, dataOf: (seq: number) => Document): Promise<EventDelay> {
  const { settings, listeners } = c;
  const writesMax = settings.delayWarmupWrites + settings.delayWritesMax;
  const sentMs = new Float64Array(writesMax).fill(NaN);
  const ackMs = new Float64Array(writesMax).fill(NaN);
  const ackLatency = newHistogram();
  let measureEnd = Infinity;
  let writes = 0;
  for (let seq = 0; seq < writesMax && performance.now() < measureEnd; seq++) {
    if (seq === settings.delayWarmupWrites) measureEnd = performance.now() + settings.delayMeasureMs;
    const data = dataOf(seq);
    const id = c.ids[seq % c.ids.length]!;
    const sent = performance.now();
    sentMs[seq] = sent;
    await c.driver.write(id, data);
    ackMs[seq] = performance.now();
    if (seq >= settings.delayWarmupWrites) ackLatency.recordValue(Math.max(1, Math.round((ackMs[seq]! - sent) * 1000)));
    writes = seq + 1;
    const waitEnd = performance.now() + settings.eventWaitMsMax;
    while (sink.seen[seq]! < listeners && performance.now() < waitEnd) await sleep(CATCH_UP_POLL_MS);
  }
  // Events still missing get one last wait, so a slow event counts as slow, not as missing.
  const lastWait = performance.now() + settings.eventWaitMsMax;
  const allSeen = () => sink.seen.subarray(settings.delayWarmupWrites, writes).every((n) => n >= listeners);
  while (!allSeen() && performance.now() < lastWait) await sleep(CATCH_UP_POLL_MS);
  return summarizeDelays(sink, { sentMs, ackMs }, settings.delayWarmupWrites, writes, listeners, ackLatency);
}

/** The delays of writes [from, to) over every listener, from the sink's receive times and the writes' send and acknowledgement times. */
function summarizeDelays(
  sink: EventSink,
  { sentMs, ackMs }: { sentMs: Float64Array; ackMs: Float64Array },
  from: number,
  to: number,
  listeners: number,
  ackLatency: hdr.Histogram,
): EventDelay {
  const delays = createSignedHistogram();
  const fromSent = createSignedHistogram();
  let missing = 0;
  for (let seq = from; seq < to; seq++) {
    for (let l = 0; l < listeners; l++) {
      const at = sink.received[seq * listeners + l]!;
      if (Number.isNaN(at)) missing++;
      else {
        delays.record(at - ackMs[seq]!);
        fromSent.record(at - sentMs[seq]!);
      }
    }
  }
  return {
    writes: to - from,
    events: delays.count,
    missing,
    duplicates: sink.duplicates,
    negative: delays.negativeCount,
    p50Us: delays.percentileUs(50),
    p99Us: delays.percentileUs(99),
    minUs: delays.minUs,
    maxUs: delays.maxUs,
    writeAck: summarize(ackLatency),
    fromSentP50Us: fromSent.percentileUs(50),
    fromSentP99Us: fromSent.percentileUs(99),
    hdr: delays.encode(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const msOf = (us: number) => (us / 1000).toFixed(2);

/** One log line for a listener count. */
export function describeListenRun(r: ListenRun): string {
  const d = r.delay;
  return (
    `listen ${r.listeners} listeners: event delay p50 ${msOf(d.p50Us)} ms, p99 ${msOf(d.p99Us)} ms (min ${msOf(d.minUs)}, ${d.negative} negative, ${d.missing} missing, over ${d.writes} writes); ` +
    `get p50 ${msOf(r.getWithout.p50Us)} ms without, ${msOf(r.getWith.p50Us)} ms with; ` +
    `writes/s ${Math.round(r.putWithout.opsPerSecond)} without, ${Math.round(r.putWith.opsPerSecond)} with (${(r.putWith.opsPerSecond / r.putWithout.opsPerSecond).toFixed(2)}x); ` +
    `listeners received ${r.putWith.eventsReceived}/${r.putWith.eventsExpected} of that run's events, the last ${(r.putWith.drainMs / 1000).toFixed(1)} s after it`
  );
}

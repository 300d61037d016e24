/**
 * The listen phase's tables (listen-phase.ts) and its goal from the Listen
 * issue: a write's event reaches 100 listeners within 2x a plain get's p50.
 * Reported, never asserted. Used by the full report and by bench/listen.ts.
 */
import type { ListenResult, ListenSettings } from "./listen-phase.js";

/** The goal: event delay p50 with this many listeners … */
export const LISTEN_GOAL_LISTENERS = 100;
/** … at most this many times a plain get's p50. */
export const LISTEN_GOAL_RATIO_MAX = 2;

const num = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (us: number) => (Number.isFinite(us) ? (us / 1000).toFixed(Math.abs(us) < 10_000 ? 2 : 1) : "–");
const x = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : "–");

/** The section's markdown lines for one system's result. */
export function listenSection(r: ListenResult, settings: ListenSettings, concurrency: number, label: string): string[] {
  const lines = [
    `### Listen: event delay with 1, 10 and 100 listeners (${label})`,
    "",
    `Every listener listens to the whole of one collection of ${r.documents} documents (1 KB each) through \`QueryService.Listen\` (Connect binary over HTTP/1.1, one connection per listener). ` +
      `Event delay = from the write's acknowledgement reaching the writer to its event reaching a listener, both on the harness's clock, one write at a time (the next once every listener has the last, or after ${settings.eventWaitMsMax / 1000} s), up to ${settings.delayWritesMax} writes or ${settings.delayMeasureMs / 1000} s after ${settings.delayWarmupWrites} uncounted; ` +
      "one value per (write, listener). Negative = the event arrived before the acknowledgement, reported as measured (a ratio to the get is then negative too). " +
      `Plain get = GetDocument on the same collection, one in flight, ${settings.get.measureMs / 1000} s, without listeners and with them attached (idle); write ack = SetDocument's latency, one in flight, without listeners (${settings.get.measureMs / 1000} s) and in the delay measurement. ` +
      `Write throughput = SetDocument, ${concurrency} in flight, ${settings.put.measureMs / 1000} s, measured just before the listeners open and again with them attached (each receiving every write).`,
    "",
    "| listeners | event delay p50 ms | p99 ms | min ms | max ms | events before ack | missing | write ack p50 ms (no listeners) | write ack p50 ms (listeners attached) | write sent → event p50 ms | p99 ms | plain get p50 ms (no listeners) | get p50 ms (listeners attached) | delay p50 / get p50 | delay p99 / get p50 |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const run of r.runs) {
    const d = run.delay;
    lines.push(
      `| ${run.listeners} | ${ms(d.p50Us)} | ${ms(d.p99Us)} | ${ms(d.minUs)} | ${ms(d.maxUs)} | ${num(d.negative)} of ${num(d.events)} | ${num(d.missing)} | ${ms(run.writeWithout.p50Us)} | ${ms(d.writeAck.p50Us)} | ${ms(d.fromSentP50Us)} | ${ms(d.fromSentP99Us)} | ${ms(run.getWithout.p50Us)} | ${ms(run.getWith.p50Us)} | ${x(d.p50Us, run.getWithout.p50Us)} | ${x(d.p99Us, run.getWithout.p50Us)} |`,
    );
  }
  lines.push(
    "",
    "| listeners | writes/s without | writes/s with | with / without | server CPU µs/write without | with | events received in the run with listeners | all received after |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const run of r.runs) {
    const w = run.putWith;
    const caughtUp = w.eventsReceived >= w.eventsExpected ? `${(w.drainMs / 1000).toFixed(1)} s` : `not within ${(w.drainMs / 1000).toFixed(1)} s`;
    lines.push(
      `| ${run.listeners} | ${num(run.putWithout.opsPerSecond)} | ${num(w.opsPerSecond)} | ${x(w.opsPerSecond, run.putWithout.opsPerSecond)} | ${num(run.putWithout.serverCpuUsPerOp)} | ${num(w.serverCpuUsPerOp)} | ${num(w.eventsReceived)} of ${num(w.eventsExpected)} | ${caughtUp} |`,
    );
  }
  lines.push(
    "",
    "Not measured: what the change log itself costs a write (every write now also stores a change-log row). That needs a build without the log beside this one, which one run cannot hold.",
  );
  return lines;
}

/**
 * The goal row for the Goals table, and two reference rows beside it: the
 * delay counts from the acknowledgement, so a write whose acknowledgement
 * waits behind the listeners' work looks fast by it; what the writer waits
 * for, and what the writers lose, are shown too.
 */
export function listenGoals(r: ListenResult): string[] {
  const run = r.runs.find((z) => z.listeners === LISTEN_GOAL_LISTENERS);
  const get = run?.getWithout.p50Us ?? NaN;
  const n = LISTEN_GOAL_LISTENERS;
  return [
    `| ImpossibleDB event delay (write acknowledged → event) with ${n} listeners / plain get p50 | p50 ${x(run?.delay.p50Us ?? NaN, get)}, p99 ${x(run?.delay.p99Us ?? NaN, get)} | <= ${LISTEN_GOAL_RATIO_MAX}x |`,
    `| (reference) write sent → event p50 with ${n} listeners / plain get p50 | ${x(run?.delay.fromSentP50Us ?? NaN, get)} | (no goal) |`,
    `| (reference) write throughput with ${n} listeners / without | ${x(run?.putWith.opsPerSecond ?? NaN, run?.putWithout.opsPerSecond ?? NaN)} | (no goal) |`,
  ];
}

#!/usr/bin/env -S npx tsx
/**
 * Stress test of the request path (issue 13): thousands of concurrent mixed
 * calls against the real local server, through the real connect-es clients:
 * unary and server-streaming; Connect JSON, Connect binary, Connect GET,
 * connect-web, gRPC-Web (binary and JSON) and gRPC through the front door;
 * small and large bodies (up to 600 KiB); gzip requests and responses;
 * clients that abandon a write mid-call, cancel a stream mid-stream, cut a
 * request body off halfway, or give a deadline of 1 to 50 ms. It fails if
 *   - any call gets INTERNAL, UNKNOWN (what a bare HTTP 5xx reads as),
 *     UNAVAILABLE or any code its kind does not allow, or no protocol
 *     answer at all;
 *   - any call is not answered within its deadline plus a grace (hung);
 *   - any document seen in an answer or stream differs from what was written;
 *   - afterwards, an acknowledged write is not stored exactly, an abandoned
 *     one is stored otherwise than written, or a cut-off body stored anything.
 *
 *   tsx scripts/stress.ts [--calls N] [--concurrency N] [--seed S|random]
 *   npm run stress -- --calls 20000                      (the long run)
 *
 * Against IMPOSSIBLEDB_URL and IMPOSSIBLEDB_GRPC_TARGET when set (the e2e
 * harness sets them); otherwise it starts a local server of its own (Worker
 * and front door, fresh state, free ports; `npm run build` first) and also
 * fails if the server logged an internal error. Seeded: the same seed plans
 * the same calls (printed, with the command that replays it).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort, startLocalServer, type LocalServer } from "./local-server.mjs";
import { CALL_TIMEOUT_MS, runCall, type Ledger, type Outcome } from "./stress/calls.js";
import { LARGE_SHARE_DEFAULT, planCall, TRANSPORTS } from "./stress/plan.js";
import { createTransports } from "./stress/transports.js";
import { verifyLedger } from "./stress/verify.js";

/** Failures printed in full; the rest are counted. */
const FAILURES_PRINTED_MAX = 20;
/** Calls in flight at most, whatever --concurrency says. */
const CONCURRENCY_MAX = 1024;
/** The slowest calls printed at the end (where the time went). */
const SLOWEST_PRINTED = 5;
/** How often progress is printed, in calls. */
const PROGRESS_EVERY = 5_000;

const { values: opts } = parseArgs({
  options: {
    calls: { type: "string", default: "3000" },
    // More than 32 in flight on a loaded 2-core machine makes large bodies
    // wait past the deadline before the Worker has read them (docs/testing.md).
    concurrency: { type: "string", default: "32" },
    seed: { type: "string", default: "random" },
    // The share of request bodies that are large (64-600 KiB); the rest are under 512 bytes.
    "large-share": { type: "string", default: String(LARGE_SHARE_DEFAULT) },
    // Each call's deadline; a call that gets DEADLINE_EXCEEDED from it fails the run.
    "timeout-ms": { type: "string", default: String(CALL_TIMEOUT_MS) },
    // Keep the servers' log (of a server this run started) even when it passes.
    "keep-log": { type: "boolean", default: false },
    // Diagnostics: run only the planned calls of these kinds (comma-separated).
    only: { type: "string" },
  },
});
const onlyKinds = opts.only === undefined ? null : new Set(opts.only.split(","));
const calls = positiveInt(opts.calls, "--calls");
const concurrency = Math.min(positiveInt(opts.concurrency, "--concurrency"), CONCURRENCY_MAX);
const largeShare = Number(opts["large-share"]);
if (!(largeShare >= 0 && largeShare <= 1)) {
  console.error(`stress: --large-share must be a number from 0 to 1, got ${opts["large-share"]}`);
  process.exit(2);
}
const timeoutMs = positiveInt(opts["timeout-ms"], "--timeout-ms");
const seed = opts.seed === "random" ? Math.floor(Math.random() * 2 ** 31) : positiveInt(opts.seed, "--seed", 0);
console.log(
  `stress: seed ${seed}, ${calls} calls, ${concurrency} in flight, ${Math.round(largeShare * 100)}% large bodies, deadline ${timeoutMs} ms (replay: npm run stress -- --calls ${calls} --concurrency ${concurrency} --large-share ${largeShare} --timeout-ms ${timeoutMs} --seed ${seed})`,
);

let server: LocalServer | null = null;
let workDir: string | null = null;
let failed = false;
try {
  let workerUrl = process.env.IMPOSSIBLEDB_URL;
  let grpcTarget = process.env.IMPOSSIBLEDB_GRPC_TARGET;
  if (!workerUrl || !grpcTarget) {
    workDir = mkdtempSync(path.join(os.tmpdir(), "impossibledb-stress-"));
    const [workerPort, frontdoorPort] = await Promise.all([freePort(), freePort()]);
    server = await startLocalServer({ workerPort, frontdoorPort, stateDir: path.join(workDir, "state"), output: path.join(workDir, "servers.log") });
    workerUrl = server.workerUrl;
    grpcTarget = server.grpcTarget!;
    console.log(`stress: started a local server: ${workerUrl}, gRPC ${grpcTarget}`);
  }
  failed = !(await stress(workerUrl, grpcTarget));
  if (workDir !== null) {
    const log = readFileSync(path.join(workDir, "servers.log"), "utf8");
    const internal = log.split("\n").filter((line) => /internal error/.test(line));
    if (internal.length > 0) {
      failed = true;
      console.error(`stress: the server logged ${internal.length} internal error(s):\n${internal.slice(0, 10).join("\n")}`);
    }
  }
} catch (err) {
  failed = true;
  console.error(`stress: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await server?.stop();
  // A failed run keeps the servers' log for a look.
  if (workDir !== null && (failed || opts["keep-log"])) console.error(`stress: the servers' log is kept in ${path.join(workDir, "servers.log")}`);
  else if (workDir !== null) rmSync(workDir, { recursive: true, force: true });
}
console.log(failed ? `stress: FAILED (seed ${seed})` : "stress: passed");
process.exit(failed ? 1 : 0);

/** Runs the calls and the check; true when everything passed. */
async function stress(workerUrl: string, grpcTarget: string): Promise<boolean> {
  const ledger: Ledger = { seed, collection: `stress_${seed}_${Date.now().toString(36)}`, acked: new Map(), maybe: new Map(), never: new Set() };
  const transports = createTransports(workerUrl, grpcTarget);
  const counts = new Map<string, number>();
  const latenciesMs = new Map<string, number[]>();
  const slowest: { tookMs: number; what: string }[] = [];
  const failures: string[] = [];
  const startedMs = Date.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < calls) {
      const index = next++;
      const plan = planCall(seed, index, largeShare);
      if (onlyKinds !== null && !onlyKinds.has(plan.kind)) continue;
      const callStartMs = Date.now();
      const outcome: Outcome = await runCall({ ledger, transports, workerUrl, timeoutMs }, index, plan);
      const tookMs = Date.now() - callStartMs;
      const latencies = latenciesMs.get(plan.kind) ?? [];
      latencies.push(tookMs);
      latenciesMs.set(plan.kind, latencies);
      slowest.push({ tookMs, what: `call ${index} ${JSON.stringify(plan)} -> ${outcome.label}` });
      slowest.sort((a, b) => b.tookMs - a.tookMs);
      slowest.length = Math.min(slowest.length, SLOWEST_PRINTED);
      const key = `${plan.kind} ${outcome.label}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (outcome.failure !== undefined) {
        failures.push(`call ${index} (${JSON.stringify(plan)}, ${Date.now() - callStartMs} ms): ${outcome.failure}`);
        if (failures.length <= FAILURES_PRINTED_MAX) console.error(`stress: FAILURE ${failures.at(-1)}`);
      }
      done += 1;
      if (done % PROGRESS_EVERY === 0) console.log(`stress: ${done}/${calls} calls, ${failures.length} failures, ${Math.round((Date.now() - startedMs) / 1000)} s`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = Date.now() - startedMs;
  console.log(`stress: ${done} calls in ${(elapsedMs / 1000).toFixed(1)} s (${Math.round((done * 1000) / elapsedMs)}/s) over ${TRANSPORTS.length} transports; outcomes:`);
  for (const [key, n] of [...counts].sort()) console.log(`  ${key.padEnd(34)} ${n}`);
  console.log("stress: latency per kind, ms (p50 / p99 / max):");
  for (const [kind, list] of [...latenciesMs].sort()) {
    list.sort((a, b) => a - b);
    const at = (q: number) => list[Math.min(list.length - 1, Math.floor(q * list.length))]!;
    console.log(`  ${kind.padEnd(16)} ${at(0.5)} / ${at(0.99)} / ${list.at(-1)}`);
  }
  console.log("stress: the slowest calls:");
  for (const s of slowest) console.log(`  ${s.tookMs} ms: ${s.what}`);
  const verify = await verifyLedger(ledger, transports["connect-proto-gzip"], timeoutMs);
  console.log(`stress: checked ${verify.checked} documents (${ledger.acked.size} acknowledged, ${ledger.maybe.size} abandoned, ${ledger.never.size} cut off): ${verify.problems.length} problems`);
  for (const p of verify.problems.slice(0, FAILURES_PRINTED_MAX)) console.error(`stress: DATA ${p}`);
  if (failures.length > 0) console.error(`stress: ${failures.length} failed calls`);
  return failures.length === 0 && verify.problems.length === 0;
}

function positiveInt(text: string, flag: string, min = 1): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    console.error(`stress: ${flag} must be an integer >= ${min}, got ${text}`);
    process.exit(2);
  }
  return value;
}

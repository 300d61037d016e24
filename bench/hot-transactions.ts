/**
 * `npm run bench:hot-tx [-- --quick]`: many clients incrementing ONE
 * document with `runTransaction` (read, add one, write: the
 * read-modify-write Firestore and Spanner users write), beside the same
 * clients incrementing it with a field transform (`FieldValue.increment`,
 * no transaction: the hot-document workload's call), in one run on one
 * server. Prints, per client count: commits per second, runs of the
 * transaction function per commit, p50 and p99 of a whole runTransaction,
 * clients that gave up, and the ratio to the transform's rate. Fails if an
 * increment was lost (the final value must equal the commits).
 *
 * The figure it watches: runs per commit. Retries used to share read locks,
 * so each commit wounded every other retry that had read the document and
 * the youngest of N ran about N times; with update locks and a queue of
 * waiting retries (src/sync/README.md) a commit costs about two runs.
 */
import { build } from "hdr-histogram-js";
import { ImpossibleDBClient, FieldValue } from "../clients/ts/src/node.js";
import { MODES, PORTS } from "./config.js";
import { startImpossibleDb } from "./systems/impossibledb.js";

const quick = process.argv.includes("--quick");
const mode = MODES[quick ? "quick" : "full"];
const CLIENTS = quick ? [8, 24] : [1, 8, 24, 48];
const MEASURE_MS = quick ? 3_000 : 8_000;

interface Row {
  readonly clients: number;
  readonly kind: "runTransaction" | "transform";
  readonly commits: number;
  readonly runs: number;
  readonly gaveUp: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const idb = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: 8, socketsMax: Math.max(mode.concurrency, ...CLIENTS) });
try {
  const rows: Row[] = [];
  for (const clients of CLIENTS) {
    for (const kind of ["transform", "runTransaction"] as const) {
      const collection = `hot-${kind}-${clients}`;
      const sdk = Array.from({ length: clients }, () => new ImpossibleDBClient({ baseUrl: idb.url }));
      await sdk[0]!.collection(collection).put("x", { n: 0 });
      const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
      let commits = 0;
      let runs = 0;
      let gaveUp = 0;
      const startMs = Date.now();
      const endMs = startMs + MEASURE_MS;
      await Promise.all(
        sdk.map(async (client) => {
          while (Date.now() < endMs) {
            const t0 = performance.now();
            try {
              if (kind === "transform") {
                runs++;
                await client.collection(collection).update("x", { n: FieldValue.increment(1) });
              } else {
                await client.runTransaction(async (tx) => {
                  runs++;
                  const doc = await tx.get<{ n: number }>(collection, "x");
                  tx.write(collection, "x", { n: (doc?.data.n ?? 0) + 1 });
                });
              }
              commits++;
              histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
            } catch {
              gaveUp++;
            }
          }
        }),
      );
      const seconds = (Date.now() - startMs) / 1000;
      const final = (await sdk[0]!.collection<{ n: number }>(collection).get("x"))?.data.n;
      if (final !== commits) throw new Error(`${kind} with ${clients} clients: the document holds ${final}, ${commits} increments were acknowledged`);
      rows.push({ clients, kind, commits, runs, gaveUp, seconds, p50Ms: histogram.getValueAtPercentile(50) / 1000, p99Ms: histogram.getValueAtPercentile(99) / 1000 });
    }
  }
  console.log("| clients | call | increments/s | runs per increment | gave up | p50 ms | p99 ms | rate / transform's |");
  console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const transform = rows.find((t) => t.clients === r.clients && t.kind === "transform")!;
    const rate = r.commits / r.seconds;
    console.log(
      `| ${r.clients} | ${r.kind} | ${rate.toFixed(1)} | ${(r.runs / Math.max(1, r.commits)).toFixed(2)} | ${r.gaveUp} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${(rate / (transform.commits / transform.seconds)).toFixed(2)}x |`,
    );
  }
} finally {
  await idb.stop();
}

/**
 * `npm run bench:geo [-- --quick]`: geo near and within over 100,000
 * documents (quick: 10,000) on ImpossibleDB with 8 shards, beside ONE
 * node:sqlite database with an R*Tree holding every point (running the
 * shards' own geo code, search/geo/geo-sql.ts, so both do the same work:
 * R*Tree boxes, exact haversine or polygon check, sort, top 10, decode the
 * documents) and PostgreSQL (earthdistance: a GiST index on
 * ll_to_earth(lat, lng), earth_box, then earth_distance), in the same run.
 * For each query shape it measures the p50 and p99 of the first 10
 * results, one request at a time, and reports ImpossibleDB's p50 as ratios
 * to the others. It checks that ImpossibleDB's 10 are the single
 * database's 10 (the same ids in the same order).
 *
 * The points: 70% in 40 clusters (cities: Gaussian, about 50 km), 30%
 * uniform on the sphere; seeded (BENCH_SEED). PostgreSQL's earthdistance
 * uses its own Earth radius (6,378,168 m), so its distances, and at the
 * edge of a radius its answers, can differ slightly; it is timed, not
 * compared.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import pg from "pg";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { AdminService } from "../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../gen/impossibledb/v1/collection_service_pb.js";
import type { SearchQuerySchema } from "../gen/impossibledb/v1/search_pb.js";
import { QueryService } from "../gen/impossibledb/v1/query_service_pb.js";
import { createGeoTables, geoCandidates, putGeoPoint } from "../src/search/geo/geo-sql.js";
import { compileGeoCondition, type GeoCondition } from "../src/search/geo/region.js";
import { PORTS, RESULTS_DIR } from "./config.js";
import { createKeepAliveAgent } from "./lib/http.js";
import { createRandom } from "./lib/keys.js";
import { currentLoadAverage, machineInfo } from "./lib/machine.js";
import { startImpossibleDb } from "./systems/impossibledb.js";
import { startPostgres } from "./systems/postgres.js";

const quick = process.argv.includes("--quick");
const SEED = Number(process.env["BENCH_SEED"] ?? 42);
const SHARDS = 8;
const DOCS = quick ? 10_000 : 100_000;
const SAMPLES = quick ? 60 : 200;
const WARMUP = quick ? 10 : 30;
const LOAD_BATCH = 500;
const LOAD_CONCURRENCY = 4;
const COLLECTION = "places";
const TOP = 10;
const CLUSTERS = 40;
const started = performance.now();
const log = (line: string) => console.error(`[bench:geo ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);

interface Place {
  readonly id: string;
  readonly lat: number;
  readonly lng: number;
  readonly name: string;
}

/** The corpus: clustered and uniform points, each with a small payload. */
function corpus(count: number, seed: number): { places: Place[]; centers: Array<{ lat: number; lng: number }> } {
  const random = createRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const uniform = () => ({ lat: (Math.asin(2 * random() - 1) * 180) / Math.PI, lng: random() * 360 - 180 });
  const centers = Array.from({ length: CLUSTERS }, () => {
    const p = uniform();
    return { lat: Math.max(-70, Math.min(70, p.lat)), lng: p.lng };
  });
  const places = Array.from({ length: count }, (_, i) => {
    let p = uniform();
    if (random() < 0.7) {
      const c = centers[Math.floor(random() * CLUSTERS)]!;
      let lng = c.lng + gaussian() * 0.6;
      if (lng > 180) lng -= 360;
      if (lng < -180) lng += 360;
      p = { lat: Math.max(-90, Math.min(90, c.lat + gaussian() * 0.45)), lng };
    }
    return { id: `p${String(i).padStart(6, "0")}`, lat: p.lat, lng: p.lng, name: `place ${i}` };
  });
  return { places, centers };
}

/** A query shape: its geo condition (for the shards and the single database) and its wire form. */
interface GeoShape {
  readonly name: string;
  readonly condition: GeoCondition;
  readonly wire: MessageInitShape<typeof SearchQuerySchema>;
}

function shapes(centers: ReadonlyArray<{ lat: number; lng: number }>): GeoShape[] {
  const city = centers[0]!;
  const other = centers[1]!;
  const nearShape = (name: string, c: { lat: number; lng: number }, r: number): GeoShape => ({
    name,
    condition: { kind: "near", center: c, radiusMeters: r },
    wire: { near: { center: { latitude: c.lat, longitude: c.lng }, radiusMeters: r } },
  });
  const box = { low: { lat: other.lat - 0.5, lng: other.lng - 0.5 }, high: { lat: other.lat + 0.5, lng: other.lng + 0.5 } };
  const triangle = [
    { lat: city.lat - 1, lng: city.lng - 1 },
    { lat: city.lat - 1, lng: city.lng + 1 },
    { lat: city.lat + 1, lng: city.lng },
  ];
  return [
    nearShape("near 10 km of a city", city, 10_000),
    nearShape("near 100 km of a city", city, 100_000),
    nearShape("near 1,000 km of a city", city, 1_000_000),
    nearShape("near 500 km, open sea", { lat: -45, lng: -130 }, 500_000),
    {
      name: "within a 1-degree box",
      condition: { kind: "box", ...box },
      wire: { within: { region: { case: "box", value: { low: { latitude: box.low.lat, longitude: box.low.lng }, high: { latitude: box.high.lat, longitude: box.high.lng } } } } },
    },
    {
      name: "within a triangle",
      condition: { kind: "polygon", vertices: triangle },
      wire: { within: { region: { case: "polygon", value: { vertices: triangle.map((v) => ({ latitude: v.lat, longitude: v.lng })) } } } },
    },
  ];
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
}

interface GeoSystem {
  readonly label: string;
  run(shape: GeoShape): Promise<string[]>;
}

async function measure(system: GeoSystem, shape: GeoShape): Promise<Latency> {
  for (let i = 0; i < WARMUP; i++) await system.run(shape);
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await system.run(shape);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** ONE node:sqlite database: the documents and one R*Tree over every point, queried by the shards' own geo code. */
function startSingleRtree(places: readonly Place[]): GeoSystem & { close(): void } {
  const db = new DatabaseSync(":memory:");
  const sql = {
    exec(query: string, ...bindings: unknown[]) {
      const stmt = db.prepare(query);
      if (/^\s*(SELECT|WITH)/i.test(query) || /\bRETURNING\b/i.test(query)) {
        const rows = stmt.all(...(bindings as never[])) as never[];
        return { toArray: () => rows, rowsRead: rows.length };
      }
      stmt.run(...(bindings as never[]));
      return { toArray: () => [] as never[], rowsRead: 0 };
    },
  };
  db.exec("CREATE TABLE documents (id TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID");
  createGeoTables(sql, COLLECTION);
  const insert = db.prepare("INSERT INTO documents (id, data) VALUES (?, ?)");
  db.exec("BEGIN");
  for (const p of places) {
    insert.run(p.id, JSON.stringify({ name: p.name, loc: { lat: p.lat, lng: p.lng } }));
    putGeoPoint(sql, COLLECTION, p.id, { lat: p.lat, lng: p.lng });
  }
  db.exec("COMMIT");
  const read = db.prepare("SELECT data FROM documents WHERE id = ?");
  return {
    label: "one SQLite database with an R*Tree (node:sqlite, in process, the shards' geo code)",
    async run(shape) {
      const compiled = compileGeoCondition(shape.condition);
      if (!compiled.ok) throw new Error(compiled.message);
      const found = geoCandidates(sql, COLLECTION, compiled.region, { limit: TOP });
      if (!found.ok) throw new Error(found.message);
      // The documents are decoded, as a client of ImpossibleDB gets them decoded.
      for (const h of found.hits) JSON.parse((read.get(h.id) as { data: string }).data);
      return found.hits.map((h) => h.id);
    },
    close: () => db.close(),
  };
}

async function loadPostgres(places: readonly Place[], port: number): Promise<GeoSystem & { close(): Promise<void>; setup: string }> {
  const pool = new pg.Pool({ host: "127.0.0.1", port, user: "bench", database: "postgres", max: 2 });
  await pool.query("CREATE EXTENSION IF NOT EXISTS cube");
  await pool.query("CREATE EXTENSION IF NOT EXISTS earthdistance");
  await pool.query("CREATE TABLE places (id text PRIMARY KEY, lat float8 NOT NULL, lng float8 NOT NULL, data jsonb NOT NULL)");
  for (let i = 0; i < places.length; i += 2000) {
    const batch = places.slice(i, i + 2000);
    await pool.query("INSERT INTO places (id, lat, lng, data) SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::jsonb[])", [
      batch.map((p) => p.id),
      batch.map((p) => p.lat),
      batch.map((p) => p.lng),
      batch.map((p) => JSON.stringify({ name: p.name, loc: { lat: p.lat, lng: p.lng } })),
    ]);
  }
  await pool.query("CREATE INDEX places_earth ON places USING gist (ll_to_earth(lat, lng))");
  await pool.query("CREATE INDEX places_lat_lng ON places (lat, lng)");
  await pool.query("ANALYZE places");
  return {
    label: "PostgreSQL (earthdistance: GiST on ll_to_earth, earth_box + earth_distance; boxes and polygons by lat/lng B-tree + point <@ polygon)",
    setup: "earthdistance",
    async run(shape) {
      const c = shape.condition;
      let result;
      if (c.kind === "near") {
        result = await pool.query({
          name: "near",
          text: `SELECT id, data, earth_distance(ll_to_earth($1, $2), ll_to_earth(lat, lng)) AS d FROM places
                  WHERE earth_box(ll_to_earth($1, $2), $3) @> ll_to_earth(lat, lng) AND earth_distance(ll_to_earth($1, $2), ll_to_earth(lat, lng)) <= $3
                  ORDER BY d, id LIMIT ${TOP}`,
          values: [c.center.lat, c.center.lng, c.radiusMeters],
        });
      } else if (c.kind === "box") {
        result = await pool.query({
          name: "box",
          text: `SELECT id, data FROM places WHERE lat BETWEEN $1 AND $2 AND lng BETWEEN $3 AND $4 ORDER BY id LIMIT ${TOP}`,
          values: [c.low.lat, c.high.lat, c.low.lng, c.high.lng],
        });
      } else {
        const ys = c.vertices.map((v) => v.lat);
        const xs = c.vertices.map((v) => v.lng);
        const polygon = `(${c.vertices.map((v) => `(${v.lng},${v.lat})`).join(",")})`;
        result = await pool.query({
          name: "polygon",
          text: `SELECT id, data FROM places WHERE lat BETWEEN $1 AND $2 AND lng BETWEEN $3 AND $4 AND point(lng, lat) <@ $5::polygon ORDER BY id LIMIT ${TOP}`,
          values: [Math.min(...ys), Math.max(...ys), Math.min(...xs), Math.max(...xs), polygon],
        });
      }
      return (result.rows as Array<{ id: string }>).map((r) => r.id);
    },
    close: () => pool.end(),
  };
}

/** The geo phase: load, index, measure every shape on every system. */
async function geoPhase(idbUrl: string, postgresPort: number, places: readonly Place[], geoShapes: readonly GeoShape[]) {
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
        if (from >= places.length) return;
        await collections.batchWriteDocuments({
          writes: places.slice(from, from + LOAD_BATCH).map((p) => ({ ref: { collection: COLLECTION, id: p.id }, operation: { case: "set" as const, value: { name: p.name, loc: { lat: p.lat, lng: p.lng } } } })),
        });
      }
    }),
  );
  log(`loaded ${places.length} documents into ImpossibleDB in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
  const indexStart = performance.now();
  await admin.createSearchIndex({ index: { collection: COLLECTION, geoField: "loc" } });
  const backfillSeconds = (performance.now() - indexStart) / 1000;
  log(`CreateSearchIndex (geo backfill on ${SHARDS} shards) took ${backfillSeconds.toFixed(1)} s`);
  const single = startSingleRtree(places);
  log("loaded the single R*Tree database");
  const postgres = await loadPostgres(places, postgresPort);
  log("loaded PostgreSQL");
  const idb: GeoSystem = {
    label: `ImpossibleDB (${SHARDS} shards, Connect over HTTP/1.1)`,
    async run(shape) {
      const res = await queries.runQuery({ query: { collection: COLLECTION, search: shape.wire }, pageSize: TOP });
      return res.documents.map((d) => d.id);
    },
  };
  const rows = [];
  try {
    for (const shape of geoShapes) {
      const explained = await queries.runQuery({ query: { collection: COLLECTION, search: shape.wire }, pageSize: TOP, explain: true });
      const candidates = Number(explained.plan!.search!.geoCandidates);
      const rowsRead = explained.plan!.shards.reduce((n, s) => n + Number(s.rowsRead), 0);
      const ids = await idb.run(shape);
      const sameTop = JSON.stringify(ids) === JSON.stringify(await single.run(shape));
      const [i, s, p] = [await measure(idb, shape), await measure(single, shape), await measure(postgres, shape)];
      log(`${shape.name}: ImpossibleDB p50 ${i.p50.toFixed(2)} ms, one R*Tree ${s.p50.toFixed(2)} ms, PostgreSQL ${p.p50.toFixed(2)} ms (${candidates} candidates)`);
      rows.push({ shape: shape.name, results: ids.length, candidates, rowsRead, sameTop, impossibledb: i, single: s, postgres: p });
    }
  } finally {
    single.close();
    await postgres.close();
  }
  return { backfillSeconds, labels: { impossibledb: idb.label, single: single.label, postgres: postgres.label }, rows };
}

const machine = machineInfo();
log(`${quick ? "quick" : "full"} mode: ${DOCS} documents on ${machine.nproc} cores (${machine.cpuModel}), load average ${machine.loadAverage1mStart.toFixed(2)}`);
const { places, centers } = corpus(DOCS, SEED);
const idbSystem = await startImpossibleDb({ port: PORTS.impossibleDb, shardCount: SHARDS, socketsMax: 8 });
const postgresSystem = await startPostgres({ port: PORTS.postgres, connections: 2 });
try {
  const geo = await geoPhase(idbSystem.url, PORTS.postgres, places, shapes(centers));
  machine.loadAverage1mEnd = currentLoadAverage();
  const durationSeconds = Math.round((performance.now() - started) / 1000);
  const command = `npm run bench:geo${quick ? " -- --quick" : ""}`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`${command}\` (${durationSeconds} s in all): ${DOCS} points (70% in ${CLUSTERS} city clusters, 30% uniform on the sphere), first ${TOP} results per query, one request at a time, ${SAMPLES} samples after ${WARMUP} warm-up.`,
    `Machine: ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}; 1-minute load average ${machine.loadAverage1mStart.toFixed(2)} at start, ${machine.loadAverage1mEnd.toFixed(2)} at end.`,
    `Systems: ${geo.labels.impossibledb}; ${geo.labels.single}; ${geo.labels.postgres}. CreateSearchIndex's geo backfill took ${geo.backfillSeconds.toFixed(1)} s.`,
    "",
    "| query | results | geo candidates (all shards) | ImpossibleDB p50 / p99 (ms) | one R*Tree p50 / p99 | PostgreSQL p50 / p99 | ImpossibleDB p50 / R*Tree p50 | / PostgreSQL p50 | same 10 as the R*Tree |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...geo.rows.map(
      (r) =>
        `| ${r.shape} | ${r.results} | ${r.candidates} | ${r.impossibledb.p50.toFixed(2)} / ${r.impossibledb.p99.toFixed(2)} | ${r.single.p50.toFixed(2)} / ${r.single.p99.toFixed(2)} | ${r.postgres.p50.toFixed(2)} / ${r.postgres.p99.toFixed(2)} | ${ratio(r.impossibledb.p50, r.single.p50)} | ${ratio(r.impossibledb.p50, r.postgres.p50)} | ${r.sameTop ? "yes" : "NO"} |`,
    ),
    "",
    "The R*Tree database runs in the benchmark's own process (no network, no RPC); ImpossibleDB's figure includes HTTP, the Worker and a fan-out to 8 shard Durable Objects, each of which reads all its candidates in the region and sorts them.",
    "",
  ].join("\n");
  await mkdir(RESULTS_DIR, { recursive: true });
  const base = path.join(RESULTS_DIR, `geo-${quick ? "quick" : "full"}-latest`);
  await writeFile(`${base}.json`, JSON.stringify({ command, seed: SEED, machine, durationSeconds, ...geo }, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
  log(`done in ${durationSeconds}s; results in ${path.relative(process.cwd(), base)}.{json,md}`);
  if (geo.rows.some((r) => !r.sameTop)) {
    console.error("ImpossibleDB's first 10 differed from the single R*Tree database's for some shape");
    process.exitCode = 1;
  }
} finally {
  await postgresSystem.stop();
  await idbSystem.stop();
}

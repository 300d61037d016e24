/**
 * The `impossibledb` command as a user runs it (`npx impossibledb`, the bin
 * npm links at the repository root), against the real Worker: export and
 * import round trips (typed values included), the other formats, dry runs,
 * bad input, resuming an export that was killed, and errors without stack
 * traces.
 */
import { toJson, type JsonObject } from "@bufbuild/protobuf";
import { GeoPoint, ImpossibleDBClient, Timestamp, type DocumentData } from "@impossibledb/client";
import { ValueSchema } from "../../gen/impossibledb/v1/document_pb.js";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { uniqueCollection, workerUrl } from "./env.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "node_modules", ".bin", "impossibledb");
const dir = mkdtempSync(path.join(os.tmpdir(), "impossibledb-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = new ImpossibleDBClient();
/** Reads timestamps as Timestamps, to the microsecond. */
const typedDb = new ImpossibleDBClient({ timestamps: "timestamp" });

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Documents of many shapes: nesting, arrays, unicode, numbers, empty maps. */
function sampleDocument(i: number) {
  return {
    n: i,
    half: i / 2,
    name: `doc ${i} ✓ «ünïcødé»`,
    nested: { even: i % 2 === 0, list: [i, String(i), null, { deep: [true] }], empty: {} },
    ...(i % 7 === 0 ? { rare: "only some documents" } : {}),
  };
}

async function seed(collection: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    const batch = db.collection(collection).batch();
    for (let i = start; i < Math.min(count, start + 500); i++) batch.set(`d${String(i).padStart(5, "0")}`, sampleDocument(i));
    const outcomes = await batch.commit();
    expect(outcomes.every((o) => o.ok)).toBe(true);
  }
}

/** Every typed value, at the edges that lose most easily, at the top and nested in arrays and maps. */
function typedDocument(collection: string): DocumentData {
  return {
    int64Max: 2n ** 63n - 1n,
    int64Min: -(2n ** 63n),
    past53: 2n ** 53n + 1n,
    small: 42n,
    double: 42,
    at: Timestamp.fromMicros(1_796_050_245_123_456n),
    before1970: Timestamp.fromMicros(-1n),
    last: new Timestamp(253402300799n, 999_999),
    bytes: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 255]),
    noBytes: new Uint8Array(0),
    ref: typedDb.collection(collection).doc("plain"),
    otherRef: typedDb.collection("users").doc("alice"),
    place: new GeoPoint(-33.8688, 151.2093),
    text: "ünïcødé ✓",
    nothing: null,
    flag: false,
    list: [1n, 1, Timestamp.fromMicros(0n), [new GeoPoint(0, 0)], { deep: new Uint8Array([1]) }],
    nested: { id: 9007199254740993n, when: Timestamp.fromMicros(1n), empty: {} },
  };
}

/** A document's typed form as the server holds it, in protobuf JSON: what "exactly" is checked against. */
async function storedFields(collection: string, id: string): Promise<JsonObject> {
  const { document } = await typedDb.services.collection.getDocument({ ref: { collection, id } });
  return Object.fromEntries(Object.entries(document?.fields ?? {}).map(([k, v]) => [k, toJson(ValueSchema, v)]));
}

async function collectionCount(collection: string): Promise<number | undefined> {
  return (await db.listCollections()).find((c) => c.name === collection)?.approximateDocumentCount;
}

describe("impossibledb CLI", () => {
  it("query --json into a slow pipe delivers every line before it exits 0 (it exited with output past 64 KiB still queued)", { timeout: 180_000 }, async () => {
    const collection = `pipe_${Date.now().toString(36)}`;
    await seed(collection, 700);
    // `| (sleep 2; wc -lc)`: a reader slower than the writer keeps the pipe full, as `| jq` can.
    const ran = await new Promise<Ran>((resolve) => {
      const child = spawn("bash", ["-c", `"${BIN}" query ${collection} --limit 5000 --json | (sleep 2; wc -lc); exit \${PIPESTATUS[0]}`], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += String(c)));
      child.stderr.on("data", (c) => (stderr += String(c)));
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: "" });
    const [lines, bytes] = ran.stdout.trim().split(/\s+/).map(Number);
    expect(lines).toBe(700);
    expect(bytes).toBeGreaterThan(65536);
  });

  it("export, delete the collection, import, export again: byte-identical files", async () => {
    const collection = uniqueCollection("cli_roundtrip");
    await seed(collection, 1234);
    const first = path.join(dir, "first.ndjson");
    const exported = await cli(["export", collection, "--out", first]);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = readFileSync(first, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(1234);
    expect(JSON.parse(lines[7]!)).toEqual({ id: "d00007", data: sampleDocument(7) });

    const deleted = await cli(["delete", collection, "--all", "--batch-size", "100"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain("deleted 1234 documents");
    expect(await collectionCount(collection)).toBeUndefined();
    expect(await db.collection(collection).get("d00007")).toBeNull();

    const imported = await cli(["import", collection, first]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("1234 documents written");
    // stderr is not a terminal here: no progress bar escape codes.
    expect(imported.stderr).not.toMatch(/\u001b\[/);

    const again = await cli(["export", collection]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(readFileSync(first, "utf8"));
  });

  it("export, delete --all, import keeps whole doubles past 2^53 (import refused its own export and wrote nothing); a literal no double spells is refused", async () => {
    const collection = uniqueCollection("cli_bigdbl");
    // Written as a new user did, in JSON: the server stores each number as the nearest double.
    const put = async (id: string, body: string) => {
      const res = await fetch(`${workerUrl()}/impossibledb.v1.CollectionService/SetDocument`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: `{"ref":{"collection":"${collection}","id":"${id}"},${body}}`,
      });
      expect(res.status, await res.text()).toBe(200);
    };
    await put("a", '"data":{"n":1e18}');
    await put("b", '"data":{"snowflake":175928847299117063,"list":[-9223372036854775808]}');
    await put("c", '"fields":{"d":{"doubleValue":1e17},"i":{"integerValue":"9007199254740993"}}');
    const out = path.join(dir, "bigdbl.ndjson");
    const exported = await cli(["export", collection, "--out", out]);
    expect(exported.code, exported.stderr).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text.split("\n")[0]).toBe('{"id":"a","data":{"n":1000000000000000000}}');
    expect(text.split("\n")[1]).toBe('{"id":"b","data":{"snowflake":175928847299117060,"list":[-9223372036854776000]}}');

    expect((await cli(["delete", collection, "--all"])).code).toBe(0);
    const imported = await cli(["import", collection, out]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("3 documents written");
    expect((await cli(["export", collection])).stdout).toBe(text);

    // get's output goes back through put unchanged.
    const got = JSON.parse((await cli(["get", collection, "b"])).stdout) as { data: JsonObject };
    const putBack = await cli(["put", collection, "b2", JSON.stringify(got.data)]);
    expect(putBack.code, putBack.stderr).toBe(0);
    expect(JSON.parse((await cli(["get", collection, "b2"])).stdout).data).toEqual(got.data);

    // Digits a person typed that no double spells are refused, with the double they would become.
    const typed = await cli(["put", collection, "x", '{"id": 175928847299117063}']);
    expect(typed.code).toBe(2);
    expect(typed.stderr).toContain("the integer 175928847299117063 is beyond ±2^53 and is not a double: numbers are stored as doubles, and it would be stored as 175928847299117056; quote it");
    const byHand = await cli(["import", collection, file("bigdbl-by-hand.ndjson", '{"id":"y","data":{"id":175928847299117063}}\n')]);
    expect(byHand.code).toBe(2);
    expect(byHand.stderr).toContain('bigdbl-by-hand.ndjson:1: the integer 175928847299117063 is beyond ±2^53');
    expect(await db.collection(collection).getMany(["x", "y"])).toEqual([null, null]);
  });

  it("export and import keep typed values exactly: \"fields\" beside \"data\", read back value for value", async () => {
    const collection = uniqueCollection("cli_typed");
    const written = typedDocument(collection);
    await typedDb.collection(collection).put("typed", written);
    await typedDb.collection(collection).put("plain", { n: 1, at: "2026-11-30T15:04:05.123456Z" });
    const before = await storedFields(collection, "typed");
    expect(before["past53"]).toEqual({ integerValue: "9007199254740993" });

    const out = path.join(dir, "typed.ndjson");
    const exported = await cli(["export", collection, "--out", out]);
    expect(exported.code, exported.stderr).toBe(0);
    const [plain, typed] = readFileSync(out, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as { id: string; data: JsonObject; fields?: JsonObject });
    // A JSON-only document keeps the line it always had; a typed one adds its exact form.
    expect(plain).toEqual({ id: "plain", data: { n: 1, at: "2026-11-30T15:04:05.123456Z" } });
    expect(Object.keys(typed!)).toEqual(["id", "data", "fields"]);
    expect(typed!.data["past53"]).toBe(9007199254740992);
    expect(typed!.fields).toEqual(before);
    expect(typed!.fields!["at"]).toEqual({ timestampValue: "2026-11-30T14:50:45.123456Z" });

    const deleted = await cli(["delete", collection, "--all"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await typedDb.collection(collection).get("typed")).toBeNull();
    const imported = await cli(["import", collection, out]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("2 documents written");

    expect(await storedFields(collection, "typed")).toEqual(before);
    const back = (await typedDb.collection(collection).get("typed"))!.data;
    expect(Object.keys(back)).toEqual(Object.keys(written));
    expect(back["int64Max"]).toBe(2n ** 63n - 1n);
    expect(back["int64Min"]).toBe(-(2n ** 63n));
    expect(back["past53"]).toBe(9007199254740993n);
    expect(back["double"]).toBe(42);
    for (const name of ["at", "before1970", "last"]) expect((back[name] as Timestamp).isEqual(written[name]), name).toBe(true);
    expect(back["bytes"]).toEqual(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 255]));
    expect(back["noBytes"]).toEqual(new Uint8Array(0));
    expect(typedDb.collection(collection).doc("plain").isEqual(back["ref"])).toBe(true);
    expect(typedDb.collection("users").doc("alice").isEqual(back["otherRef"])).toBe(true);
    expect(new GeoPoint(-33.8688, 151.2093).isEqual(back["place"])).toBe(true);
    expect([back["text"], back["nothing"], back["flag"]]).toEqual(["ünïcødé ✓", null, false]);
    expect((back["nested"] as { id: bigint }).id).toBe(9007199254740993n);
    expect((await db.collection(collection).get("plain"))?.data).toEqual({ n: 1, at: "2026-11-30T15:04:05.123456Z" });

    // The same file again, in id order.
    const again = await cli(["export", collection]);
    expect(again.stdout).toBe(readFileSync(out, "utf8"));

    // A JSON array of the same records imports the same way: "fields" is written, "data" being its JSON form.
    const fields = { n: { integerValue: "-9223372036854775808" } };
    const array = file("typed.json", `[\n${JSON.stringify({ id: "fromArray", data: { n: -(2 ** 63) }, fields })}\n]\n`);
    const arrayRun = await cli(["import", collection, array]);
    expect(arrayRun.code, arrayRun.stderr).toBe(0);
    expect((await typedDb.collection(collection).get("fromArray"))?.data).toEqual({ n: -(2n ** 63n) });
    // A record whose "data" says something else is ambiguous: refused with its line, nothing written.
    const disagreeing = file("typed-disagree.json", `[\n${JSON.stringify({ id: "disagrees", data: { n: 0 }, fields })}\n]\n`);
    const disagreeRun = await cli(["import", collection, disagreeing]);
    expect(disagreeRun.code).toBe(2);
    expect(disagreeRun.stderr).toContain('typed-disagree.json:2: "data" and "fields" disagree at "n": "data" has 0 and "fields" has -9223372036854776000 (in JSON form)');
    expect(await typedDb.collection(collection).get("disagrees")).toBeNull();
  });

  it("refuses malformed \"fields\" records with their lines, and writes nothing", async () => {
    const collection = uniqueCollection("cli_typed_bad");
    const lines = [
      '{"id":"ok","fields":{"n":{"integerValue":"1"}}}',
      '{"id":"word","fields":{"n":{"integerValue":"one"}}}',
      '{"id":"fine","data":{"n":1},"fields":{"at":{"timestampValue":"2026-11-30T15:04:05.123456789Z"}}}',
      '{"id":"empty","fields":{"list":{"arrayValue":{"values":[{}]}}}}',
      '{"id":"rounded","fields":{"n":{"integerValue":9007199254740993}}}',
      '{"id":"notmap","fields":[{"integerValue":"1"}]}',
      '{"id":"nan","fields":{"d":{"doubleValue":"NaN"}}}',
      '{"id":"ref","fields":{"r":{"referenceValue":{"collection":"bad name","id":"x"}}}}',
    ];
    const input = file("typed-bad.ndjson", lines.join("\n") + "\n");
    const ran = await cli(["import", collection, input]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('typed-bad.ndjson:2: "fields" member "n": cannot decode field impossibledb.v1.Value.integer_value from JSON');
    expect(ran.stderr).toContain('typed-bad.ndjson:3: "fields" member "at": the timestamp "2026-11-30T15:04:05.123456789Z" is finer than the microsecond');
    expect(ran.stderr).toContain('typed-bad.ndjson:4: "fields" member "list", at [0]: a value needs one of nullValue,');
    expect(ran.stderr).toContain("typed-bad.ndjson:5: \"fields\" member \"n\": the integer 9007199254740992 is a JSON number past 2^53");
    expect(ran.stderr).toContain('typed-bad.ndjson:6: "fields" must be an object of typed values');
    expect(ran.stderr).toContain(`typed-bad.ndjson:7: ${collection}/nan: field "d" is NaN`);
    expect(ran.stderr).toContain('typed-bad.ndjson:8: "fields" member "r": the reference "bad name/x" is not valid: collection name "bad name"');
    expect(ran.stderr).not.toContain("typed-bad.ndjson:1:");
    expect(ran.stderr).not.toMatch(/\n\s+at /);
    expect(await db.collection(collection).get("ok")).toBeNull();
  });

  it("imports a JSON array and a CSV file, typing CSV cells by the documented rule", async () => {
    const collection = uniqueCollection("cli_formats");
    const json = file("docs.json", '[\n  {"id": "j1", "data": {"a": 1, "b": [true, null]}},\n  {"id": "j2", "data": {}}\n]\n');
    const csv = file("docs.csv", 'id,name,age,zip,ok,note,empty\r\nc1,Ann,41,"02139",true,"say ""hi"", twice",\r\nc2,"Bo\nLine",-2.5e1,02139,null,plain,\r\n');
    expect((await cli(["import", collection, json])).code).toBe(0);
    const csvRun = await cli(["import", collection, csv]);
    expect(csvRun.code, csvRun.stderr).toBe(0);
    const [j1, j2, c1, c2] = await db.collection(collection).getMany(["j1", "j2", "c1", "c2"]);
    expect(j1?.data).toEqual({ a: 1, b: [true, null] });
    expect(j2?.data).toEqual({});
    expect(c1?.data).toEqual({ name: "Ann", age: 41, zip: "02139", ok: true, note: 'say "hi", twice' });
    expect(c2?.data).toEqual({ name: "Bo\nLine", age: -25, zip: "02139", ok: null, note: "plain" });
  });

  it("--dry-run checks and counts, and writes nothing", async () => {
    const collection = uniqueCollection("cli_dry");
    const input = file("dry.ndjson", '{"id":"a","data":{"x":1}}\n\n{"id":"b","data":{"x":2}}\n');
    const ran = await cli(["import", collection, input, "--dry-run"]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain("2 documents valid");
    expect(await collectionCount(collection)).toBeUndefined();
    expect(await db.collection(collection).get("a")).toBeNull();
  });

  it("reports every bad record with its line number, exits 2, and writes nothing", async () => {
    const collection = uniqueCollection("cli_bad");
    const input = file(
      "bad.ndjson",
      ['{"id":"good","data":{}}', "{not json", '{"id":"good","data":{"again":true}}', '{"id":".dot","data":{}}', '{"id":"x","data":[1]}', '{"id":"y","data":{},"extra":1}'].join("\n") + "\n",
    );
    const ran = await cli(["import", collection, input]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("bad.ndjson:2: not JSON");
    expect(ran.stderr).toContain('bad.ndjson:3: document id "good" already appears on line 1');
    expect(ran.stderr).toContain("bad.ndjson:4:");
    expect(ran.stderr).toContain('bad.ndjson:5: "data" must be an object');
    expect(ran.stderr).toContain('bad.ndjson:6: unexpected key "extra"');
    expect(ran.stderr).not.toContain("bad.ndjson:1:");
    expect(ran.stderr).not.toMatch(/\n\s+at /);
    expect(await db.collection(collection).get("good")).toBeNull();

    const csv = file("bad.csv", "id,a\nr1,1\nr2,1,2\nr3\n");
    const csvRun = await cli(["import", collection, csv]);
    expect(csvRun.code).toBe(2);
    expect(csvRun.stderr).toContain("bad.csv:3: the row has 3 cells, the header 2");
    expect(csvRun.stderr).toContain("bad.csv:4: the row has 1 cells, the header 2");
    expect(await db.collection(collection).get("r1")).toBeNull();
  });

  it("an export killed part-way resumes from its checkpoint and ends with every document exactly once", async () => {
    const collection = uniqueCollection("cli_resume");
    await seed(collection, 300);
    const whole = await cli(["export", collection]);
    const out = path.join(dir, "resumed.ndjson");
    const checkpoint = path.join(dir, "resume.checkpoint");
    // Page size 1: hundreds of calls, so there is time to kill it midway.
    const child = spawn(BIN, ["export", collection, "--out", out, "--checkpoint", checkpoint, "--page-size", "1"], { cwd: ROOT, stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    for (let waited = 0; !existsSync(checkpoint) && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGKILL");
    await exited;
    expect(existsSync(checkpoint)).toBe(true);
    const partial = readFileSync(out, "utf8");
    expect(partial.length).toBeLessThan(whole.stdout.length);

    const resumed = await cli(["export", collection, "--out", out, "--checkpoint", checkpoint]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(whole.stdout);
    expect(existsSync(checkpoint)).toBe(false);
  });

  it("on Ctrl-C prints the resume token and exits 130; resuming from it completes the export", async () => {
    const collection = uniqueCollection("cli_sigint");
    await seed(collection, 200);
    const whole = await cli(["export", collection]);
    const child = spawn(BIN, ["export", collection, "--page-size", "1"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    const code = new Promise<number | null>((resolve) => child.once("close", resolve));
    for (let waited = 0; stdout.split("\n").length < 5 && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGINT");
    expect(await code).toBe(130);
    const token = /--resume-token (\S+)/.exec(stderr)?.[1];
    expect(token, stderr).toBeDefined();
    const rest = await cli(["export", collection, "--resume-token", token!]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(stdout + rest.stdout).toBe(whole.stdout);
  });

  it("resumes from a --resume-token, and refuses a forged one", async () => {
    const collection = uniqueCollection("cli_token");
    await seed(collection, 30);
    const first = await db.collection(collection).list({ pageSize: 10 });
    const resumed = await cli(["export", collection, "--resume-token", first.nextPageToken]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const ids = resumed.stdout.trimEnd().split("\n").map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids[0]).toBe("d00010");
    expect(ids).toHaveLength(20);
    const bad = await cli(["export", collection, "--resume-token", "forged"]);
    // A usage error naming the flag, with the server's words (exit 1 before, naming page_token).
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--resume-token is not a token an export of ts_cli_token\S* in database default printed \(the server says: page_token is invalid/);
    // The token the server just refused is not offered back as a way to resume.
    expect(bad.stderr).not.toMatch(/to resume/);
  });

  it("search-index create --geo, then query --near (nearest first, with meters) and --within; bad points exit 2", async () => {
    const collection = uniqueCollection("cli_geo");
    for (const [id, lat, lng] of [["eiffel", 48.8584, 2.2945], ["louvre", 48.8606, 2.3376], ["london", 51.5074, -0.1278]] as const) {
      expect((await cli(["put", collection, id, JSON.stringify({ name: id, loc: { lat, lng } })])).code).toBe(0);
    }
    const created = await cli(["search-index", "create", collection, "--geo", "loc"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/geo loc \((STATE_)?READY\)/);
    const near = await cli(["query", collection, "--near", "48.8566,2.3522,10000", "--json"]);
    expect(near.code, near.stderr).toBe(0);
    const hits = near.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { id: string; distanceMeters: number });
    expect(hits.map((h) => h.id)).toEqual(["louvre", "eiffel"]);
    expect(hits[0]!.distanceMeters).toBeGreaterThan(1000);
    expect(hits[0]!.distanceMeters).toBeLessThan(hits[1]!.distanceMeters);
    const table = await cli(["query", collection, "--near", "48.8566,2.3522,10000"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^id\s+meters\s+/);
    expect(table.stderr.trim()).toBe("2 documents");
    const within = await cli(["query", collection, "--within", "48,-1,52,1", "--json"]);
    expect(within.stdout.trimEnd().split("\n").map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(["london"]);
    const withinTable = await cli(["query", collection, "--within", "48,-1,52,1"]);
    expect(withinTable.stderr.trim()).toBe("1 document");
    const bad = await cli(["query", collection, "--near", "48.8,north,10"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--near 48.8,north,10: expected LAT,LNG,METERS/);
  });

  it("search-index create --text takes the server's weights (0 to 1000); query --search prints scores with their significant digits", async () => {
    const collection = uniqueCollection("cli_search");
    for (const [id, title] of [["a", "walrus walrus"], ["b", "walrus and seal"], ["c", "seal"], ["d", "seal pup"]] as const) {
      expect((await cli(["put", collection, id, JSON.stringify({ title })])).code).toBe(0);
    }
    const tooHeavy = await cli(["search-index", "create", collection, "--text", "title:1001"]);
    expect(tooHeavy.code).toBe(2);
    expect(tooHeavy.stderr).toMatch(/--text title:1001: the weight after ":" must be a number from 0 to 1000 \(0 means 1\)/);
    const created = await cli(["search-index", "create", collection, "--text", "title:0"]);
    expect(created.code, created.stderr).toBe(0);
    const table = await cli(["query", collection, "--search", "walrus"]);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^id\s+score\s+/);
    const scores = rows.slice(2).map((r) => r.split(/\s+/)[1]!);
    expect(scores).toHaveLength(2);
    for (const score of scores) {
      expect(Number(score)).toBeGreaterThan(0);
      // Four significant digits however small (BM25 scores of a tiny collection are), never 0.0000.
      expect(Number(score).toPrecision(4)).toBe(score);
    }
    const one = await cli(["query", collection, "--search", "pup"]);
    expect(one.stderr.trim()).toBe("1 document");
  });

  it("get, put, add, query, collections, shards and indexes work; user errors are one line and exit non-zero", async () => {
    const collection = uniqueCollection("cli_misc");
    expect((await cli(["put", collection, "ann", '{"age": 41, "city": "Oslo"}'])).code).toBe(0);
    expect((await cli(["put", collection, "bo", '{"age": 25, "city": "Lima"}'])).code).toBe(0);
    const added = await cli(["add", collection, '{"age": 33}']);
    expect(added.code, added.stderr).toBe(0);
    expect((JSON.parse(added.stdout) as { id: string }).id).toMatch(/^[A-Za-z0-9]{20}$/);
    const got = await cli(["get", collection, "ann"]);
    expect(JSON.parse(got.stdout)).toMatchObject({ id: "ann", version: expect.stringMatching(/^\d+$/), data: { age: 41, city: "Oslo" } });

    const table = await cli(["query", collection, "--filter", "age > 30", "--order-by", "age:desc"]);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^id\s+age\s+city$/);
    expect(rows.slice(2).map((r) => r.split(/\s+/)[1])).toEqual(["41", "33"]);
    const json = await cli(["query", collection, "--json", "--limit", "1", "--order-by", "age"]);
    expect(JSON.parse(json.stdout)).toEqual({ id: "bo", data: { age: 25, city: "Lima" } });

    const collections = await cli(["collections", "--json"]);
    expect(JSON.parse(collections.stdout)).toContainEqual({ name: collection, approximateDocumentCount: 3 });
    const shards = await cli(["shards", "--json"]);
    expect((JSON.parse(shards.stdout) as { shards: unknown[] }).shards.length).toBeGreaterThan(0);

    const created = await cli(["indexes", "create", collection, "city", "age:desc"]);
    expect(created.code, created.stderr).toBe(0);
    const listed = JSON.parse((await cli(["indexes", "list", collection, "--json"])).stdout) as Array<{ id: string; fields: string[] }>;
    expect(listed.map((i) => i.fields)).toEqual([["city", "age:desc"]]);
    expect((await cli(["indexes", "drop", collection, listed[0]!.id])).code).toBe(0);
    expect(JSON.parse((await cli(["indexes", "list", collection, "--json"])).stdout)).toEqual([]);

    const missing = await cli(["get", collection, "nobody"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`impossibledb: document ${collection}/nobody does not exist`);
    const badJson = await cli(["put", collection, "x", "{nope"]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^impossibledb: the document is not JSON/);
    // A name the server would refuse is refused before anything is sent (exit 2, naming the argument).
    const badName = await cli(["get", "bad name", "x"]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/argument 'collection'\. collection name "bad name" must be a letter/);
    const badFilter = await cli(["query", collection, "--filter", "year >"]);
    expect(badFilter.code).toBe(1);
    expect(badFilter.stderr).toMatch(/^impossibledb: InvalidArgument: /);
    const noFile = await cli(["import", collection, path.join(dir, "missing.ndjson")]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/missing\.ndjson: no such file/);
    const unknown = await cli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    const down = await cli(["collections"], { env: { IMPOSSIBLEDB_URL: "http://127.0.0.1:9" } });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/is the server running at http:\/\/127\.0\.0\.1:9/);
    // With --json, refusals are one JSON object on stderr too.
    const downJson = await cli(["collections", "--json"], { env: { IMPOSSIBLEDB_URL: "http://127.0.0.1:9" } });
    expect(downJson.code).toBe(1);
    // The advice is the CLI's, so it is a hint beside the message, not part of it.
    expect(JSON.parse(downJson.stderr)).toMatchObject({ code: expect.stringMatching(/^(unavailable|unknown)$/), exit_code: 1, hint: expect.stringMatching(/is the server running/) });
    expect((JSON.parse(downJson.stderr) as { message: string }).message).not.toMatch(/is the server running/);
    const badFilterJson = await cli(["query", collection, "--filter", "year >", "--json"]);
    expect(badFilterJson.code).toBe(1);
    expect(JSON.parse(badFilterJson.stderr)).toMatchObject({ code: "invalid_argument", exit_code: 1 });
    // The code has its own field: the message is the server's alone.
    expect((JSON.parse(badFilterJson.stderr) as { message: string }).message).not.toMatch(/^InvalidArgument/);
    const missingJson = await cli(["search-index", "get", uniqueCollection("cli_none"), "--json"]);
    expect(missingJson.code).toBe(1);
    const noIndex = JSON.parse(missingJson.stderr) as { code: string; message: string };
    expect(noIndex.code).toBe("not_found");
    expect(noIndex.message).not.toMatch(/^NotFound/);
    expect(noIndex.message).toMatch(/^collection \S+ has no search index$/);
    const badLimitJson = await cli(["query", collection, "--json", "--limit", "0"]);
    expect(badLimitJson.code).toBe(2);
    expect(JSON.parse(badLimitJson.stderr)).toEqual({ code: "usage", message: "--limit must be at least 1", exit_code: 2 });
    const csvOut = await cli(["export", collection, "--out", path.join(dir, "books.csv")]);
    expect(csvOut.code).toBe(2);
    expect(csvOut.stderr).toMatch(/export writes NDJSON .* not CSV: name the file \.ndjson or \.jsonl/);
    expect(existsSync(path.join(dir, "books.csv"))).toBe(false);
    for (const r of [missing, badJson, badName, badFilter, noFile, down]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

/**
 * The CLI's export and import with whole doubles past 2^53, against a
 * server held in memory: what export writes for such a document, import
 * writes back as the same doubles (docs/cli.md's export, delete --all,
 * import sequence lost the collection: import refused its own export and
 * wrote nothing). An integer literal no double spells, which a person
 * typed, is still refused with its line, and nothing is written.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { createRouterTransport } from "@connectrpc/connect";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runExport } from "../src/cli/export.js";
import { runImport } from "../src/cli/import.js";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { DocumentSchema, type Document, type Value, type Write } from "../src/gen/impossibledb/v1/document_pb.js";
import { ImpossibleDBClient } from "../src/node.js";
import { firstInexactInteger, spellsItsDouble } from "../src/number-text.js";

const dir = mkdtempSync(join(tmpdir(), "impossibledb-big-doubles-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Documents as the server returns them after JSON writes of 1e18, the snowflake id 175928847299117063 and a typed doubleValue 1e17. */
const STORED: Document[] = [
  create(DocumentSchema, { collection: "bigdbl", id: "a", version: 1n, data: { n: 1e18 } }),
  create(DocumentSchema, { collection: "bigdbl", id: "b", version: 1n, data: { id: 175928847299117056, neg: -(2 ** 63), list: [2 ** 53, 2 ** 64] } }),
  create(DocumentSchema, {
    collection: "bigdbl",
    id: "c",
    version: 1n,
    data: { d: 1e17, i: 9007199254740992 },
    fields: { d: { kind: { case: "doubleValue", value: 1e17 } }, i: { kind: { case: "integerValue", value: 2n ** 53n + 1n } } },
  }),
];

/** A server that lists STORED and records the batches written to it. */
function memoryServer() {
  const written: Write[] = [];
  const transport = createRouterTransport((router) => {
    router.service(CollectionService, {
      listDocuments: () => ({ documents: STORED }),
      batchWriteDocuments(req) {
        written.push(...req.writes);
        return { statuses: req.writes.map(() => ({ code: 0 })), results: req.writes.map((w) => ({ ref: w.ref, version: 2n })) };
      },
    });
  });
  return { db: new ImpossibleDBClient({ transport, retry: false }), written };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A write's value of field `name`, as the number or typed value it carries. */
function sent(write: Write, name: string): number | Value | undefined {
  const op = write.operation;
  if (op.case === "set") return op.value[name] as number;
  if (op.case === "setFields") return op.value.fields[name];
  return undefined;
}

beforeEach(() => {
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

describe("export, then import, of whole doubles past 2^53", () => {
  it("import writes back every double export wrote, exactly (it refused the file and wrote nothing)", async () => {
    const { db, written } = memoryServer();
    const out = join(dir, "bigdbl.ndjson");
    await runExport(db, "bigdbl", { out, pageSize: 100 });
    const lines = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe('{"id":"a","data":{"n":1000000000000000000}}');
    expect(lines[1]).toBe('{"id":"b","data":{"id":175928847299117060,"neg":-9223372036854776000,"list":[9007199254740992,18446744073709552000]}}');
    await expect(runImport(db, "bigdbl", out, { idColumn: "id", batchSize: 500, dryRun: false })).resolves.toBe(3);
    const [a, b, c] = written as [Write, Write, Write];
    expect(sent(a, "n")).toBe(1e18);
    expect(b.operation.case === "set" && b.operation.value).toEqual({ id: 175928847299117056, neg: -(2 ** 63), list: [2 ** 53, 2 ** 64] });
    const d = sent(c, "d") as Value;
    expect(d.kind).toEqual({ case: "doubleValue", value: 1e17 });
    expect((sent(c, "i") as Value).kind).toEqual({ case: "integerValue", value: 2n ** 53n + 1n });
  });

  it("a typed doubleValue written as an integer literal is that double", async () => {
    const { db, written } = memoryServer();
    const input = file("typed-double.ndjson", '{"id":"t","fields":{"d":{"doubleValue":100000000000000000},"e":{"doubleValue":175928847299117060}}}\n');
    await expect(runImport(db, "bigdbl", input, { idColumn: "id", batchSize: 500, dryRun: false })).resolves.toBe(1);
    expect(written[0]!.operation).toMatchObject({ case: "set", value: { d: 1e17, e: 175928847299117056 } });
  });

  it("refuses an integer literal no double spells, naming its line and the double it would become, and writes nothing", async () => {
    const { db, written } = memoryServer();
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    const input = file("typed-by-hand.ndjson", '{"id":"ok","data":{"n":1000000000000000000}}\n{"id":"x","data":{"id":175928847299117063}}\n');
    await expect(runImport(db, "bigdbl", input, { idColumn: "id", batchSize: 500, dryRun: false })).rejects.toMatchObject({ exitCode: 2 });
    expect(errors[0]).toMatch(/typed-by-hand\.ndjson:2: the integer 175928847299117063 is beyond ±2\^53 and is not a double: .* stored as 175928847299117056; quote it .*"integerValue": "175928847299117063"/);
    expect(written).toEqual([]);
  });

  it("refuses one in a JSON array at its element's line, and in a CSV cell unless quoted", async () => {
    const { db } = memoryServer();
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    const array = file("by-hand.json", '[\n  {"id": "a", "data": {"n": 1e18, "s": "175928847299117063"}},\n  {"id": "b",\n   "data": {"n": 9007199254740993}}\n]');
    await expect(runImport(db, "bigdbl", array, { idColumn: "id", batchSize: 500, dryRun: true })).rejects.toMatchObject({ exitCode: 2 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/by-hand\.json:3: the integer 9007199254740993 .* stored as 9007199254740992/);
    const csv = file("by-hand.csv", 'id,n\na,1000000000000000000\nb,"175928847299117063"\nc,175928847299117063\n');
    errors.length = 0;
    await expect(runImport(db, "bigdbl", csv, { idColumn: "id", batchSize: 500, dryRun: true })).rejects.toMatchObject({ exitCode: 2 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/by-hand\.csv:4: column "n": the integer 175928847299117063 .*quote it to store it as text/);
  });
});

describe("which integer literals spell their double", () => {
  it("accepts a double's exact digits and its shortest text, and refuses other digits", () => {
    const accepted = ["0", "-0", "42", "9007199254740991", "9007199254740992", "1000000000000000000", "175928847299117056", "175928847299117060", "-9223372036854775808", "-9223372036854776000", "18446744073709551616", "1.5", "1e18", "17592884729911706e1", "1e400"];
    const refused = ["9007199254740993", "175928847299117063", "18446744073709551615", "-9223372036854775807", "123456789012345678901234"];
    expect(accepted.filter((t) => !spellsItsDouble(t))).toEqual([]);
    expect(refused.filter((t) => spellsItsDouble(t))).toEqual([]);
  });

  it("finds the first one in JSON text, skipping strings (escaped quotes too), with its offset and nearest double", () => {
    const text = '{"a": "\\" 175928847299117063", "b": [1, 2e30, -175928847299117063], "c": 9007199254740993}';
    expect(firstInexactInteger(text)).toEqual({ literal: "-175928847299117063", offset: text.indexOf("-1759"), nearest: "-175928847299117056" });
    expect(firstInexactInteger(text, text.indexOf('"c"'))).toMatchObject({ literal: "9007199254740993", nearest: "9007199254740992" });
    expect(firstInexactInteger(JSON.stringify({ n: 175928847299117056, m: [2 ** 60, 1e20] } as JsonObject))).toBeNull();
  });
});

/**
 * How `impossibledb import` names bad records: one count in good English,
 * the line of a JSON array's syntax error, the same words for a number no
 * double holds in JSON and CSV, and a record with no document.
 */
import { createRouterTransport } from "@connectrpc/connect";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { runImport } from "../src/cli/import.js";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { ImpossibleDBClient } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "impossibledb-import-problems-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Imports `text` as file `name`; resolves with the error and the lines printed to stderr (nothing may be written). */
async function refused(name: string, text: string): Promise<{ error: Error; printed: string[] }> {
  const written: unknown[] = [];
  const transport = createRouterTransport((router) => {
    router.service(CollectionService, {
      batchWriteDocuments(req) {
        written.push(...req.writes);
        return { statuses: req.writes.map(() => ({ code: 0 })), results: [] };
      },
    });
  });
  const db = new ImpossibleDBClient({ transport, retry: false });
  const printed: string[] = [];
  vi.spyOn(console, "error").mockImplementation((line: string) => void printed.push(line));
  const file = join(dir, name);
  writeFileSync(file, text);
  const error = await runImport(db, "c", file, { idColumn: "id", batchSize: 500, dryRun: false }).then(
    () => {
      throw new Error("expected the import to be refused");
    },
    (err: Error) => err,
  );
  expect(written).toEqual([]);
  return { error, printed: printed.map((line) => line.replace(`${dir}/`, "")) };
}

describe("import problems", () => {
  it("counts one bad record in the singular (it said '1 bad records')", async () => {
    const { error } = await refused("one.ndjson", '{"id":"a","data":{}}\n{"id":"b"}\n');
    expect(error.message).toMatch(/: 1 bad record; nothing was written$/);
    expect((await refused("two.ndjson", '{"id":"a"}\n{"id":"b"}\n')).error.message).toMatch(/: 2 bad records; nothing was written$/);
  });

  it("a record with neither data nor fields says so (it said '\"data\" must be an object')", async () => {
    const { printed } = await refused("nodata.ndjson", '{"id":"j7"}\n');
    expect(printed).toEqual(['nodata.ndjson:1: the record has neither "data" nor "fields"; give the document as "data": {...} (or typed, as "fields")']);
  });

  it("names the line of a JSON array's syntax error (it said line 1 for every one)", async () => {
    const { printed } = await refused("arr2.json", '[\n{"id":"a","data":{}},\n{"id":"b" "data":{}}\n]\n');
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^arr2\.json:3: not JSON: /);
  });

  it("a number no double holds is told in the same words in JSON and CSV (JSON said 'field \"a\" is Infinity')", async () => {
    const json = await refused("big.ndjson", '{"id":"a","data":{"a":1e400}}\n');
    expect(json.printed).toEqual(["big.ndjson:1: 1e400 is a number beyond what a double holds (about 1.8e308); quote it to store it as text"]);
    const array = await refused("big.json", '[\n{"id":"a","data":{"s":"1e400","a":-1e400}}]');
    expect(array.printed).toEqual(["big.json:2: -1e400 is a number beyond what a double holds (about 1.8e308); quote it to store it as text"]);
    const csv = await refused("big.csv", "id,a\nx,1e400\n");
    expect(csv.printed).toEqual(['big.csv:2: column "a": 1e400 is a number beyond what a double holds (about 1.8e308); quote it to store it as text']);
  });

  it("a number too small for a double is refused, not stored as 0, in JSON and CSV (a new user's 1e-400 became 0)", async () => {
    const json = await refused("tiny.ndjson", '{"id":"a","data":{"z":0e-400,"a":1e-400}}\n');
    expect(json.printed).toEqual(["tiny.ndjson:1: 1e-400 is a number too small for a double (the least is about 5e-324): it would be stored as 0; quote it to store it as text"]);
    const csv = await refused("tiny.csv", "id,a\nx,-2.5e-330\n");
    expect(csv.printed).toEqual(['tiny.csv:2: column "a": -2.5e-330 is a number too small for a double (the least is about 5e-324): it would be stored as 0; quote it to store it as text']);
  });

  it("a subnormal a literal does not spell is refused, as the server refuses it in JSON and in filters (3e-324 was stored as 5e-324)", async () => {
    const json = await refused("sub.ndjson", '{"id":"a","data":{"ok":5e-324,"also":1e-320,"a":3e-324}}\n');
    expect(json.printed).toEqual(["sub.ndjson:1: 3e-324 is a number too small for a double to hold as written: it would be stored as 5e-324; quote it to store it as text"]);
    const csv = await refused("sub.csv", "id,a\nx,1.23456789e-320\n");
    expect(csv.printed).toEqual(['sub.csv:2: column "a": 1.23456789e-320 is a number too small for a double to hold as written: it would be stored as 1.2347e-320; quote it to store it as text']);
  });
});

/**
 * One grammar for field names, enforced on write: a name no field path can
 * express (a control character, or `__id__` at the top level) is
 * INVALID_ARGUMENT on every write path, with a message naming where, and
 * changes nothing. A name paths can quote is stored and can be masked and
 * filtered on.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import type { JsonObject } from "@bufbuild/protobuf";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { formatFieldPath } from "../../src/validation/field-path.js";
import { connectClient, expectCode, rawFetch } from "./helpers.js";

const db = connectClient(CollectionService);
const binaryDb = connectClient(CollectionService, { binary: true });
const tx = connectClient(TransactionService);
const query = connectClient(QueryService);

const BAD: ReadonlyArray<readonly [string, JsonObject, RegExp]> = [
  ["a newline", { "a\nb": 1 }, /"a\\nb" at the top level holds control character U\+000A/],
  ["a NUL deep in a map", { m: { n: { "\u0000x": 1 } } }, /"\\u0000x" under m\.n holds control character U\+0000/],
  ["a tab in an array of maps", { list: [{ "t\tb": 1 }] }, /"t\\tb" under list\[0\] holds control character U\+0009/],
  ["__id__ at the top level", { __id__: "x" }, /__id__ at the top level is reserved/],
];

describe.each(BAD)("a field name with %s", (_name, bad, message) => {
  it("is refused by set, create, update, batches, transactions and CommitBatch, and changes nothing", async () => {
    const ref = { collection: "names", id: `k${BAD.findIndex((b) => b[1] === bad)}` };
    const before = (await db.setDocument({ ref, data: { keep: 1 } })).document!;
    // A masked update is checked as a whole: its data may not carry the name even beside the mask.
    const masked = { data: bad, updateMask: { fieldPaths: ["keep"] } };
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ["set", () => db.setDocument({ ref, data: bad })],
      ["set (binary)", () => binaryDb.setDocument({ ref, data: bad })],
      ["create", () => db.createDocument({ ref: { ...ref, id: `${ref.id}-new` }, data: bad })],
      ["update", () => db.updateDocument({ ref, patch: { data: bad } })],
      ["masked update", () => db.updateDocument({ ref, patch: masked })],
      ["batch", () => db.batchWriteDocuments({ writes: [{ ref, operation: { case: "set", value: bad } }] })],
      ["CommitBatch", () => tx.commitBatch({ writes: [{ ref, operation: { case: "update", value: masked } }] })],
      ["Commit", () => tx.beginTransaction({}).then(({ transaction }) => tx.commit({ transaction, writes: [{ ref, operation: { case: "set", value: bad } }] }))],
    ];
    for (const [what, attempt] of attempts) {
      const err = await expectCode(attempt(), Code.InvalidArgument).catch((e: unknown) => {
        throw new Error(`${what}: ${String(e)}`);
      });
      expect(err.rawMessage, what).toMatch(message);
    }
    const after = (await db.getDocument({ ref })).document!;
    expect(after.version).toBe(before.version);
    expect(after.data).toEqual({ keep: 1 });
    const created = await db.batchGetDocuments({ refs: [{ ...ref, id: `${ref.id}-new` }] });
    expect(created.results[0]!.found).toBe(false);
  });
});

describe("the reported request", () => {
  it("SetDocument with a field named a\\nb over raw Connect JSON is INVALID_ARGUMENT naming the field", async () => {
    const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"ref":{"collection":"names","id":"raw"},"data":{"a\\nb":1}}',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/data: field name "a\\nb" at the top level holds control character U\+000A/);
    expect((await db.batchGetDocuments({ refs: [{ collection: "names", id: "raw" }] })).results[0]!.found).toBe(false);
  });

  it("a lone top-level field named \\u0001i gets the same message as a nested one, not 'must be a JSON object'", async () => {
    for (const [id, data] of [["top", '{"\\u0001i":"9"}'], ["nested", '{"m":{"\\u0001i":"9"}}']]) {
      const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: `{"ref":{"collection":"names","id":"${id}"},"data":${data}}`,
      });
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe("invalid_argument");
      expect(body.message).toMatch(/field name "\\u0001i" (at the top level|under m) holds control character U\+0001/);
    }
    expect((await db.batchGetDocuments({ refs: [{ collection: "names", id: "top" }] })).results[0]!.found).toBe(false);
  });
});

describe("names paths can quote", () => {
  it("are stored, masked and filtered on", async () => {
    const names = ["odd name", "back`quote", "back\\slash", "a.b", "ключ", "__id__x"];
    const data: JsonObject = {};
    for (const n of names) data[n] = { [n]: n };
    await db.setDocument({ ref: { collection: "quoted", id: "q1" }, data });
    for (const n of names) {
      const path = formatFieldPath([n, n]);
      const masked = await db.getDocument({ ref: { collection: "quoted", id: "q1" }, mask: { fieldPaths: [path] } });
      expect(masked.document!.data).toEqual({ [n]: { [n]: n } });
      const found = await query.runQuery({ query: { collection: "quoted", filter: `${path} = ${JSON.stringify(n)}` } });
      expect(found.documents.map((d) => d.id), path).toEqual(["q1"]);
    }
  });
});

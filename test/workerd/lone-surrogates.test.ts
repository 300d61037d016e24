/**
 * Strings and field names must be well-formed Unicode. A lone UTF-16
 * surrogate ("\ud800", half a pair) arrives only over Connect JSON, and
 * UTF-8 cannot carry it: stored, it read back as itself over JSON but as
 * U+FFFD over binary and gRPC. So every write path refuses it with
 * INVALID_ARGUMENT naming the field, and stores nothing; filters and masks
 * that hold one are refused too, rather than silently never matching. A
 * well-formed astral character (a surrogate pair) round-trips everywhere.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import type { JsonObject } from "@bufbuild/protobuf";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { FieldFilter_Operator } from "../../gen/impossibledb/v1/query_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { connectClient, expectCode, rawFetch } from "./helpers.js";

const db = connectClient(CollectionService);
const binaryDb = connectClient(CollectionService, { binary: true });
const tx = connectClient(TransactionService);
const query = connectClient(QueryService);

describe("the reported request", () => {
  it("SetDocument over raw Connect JSON is INVALID_ARGUMENT naming the field, and stores nothing", async () => {
    const res = await rawFetch("/impossibledb.v1.CollectionService/SetDocument", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: String.raw`{"ref":{"collection":"pyn","id":"a"},"data":{"s":"\ud800x","k":{"\ud800":1}}}`,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    // The walk may meet either bad spot first; both are named.
    expect(body.message).toMatch(/^data: (field s is a string that|field name "\\ud800" under k) holds a lone UTF-16 surrogate \(U\+D800 at offset 0\)/);
    expect((await db.batchGetDocuments({ refs: [{ collection: "pyn", id: "a" }] })).results[0]!.found).toBe(false);
  });
});

const BAD: ReadonlyArray<readonly [string, JsonObject, RegExp]> = [
  ["a lone high surrogate in a string", { s: "\ud800x" }, /field s is a string that holds a lone UTF-16 surrogate \(U\+D800 at offset 0\)/],
  ["a lone low surrogate deep in an array", { m: { list: ["ok", "a\ude00"] } }, /field m\.list\[1\] is a string that holds a lone UTF-16 surrogate \(U\+DE00 at offset 1\)/],
  ["a lone surrogate in a field name", { k: { "\ud800": 1 } }, /field name "\\ud800" under k holds a lone UTF-16 surrogate/],
  ["a reversed pair in a top-level name", { "\ude00\ud83d": true }, /field name "\\ude00\\ud83d" at the top level holds a lone UTF-16 surrogate/],
];

describe.each(BAD)("%s", (name, bad, message) => {
  it("is refused by set, create, update, batches, Commit and CommitBatch over Connect JSON, and changes nothing", async () => {
    const ref = { collection: "lone", id: `k${BAD.findIndex((b) => b[0] === name)}` };
    const before = (await db.setDocument({ ref, data: { keep: 1 } })).document!;
    const masked = { data: bad, updateMask: { fieldPaths: ["keep"] } };
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ["set", () => db.setDocument({ ref, data: bad })],
      ["create", () => db.createDocument({ ref: { ...ref, id: `${ref.id}-new` }, data: bad })],
      ["update", () => db.updateDocument({ ref, patch: { data: bad } })],
      ["masked update", () => db.updateDocument({ ref, patch: masked })],
      ["batch set", () => db.batchWriteDocuments({ writes: [{ ref, operation: { case: "set", value: bad } }] })],
      ["batch create", () => db.batchWriteDocuments({ writes: [{ ref: { ...ref, id: `${ref.id}-new` }, operation: { case: "create", value: bad } }] })],
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
    expect((await db.batchGetDocuments({ refs: [{ ...ref, id: `${ref.id}-new` }] })).results[0]!.found).toBe(false);
  });
});

describe("well-formed astral characters", () => {
  it("round-trip as values and field names over JSON and binary, and match filters", async () => {
    const ref = { collection: "astral", id: "e1" };
    const data = { s: "😀x", "😀": { "k😀": ["😀"] } };
    await db.setDocument({ ref, data });
    expect((await db.getDocument({ ref })).document!.data).toEqual(data);
    expect((await binaryDb.getDocument({ ref })).document!.data).toEqual(data);
    const byText = await query.runQuery({ query: { collection: "astral", filter: 's = "\\ud83d\\ude00x" AND `😀`.`k😀`:"😀"' } });
    expect(byText.documents.map((d) => d.id)).toEqual(["e1"]);
  });
});

describe("filters and paths with a lone surrogate", () => {
  // Connect's JSON decoder already refuses a lone surrogate in a plain proto
  // string field (a field path, a mask path, the filter text itself), but
  // not inside google.protobuf.Value operands, nor one a \u escape makes
  // inside an AIP-160 string literal: those are the server's to refuse.
  const refusedByDecoder = /lone UTF-16 surrogate|invalid UTF8/;

  it("are INVALID_ARGUMENT rather than a filter that can never match", async () => {
    const operand = (value: unknown) => fromJson(ValueSchema, value as never);
    const structured = (field: string, value: unknown) =>
      query.runQuery({ query: { collection: "astral", where: { filterType: { case: "fieldFilter", value: { field, op: FieldFilter_Operator.EQUAL, value: operand(value) } } } } });
    await expectCode(structured("s", "\ud800x"), Code.InvalidArgument, /where\.field_filter\.value is a string that holds a lone UTF-16 surrogate/);
    await expectCode(structured("m", { "\udc00": 1 }), Code.InvalidArgument, /where\.field_filter\.value has a field name "\\udc00" that holds a lone UTF-16 surrogate/);
    await expectCode(structured("`\ud800`", 1), Code.InvalidArgument, refusedByDecoder);
    await expectCode(query.runQuery({ query: { collection: "astral", filter: 's = "\\ud800x"' } }), Code.InvalidArgument, /^filter: the string at offset 4 holds a lone UTF-16 surrogate \(U\+D800 at offset 0\)/);
    await expectCode(query.runQuery({ query: { collection: "astral", filter: "`\ud800` = 1" } }), Code.InvalidArgument, refusedByDecoder);
    const ref = { collection: "astral", id: "e1" };
    await expectCode(db.updateDocument({ ref, patch: { data: { a: 1 }, updateMask: { fieldPaths: ["`\ud800`"] } } }), Code.InvalidArgument, refusedByDecoder);
    await expectCode(db.getDocument({ ref, mask: { fieldPaths: ["`a\udfff`"] } }), Code.InvalidArgument, refusedByDecoder);
  });
});

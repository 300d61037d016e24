/**
 * Number keys order exactly as the doubles they stand for, and the shadow
 * JSON mirrors exactly the paths a filter or sort can name.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DatabaseSync } from "node:sqlite";
import { numberKey, numberKeysJson } from "../../../src/query/number-key.js";
import { DOCUMENT_MIGRATIONS, migrate } from "../../../src/storage/schema.js";
import { INDEX_MIGRATIONS, createIndexSql } from "../../../src/query/indexes.js";
import { runShardQuery } from "../../../src/query/shard-query.js";
import type { Expr } from "../../../src/query/expression.js";
import { EDGE_NUMBERS } from "./arbitraries.js";
import { nodeSql } from "./memory-shards.js";

const finite = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(...EDGE_NUMBERS));

describe("numberKey", () => {
  it("orders and equates exactly as the doubles do (-0 equal to 0)", () => {
    fc.assert(
      fc.property(finite, finite, (a, b) => {
        const [x, y] = [numberKey(a), numberKey(b)];
        expect(x.length).toBe(16);
        expect(Math.sign(x < y ? -1 : x > y ? 1 : 0)).toBe(Math.sign(a < b ? -1 : a > b ? 1 : 0));
      }),
      { numRuns: 2000 },
    );
    expect(numberKey(-0)).toBe(numberKey(0));
    const sorted = [...EDGE_NUMBERS].sort((a, b) => a - b);
    expect([...EDGE_NUMBERS].sort((a, b) => (numberKey(a) < numberKey(b) ? -1 : numberKey(a) > numberKey(b) ? 1 : 0))).toEqual(sorted);
  });

  it("refuses what no document can hold", () => {
    expect(() => numberKey(Number.NaN)).toThrow();
    expect(() => numberKey(Infinity)).toThrow();
  });
});

describe("numberKeysJson", () => {
  it("mirrors the paths of numbers and the number elements of arrays, and nothing else", () => {
    expect(numberKeysJson({ s: "x", b: true, n: null })).toBeNull();
    const shadow = JSON.parse(numberKeysJson({ a: 1, s: "x", m: { x: 2.5, y: "z", e: {} }, t: [3, "q", { a: 4 }], u: ["only text"] })!);
    expect(shadow).toEqual({ a: numberKey(1), m: { x: numberKey(2.5) }, t: [numberKey(3)] });
  });

  it("keeps keys such as __proto__ as plain text", () => {
    const data = JSON.parse('{"__proto__":{"z":1},"constructor":2}');
    expect(numberKeysJson(data)).toBe(`{"__proto__":{"z":"${numberKey(1)}"},"constructor":"${numberKey(2)}"}`);
  });
});

describe("the num_keys migration", () => {
  it("backfills documents stored before it, and rebuilds indexes to compare numbers by their keys", () => {
    const db = new DatabaseSync(":memory:");
    const sql = nodeSql(db);
    // A shard as version 1 left it: documents and an index, no num_keys.
    migrate(sql, "documents", DOCUMENT_MIGRATIONS.slice(0, 1));
    migrate(sql, "indexes", INDEX_MIGRATIONS.slice(0, 1));
    const insert = db.prepare("INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes) VALUES ('c', ?, ?, ?, 0, 0, 0)");
    const values = [175928847299117063, 2.4129826171182034e-300, 1, -5];
    values.forEach((v, i) => insert.run(`d${i}`, JSON.stringify({ a: v }), i + 1));
    const spec = { collection: "c", id: "i0000000000000001", fields: [{ path: ["a"], descending: false }] };
    // Version 1's index expression compared numbers by SQLite's reading of their text.
    // (Written out as it was: seven type ranks, no num_keys; migrations 2 and 3 rebuild it.)
    const v1Index =
      `CREATE INDEX "qidx__c__i0000000000000001" ON documents (collection, CASE json_type(data, '$.a') WHEN 'null' THEN 1 WHEN 'true' THEN 2 ` +
      `WHEN 'false' THEN 2 WHEN 'integer' THEN 3 WHEN 'real' THEN 3 WHEN 'text' THEN 4 WHEN 'array' THEN 5 WHEN 'object' THEN 6 ELSE 0 END, ` +
      `CASE json_type(data, '$.a') WHEN 'array' THEN NULL WHEN 'object' THEN NULL ELSE json_extract(data, '$.a') END) WHERE collection = 'c'`;
    db.exec(v1Index);
    db.prepare("INSERT INTO query_indexes (collection, index_id, fields, sql_name) VALUES ('c', ?, ?, ?)").run(spec.id, JSON.stringify([["a", false]]), "qidx__c__i0000000000000001");

    migrate(sql, "documents", DOCUMENT_MIGRATIONS);
    migrate(sql, "indexes", INDEX_MIGRATIONS);

    for (const [i, v] of values.entries()) {
      const result = runShardQuery(sql, {
        collection: "c",
        filter: { kind: "compare", path: ["a"], op: "==", value: v } as Expr,
        order: [{ path: ["a"], descending: false }],
        after: null,
        limit: 10,
        rowsReadMax: 1000,
        explain: false,
      });
      if (!result.ok) throw new Error(result.message);
      expect(result.documents.map((d) => d.id)).toEqual([`d${i}`]);
    }
    // The index is rebuilt on today's expressions, so the planner can match it with queries'.
    const stored = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").get("qidx__c__i0000000000000001") as { sql: string };
    expect(stored.sql).toBe(createIndexSql(spec).replace("CREATE INDEX IF NOT EXISTS", "CREATE INDEX"));
    db.close();
  });
});

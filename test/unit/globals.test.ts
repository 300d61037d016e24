/**
 * No request changes a global object of the isolate. A batch of hostile
 * inputs goes through every pure module that builds or reads objects by a
 * user's keys (patches, projections, filters and their operands, group-by
 * keys and aggregates, document checks, wire conversions); the own
 * properties of the shared built-ins must be exactly as before.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, fromJson, type JsonObject } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { DocumentMaskSchema } from "../../gen/impossibledb/v1/document_pb.js";
import { FieldFilter_Operator, FilterSchema } from "../../gen/impossibledb/v1/query_pb.js";
import { accumulate, finish, type PartialGroups } from "../../src/query/aggregator.js";
import { matches } from "../../src/query/evaluate.js";
import { parseQueryFilter } from "../../src/query/parser.js";
import { jsonFromValue, valueFromJson } from "../../src/query/proto-values.js";
import { checkData, maskFrom, toDocument } from "../../src/services/convert.js";
import { applyPatch } from "../../src/storage/patch.js";
import { project } from "../../src/storage/projection.js";
import { diffGlobals, snapshotGlobals, HOSTILE_KEYS } from "../support/global-snapshot.js";

const json = (text: string) => JSON.parse(text) as JsonObject;
// Paths that walk from a field into the prototype chain, if code follows inherited names.
const PATHS = HOSTILE_KEYS.flatMap((k) => [[k, "polluted"], [k, "prototype", "polluted"], ["constructor", "prototype", "polluted"], [k, "toString"]]);
const pathText = (path: readonly string[]) => path.map((s) => "`" + s + "`").join(".");

function hostileBatch(): void {
  const doc = json(`{"__proto__":{"polluted":"yes","x":1},"constructor":{"prototype":{"polluted":"yes"}},"a":[{"__proto__":{"polluted":1}}]}`);
  const stored = { collection: "c", id: "d", data: doc, version: 1, createTimeMs: 0, updateTimeMs: 0 };
  for (const path of PATHS) {
    applyPatch(doc, json(`{${JSON.stringify(path[0])}:{}}`), [path]);
    applyPatch({}, doc, [path.slice(0, 1)]);
    applyPatch(doc, doc, null);
    project(doc, [path]);
    project({}, [path]);
    const text = pathText(path);
    const mask = maskFrom(create(DocumentMaskSchema, { fieldPaths: [text] }), "mask");
    toDocument(stored, mask);
    for (const filter of [`${text} = "yes"`, `${text}:*`, `-${text}:1`]) matches(parseQueryFilter(undefined, filter), { id: "d", data: doc });
    const groups: PartialGroups = new Map();
    accumulate(groups, { id: "d", data: doc }, [path], [{ alias: path[0]!, fn: "max", path }]);
    finish(groups, 1, [{ alias: path[0]!, fn: "max", path }]);
  }
  const operand = fromJson(ValueSchema, doc);
  valueFromJson(jsonFromValue(operand, "v"));
  const where = create(FilterSchema, { filterType: { case: "fieldFilter", value: { field: "__proto__", op: FieldFilter_Operator.EQUAL, value: operand } } });
  matches(parseQueryFilter(where, ""), { id: "d", data: doc });
  checkData(doc, "data");
}

describe("global objects", () => {
  let before: ReturnType<typeof snapshotGlobals>;
  beforeAll(() => {
    before = snapshotGlobals();
  });

  it("are unchanged by a batch of hostile inputs to every pure module", () => {
    hostileBatch();
    expect(diffGlobals(before, snapshotGlobals())).toEqual([]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  // A polluted Object.prototype would break every later test of this worker: undo additions even if the test failed.
  afterAll(() => {
    for (const key of Reflect.ownKeys(Object.prototype)) {
      if (!before.has(`Object.prototype.${String(key)}`)) delete (Object.prototype as Record<PropertyKey, unknown>)[key];
    }
  });
});

/**
 * Filters, their map operands, group-by keys and aggregates treat field
 * names that JavaScript gives meaning to (`__proto__`, `constructor`, ...)
 * as ordinary names: parsed, compared and grouped like any other, never an
 * inherited property and never a prototype change.
 */
import { describe, expect, it } from "vitest";
import { create, fromJson, toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { FieldFilter_Operator, FilterSchema } from "../../../gen/impossibledb/v1/query_pb.js";
import { accumulate, finish, type PartialGroups } from "../../../src/query/aggregator.js";
import { matches } from "../../../src/query/evaluate.js";
import { parseQueryFilter } from "../../../src/query/parser.js";
import { jsonFromValue, valueFromJson } from "../../../src/query/proto-values.js";
import { canonicalJson, valuesEqual } from "../../../src/query/values.js";
import { HOSTILE_KEYS } from "../../support/global-snapshot.js";

const json = (text: string) => JSON.parse(text) as JsonObject;

function equalsFilter(field: string, operand: JsonValue) {
  return create(FilterSchema, {
    filterType: { case: "fieldFilter", value: { field, op: FieldFilter_Operator.EQUAL, value: fromJson(ValueSchema, operand) } },
  });
}

describe.each(HOSTILE_KEYS)("a field named %s", (key) => {
  const k = JSON.stringify(key);
  const doc = { id: "d1", data: json(`{${k}:{${k}:1,"n":2},"m":{${k}:[{${k}:true}]}}`) };

  it("survives a wire Value both ways as an own field", () => {
    const operand = json(`{${k}:{${k}:1}}`);
    const back = jsonFromValue(fromJson(ValueSchema, operand), "value");
    expect(JSON.stringify(back)).toBe(JSON.stringify(operand));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(toJson(ValueSchema, valueFromJson(operand))).toEqual(operand);
  });

  it("is matched by a structured filter with a map operand naming it", () => {
    const hit = parseQueryFilter(equalsFilter("m", json(`{${k}:[{${k}:true}]}`)), "");
    expect(matches(hit, doc)).toBe(true);
    const miss = parseQueryFilter(equalsFilter("m", json(`{${k}:[{${k}:false}]}`)), "");
    expect(matches(miss, doc)).toBe(false);
  });

  it("is a field path of the AIP-160 filter, missing where the document lacks it", () => {
    const path = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${key}.${key}` : `\`${key}\`.\`${key}\``;
    expect(matches(parseQueryFilter(undefined, `${path} = 1`), doc)).toBe(true);
    expect(matches(parseQueryFilter(undefined, `${key}:*`), { id: "d2", data: { a: 1 } })).toBe(false);
    expect(matches(parseQueryFilter(undefined, `a.${key}:*`), { id: "d2", data: { a: {} } })).toBe(false);
  });

  it("groups and aggregates by its value, and names an aggregate", () => {
    const groups: PartialGroups = new Map();
    const specs = [{ alias: key, fn: "sum" as const, path: [key, "n"] }];
    accumulate(groups, doc, [[key, key]], specs);
    accumulate(groups, { id: "d2", data: json(`{${k}:{${k}:1,"n":5}}`) }, [[key, key]], specs);
    accumulate(groups, { id: "d3", data: { other: 1 } }, [[key, key]], specs);
    const out = finish(groups, 1, specs);
    expect(out.map((g) => [g.key, JSON.stringify(g.results)])).toEqual([
      [[null], `{${k}:0}`],
      [[1], `{${k}:7}`],
    ]);
  });

  it("compares deeply as an own entry", () => {
    expect(valuesEqual(json(`{${k}:1}`), {})).toBe(false);
    expect(valuesEqual({}, json(`{${k}:1}`))).toBe(false);
    // Group keys are told apart by this text, so a hostile key must be in it.
    expect(canonicalJson(json(`{"b":1,${k}:2}`))).toContain(`${k}:2`);
    expect(canonicalJson(json(`{${k}:2}`))).not.toBe(canonicalJson({}));
  });
});

/**
 * Conversions between `google.protobuf.Value` and plain JSON values, with
 * the checks the wire cannot make: numbers must be finite (JSON has no NaN
 * or Infinity, and the total order has no place for them), strings and keys
 * well-formed Unicode (validation/unicode.ts), and nesting is bounded like
 * a document's.
 */
import { create, type JsonValue } from "@bufbuild/protobuf";
import { NullValue, ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { FailureError } from "../errors.js";
import { setOwn } from "../json/own-keys.js";
import { DOCUMENT_DEPTH_MAX } from "../limits.js";
import { loneSurrogateProblem } from "../validation/unicode.js";
import { leafJsonForm } from "../values/json-form.js";
import { typedLeafOf } from "../values/typed.js";

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The JSON value of a wire Value; `where` names it in errors. `depth` is
 * the level the value has when it is a list or a struct, counted as
 * documents count nesting (validation/document-data.ts): one level per map
 * or array, none for a scalar.
 */
export function jsonFromValue(value: Value, where: string, depth = 1): JsonValue {
  const kind = value.kind;
  switch (kind.case) {
    case "nullValue":
      // Binary protobuf carries any enum number; NULL_VALUE (0) is the only one.
      const nullNumber: number = kind.value;
      if (nullNumber !== NullValue.NULL_VALUE) throw new FailureError("invalid_argument", `${where}.null_value is ${nullNumber}, not a NullValue; only NULL_VALUE (0) is one`);
      return null;
    case "boolValue":
      return kind.value;
    case "stringValue": {
      // No stored string holds a lone surrogate (unicode.ts), so an operand with one could never match.
      const problem = loneSurrogateProblem(kind.value);
      if (problem !== null) throw new FailureError("invalid_argument", `${where} is a string that ${problem}`);
      return kind.value;
    }
    case "numberValue":
      if (!Number.isFinite(kind.value)) throw new FailureError("invalid_argument", `${where} is ${kind.value}; numbers must be finite`);
      return kind.value;
    case "listValue":
      if (depth > DOCUMENT_DEPTH_MAX) throw tooDeep(where);
      return kind.value.values.map((v, i) => jsonFromValue(v, `${where}[${i}]`, depth + 1));
    case "structValue": {
      if (depth > DOCUMENT_DEPTH_MAX) throw tooDeep(where);
      // Keys are the user's (`__proto__` among them): own properties only, see own-keys.ts.
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(kind.value.fields)) {
        const problem = loneSurrogateProblem(k);
        if (problem !== null) throw new FailureError("invalid_argument", `${where} has a field name ${JSON.stringify(k)} that ${problem}`);
        // No stored field name holds a control character (validation/document-data.ts), so such a
        // map could never match; refusing it also keeps a map from passing for a typed value's tag
        // (values/typed.ts), which reached the shards' SQL as a malformed value (INTERNAL, found by a
        // new-user test).
        if (CONTROL.test(k)) throw new FailureError("invalid_argument", `${where} has a field name ${JSON.stringify(k)} with a control character; field names may not hold U+0000-U+001F or U+007F`);
        setOwn(out, k, jsonFromValue(v, `${where}.${k}`, depth + 1));
      }
      return out;
    }
    case undefined:
      throw new FailureError("invalid_argument", `${where} has no value set`);
  }
}

function tooDeep(where: string): FailureError {
  return new FailureError("invalid_argument", `${where} nests deeper than DOCUMENT_DEPTH_MAX (${DOCUMENT_DEPTH_MAX}) levels of maps and arrays`);
}

/** The wire Value of a JSON value; typed values (values/typed.ts) in their JSON form. */
export function valueFromJson(json: JsonValue): Value {
  if (json === null) return create(ValueSchema, { kind: { case: "nullValue", value: 0 } });
  switch (typeof json) {
    case "boolean":
      return create(ValueSchema, { kind: { case: "boolValue", value: json } });
    case "number":
      return create(ValueSchema, { kind: { case: "numberValue", value: json } });
    case "string":
      return create(ValueSchema, { kind: { case: "stringValue", value: json } });
  }
  if (Array.isArray(json)) return create(ValueSchema, { kind: { case: "listValue", value: { values: json.map(valueFromJson) } } });
  // A typed value shows in its JSON form (values/json-form.ts).
  const leaf = typedLeafOf(json);
  if (leaf !== null) return valueFromJson(leafJsonForm(leaf));
  const fields: Record<string, Value> = {};
  for (const [k, v] of Object.entries(json)) setOwn(fields, k, valueFromJson(v));
  return create(ValueSchema, { kind: { case: "structValue", value: { fields } } });
}

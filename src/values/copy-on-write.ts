/**
 * Copy-on-write maps over JSON arrays and objects: the shape both views of
 * typed values share (json-form.ts for `data`, rules/cel-data.ts for CEL),
 * where most documents hold no typed value and must cost no copy.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { setOwn } from "../json/own-keys.js";

/** `list` with each element passed through `f`; the same array when `f` changed none. */
export function mapArrayOnWrite<T>(list: readonly JsonValue[], f: (v: JsonValue) => T | JsonValue): ReadonlyArray<T | JsonValue> {
  let out: Array<T | JsonValue> | null = null;
  for (let i = 0; i < list.length; i++) {
    const v = f(list[i]!);
    if (v !== list[i] && out === null) out = list.slice(0, i);
    if (out !== null) out.push(v);
  }
  return out ?? list;
}

/** `obj` with each value passed through `f` (own keys, `__proto__` included); the same object when `f` changed none. */
export function mapObjectOnWrite<T>(obj: JsonObject, f: (v: JsonValue) => T | JsonValue): Readonly<Record<string, T | JsonValue>> {
  let out: Record<string, T | JsonValue> | null = null;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = f(obj[k]!);
    if (v !== obj[k] && out === null) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, keys[j]!, obj[keys[j]!]!);
    }
    if (out !== null) setOwn(out, k, v);
  }
  return out ?? obj;
}

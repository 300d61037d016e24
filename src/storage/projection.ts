/**
 * Projections: keeping only the masked fields of a document. Pure.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { isObject } from "../validation/document-data.js";
import { getPath } from "./patch.js";

/** The fields of `data` named by `paths`; paths that are missing are left out. */
export function project(data: JsonObject, paths: ReadonlyArray<readonly string[]>): JsonObject {
  const out: JsonObject = {};
  for (const path of paths) {
    const value = getPath(data, path);
    if (value === undefined) continue;
    let node = out;
    for (const segment of path.slice(0, -1)) {
      const next: JsonValue | undefined = node[segment];
      if (!isObject(next)) node[segment] = {};
      node = node[segment] as JsonObject;
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}

/**
 * Projections: keeping only the masked fields of a document. Pure.
 *
 * Paths are user-chosen names, `__proto__` among them, so the output is
 * built with own properties only (own-keys.ts): a projection never changes
 * a prototype, whatever the mask says.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { getOwn, setOwn } from "../json/own-keys.js";
import { isMap } from "../validation/document-data.js";
import { getPath } from "./patch.js";

/** The fields of `data` named by `paths`; paths that are missing are left out. */
export function project(data: JsonObject, paths: ReadonlyArray<readonly string[]>): JsonObject {
  const out: JsonObject = {};
  for (const path of paths) {
    const value = getPath(data, path);
    if (value === undefined) continue;
    let node = out;
    for (const segment of path.slice(0, -1)) {
      let next = getOwn(node, segment);
      if (!isMap(next)) setOwn<JsonValue>(node, segment, (next = {}));
      node = next;
    }
    setOwn(node, path[path.length - 1]!, value);
  }
  return out;
}

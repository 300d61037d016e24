/**
 * Applies an update (a DocumentPatch) to a document's fields. Pure.
 *
 * Without a mask, each top-level field of the patch replaces the document's
 * field of that name. With a mask, each masked path is set to the patch's
 * value at that path, or removed when the patch has no value there; the
 * patch may not carry fields outside the mask (that would be a silent no-op
 * the caller surely did not mean).
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { getOwn, setOwn } from "../json/own-keys.js";
import { isMap } from "../validation/document-data.js";

type Mask = ReadonlyArray<readonly string[]>;

/** The patched fields, or why the patch does not fit its mask. */
export type PatchOutcome = { ok: true; data: JsonObject } | { ok: false; message: string };

/** Applies `patch` under `mask` (null: merge top-level fields) to `current`. */
export function applyPatch(current: JsonObject, patch: JsonObject, mask: Mask | null): PatchOutcome {
  if (mask === null) return { ok: true, data: { ...current, ...patch } };
  const overlap = findOverlap(mask);
  if (overlap !== null) return { ok: false, message: overlap };
  const stray = findUnmaskedLeaf(patch, mask);
  if (stray !== null) return { ok: false, message: `patch data has field ${stray.join(".")} that the update mask does not name` };
  const result = structuredClone(current) as JsonObject;
  for (const path of mask) {
    const value = getPath(patch, path);
    if (value === undefined) removePath(result, path);
    else setPath(result, path, structuredClone(value) as JsonValue);
  }
  return { ok: true, data: result };
}

/** Reads the value at `path`, or undefined when any segment is missing. */
export function getPath(root: JsonObject, path: readonly string[]): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const segment of path) {
    if (!isMap(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/**
 * Sets the field at `path` of `root` to `value`, making maps on the way
 * and replacing a non-map that stands in the way. Segments are user-chosen
 * names (`__proto__` among them), so nodes are read and written as own
 * properties only: see own-keys.ts.
 */
export function setPath(root: JsonObject, path: readonly string[], value: JsonValue): void {
  let node = root;
  for (const segment of path.slice(0, -1)) {
    let next = getOwn(node, segment);
    if (!isMap(next)) setOwn<JsonValue>(node, segment, (next = {}));
    node = next;
  }
  setOwn(node, path[path.length - 1]!, value);
}

function removePath(root: JsonObject, path: readonly string[]): void {
  let node: JsonValue | undefined = root;
  for (const segment of path.slice(0, -1)) {
    if (!isMap(node) || !Object.hasOwn(node, segment)) return;
    node = node[segment];
  }
  const last = path[path.length - 1]!;
  // Deleting an inherited name is a no-op, but say so: only own fields are removed.
  if (isMap(node) && Object.hasOwn(node, last)) delete node[last];
}

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  return a.length <= b.length && a.every((s, i) => s === b[i]);
}

function findOverlap(mask: Mask): string | null {
  for (let i = 0; i < mask.length; i++) {
    for (let j = 0; j < mask.length; j++) {
      if (i !== j && isPrefix(mask[i]!, mask[j]!)) {
        return `update mask paths ${mask[i]!.join(".")} and ${mask[j]!.join(".")} overlap`;
      }
    }
  }
  return null;
}

function findUnmaskedLeaf(patch: JsonObject, mask: Mask): string[] | null {
  const stack: Array<{ node: JsonObject; path: string[] }> = [{ node: patch, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    for (const [key, value] of Object.entries(node)) {
      const childPath = [...path, key];
      if (mask.some((m) => isPrefix(m, childPath))) continue;
      const leadsToMask = mask.some((m) => isPrefix(childPath, m));
      if (!leadsToMask || !isMap(value)) return childPath;
      stack.push({ node: value, path: childPath });
    }
  }
  return null;
}

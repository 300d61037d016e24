/**
 * The document a write proposes: its data (a set or create), or its patch
 * over the stored data (an update), with its field transforms applied
 * after. One function, so the write rule (rules/write-guard.ts) judges
 * exactly the document the shard then stores (storage/document-store.ts).
 * Pure.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { FailureKind } from "../errors.js";
import { applyPatch } from "./patch.js";
import { applyTransforms, transformConflict } from "./transforms.js";
import type { ShardWrite } from "./types.js";

/** The proposed data, or why the write cannot produce any. */
export type Proposed = { readonly ok: true; readonly data: JsonObject } | { readonly ok: false; readonly kind: FailureKind; readonly message: string };

/**
 * The data `write` would leave (null for a delete), given the stored data
 * (`stored`, null when missing: an update then patches an empty document)
 * and the write's time `nowMs`, which server_timestamp transforms record.
 */
export function proposedData(write: ShardWrite, stored: JsonObject | null, nowMs: number): Proposed | null {
  const transforms = write.transforms ?? [];
  if (write.op === "delete") {
    return transforms.length === 0 ? null : { ok: false, kind: "invalid_argument", message: "a delete cannot carry field transforms" };
  }
  const conflict = transformConflict({ data: write.data, mask: write.op === "update" ? write.mask : null }, transforms);
  if (conflict !== null) return { ok: false, kind: "invalid_argument", message: conflict };
  let data = write.data;
  if (write.op === "update") {
    const patched = applyPatch(stored ?? {}, write.data, write.mask);
    if (!patched.ok) return { ok: false, kind: "invalid_argument", message: patched.message };
    data = patched.data;
  }
  const transformed = applyTransforms(data, transforms, nowMs);
  return transformed.ok ? { ok: true, data: transformed.data } : transformed;
}

/**
 * Conversions between the wire messages and the plain data shards speak,
 * with the Worker-side checks the protos cannot express (reserved names,
 * document limits, field-path grammar). Every check fails with a Failure
 * value thrown as FailureError, which the router maps to a Connect code.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { DocumentSchema, type Document, type DocumentMask, type DocumentRef, type Precondition, type Write } from "../../gen/impossibledb/v1/document_pb.js";
import { FailureError, type Failure } from "../errors.js";
import { BATCH_BYTES_MAX, MASK_PATHS_MAX } from "../limits.js";
import { project } from "../storage/projection.js";
import type { ShardWrite, StoredDocument, WritePrecondition } from "../storage/types.js";
import { encodeDocumentData } from "../validation/document-data.js";
import { parseFieldPath } from "../validation/field-path.js";
import { checkCollection, checkRef, type DocRef } from "../validation/refs.js";

/** Throws the failure, if any. */
export function orThrow(f: Failure | null): void {
  if (f !== null) throw new FailureError(f.kind, f.message);
}

/** A checked reference from a request field that must be set. */
export function refFrom(ref: DocumentRef | undefined, field: string): DocRef {
  if (ref === undefined) throw new FailureError("invalid_argument", `${field} is required`);
  const plain = { collection: ref.collection, id: ref.id };
  orThrow(checkRef(plain));
  return plain;
}

/** A checked collection name. */
export function collectionFrom(name: string): string {
  orThrow(checkCollection(name));
  return name;
}

/** Parsed mask paths, or null when the mask is unset (all fields). */
export function maskFrom(mask: DocumentMask | undefined, field: string): string[][] | null {
  if (mask === undefined) return null;
  if (mask.fieldPaths.length > MASK_PATHS_MAX) {
    throw new FailureError("invalid_argument", `${field} has ${mask.fieldPaths.length} paths, over MASK_PATHS_MAX (${MASK_PATHS_MAX})`);
  }
  return mask.fieldPaths.map((text, i) => {
    const parsed = parseFieldPath(text);
    if (!parsed.ok) throw new FailureError("invalid_argument", `${field}.field_paths[${i}]: ${parsed.message}`);
    return [...parsed.path];
  });
}

/** Checks a document's data up front, so an oversized write never reaches a shard. Returns its size. */
export function checkData(data: JsonObject | undefined, field: string): { data: JsonObject; bytes: number } {
  if (data === undefined) throw new FailureError("invalid_argument", `${field} is required`);
  const encoded = encodeDocumentData(data);
  if (!encoded.ok) throw new FailureError(encoded.kind, `${field}: ${encoded.message}`);
  return { data, bytes: encoded.value.bytes };
}

/** A write precondition from the wire. */
export function preconditionFrom(p: Precondition | undefined): WritePrecondition | undefined {
  if (p === undefined) return undefined;
  switch (p.condition.case) {
    case "exists":
      return { exists: p.condition.value };
    case "version": {
      const version = p.condition.value;
      // Versions are below 2^53 (they count writes on one shard), so a larger
      // one can never match; say so rather than silently round it.
      if (version <= 0n || version > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new FailureError("invalid_argument", `precondition.version ${version} is out of range`);
      }
      return { version: Number(version) };
    }
    case undefined:
      return undefined;
  }
}

/** A shard write from a wire Write; `bytes` counts its data toward BATCH_BYTES_MAX. */
export function shardWriteFrom(write: Write, field: string): { write: ShardWrite; bytes: number } {
  const { collection, id } = refFrom(write.ref, `${field}.ref`);
  const precondition = preconditionFrom(write.precondition);
  const op = write.operation;
  switch (op.case) {
    case "set":
    case "create": {
      const { data, bytes } = checkData(op.value, `${field}.${op.case}`);
      return { write: { op: op.case, collection, id, data, precondition }, bytes };
    }
    case "update": {
      const { data, bytes } = checkData(op.value.data, `${field}.update.data`);
      const mask = maskFrom(op.value.updateMask, `${field}.update.update_mask`);
      return { write: { op: "update", collection, id, data, mask, precondition }, bytes };
    }
    case "delete":
      return { write: { op: "delete", collection, id, precondition }, bytes: 0 };
    case undefined:
      throw new FailureError("invalid_argument", `${field} names no operation (set, create, update or delete)`);
  }
}

/** Converts a list of wire writes, refusing duplicates and more data than `bytesMax` (named `limitName`). */
export function shardWritesFrom(
  writes: readonly Write[],
  field: string,
  bytesMax = BATCH_BYTES_MAX,
  limitName = "BATCH_BYTES_MAX",
): ShardWrite[] {
  const seen = new Set<string>();
  let totalBytes = 0;
  return writes.map((w, i) => {
    const { write, bytes } = shardWriteFrom(w, `${field}[${i}]`);
    const key = `${write.collection}/${write.id}`;
    if (seen.has(key)) throw new FailureError("invalid_argument", `${field}[${i}] writes ${key} again; a batch may write each document once`);
    seen.add(key);
    totalBytes += bytes;
    if (totalBytes > bytesMax) {
      throw new FailureError("resource_exhausted", `${field} carries more than ${limitName} (${bytesMax}) bytes of document data`);
    }
    return write;
  });
}

/** The wire form of a stored document, projected to `mask` when given. */
export function toDocument(doc: StoredDocument, mask: ReadonlyArray<readonly string[]> | null = null): Document {
  return create(DocumentSchema, {
    collection: doc.collection,
    id: doc.id,
    data: mask === null ? doc.data : project(doc.data, mask),
    version: BigInt(doc.version),
    createTime: timestampFromMs(doc.createTimeMs),
    updateTime: timestampFromMs(doc.updateTimeMs),
  });
}

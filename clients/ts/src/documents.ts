/**
 * The shapes the SDK hands to its users: plain objects with JSON data and
 * Dates, rather than generated protobuf messages.
 */
import { toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { timestampDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { Document, Precondition as WirePrecondition, WriteResult as WireWriteResult } from "./gen/impossibledb/v1/document_pb.js";

/** A stored document as read or written. */
export interface DocumentSnapshot<T extends JsonObject = JsonObject> {
  /** The collection it lives in. */
  collection: string;
  /** Its id. */
  id: string;
  /** Its fields. */
  data: T;
  /** Its version: changes on every write; compare for equality only. */
  version: bigint;
  /** When it was created. */
  createTime?: Date;
  /** When it was last written. */
  updateTime?: Date;
}

/** A condition checked atomically with a write; it fails with FAILED_PRECONDITION. */
export type Precondition = { exists: boolean } | { version: bigint };

/** What one write of a transaction or batch did. */
export interface WriteOutcome {
  /** The collection written. */
  collection: string;
  /** The id written. */
  id: string;
  /**
   * The document after the write: only when the call asked for documents
   * (`WriteBatch.commit({ returnDocuments: true })`) and it fit the answer;
   * undefined otherwise and after a delete.
   */
  document?: DocumentSnapshot;
  /** The version after the write; 0n after a delete. */
  version: bigint;
  /** When the write was applied. */
  updateTime?: Date;
  /**
   * The new value of each field the write's FieldValues changed, in the
   * order they appear in its data (empty when it had none).
   */
  transformResults: JsonValue[];
}

/** Converts a wire document. */
export function snapshot<T extends JsonObject = JsonObject>(doc: Document): DocumentSnapshot<T> {
  return {
    collection: doc.collection,
    id: doc.id,
    data: (doc.data ?? {}) as T,
    version: doc.version,
    createTime: doc.createTime === undefined ? undefined : timestampDate(doc.createTime),
    updateTime: doc.updateTime === undefined ? undefined : timestampDate(doc.updateTime),
  };
}

/** Converts a wire write result. */
export function writeOutcome(result: WireWriteResult): WriteOutcome {
  return {
    collection: result.ref?.collection ?? "",
    id: result.ref?.id ?? "",
    document: result.document === undefined ? undefined : snapshot(result.document),
    version: result.version,
    updateTime: result.updateTime === undefined ? undefined : timestampDate(result.updateTime),
    transformResults: result.transformResults.map((v) => toJson(ValueSchema, v)),
  };
}

/** The wire form of a precondition. */
export function wirePrecondition(p: Precondition | undefined): Pick<WirePrecondition, "condition"> | undefined {
  if (p === undefined) return undefined;
  if ("exists" in p) return { condition: { case: "exists", value: p.exists } };
  return { condition: { case: "version", value: p.version } };
}

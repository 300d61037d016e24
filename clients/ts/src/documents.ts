/**
 * The shapes the SDK hands to its users: plain objects with JavaScript's
 * types (value-codec.ts) and Dates, rather than generated protobuf messages.
 */
import { toJson } from "@bufbuild/protobuf";
import { timestampDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { Value as WireTypedValue, Document, Precondition as WirePrecondition, WriteResult as WireWriteResult } from "./gen/impossibledb/v1/document_pb.js";
import type { Value as WireJsonValue } from "@bufbuild/protobuf/wkt";
import { decodeFields, decodeValue, type DocumentData, type TypedValue, type ValueDecoder } from "./value-codec.js";

/** A stored document as read or written. */
export interface DocumentSnapshot<T extends DocumentData = DocumentData> {
  /** The collection it lives in. */
  collection: string;
  /** Its id. */
  id: string;
  /**
   * Its fields, in JavaScript's types: typed values as bigint, Date (or
   * Timestamp), Uint8Array, GeoPoint and DocumentReference, JSON values as
   * they are (numbers are doubles). With the client option `values: "json"`,
   * the JSON form the server also sends (timestamps as RFC 3339 text, bytes
   * as base64, references as "collection/id").
   */
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
   * order they appear in its data (empty when it had none), in
   * JavaScript's types as `data` (an integer sum is a bigint).
   */
  transformResults: TypedValue[];
}

/**
 * Converts a wire document: its typed fields when the server sent them
 * (it does for a document holding a typed value) and the decoder does not
 * ask for JSON, else its JSON data.
 */
export function snapshot<T extends DocumentData = DocumentData>(doc: Document, decoder: ValueDecoder): DocumentSnapshot<T> {
  const typed = decoder.values === "typed" && Object.keys(doc.fields).length > 0;
  return {
    collection: doc.collection,
    id: doc.id,
    data: (typed ? decodeFields(doc.fields, decoder) : (doc.data ?? {})) as T,
    version: doc.version,
    createTime: doc.createTime === undefined ? undefined : timestampDate(doc.createTime),
    updateTime: doc.updateTime === undefined ? undefined : timestampDate(doc.updateTime),
  };
}

/** Converts a wire write result. */
export function writeOutcome(result: WireWriteResult, decoder: ValueDecoder): WriteOutcome {
  return {
    collection: result.ref?.collection ?? "",
    id: result.ref?.id ?? "",
    document: result.document === undefined ? undefined : snapshot(result.document, decoder),
    version: result.version,
    updateTime: result.updateTime === undefined ? undefined : timestampDate(result.updateTime),
    transformResults: transformResults(result.transformResults, result.typedTransformResults, decoder),
  };
}

/**
 * A write's transform results: the typed ones when the server sent them
 * (one per transform) and the decoder does not ask for JSON, else the JSON ones.
 */
export function transformResults(json: readonly WireJsonValue[], typed: readonly WireTypedValue[], decoder: ValueDecoder): TypedValue[] {
  if (decoder.values === "typed" && typed.length === json.length && typed.length > 0) return typed.map((v) => decodeValue(v, decoder));
  return json.map((v) => toJson(ValueSchema, v));
}

/** The wire form of a precondition. */
export function wirePrecondition(p: Precondition | undefined): Pick<WirePrecondition, "condition"> | undefined {
  if (p === undefined) return undefined;
  if ("exists" in p) return { condition: { case: "exists", value: p.exists } };
  return { condition: { case: "version", value: p.version } };
}

/**
 * Writes as users name them (set, create, update, delete), turned into the
 * wire's Write messages. Shared by batches and transactions. Every value is
 * checked here (values.ts), so a batch or a transaction refuses what the
 * wire cannot carry exactly when the write is added, before anything is sent.
 */
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import type { WriteSchema } from "./gen/impossibledb/v1/document_pb.js";
import { wirePrecondition, type Precondition } from "./documents.js";
import { checkedData } from "./values.js";
import { maskWithoutTransforms, splitFieldValues, type WireTransform } from "./field-value.js";

/** A write's options. */
export interface WriteOptions {
  /** Checked atomically with the write. */
  precondition?: Precondition;
}

/** An update's options. */
export interface UpdateOptions extends WriteOptions {
  /**
   * The field paths to change; a masked path missing from the patch is
   * removed. Without a mask, the patch's top-level fields are merged.
   */
  mask?: string[];
}

/** A write in the wire's form. */
export type WireWrite = MessageInitShape<typeof WriteSchema>;

/**
 * Data for the wire: its FieldValues taken out as transforms (field-value.ts),
 * the rest checked (values.ts).
 */
export function wireData(where: string, data: object): { data: JsonObject; transforms: WireTransform[] } {
  const split = splitFieldValues(data);
  return { data: checkedData(where, split.data), transforms: split.transforms };
}

/** Replace a document whole, creating it if missing; FieldValues apply after the data. */
export function setWrite(collection: string, id: string, data: object, options?: WriteOptions): WireWrite {
  const { data: value, transforms } = wireData(`${collection}/${id}`, data);
  return { ref: { collection, id }, operation: { case: "set", value }, transforms, precondition: wirePrecondition(options?.precondition) };
}

/** Create a document; ALREADY_EXISTS when it exists. FieldValues apply after the data. */
export function createWrite(collection: string, id: string, data: object, options?: WriteOptions): WireWrite {
  const { data: value, transforms } = wireData(`${collection}/${id}`, data);
  return { ref: { collection, id }, operation: { case: "create", value }, transforms, precondition: wirePrecondition(options?.precondition) };
}

/** Change fields of an existing document; NOT_FOUND when it is missing. FieldValues apply after the patch. */
export function updateWrite(collection: string, id: string, patch: object, options?: UpdateOptions): WireWrite {
  const { data, transforms } = wireData(`${collection}/${id}`, patch);
  const fieldPaths = maskWithoutTransforms(options?.mask, transforms);
  const updateMask = fieldPaths === undefined ? undefined : { fieldPaths };
  return { ref: { collection, id }, operation: { case: "update", value: { data, updateMask } }, transforms, precondition: wirePrecondition(options?.precondition) };
}

/** Delete a document; deleting a missing one succeeds. */
export function deleteWrite(collection: string, id: string, options?: WriteOptions): WireWrite {
  return { ref: { collection, id }, operation: { case: "delete", value: {} }, precondition: wirePrecondition(options?.precondition) };
}

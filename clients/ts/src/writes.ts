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

/** Replace a document whole, creating it if missing. */
export function setWrite(collection: string, id: string, data: JsonObject, options?: WriteOptions): WireWrite {
  return { ref: { collection, id }, operation: { case: "set", value: checkedData(`${collection}/${id}`, data) }, precondition: wirePrecondition(options?.precondition) };
}

/** Create a document; ALREADY_EXISTS when it exists. */
export function createWrite(collection: string, id: string, data: JsonObject, options?: WriteOptions): WireWrite {
  return { ref: { collection, id }, operation: { case: "create", value: checkedData(`${collection}/${id}`, data) }, precondition: wirePrecondition(options?.precondition) };
}

/** Change fields of an existing document; NOT_FOUND when it is missing. */
export function updateWrite(collection: string, id: string, patch: JsonObject, options?: UpdateOptions): WireWrite {
  const updateMask = options?.mask === undefined ? undefined : { fieldPaths: options.mask };
  return { ref: { collection, id }, operation: { case: "update", value: { data: checkedData(`${collection}/${id}`, patch), updateMask } }, precondition: wirePrecondition(options?.precondition) };
}

/** Delete a document; deleting a missing one succeeds. */
export function deleteWrite(collection: string, id: string, options?: WriteOptions): WireWrite {
  return { ref: { collection, id }, operation: { case: "delete", value: {} }, precondition: wirePrecondition(options?.precondition) };
}

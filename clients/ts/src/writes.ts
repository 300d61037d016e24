/**
 * Writes as users name them (set, create, update, delete), turned into the
 * wire's Write messages. Shared by batches and transactions. Every value is
 * checked here (values.ts), so a batch or a transaction refuses what the
 * wire cannot carry exactly when the write is added, before anything is sent.
 *
 * Data that holds a typed value anywhere (a bigint, Date, Timestamp,
 * Uint8Array, GeoPoint or DocumentReference) travels in the typed form
 * (`set_fields`, `create_fields`, `DocumentPatch.fields`; value-codec.ts);
 * any other data travels as `data` (Struct) exactly as before typed values
 * existed, so JSON-only callers send the same bytes.
 */
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { encodeFields, type DocumentData, type WireValueInit } from "./value-codec.js";
import type { DocumentPatchSchema, WriteSchema } from "./gen/impossibledb/v1/document_pb.js";
import { wirePrecondition, type Precondition } from "./documents.js";
import { inspectData } from "./values.js";
import { checkedString, checkOptions, type OptionKinds } from "./options.js";
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

/** Every key of WriteOptions (options.ts refuses any other). */
export const WRITE_OPTIONS = { precondition: "checked" } as const satisfies OptionKinds<WriteOptions>;

/** Every key of UpdateOptions. */
export const UPDATE_OPTIONS = { precondition: "checked", mask: "strings" } as const satisfies OptionKinds<UpdateOptions>;

/** Names other clients give an update's mask. */
const UPDATE_OPTION_HINTS: Readonly<Record<string, string>> = { updateMask: "mask", fieldPaths: "mask", fields: "mask", merge: "mask", mergeFields: "mask" };

/**
 * A write's options, checked: unknown keys refused (a misspelt
 * `precondtion` would write unconditionally), the precondition's shape and
 * values too. `what` names the call (`put(users/alice)`).
 */
export function writePrecondition(what: string, options: WriteOptions | undefined): ReturnType<typeof wirePrecondition> {
  checkOptions(what, options, WRITE_OPTIONS);
  return wirePrecondition(options?.precondition, what);
}

/** An update's options, checked as writePrecondition's (a misspelt `masks` would merge the whole patch). */
export function updatePrecondition(what: string, options: UpdateOptions | undefined): ReturnType<typeof wirePrecondition> {
  checkOptions(what, options, UPDATE_OPTIONS, UPDATE_OPTION_HINTS);
  return wirePrecondition(options?.precondition, what);
}

/** A write in the wire's form. */
export type WireWrite = MessageInitShape<typeof WriteSchema>;

/** Checked data in the wire's form: `data` (JSON only), or `fields` (typed) when it holds a typed value. */
export type WireFields = { data: JsonObject; fields?: undefined } | { data?: undefined; fields: Record<string, WireValueInit> };

/**
 * Data for the wire: its FieldValues taken out as transforms (field-value.ts),
 * the rest checked (values.ts) and put in the form it needs.
 */
export function wireData(where: string, data: object): WireFields & { transforms: WireTransform[] } {
  const split = splitFieldValues(data);
  return { ...wireFields(where, split.data), transforms: split.transforms };
}

/** Checked data (without FieldValues) in the form it needs: typed when it holds a typed value, else JSON. */
export function wireFields(where: string, data: object): WireFields {
  return inspectData(where, data) ? { fields: encodeFields(data as DocumentData) } : { data: data as JsonObject };
}

/**
 * The wire's ref of `collection`/`id`, which the user's `method` (`set`,
 * a transaction's `write`) names in the error when either is not a string.
 */
function writeRef(method: string, collection: string, id: string): { collection: string; id: string } {
  checkedString(`${method}(): the collection`, collection);
  return { collection, id: checkedString(`${method}() on ${collection}: the id`, id) };
}

/*
 * Each builder below takes `method`, the name of the call the user made
 * (`set` of a batch, `write` of a transaction, `import` of the CLI), and
 * names it in its errors: a transaction's write() said "set(...)", a
 * method the user never called.
 */

/** Replace a document whole, creating it if missing; FieldValues apply after the data. */
export function setWrite(method: string, collection: string, id: string, data: object, options?: WriteOptions): WireWrite {
  const ref = writeRef(method, collection, id);
  const precondition = writePrecondition(`${method}(${collection}/${id})`, options);
  const { data: value, fields, transforms } = wireData(`${collection}/${id}`, data);
  const operation = fields === undefined ? ({ case: "set", value } as const) : ({ case: "setFields", value: { fields } } as const);
  return { ref, operation, transforms, precondition };
}

/** Create a document; ALREADY_EXISTS when it exists. FieldValues apply after the data. */
export function createWrite(method: string, collection: string, id: string, data: object, options?: WriteOptions): WireWrite {
  const ref = writeRef(method, collection, id);
  const precondition = writePrecondition(`${method}(${collection}/${id})`, options);
  const { data: value, fields, transforms } = wireData(`${collection}/${id}`, data);
  const operation = fields === undefined ? ({ case: "create", value } as const) : ({ case: "createFields", value: { fields } } as const);
  return { ref, operation, transforms, precondition };
}

/** Change fields of an existing document; NOT_FOUND when it is missing. FieldValues apply after the patch. */
export function updateWrite(method: string, collection: string, id: string, patch: object, options?: UpdateOptions): WireWrite {
  const ref = writeRef(method, collection, id);
  const precondition = updatePrecondition(`${method}(${collection}/${id})`, options);
  const { patch: value, transforms } = wirePatch(`${collection}/${id}`, patch, options?.mask);
  return { ref, operation: { case: "update", value }, transforms, precondition };
}

/** An update's patch (DocumentPatch) in the wire's form, and the transforms of its FieldValues. */
export function wirePatch(where: string, patch: object, mask: string[] | undefined): { patch: MessageInitShape<typeof DocumentPatchSchema>; transforms: WireTransform[] } {
  const { data, fields, transforms } = wireData(where, patch);
  const fieldPaths = maskWithoutTransforms(mask, transforms);
  const updateMask = fieldPaths === undefined ? undefined : { fieldPaths };
  return { patch: fields === undefined ? { data, updateMask } : { fields, updateMask }, transforms };
}

/** Delete a document; deleting a missing one succeeds. */
export function deleteWrite(method: string, collection: string, id: string, options?: WriteOptions): WireWrite {
  const ref = writeRef(method, collection, id);
  return { ref, operation: { case: "delete", value: {} }, precondition: writePrecondition(`${method}(${collection}/${id})`, options) };
}

/**
 * Conversions between the wire messages and the plain data shards speak,
 * with the Worker-side checks the protos cannot express (reserved names,
 * document limits, field-path grammar). Every check fails with a Failure
 * value thrown as FailureError, which the router maps to a Connect code.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { JsonValue } from "@bufbuild/protobuf";
import type { Value } from "@bufbuild/protobuf/wkt";
import { DocumentSchema, type Document, type DocumentMask, type DocumentRef, type FieldTransform, type Precondition, type Write } from "../../gen/impossibledb/v1/document_pb.js";
import { FailureError, type Failure } from "../errors.js";
import { BATCH_BYTES_MAX, MASK_PATHS_MAX, TRANSFORMS_PER_WRITE_MAX } from "../limits.js";
import { jsonFromValue, valueFromJson } from "../query/proto-values.js";
import { getPath } from "../storage/patch.js";
import { transformConflict, type FieldTransformSpec } from "../storage/transforms.js";
import { project } from "../storage/projection.js";
import type { ShardWrite, StoredDocument, WritePrecondition } from "../storage/types.js";
import { encodeDocumentData } from "../validation/document-data.js";
import { parseFieldPath } from "../validation/field-path.js";
import { checkCollection, checkRef, type DocRef } from "../validation/refs.js";
import { jsonObjectForm } from "../values/json-form.js";
import { jsonFromTyped, jsonFromTypedFields, typedFieldsFromJson, typedFromJson } from "../values/proto-typed.js";
import type { Value as TypedValue } from "../../gen/impossibledb/v1/document_pb.js";
import type { NumericOperand } from "../storage/transforms.js";

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

/**
 * Checks a document's data from the Struct form up front, so an oversized
 * write never reaches a shard. Returns its size.
 */
export function checkData(data: JsonObject | undefined, field: string): { data: JsonObject; bytes: number } {
  if (data === undefined) throw new FailureError("invalid_argument", `${field} is required`);
  const encoded = encodeDocumentData(data, { typed: false });
  if (!encoded.ok) throw new FailureError(encoded.kind, `${field}: ${encoded.message}`);
  return { data, bytes: encoded.value.bytes };
}

/** Checks a document's data from the typed form (see values/proto-typed.ts). */
export function checkTypedFields(fields: { [key: string]: TypedValue }, field: string): { data: JsonObject; bytes: number } {
  const data = jsonFromTypedFields(fields, field);
  const encoded = encodeDocumentData(data);
  if (!encoded.ok) throw new FailureError(encoded.kind, `${field}: ${encoded.message}`);
  return { data, bytes: encoded.value.bytes };
}

/**
 * A request's document data given as `data` (Struct) or `fields` (typed):
 * exactly one of the two (INVALID_ARGUMENT when both are given, or
 * neither). An empty typed map cannot be told from an absent one on the
 * wire, so the empty document is `data: {}`. `at` prefixes both names
 * (`patch.`).
 */
export function dataOrFields(data: JsonObject | undefined, fields: { [key: string]: TypedValue }, at = ""): { data: JsonObject; bytes: number } {
  const typed = Object.keys(fields).length > 0;
  if (typed && data !== undefined) throw new FailureError("invalid_argument", `give ${at}data or ${at}fields, not both`);
  if (typed) return checkTypedFields(fields, `${at}fields`);
  if (data === undefined) throw new FailureError("invalid_argument", `${at}data (or ${at}fields) is required; an empty document is data {}`);
  return checkData(data, `${at}data`);
}

/**
 * A patch's values, as `dataOrFields`, except that a patch may give
 * neither: it sets nothing then (its mask may still remove fields, and its
 * transforms still apply), which is what a typed client with no values to
 * set sends, having no way to send an empty map.
 */
export function patchDataOrFields(data: JsonObject | undefined, fields: { [key: string]: TypedValue }, at: string): { data: JsonObject; bytes: number } {
  return data === undefined && Object.keys(fields).length === 0 ? { data: {}, bytes: 2 } : dataOrFields(data, fields, at);
}

/**
 * A write precondition from the wire, at message path `field`. An absent
 * precondition is no condition; a present one holds exactly one condition
 * (the proto says so), so an empty one (`precondition: {}`) is refused
 * rather than read as no condition, which would apply a write the caller
 * meant to guard.
 */
export function preconditionFrom(p: Precondition | undefined, field: string): WritePrecondition | undefined {
  if (p === undefined) return undefined;
  switch (p.condition.case) {
    case "exists":
      return { exists: p.condition.value };
    case "version": {
      const version = p.condition.value;
      // Versions are below 2^53 (they count writes on one shard), so a larger
      // one can never match; say so rather than silently round it.
      if (version <= 0n || version > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new FailureError("invalid_argument", `${field}.version ${version} is out of range`);
      }
      return { version: Number(version) };
    }
    case undefined:
      throw new FailureError("invalid_argument", `${field} sets no condition; give exactly one of exists and version, or leave ${field} out for none`);
  }
}

/** A shard write from a wire Write; `bytes` counts its data (and transform operands) toward BATCH_BYTES_MAX. */
export function shardWriteFrom(write: Write, field: string): { write: ShardWrite; bytes: number } {
  const { collection, id } = refFrom(write.ref, `${field}.ref`);
  const precondition = preconditionFrom(write.precondition, `${field}.precondition`);
  const op = write.operation;
  if (op.case === "delete" || op.case === undefined) {
    if (op.case === undefined) throw new FailureError("invalid_argument", `${field} names no operation (set, create, update or delete)`);
    if (write.transforms.length > 0) throw new FailureError("invalid_argument", `${field}.transforms: a delete cannot carry field transforms`);
    return { write: { op: "delete", collection, id, precondition }, bytes: 0 };
  }
  const t = transformsFrom(write.transforms, `${field}.transforms`);
  if (op.case === "update") {
    const { data, bytes } = patchDataOrFields(op.value.data, op.value.fields, `${field}.update.`);
    const mask = maskFrom(op.value.updateMask, `${field}.update.update_mask`);
    return { write: withTransforms({ op: "update", collection, id, data, mask, precondition }, t, field), bytes: bytes + t.bytes };
  }
  if (op.case === "setFields" || op.case === "createFields") {
    const name = op.case === "setFields" ? "set" : "create";
    const { data, bytes } = checkTypedFields(op.value.fields, `${field}.${name}_fields`);
    return { write: withTransforms({ op: name, collection, id, data, precondition }, t, field), bytes: bytes + t.bytes };
  }
  const { data, bytes } = checkData(op.value, `${field}.${op.case}`);
  return { write: withTransforms({ op: op.case, collection, id, data, precondition }, t, field), bytes: bytes + t.bytes };
}

/**
 * Attaches checked transforms to a write, refusing (INVALID_ARGUMENT) those
 * that overlap one another or what the write's data or mask sets.
 */
export function withTransforms<W extends ShardWrite & { op: "set" | "create" | "update" }>(write: W, t: { transforms: FieldTransformSpec[] }, field: string): W {
  if (t.transforms.length === 0) return write;
  const conflict = transformConflict({ data: write.data, mask: write.op === "update" ? write.mask : null }, t.transforms);
  if (conflict !== null) throw new FailureError("invalid_argument", `${field}: ${conflict}`);
  return { ...write, transforms: t.transforms };
}

/**
 * Field transforms from the wire, checked: at most TRANSFORMS_PER_WRITE_MAX,
 * valid field paths, a kind set, finite numbers for increment, maximum and
 * minimum, and array operands that a document could hold. `bytes` is the
 * operands' JSON size, counted toward the batch's byte limit.
 */
export function transformsFrom(list: readonly FieldTransform[], field: string): { transforms: FieldTransformSpec[]; bytes: number } {
  if (list.length > TRANSFORMS_PER_WRITE_MAX) {
    throw new FailureError("invalid_argument", `${field} has ${list.length} transforms, over TRANSFORMS_PER_WRITE_MAX (${TRANSFORMS_PER_WRITE_MAX})`);
  }
  let bytes = 0;
  const transforms = list.map((t, i): FieldTransformSpec => {
    const where = `${field}[${i}]`;
    const parsed = parseFieldPath(t.fieldPath);
    if (!parsed.ok) throw new FailureError("invalid_argument", `${where}.field_path: ${parsed.message}`);
    const path = [...parsed.path];
    const kind = t.transformType;
    switch (kind.case) {
      case "increment":
      case "maximum":
      case "minimum":
        return { path, kind: kind.case, operand: numberOperand(kind.value, `${where}.${kind.case}`), jsonNumber: true };
      case "serverTimestamp":
        return { path, kind: "server_timestamp" };
      case "appendMissingElements":
      case "removeAllFromArray": {
        const name = kind.case === "appendMissingElements" ? "append_missing_elements" : "remove_all_from_array";
        const elements = kind.value.values.map((v, j) => jsonFromValue(v, `${where}.${name}[${j}]`));
        // The elements a union appends are stored: they must be what a document may hold (names, depth, size).
        bytes += checkData({ elements }, `${where}.${name}`).bytes;
        return { path, kind: name, elements };
      }
      case "typedIncrement":
      case "typedMaximum":
      case "typedMinimum": {
        const name = kind.case === "typedIncrement" ? "increment" : kind.case === "typedMaximum" ? "maximum" : "minimum";
        return { path, kind: name, operand: typedNumberOperand(kind.value, `${where}.typed_${name}`) };
      }
      case "typedServerTimestamp":
        return { path, kind: "typed_server_timestamp" };
      case "typedAppendMissingElements":
      case "typedRemoveAllFromArray": {
        const name = kind.case === "typedAppendMissingElements" ? "append_missing_elements" : "remove_all_from_array";
        const elements = kind.value.values.map((v, j) => jsonFromTyped(v, `${where}.typed_${name}[${j}]`));
        // Checked as typed data: the elements hold tagged typed values.
        const encoded = encodeDocumentData({ elements });
        if (!encoded.ok) throw new FailureError(encoded.kind, `${where}.typed_${name}: ${encoded.message}`);
        bytes += encoded.value.bytes;
        return { path, kind: name, elements };
      }
      case undefined:
        throw new FailureError("invalid_argument", `${where} names no transform (increment, maximum, minimum, server_timestamp, append_missing_elements or remove_all_from_array)`);
    }
  });
  return { transforms, bytes };
}

/** An integer or double operand in typed form: a JSON number or an integer's tagged leaf. */
function typedNumberOperand(value: TypedValue, where: string): NumericOperand {
  const kind = value.kind;
  if (kind.case !== "integerValue" && kind.case !== "doubleValue") {
    throw new FailureError("invalid_argument", `${where} must be an integer or a double, not ${kind.case === undefined ? "an unset value" : kind.case}`);
  }
  return jsonFromTyped(value, where) as NumericOperand;
}

function numberOperand(value: Value, where: string): number {
  const kind = value.kind;
  if (kind.case !== "numberValue") throw new FailureError("invalid_argument", `${where} must be a number, not ${kind.case === undefined ? "an unset value" : kind.case}`);
  if (!Number.isFinite(kind.value)) throw new FailureError("invalid_argument", `${where} is ${kind.value}; numbers must be finite`);
  return kind.value;
}

/**
 * The value of each transformed field in `data` (the document after the
 * write), in the order of the transforms. Transform paths never overlap,
 * so the value found at each path is that transform's result.
 */
export function transformResults(data: JsonObject | null, transforms: readonly FieldTransformSpec[] | undefined): Value[] {
  if (data === null || transforms === undefined) return [];
  return transforms.map((t) => valueFromJson(getPath(data, t.path) ?? (null as JsonValue)));
}

/** Both forms of a write's transform results, as the responses carry them. */
export function transformResultsOf(data: JsonObject | null, transforms: readonly FieldTransformSpec[] | undefined): { transformResults: Value[]; typedTransformResults: TypedValue[] } {
  return { transformResults: transformResults(data, transforms), typedTransformResults: typedTransformResults(data, transforms) };
}

/** `transformResults` in typed form (see values/proto-typed.ts). */
export function typedTransformResults(data: JsonObject | null, transforms: readonly FieldTransformSpec[] | undefined): TypedValue[] {
  if (data === null || transforms === undefined) return [];
  return transforms.map((t) => typedFromJson(getPath(data, t.path) ?? (null as JsonValue)));
}

/**
 * Converts a list of wire writes, refusing duplicates and more data than
 * `bytesMax` (named `limitName`). `holder` names what carries them in the
 * refusal of a duplicate ("a batch", "a transaction"); the SDKs refuse a
 * duplicate in the same words when it is added.
 */
export function shardWritesFrom(
  writes: readonly Write[],
  field: string,
  bytesMax = BATCH_BYTES_MAX,
  limitName = "BATCH_BYTES_MAX",
  holder: "a batch" | "a transaction" = "a batch",
): ShardWrite[] {
  const seen = new Set<string>();
  let totalBytes = 0;
  return writes.map((w, i) => {
    const { write, bytes } = shardWriteFrom(w, `${field}[${i}]`);
    const key = `${write.collection}/${write.id}`;
    if (seen.has(key)) throw new FailureError("invalid_argument", `${field}[${i}] writes ${key} again; ${holder} may write each document once`);
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
  const data = mask === null ? doc.data : project(doc.data, mask);
  // Typed values show in their JSON form in `data`, and exactly in `fields`
  // (values/json-form.ts). The JSON form is the very same object exactly
  // when nothing is typed, so one walk decides both.
  const json = jsonObjectForm(data);
  return create(DocumentSchema, {
    collection: doc.collection,
    id: doc.id,
    data: json,
    fields: json === data ? {} : typedFieldsFromJson(data),
    version: BigInt(doc.version),
    createTime: timestampFromMs(doc.createTimeMs),
    updateTime: timestampFromMs(doc.updateTimeMs),
  });
}

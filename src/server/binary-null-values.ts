/**
 * Refuses binary requests whose `google.protobuf.Struct` data holds a
 * `null_value` other than NULL_VALUE (0).
 *
 * Binary protobuf carries any number in an enum field (proto3 enums are
 * open), and protobuf-es (2.x) turns a Struct field into a plain JSON
 * object while it parses, reading a Value with `null_value: 5` as null. The
 * number is gone before a service sees the request, so the typed form's
 * check (values/proto-typed.ts refuses it in `fields`) cannot be made on
 * `data` there. So before Connect decodes a binary request, the fields that
 * can hold a Struct are walked in the wire bytes, along the method's input
 * descriptor, and each Value's `null_value` is checked here. Fields whose
 * type cannot reach a Struct are skipped without a look, so requests
 * without document data pay nothing but the walk of their top level.
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { DOCUMENT_DEPTH_MAX, FILTER_DEPTH_MAX } from "../limits.js";

/**
 * How deep (in nested messages, map entries included) the walk follows a
 * request. A Struct takes three per level of maps (the Struct, its map
 * entry, the Value), a filter two per level; a request's envelope adds a
 * few. Anything deeper is refused by those limits anyway.
 */
const BINARY_WALK_DEPTH_MAX = 3 * (DOCUMENT_DEPTH_MAX + FILTER_DEPTH_MAX) + 16;

const STRUCT = "google.protobuf.Struct";
const VALUE = "google.protobuf.Value";
const NULL_VALUE_FIELD_NO = 1;
const MAP_KEY_FIELD_NO = 1;
const MAP_VALUE_FIELD_NO = 2;

/**
 * The first Struct Value in a binary request message whose `null_value` is
 * not NULL_VALUE, as "field.path.null_value: why", or undefined. `bytes`
 * must already parse as `desc` (fromBinary), so the walk meets no malformed
 * wire data.
 */
export function binaryNullValueProblem(desc: DescMessage, bytes: Uint8Array): string | undefined {
  if (!reachesStruct(desc)) return undefined;
  return walk(desc, bytes, "", 0);
}

function walk(desc: DescMessage, bytes: Uint8Array, path: string, depth: number): string | undefined {
  if (depth > BINARY_WALK_DEPTH_MAX) return undefined;
  const reader = new BinaryReader(bytes);
  // The index of each repeated field's next element, for the path.
  const listIndexes = new Map<number, number>();
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    const field = fieldByNumber(desc).get(fieldNo);
    // Every google.protobuf.Value on the way (filter operands too, which services check again).
    if (desc.typeName === VALUE && fieldNo === NULL_VALUE_FIELD_NO && wireType === WireType.Varint) {
      const number = reader.int32();
      if (number !== 0) return `${path}.null_value is ${number}, not a NullValue; only NULL_VALUE (0) is one`;
      continue;
    }
    const target = field === undefined || wireType !== WireType.LengthDelimited ? undefined : messageOf(field);
    if (target === undefined || !reachesStruct(target)) {
      reader.skip(wireType, fieldNo);
      continue;
    }
    let at = path === "" ? field!.name : `${path}.${field!.name}`;
    if (field!.fieldKind === "list") {
      const index = listIndexes.get(fieldNo) ?? 0;
      listIndexes.set(fieldNo, index + 1);
      at += `[${index}]`;
    }
    const problem = field!.fieldKind === "map" ? mapEntryProblem(target, reader.bytes(), at, depth) : walk(target, reader.bytes(), at, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** A map entry (key 1, value 2) whose value is a message: walked under the path of its key. */
function mapEntryProblem(valueDesc: DescMessage, entry: Uint8Array, at: string, depth: number): string | undefined {
  const reader = new BinaryReader(entry);
  let key = "";
  let value: Uint8Array | undefined;
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === MAP_KEY_FIELD_NO && wireType === WireType.LengthDelimited) key = reader.string();
    else if (fieldNo === MAP_VALUE_FIELD_NO && wireType === WireType.LengthDelimited) value = reader.bytes();
    else reader.skip(wireType, fieldNo);
  }
  return value === undefined ? undefined : walk(valueDesc, value, `${at}.${key}`, depth + 1);
}

function messageOf(field: DescField): DescMessage | undefined {
  switch (field.fieldKind) {
    case "message":
      return field.message;
    case "list":
      return field.listKind === "message" ? field.message : undefined;
    case "map":
      return field.mapKind === "message" ? field.message : undefined;
    default:
      return undefined;
  }
}

const fieldsByNumber = new WeakMap<DescMessage, Map<number, DescField>>();

function fieldByNumber(desc: DescMessage): Map<number, DescField> {
  let byNumber = fieldsByNumber.get(desc);
  if (byNumber === undefined) {
    byNumber = new Map(desc.fields.map((f) => [f.number, f]));
    fieldsByNumber.set(desc, byNumber);
  }
  return byNumber;
}

const reachesStructCache = new WeakMap<DescMessage, boolean>();

/** True when a message of type `desc` can hold a Struct at any depth (a search of the type graph, which has cycles). */
function reachesStruct(desc: DescMessage): boolean {
  const known = reachesStructCache.get(desc);
  if (known !== undefined) return known;
  const seen = new Set<DescMessage>([desc]);
  const queue = [desc];
  let found = false;
  while (queue.length > 0 && !found) {
    const next = queue.pop()!;
    if (next.typeName === STRUCT) found = true;
    for (const field of next.fields) {
      const message = messageOf(field);
      if (message !== undefined && !seen.has(message)) {
        seen.add(message);
        queue.push(message);
      }
    }
  }
  reachesStructCache.set(desc, found);
  return found;
}

/**
 * FieldValue: values that stand for a change the server computes from the
 * stored field inside the write (Firestore's FieldValue, MongoDB's $inc):
 * `FieldValue.increment(1)`, `maximum`, `minimum`, `serverTimestamp()`,
 * `arrayUnion(...)`, `arrayRemove(...)`. Put one where a field's value goes
 * in the data of put/create/update, a batch or a transaction; the SDK takes
 * it out of the data and sends it as a FieldTransform on the same write, so
 * many clients can change one document at once with no read and no lost
 * update.
 *
 * How the data and the transforms combine (the server's rules, see
 * docs/documents.md#field-transforms): the data is written first, as if the
 * FieldValues were not there (a map that held only FieldValues is left out
 * rather than written empty), then each transform applies in the order the
 * fields appear. A FieldValue may not sit inside an array, and its field
 * may not also be set by the data or named by an update's mask (the SDK
 * drops a mask path equal to a FieldValue's own path, so `mask: ["n"]`
 * with `n: FieldValue.increment(1)` works).
 *
 * Typed operands (value-codec.ts) send the typed transforms: a bigint to
 * increment, maximum or minimum is an integer (`typed_increment`: integer
 * plus integer stays an integer, exact in int64), typed elements of
 * arrayUnion/arrayRemove send `typed_append_missing_elements` /
 * `typed_remove_all_from_array`, and `serverTimestamp({ typed: true })`
 * writes a typed timestamp instead of text. Number operands and JSON
 * elements send what they always sent.
 */
import { checkOptions, type OptionKinds } from "./options.js";
import { fromJson, type JsonObject, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { FieldTransformSchema } from "./gen/impossibledb/v1/document_pb.js";
import { inspectValue } from "./values.js";
import { INT64_MAX, INT64_MIN, VALUE_DEPTH_MAX } from "./limits.js";
import { encodeValue, type DocumentData, type TypedValue } from "./value-codec.js";

/** A transform in the wire's form. */
export type WireTransform = MessageInitShape<typeof FieldTransformSchema>;

type Kind = "increment" | "maximum" | "minimum" | "serverTimestamp" | "appendMissingElements" | "removeAllFromArray";

/** Options of FieldValue.serverTimestamp(). */
export interface ServerTimestampOptions {
  /**
   * true: store a typed timestamp (to the microsecond; read back as a Date,
   * or a Timestamp with the client option `timestamps: "timestamp"`).
   * false or unset: store RFC 3339 text with milliseconds, as before typed
   * values.
   */
  typed?: boolean;
}

/** A change computed by the server from the stored field; see the module comment. */
export class FieldValue {
  private constructor(
    /** @internal */
    readonly kind: Kind,
    /** @internal */
    readonly operand: number | bigint | TypedValue[] | null,
    /** @internal Whether the transform goes in its typed form. */
    readonly typed: boolean,
  ) {}

  /**
   * Adds `n` to the field; a missing field, or one that is not a number,
   * becomes `n`. A number is a double: a sum of two safe integers past
   * 2^53-1 is refused with OUT_OF_RANGE rather than rounded. A bigint is an
   * integer: added to an integer it stays one, exact (a sum outside int64
   * is OUT_OF_RANGE); added to a double the sum is a double.
   */
  static increment(n: number | bigint): FieldValue {
    return FieldValue.numeric("increment", n);
  }

  /** Sets the field to the larger of it and `n` (a number, or a bigint integer); a missing or non-numeric field becomes `n`. */
  static maximum(n: number | bigint): FieldValue {
    return FieldValue.numeric("maximum", n);
  }

  /** Sets the field to the smaller of it and `n` (a number, or a bigint integer); a missing or non-numeric field becomes `n`. */
  static minimum(n: number | bigint): FieldValue {
    return FieldValue.numeric("minimum", n);
  }

  /**
   * Sets the field to the write's time, the document's updateTime: as an
   * RFC 3339 string in UTC with milliseconds (`2026-11-30T12:00:00.123Z`),
   * or with `{ typed: true }` as a typed timestamp to the microsecond.
   */
  static serverTimestamp(options: ServerTimestampOptions = {}): FieldValue {
    checkOptions("FieldValue.serverTimestamp()", options, { typed: "boolean" } satisfies OptionKinds<ServerTimestampOptions>);
    return new FieldValue("serverTimestamp", null, options.typed === true);
  }

  /** Appends each element the array does not already hold, in order; a missing or non-array field becomes []. */
  static arrayUnion(...elements: TypedValue[]): FieldValue {
    return new FieldValue("appendMissingElements", elements, elements.map((e, i) => inspectValue(`FieldValue.arrayUnion element ${i}`, e)).includes(true));
  }

  /** Removes every element equal to one of `elements`; a missing or non-array field becomes []. */
  static arrayRemove(...elements: TypedValue[]): FieldValue {
    return new FieldValue("removeAllFromArray", elements, elements.map((e, i) => inspectValue(`FieldValue.arrayRemove element ${i}`, e)).includes(true));
  }

  /** A numeric FieldValue: a finite number (a double), or a bigint in int64 (an integer, typed). */
  private static numeric(kind: "increment" | "maximum" | "minimum", n: number | bigint): FieldValue {
    const where = `FieldValue.${kind}`;
    if (typeof n === "bigint") {
      if (n < INT64_MIN || n > INT64_MAX) throw new RangeError(`${where}: ${n}n is outside the 64-bit signed integers (-2^63 to 2^63-1)`);
      return new FieldValue(kind, n, true);
    }
    if (typeof n !== "number" || !Number.isFinite(n)) throw new TypeError(`${where}: the operand must be a finite number or a bigint, not ${String(n)}`);
    return new FieldValue(kind, n, false);
  }

  /** @internal The wire transform of this value at `fieldPath`. */
  toWire(fieldPath: string): WireTransform {
    switch (this.kind) {
      case "increment":
      case "maximum":
      case "minimum":
        if (this.typed) return { fieldPath, transformType: { case: TYPED[this.kind], value: encodeValue(this.operand as bigint) } };
        return { fieldPath, transformType: { case: this.kind, value: { kind: { case: "numberValue", value: this.operand as number } } } };
      case "serverTimestamp":
        return { fieldPath, transformType: { case: this.typed ? "typedServerTimestamp" : "serverTimestamp", value: {} } };
      case "appendMissingElements":
      case "removeAllFromArray": {
        const elements = this.operand as TypedValue[];
        if (this.typed) return { fieldPath, transformType: { case: TYPED[this.kind], value: { values: elements.map(encodeValue) } } };
        return { fieldPath, transformType: { case: this.kind, value: { values: elements.map((e) => fromJson(ValueSchema, e as JsonValue)) } } };
      }
    }
  }
}

const TYPED = {
  increment: "typedIncrement",
  maximum: "typedMaximum",
  minimum: "typedMinimum",
  appendMissingElements: "typedAppendMissingElements",
  removeAllFromArray: "typedRemoveAllFromArray",
} as const;

/** A document's data in which any field may be a FieldValue. */
export type WithFieldValues<T extends DocumentData> = { [K in keyof T]: T[K] | FieldValue | NestedFieldValues<T[K]> };
type NestedFieldValues<V> = V extends DocumentData ? WithFieldValues<V> : never;

/**
 * Splits data into what is written as is and the transforms its FieldValues
 * stand for, in the order their fields appear. The input is not changed;
 * maps without FieldValues are passed through as they are.
 */
export function splitFieldValues(data: object): { data: JsonObject; transforms: WireTransform[] } {
  const transforms: WireTransform[] = [];
  const stripped = strip(data as Record<string, unknown>, [], transforms, new Set());
  return { data: (stripped === EMPTIED ? {} : stripped) as JsonObject, transforms };
}

/** Drops from an update mask the paths a FieldValue of the same update stands at. */
export function maskWithoutTransforms(mask: string[] | undefined, transforms: readonly WireTransform[]): string[] | undefined {
  if (mask === undefined || transforms.length === 0) return mask;
  const transformed = new Set(transforms.map((t) => t.fieldPath));
  return mask.filter((p) => !transformed.has(p));
}

const EMPTIED = Symbol("emptied by FieldValues");

/**
 * The walk stops at VALUE_DEPTH_MAX and at a map that contains itself,
 * leaving such data as it is: the value check that follows (values.ts)
 * refuses it with a TypeError that names the field, where recursing on
 * would overflow the stack first.
 */
function strip(node: Record<string, unknown>, path: string[], out: WireTransform[], ancestors: Set<object>): Record<string, unknown> | typeof EMPTIED {
  if (path.length >= VALUE_DEPTH_MAX || ancestors.has(node)) return node;
  ancestors.add(node);
  try {
    return stripFields(node, path, out, ancestors);
  } finally {
    ancestors.delete(node);
  }
}

function stripFields(node: Record<string, unknown>, path: string[], out: WireTransform[], ancestors: Set<object>): Record<string, unknown> | typeof EMPTIED {
  let changed = false;
  let kept = 0;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    const value = node[key];
    const childPath = [...path, key];
    if (value instanceof FieldValue) {
      out.push(value.toWire(formatPath(childPath)));
      changed = true;
      continue;
    }
    let keptValue = value;
    if (isPlainObject(value)) {
      const inner = strip(value, childPath, out, ancestors);
      if (inner !== value) changed = true;
      if (inner === EMPTIED) continue;
      keptValue = inner;
    }
    // Own data properties only: a field named `__proto__` stays a field.
    Object.defineProperty(copy, key, { value: keptValue, writable: true, enumerable: true, configurable: true });
    kept++;
  }
  if (!changed) return node;
  return kept === 0 && path.length > 0 ? EMPTIED : copy;
}

/** A path in the server's field-path grammar: identifiers as they are, other names between backquotes. */
function formatPath(segments: readonly string[]): string {
  return segments.map((s) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : "`" + s.replace(/[\\`]/g, (c) => "\\" + c) + "`")).join(".");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

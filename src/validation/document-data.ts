/**
 * Checks a document's fields against the document limits and encodes them
 * as the JSON text that is stored.
 *
 * The walk is iterative with an explicit stack, so a hostile, deeply nested
 * document cannot overflow the call stack before the depth check refuses it.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import {
  DOCUMENT_BYTES_MAX,
  DOCUMENT_DEPTH_MAX,
  DOCUMENT_FIELDS_MAX,
  FIELD_NAME_BYTES_MAX,
  FIELD_NAME_MEMO_CHARS_MAX,
  FIELD_NAME_MEMO_ENTRIES_MAX,
  FIELD_PATH_LENGTH_MAX,
} from "../limits.js";
import type { Failure } from "../errors.js";
import { failure } from "../errors.js";
import { ID_FIELD } from "../query/expression.js";
import { formatFieldPath, parseFieldPath } from "./field-path.js";
import { loneSurrogateProblem } from "./unicode.js";
import { looksTagged, tagProblem } from "../values/typed.js";

/** A document's data, checked and encoded. */
export interface EncodedDocument {
  readonly json: string;
  readonly bytes: number;
  /**
   * The data as stored, which is what `json` reads back as: the data given,
   * unless it held a -0, which JSON text writes as 0 (JSON has no negative
   * zero). A write answers with this, so its answer equals what a read of
   * the document returns over every protocol (binary protobuf carries -0).
   */
  readonly data: JsonObject;
}

const encoder = new TextEncoder();
// The characters field paths refuse everywhere, quoted or not (field-path.ts).
const CONTROL = /[\u0000-\u001f\u007f]/;
// The most characters of a path an error message shows.
const MESSAGE_PATH_CHARS_MAX = 200;

/** How a document's data reached us. */
export interface EncodeOptions {
  /**
   * True (the default) when `data` may hold typed values as tagged leaves
   * (values/typed.ts): data converted from the typed wire form, or read
   * from storage. False for data from the Struct form, where a tag's
   * control character is refused like any other, so typed values come in
   * only through the typed form.
   */
  readonly typed?: boolean;
}

/** Checks `data` against every document limit and encodes it. */
export function encodeDocumentData(data: JsonObject, options: EncodeOptions = {}): { ok: true; value: EncodedDocument } | Failure {
  const shape = checkShape(data, options.typed ?? true);
  if (!shape.ok) return shape;
  const json = JSON.stringify(data);
  const bytes = encoder.encode(json).length;
  if (bytes > DOCUMENT_BYTES_MAX) {
    return failure("resource_exhausted", `document is ${bytes} bytes, over DOCUMENT_BYTES_MAX (${DOCUMENT_BYTES_MAX})`);
  }
  // Reading the text back is the stored data by definition; only the rare
  // document with a -0 pays for it.
  const stored = shape.negativeZero ? (JSON.parse(json) as JsonObject) : data;
  return { ok: true, value: { json, bytes, data: stored } };
}

// One entry of the walk. `path` is the field's path as a user would write
// it (map keys in field-path syntax, array elements as [i]), for messages.
// `pathChars` is the length of that text while the field can be named by a
// path at all, null under an array (paths never index arrays).
interface Pending {
  readonly value: JsonValue;
  readonly depth: number;
  readonly path: string;
  readonly pathChars: number | null;
}

/** Checks `root` against the document limits; on success, tells whether it holds a -0 anywhere (which the stored JSON text writes as 0). */
function checkShape(root: JsonObject, typed: boolean): Failure | { ok: true; negativeZero: boolean } {
  // A one-key map whose key starts with U+0001 looks like a typed leaf, but
  // the data itself is always a map of fields: its key is checked as a field
  // name below (and refused for its control character, as at any depth).
  if (!isObject(root)) return failure("invalid_argument", "document data must be a JSON object (a map)");
  const stack: Pending[] = [{ value: root, depth: 1, path: "", pathChars: 0 }];
  let fields = 0;
  let negativeZero = false;
  while (stack.length > 0) {
    const { value, depth, path, pathChars } = stack.pop()!;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return failure("invalid_argument", `field ${path || "(root)"} is ${value}; numbers must be finite`);
      if (Object.is(value, -0)) negativeZero = true;
      continue;
    }
    if (typeof value === "string") {
      const problem = loneSurrogateProblem(value);
      if (problem !== null) return failure("invalid_argument", `field ${shortened(path)} is a string that ${problem}`);
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (typed && depth > 1 && looksTagged(value)) {
      // A typed value is one field, whatever its payload holds.
      const problem = tagProblem(value as JsonObject);
      if (problem !== null) return failure("invalid_argument", `field ${shortened(path)}: ${problem}`);
      continue;
    }
    if (depth > DOCUMENT_DEPTH_MAX) {
      return failure("invalid_argument", `field ${path} nests deeper than DOCUMENT_DEPTH_MAX (${DOCUMENT_DEPTH_MAX})`);
    }
    const isArray = Array.isArray(value);
    const entries: Array<[string, JsonValue]> = isArray ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    fields += entries.length;
    if (fields > DOCUMENT_FIELDS_MAX) {
      return failure("resource_exhausted", `document has more than DOCUMENT_FIELDS_MAX (${DOCUMENT_FIELDS_MAX}) fields`);
    }
    for (const [key, child] of entries) {
      if (isArray) {
        stack.push({ value: child, depth: depth + 1, path: `${path}[${key}]`, pathChars: null });
        continue;
      }
      const segment = checkedSegment(key, path);
      if (typeof segment !== "string") return segment;
      const childPath = path === "" ? segment : `${path}.${segment}`;
      const childChars = pathChars === null ? null : pathChars + (path === "" ? 0 : 1) + segment.length;
      if (childChars !== null && childChars > FIELD_PATH_LENGTH_MAX) {
        return failure(
          "invalid_argument",
          `field ${shortened(childPath)} has a path of ${childChars} characters, over FIELD_PATH_LENGTH_MAX (${FIELD_PATH_LENGTH_MAX}); no mask or filter could name it`,
        );
      }
      stack.push({ value: child, depth: depth + 1, path: childPath, pathChars: childChars });
    }
  }
  return { ok: true, negativeZero };
}

/**
 * Field names that passed checkKey, each with its path segment
 * (formatFieldPath([key])). Documents of one kind repeat the same few
 * names, so a batch of 100 checks each name once instead of 100 times. A
 * name is the same valid name anywhere except `__id__`, refused only at the
 * top level, which is therefore always checked there. Bounded: emptied
 * when full, and long names are not kept.
 */
const checkedNames = new Map<string, string>();

/** The path segment of a valid field name `key` under `parent`, or why it is not valid (checkKey). */
function checkedSegment(key: string, parent: string): string | Failure {
  const known = checkedNames.get(key);
  if (known !== undefined && !(parent === "" && key === ID_FIELD)) return known;
  const keyFailure = checkKey(key, parent);
  if (keyFailure !== null) return keyFailure;
  const segment = formatFieldPath([key]);
  if (key.length <= FIELD_NAME_MEMO_CHARS_MAX) {
    if (checkedNames.size >= FIELD_NAME_MEMO_ENTRIES_MAX) checkedNames.clear();
    checkedNames.set(key, segment);
  }
  return segment;
}

/**
 * Why `key` may not be a field name, or null. There is one grammar for
 * field names: a name is stored only if a field path (field-path.ts) can
 * name it, so every stored field can be masked, projected and filtered on.
 * That refuses empty names, control characters (which paths refuse even
 * quoted), lone UTF-16 surrogates (unicode.ts) and names whose quoted form
 * is over FIELD_PATH_LENGTH_MAX; and at the top level `__id__`, which
 * filters and sorts read as the document id.
 */
function checkKey(key: string, parent: string): Failure | null {
  // Most names are plain identifiers: they hold no control character or
  // surrogate, field paths write them bare and read them back unchanged, so
  // only their length and `__id__` need checking (the full check below
  // formats and parses a path per field, on every write).
  if (PLAIN_NAME.test(key) && key.length <= Math.min(FIELD_NAME_BYTES_MAX, FIELD_PATH_LENGTH_MAX) && !(parent === "" && key === ID_FIELD)) return null;
  const where = parent === "" ? "at the top level" : `under ${shortened(parent)}`;
  if (key.length === 0) return failure("invalid_argument", `empty field name ${where}`);
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short names skip the
  // encoding (a native call and an allocation per field, on every write).
  if (key.length * 3 > FIELD_NAME_BYTES_MAX && encoder.encode(key).length > FIELD_NAME_BYTES_MAX) {
    return failure("invalid_argument", `field name ${where} is over FIELD_NAME_BYTES_MAX (${FIELD_NAME_BYTES_MAX}) bytes`);
  }
  const control = key.search(CONTROL);
  if (control >= 0) {
    const code = key.charCodeAt(control).toString(16).toUpperCase().padStart(4, "0");
    return failure(
      "invalid_argument",
      `field name ${quoted(key)} ${where} holds control character U+${code}; field names must be writable as field paths, and paths refuse control characters`,
    );
  }
  const unpaired = loneSurrogateProblem(key);
  if (unpaired !== null) return failure("invalid_argument", `field name ${quoted(key.slice(0, 80))} ${where} ${unpaired}`);
  if (parent === "" && key === ID_FIELD) {
    return failure("invalid_argument", `field name ${ID_FIELD} at the top level is reserved: filters and sorts read it as the document id`);
  }
  const parsed = parseFieldPath(formatFieldPath([key]));
  if (!parsed.ok || parsed.path.length !== 1 || parsed.path[0] !== key) {
    const why = parsed.ok ? "it reads back as another path" : parsed.message;
    return failure("invalid_argument", `field name ${quoted(key.slice(0, 80))} ${where} cannot be written as a field path: ${why}`);
  }
  return null;
}

/** A name field paths write bare (formatFieldPath's rule). */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Paths under arrays have no length limit (nothing names them), so messages show a bounded prefix.
function shortened(path: string): string {
  return path.length <= MESSAGE_PATH_CHARS_MAX ? path : `${path.slice(0, MESSAGE_PATH_CHARS_MAX)}...`;
}

// A name as JSON text, with DEL escaped too (JSON leaves it raw), so a message never carries a control character.
function quoted(name: string): string {
  return JSON.stringify(name).replace(/\u007f/g, "\\u007f");
}

/** True for a JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * True for a map a field path can go into: a JSON object that is not a
 * typed value (values/typed.ts). Masks, patches, transforms and projections
 * treat a typed value as a leaf, as they treat a number: a path through it
 * replaces it (when writing) or finds nothing (when reading).
 */
export function isMap(value: unknown): value is JsonObject {
  return isObject(value) && !looksTagged(value as JsonObject);
}

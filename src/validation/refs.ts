/**
 * The grammar of collection names and document ids.
 *
 * The same rules are declared in the protos (buf.validate), so every
 * generated client can check them; the Worker checks them again here because
 * the protos cannot say "names starting with `__` are reserved", and because
 * these names become SQL parameters and routing keys.
 */
import { COLLECTION_NAME_LENGTH_MAX, DOCUMENT_ID_LENGTH_MAX } from "../limits.js";
import type { Failure } from "../errors.js";
import { failure } from "../errors.js";

const COLLECTION_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const DOCUMENT_ID_PATTERN = /^[A-Za-z0-9_:@+=~-][A-Za-z0-9_.:@+=~-]*$/;

/** A checked reference to one document. */
export interface DocRef {
  readonly collection: string;
  readonly id: string;
}

/** Checks a collection name; null when it is valid. */
export function checkCollection(name: string): Failure | null {
  if (name.length === 0) return failure("invalid_argument", "collection name is empty");
  if (name.length > COLLECTION_NAME_LENGTH_MAX) {
    return failure("invalid_argument", `collection name is ${name.length} characters, over COLLECTION_NAME_LENGTH_MAX (${COLLECTION_NAME_LENGTH_MAX})`);
  }
  if (!COLLECTION_PATTERN.test(name)) {
    return failure("invalid_argument", `collection name ${JSON.stringify(name)} must be a letter or "_" followed by letters, digits, "_" or "-"`);
  }
  if (name.startsWith("__")) return failure("invalid_argument", `collection name ${JSON.stringify(name)} is reserved: names starting with "__" are for the system`);
  return null;
}

/** Checks a document id; null when it is valid. */
export function checkDocumentId(id: string): Failure | null {
  if (id.length === 0) return failure("invalid_argument", "document id is empty");
  if (id.length > DOCUMENT_ID_LENGTH_MAX) {
    return failure("invalid_argument", `document id is ${id.length} characters, over DOCUMENT_ID_LENGTH_MAX (${DOCUMENT_ID_LENGTH_MAX})`);
  }
  if (!DOCUMENT_ID_PATTERN.test(id)) {
    return failure("invalid_argument", `document id ${JSON.stringify(id)} may hold only letters, digits and "_ . : @ + = ~ -", and may not start with "."`);
  }
  return null;
}

/** Checks both parts of a reference; null when it is valid. */
export function checkRef(ref: DocRef): Failure | null {
  return checkCollection(ref.collection) ?? checkDocumentId(ref.id);
}

/**
 * Every limit ImpossibleDB enforces, with its unit in its name. The routing
 * layer's own limits (shard counts, ring sizes) live in `routing/limits.ts`
 * and are re-exported here, so this module is the one place to look.
 *
 * The README's limits table mirrors this file. Where a limit is also declared
 * in the protos (buf.validate rules), the number here must match the proto;
 * `test/unit/limits.test.ts` checks that it does.
 */

/** The largest document, as the UTF-8 bytes of its JSON encoding (Firestore's 1 MiB). */
export const DOCUMENT_BYTES_MAX = 1024 * 1024;

/** The deepest nesting of maps and arrays inside a document (the top level is depth 1). */
export const DOCUMENT_DEPTH_MAX = 20;

/** The most fields (map entries and array elements, at every depth) in one document. */
export const DOCUMENT_FIELDS_MAX = 20_000;

/** The longest field name inside a document, in UTF-8 bytes. */
export const FIELD_NAME_BYTES_MAX = 1500;

/** The longest collection name, in characters (ASCII by grammar). */
export const COLLECTION_NAME_LENGTH_MAX = 128;

/** The longest document id, in characters (ASCII by grammar). */
export const DOCUMENT_ID_LENGTH_MAX = 256;

/** The longest field path, in characters. */
export const FIELD_PATH_LENGTH_MAX = 1500;

/** The most segments in one field path. */
export const FIELD_PATH_SEGMENTS_MAX = DOCUMENT_DEPTH_MAX;

/** The most paths in one document mask. */
export const MASK_PATHS_MAX = 100;

/** The most documents one batch get or batch write may name. */
export const BATCH_SIZE_MAX = 500;

/** The most bytes of document data one batch write may carry. */
export const BATCH_BYTES_MAX = 10 * 1024 * 1024;

/** The page size used when a request leaves it unset. */
export const PAGE_SIZE_DEFAULT = 100;

/** The largest page a list or query call returns. */
export const PAGE_SIZE_MAX = 1000;

/** The longest page token accepted, in characters. */
export const PAGE_TOKEN_LENGTH_MAX = 4096;

/**
 * The largest request message the Worker reads, in bytes. A batch of
 * BATCH_BYTES_MAX of data plus framing fits; anything larger is refused
 * with RESOURCE_EXHAUSTED before it is parsed.
 */
export const REQUEST_BYTES_MAX = 16 * 1024 * 1024;

/** How long the Worker trusts its cached routing table before asking the shard manager again. */
export const ROUTING_CACHE_TTL_MS = 5_000;

/** How many times a call to a Durable Object is retried after a retryable failure. */
export const SHARD_CALL_RETRIES_MAX = 3;

/** The first retry backoff for Durable Object calls; it doubles per retry, with jitter. */
export const SHARD_CALL_BACKOFF_MS = 20;

function assertLimit(condition: boolean, relation: string): void {
  if (!condition) throw new Error(`limits.ts: broken relation between limits: ${relation}`);
}

// Relations between limits, checked once when the module loads so that a bad
// edit fails every test instead of misbehaving in production.
assertLimit(PAGE_SIZE_DEFAULT <= PAGE_SIZE_MAX, "PAGE_SIZE_DEFAULT <= PAGE_SIZE_MAX");
assertLimit(DOCUMENT_BYTES_MAX <= BATCH_BYTES_MAX, "a single document fits in a batch");
assertLimit(BATCH_BYTES_MAX * 1.5 <= REQUEST_BYTES_MAX, "a full batch plus framing fits in one request");
// A SQLite row in a Durable Object holds at most 2 MB; the stored JSON is
// the document's encoding, so a maximal document must fit in one row.
assertLimit(DOCUMENT_BYTES_MAX < 2_000_000, "a document fits in one Durable Object SQLite row");
assertLimit(FIELD_PATH_SEGMENTS_MAX <= DOCUMENT_DEPTH_MAX, "paths are no deeper than documents");

export * from "./routing/limits.js";

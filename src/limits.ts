/**
 * Every limit ImpossibleDB enforces, with its unit in its name. The routing
 * layer's own limits (shard counts, ring sizes) live in `routing/limits.ts`
 * and are re-exported here, so this module is the one place to look.
 *
 * The README's limits table mirrors this file. Where a limit is also declared
 * in the protos (buf.validate rules), the number here must match the proto;
 * `test/unit/limits.test.ts` checks that it does.
 */
import { SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX } from "./search/limits.js";
import { SHARD_COUNT_MAX, SHARD_ID_LENGTH_MAX } from "./routing/limits.js";

/** The largest document, as the UTF-8 bytes of its JSON encoding (Firestore's 1 MiB). */
export const DOCUMENT_BYTES_MAX = 1024 * 1024;

/**
 * The most bytes a document may take in its shard's row: its JSON plus the
 * order-preserving keys of its numbers (`num_keys`, about 18 bytes a number
 * under the same field names). Below a Durable Object's 2 MB row limit; only
 * a document of thousands of numbers under long field names comes near it.
 */
export const DOCUMENT_STORED_BYTES_MAX = 1_900_000;

/**
 * The most bytes of after and before images one change-log row holds
 * (watch/change-log.ts). A Durable Object's SQLite row holds at most 2 MB on
 * Cloudflare, and a replaced document's two images can be twice
 * DOCUMENT_STORED_BYTES_MAX; past this the before image is kept in a row of
 * its own (change_log_before), read back with it. Internal: not a caller's limit.
 */
export const CHANGE_ROW_INLINE_BYTES_MAX = 1_500_000;

/**
 * The most UTF-16 units of document JSON one run of a plain batch binds to
 * one statement (storage/batch-rows.ts, storage/document-store.ts
 * `storePlans`): each document is its own parameter, so no one string
 * nears SQLite's length limit (SQLITE_TOOBIG; 2 MB on Cloudflare), and
 * this bounds what one statement copies in (at most 1.8 MB of UTF-8). A
 * batch's writes go in runs within it; a run always takes one write,
 * however long. Internal: not a caller's limit.
 */
export const BATCH_PARAM_UNITS_MAX = 600_000;

/** The deepest nesting of maps and arrays inside a document (the top level is depth 1). */
export const DOCUMENT_DEPTH_MAX = 20;

/** The most fields (map entries and array elements, at every depth) in one document. */
export const DOCUMENT_FIELDS_MAX = 20_000;

/** The longest field name inside a document, in UTF-8 bytes. */
export const FIELD_NAME_BYTES_MAX = 1500;

/**
 * Field names a Worker or shard remembers as already checked (validation/
 * document-data.ts), so a batch checks each repeated name once; the memo
 * is emptied when it holds this many. Names longer than
 * FIELD_NAME_MEMO_CHARS_MAX UTF-16 units are checked every time, which
 * bounds the memo's memory (about 1 MB at most).
 */
export const FIELD_NAME_MEMO_ENTRIES_MAX = 4096;
export const FIELD_NAME_MEMO_CHARS_MAX = 64;

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

/**
 * The most field transforms (increment, maximum, array union...) one write
 * may carry; more is INVALID_ARGUMENT. Each is applied in the shard inside
 * the write's SQLite transaction, so this bounds the work one write adds to
 * it. Declared in the protos as well (`transforms` max_items).
 */
export const TRANSFORMS_PER_WRITE_MAX = 100;

/**
 * The most decoded documents one shard keeps in its memory between requests
 * (storage/document-cache.ts), least recently used dropped first.
 */
export const DOCUMENT_CACHE_ENTRIES_MAX = 4096;

/**
 * The most bytes of document JSON (the stored text's length, a proxy for
 * the decoded objects' size) one shard's document cache holds. A Durable
 * Object has 128 MB of memory; this keeps the cache a small share of it.
 */
export const DOCUMENT_CACHE_BYTES_MAX = 16 * 1024 * 1024;

/** The most documents one batch get or batch write may name. */
export const BATCH_SIZE_MAX = 500;

/** The most bytes of document data one batch write may carry. */
export const BATCH_BYTES_MAX = 10 * 1024 * 1024;

/** The page size used when a request leaves it unset. */
export const PAGE_SIZE_DEFAULT = 100;

/** The largest page a list or query call returns. */
export const PAGE_SIZE_MAX = 1000;

/**
 * The longest page token accepted, in characters (the protos say so too).
 * Every token the server issues fits, whatever the documents hold: small
 * enough for a URL (a Connect GET) or a header. Query tokens keep to it by
 * cutting long sort keys (PAGE_TOKEN_SORT_KEYS_BYTES_MAX).
 */
export const PAGE_TOKEN_LENGTH_MAX = 4096;

/**
 * The longest Listen resume token accepted, in characters (the proto says
 * so too). A resume token holds a change-log position for every shard the
 * listener watches (a query's: every shard of the routing table), so its
 * bound follows from SHARD_COUNT_MAX and SHARD_ID_LENGTH_MAX rather than
 * from PAGE_TOKEN_LENGTH_MAX, which a table of about 150 shards passed.
 * Resume tokens travel only in ListenRequest's body (Listen is a server
 * stream: never a GET, never a header).
 */
export const RESUME_TOKEN_LENGTH_MAX = 128 * 1024;

/** The most sort keys (order_by entries) in one query (the proto says so too). */
export const QUERY_ORDER_KEYS_MAX = 16;

/**
 * The UTF-8 bytes of JSON a query page token spends on its sort keys, in
 * equal shares per key (2,048 bytes for one key, 128 each for sixteen). A
 * string sort key (or typed value's order key) longer than its share is
 * carried as a prefix and a 22-character digest, and the next page
 * recovers the whole key from the page's last document (query/
 * page-state.ts). Sort keys can be as long as a document (1 MiB), which no
 * token of PAGE_TOKEN_LENGTH_MAX could carry whole.
 */
export const PAGE_TOKEN_SORT_KEYS_BYTES_MAX = 2048;

/**
 * The largest request message the Worker reads, in bytes. A batch of
 * BATCH_BYTES_MAX of data plus framing fits; anything larger is refused
 * with RESOURCE_EXHAUSTED before it is parsed.
 */
export const REQUEST_BYTES_MAX = 16 * 1024 * 1024;

/** How long the Worker trusts its cached routing table before asking the shard manager again. */
export const ROUTING_CACHE_TTL_MS = 5_000;

/** The first wait after a shard answers "moved" (a resharding's cutover), doubled per retry up to ROUTING_MOVED_BACKOFF_MS_MAX. */
export const ROUTING_MOVED_BACKOFF_MS = 2;

/** The longest single wait between routing retries. */
export const ROUTING_MOVED_BACKOFF_MS_MAX = 100;

/** How long one call waits for a resharding's new table before it answers UNAVAILABLE. */
export const ROUTING_MOVED_WAIT_MS_MAX = 10_000;

/** How many times one call is routed again after "moved" answers. */
export const ROUTING_MOVED_RETRIES_MAX = 20;

/** The longest database id, in characters (the grammar is in databases/names.ts). */
export const DATABASE_ID_LENGTH_MAX = 63;

/** The most databases one deployment may hold, `default` not counted; CreateDatabase past it is RESOURCE_EXHAUSTED. */
export const DATABASES_MAX = 10_000;

/** The page size of ListDatabases when the request leaves it unset. */
export const DATABASES_PAGE_SIZE_DEFAULT = 50;

/** The largest page ListDatabases returns. */
export const DATABASES_PAGE_SIZE_MAX = 1000;

/**
 * How long a Worker trusts its cached catalog entry of a database (that it
 * exists, its uid and placement) before asking the catalog again. A deleted
 * database's objects refuse every call themselves, so a stale entry can
 * only produce NOT_FOUND from them, never a half-deleted answer.
 */
export const DATABASE_CACHE_TTL_MS = 5_000;

/** The most databases whose catalog entry and routing table one Worker isolate caches; the least recently fetched is dropped first. */
export const DATABASE_CACHE_ENTRIES_MAX = 256;

/** How many of a database's objects DeleteDatabase erases at once. */
export const DATABASE_DELETE_CONCURRENCY_MAX = 16;

/** How many times a call to a Durable Object is retried after a retryable failure. */
export const SHARD_CALL_RETRIES_MAX = 3;

/** The first retry backoff for Durable Object calls; it doubles per retry, with jitter. */
export const SHARD_CALL_BACKOFF_MS = 20;

/**
 * How long a drop of an index or search index waits, per shard, for SQLite
 * to take it while a statement is still active there (SQLITE_LOCKED;
 * shards/shard-ddl.ts): workerd ends a statement left with rows unread when
 * its cursor is garbage-collected, seen within about 10 s. Then UNAVAILABLE.
 */
export const SHARD_DDL_LOCKED_WAIT_MS_MAX = 20_000;

/** The first pause before trying such a drop again (doubled each time, up to a second). */
export const SHARD_DDL_LOCKED_POLL_MS = 100;

/** The most documents a query may skip with `offset`; deeper pages use page tokens. */
export const QUERY_OFFSET_MAX = 10_000;

/**
 * The most rows SQLite may read for one query, over all its shards and
 * pages of one call (SQLite's own `rowsRead` counter); past it the query
 * fails with RESOURCE_EXHAUSTED rather than scanning without end.
 */
export const QUERY_ROWS_READ_MAX = 1_000_000;

/** How long one query call may run in the Worker, in milliseconds (a shorter client deadline wins). */
export const QUERY_DEADLINE_MS = 30_000;

/** The most shard calls of one query in flight at once (the fan-out bound). */
export const QUERY_FANOUT_CONCURRENCY_MAX = 16;

/** The most documents one shard sends in one batch of a query. */
export const SHARD_BATCH_ROWS_MAX = PAGE_SIZE_MAX + QUERY_OFFSET_MAX + 1;

/** The first batch a shard sends for StreamQuery, so the first results flow early. */
export const STREAM_FIRST_BATCH_ROWS = 50;

/**
 * A shard stops filling a batch once it holds this many bytes of document
 * JSON, so RPC replies stay small and a query over 64 shards buffers at
 * most about 64 MiB in the Worker.
 */
export const SHARD_REPLY_BYTES_MAX = 1024 * 1024;

/**
 * A shard reads the uncached documents of a batch get this many refs at a
 * time, in one statement per window (storage/document-store.ts), instead of
 * one statement per document. Bounds what one window may load past a
 * reply's SHARD_REPLY_BYTES_MAX: at most this many stored documents.
 */
export const READ_WINDOW_DOCS_MAX = 16;

/**
 * The largest message standard gRPC clients accept by default (grpc-go,
 * grpc-java, grpcio, buf curl: 4 MiB). Every answer to a request within our
 * limits must fit in it, or a caller with default options gets
 * RESOURCE_EXHAUSTED for a call that succeeded.
 */
export const GRPC_MESSAGE_BYTES_DEFAULT_MAX = 4 * 1024 * 1024;

/**
 * The most bytes of documents (or batch-get results, or write results) one
 * response message carries, counted as their binary protobuf encoding.
 * Pages (ListDocuments, RunQuery, ExportDocuments messages) end early at it
 * and give a next-page token; BatchGetDocuments and GetDocuments answer the
 * refs that fit and name the rest in `unread_refs`; write results carry
 * documents only when asked, and only while they fit. A response always
 * carries at least one item, which DOCUMENT_WIRE_BYTES_MAX guarantees fits.
 */
export const RESPONSE_BYTES_MAX = 3 * 1024 * 1024;

/**
 * What a response may carry besides its items: the per-item framing of a
 * repeated field (at most 6 bytes each for PAGE_SIZE_MAX or BATCH_SIZE_MAX
 * items), a page token (PAGE_TOKEN_LENGTH_MAX), refs left unread, statuses
 * and an explain plan. The plan and statuses are not measured; this margin
 * is what keeps them inside GRPC_MESSAGE_BYTES_DEFAULT_MAX.
 */
export const RESPONSE_OVERHEAD_BYTES_MAX = 1024 * 1024;

/**
 * An upper bound on one document's binary protobuf encoding: its JSON
 * (DOCUMENT_BYTES_MAX) plus at most 24 bytes of Struct framing per field
 * (map-entry and Value tags and lengths, a number's 8 bytes against JSON's
 * 1), plus the envelope (collection, id, version, times).
 */
export const DOCUMENT_WIRE_BYTES_MAX = DOCUMENT_BYTES_MAX + DOCUMENT_FIELDS_MAX * 24 + 1024;

/** The most values in one IN, NOT_IN or ARRAY_CONTAINS_ANY list. */
export const FILTER_LIST_VALUES_MAX = 100;

/** The most nodes (comparisons, ANDs, ORs, NOTs) in one filter. */
export const FILTER_NODES_MAX = 500;

/** The deepest nesting of composite and NOT filters. */
export const FILTER_DEPTH_MAX = 20;

/** The most groups one aggregation may produce (on one shard or merged). */
export const AGGREGATION_GROUPS_MAX = 10_000;

/** The most secondary indexes on one collection. */
export const INDEXES_PER_COLLECTION_MAX = 64;

/** SQLite's bound-parameter limit in a Durable Object. */
export const SQL_PARAMS_MAX = 100;

/**
 * The deepest expression tree SQLite accepts in a Durable Object (its
 * SQLITE_MAX_EXPR_DEPTH there; seen: "Expression tree is too large (maximum
 * depth 100)"). A filter part that would nest deeper is checked in
 * JavaScript instead, like one past the parameter or size budget.
 */
export const SQL_EXPR_DEPTH_MAX = 100;

/**
 * The most SELECTs one compound SELECT (a chain of UNION ALL) may join in
 * a Durable Object (its SQLITE_LIMIT_COMPOUND_SELECT there; seen: "too
 * many terms in compound SELECT" at six). Longer chains are nested in
 * subqueries of at most this many each (search/sql-scoring.ts).
 */
export const SQL_COMPOUND_SELECT_TERMS_MAX = 5;

/**
 * The most UTF-8 bytes in one shard statement; a Durable Object refuses
 * statements over 100 KB. Sort keys and the cursor are spelled first; filter
 * parts that do not fit in what is left are checked in JavaScript instead.
 */
export const SQL_STATEMENT_BYTES_MAX = 90_000;

/** Characters in an id AddDocument chooses (Firestore's auto-ids have 20). */
export const AUTO_ID_LENGTH = 20;

/**
 * How many fresh ids AddDocument tries when the one it chose exists. With
 * 62^20 (about 2^119) ids a collision is never expected; the bound keeps a
 * broken random source from looping.
 */
export const AUTO_ID_ATTEMPTS_MAX = 3;

/** The page size of ListCollections when a request leaves it unset. */
export const COLLECTIONS_PAGE_SIZE_DEFAULT = 100;

/** The largest page of ListCollections (the proto says so too). */
export const COLLECTIONS_PAGE_SIZE_MAX = 1000;

/** The most documents one DeleteCollection call deletes on each shard (the proto says so too). */
export const DELETE_COLLECTION_BATCH_SIZE_MAX = 500;

/** The per-shard step of DeleteCollection when a request leaves batch_size unset. */
export const DELETE_COLLECTION_BATCH_SIZE_DEFAULT = DELETE_COLLECTION_BATCH_SIZE_MAX;

/** The longest caller-chosen `x-request-id` kept as given, in characters; a longer one is replaced. */
export const REQUEST_ID_LENGTH_MAX = 128;

/**
 * The most distinct (RPC method, database) entries one isolate keeps
 * metrics for. The contract has a few dozen methods, so this keeps every
 * method of a handful of busy databases apart; calls past it (more
 * databases, or a contract grown far beyond today's) are counted under one
 * `(other)` entry, so GetMetrics' memory stays bounded whatever happens
 * (an entry is about LATENCY_BUCKET_COUNT numbers and a few codes).
 */
export const METRICS_METHODS_MAX = 256;

/** The upper bound of the first latency histogram bucket, in milliseconds; each next bucket doubles it. */
export const LATENCY_BUCKET_FIRST_MS = 1;

/** Latency histogram buckets per method: 1 ms up to 2^18 ms (about 4.4 minutes), then one bucket for anything longer. */
export const LATENCY_BUCKET_COUNT = 20;

function assertLimit(condition: boolean, relation: string): void {
  if (!condition) throw new Error(`limits.ts: broken relation between limits: ${relation}`);
}

// Relations between limits, checked once when the module loads so that a bad
// edit fails every test instead of misbehaving in production.
assertLimit(PAGE_SIZE_DEFAULT <= PAGE_SIZE_MAX, "PAGE_SIZE_DEFAULT <= PAGE_SIZE_MAX");
assertLimit(COLLECTIONS_PAGE_SIZE_DEFAULT <= COLLECTIONS_PAGE_SIZE_MAX, "COLLECTIONS_PAGE_SIZE_DEFAULT <= COLLECTIONS_PAGE_SIZE_MAX");
assertLimit(
  DELETE_COLLECTION_BATCH_SIZE_DEFAULT <= DELETE_COLLECTION_BATCH_SIZE_MAX && DELETE_COLLECTION_BATCH_SIZE_MAX <= BATCH_SIZE_MAX,
  "a DeleteCollection step is no larger than a write batch",
);
assertLimit(AUTO_ID_LENGTH <= DOCUMENT_ID_LENGTH_MAX, "an auto-id is a valid document id");
assertLimit(DOCUMENT_BYTES_MAX <= BATCH_BYTES_MAX, "a single document fits in a batch");
assertLimit(BATCH_BYTES_MAX * 1.5 <= REQUEST_BYTES_MAX, "a full batch plus framing fits in one request");
// A SQLite row in a Durable Object holds at most 2 MB; the stored JSON is
// the document's encoding, so a maximal document must fit in one row.
assertLimit(DOCUMENT_BYTES_MAX < DOCUMENT_STORED_BYTES_MAX && DOCUMENT_STORED_BYTES_MAX < 2_000_000, "a document fits in one Durable Object SQLite row");
assertLimit(CHANGE_ROW_INLINE_BYTES_MAX + 100_000 < 2_000_000 && DOCUMENT_STORED_BYTES_MAX + 100_000 <= 2_000_000, "a change row's images and its other columns fit one Durable Object SQLite row");
assertLimit(BATCH_PARAM_UNITS_MAX * 3 < 2_000_000, "a batch run's documents bind at most 1.8 MB of text to one statement");
assertLimit(FIELD_PATH_SEGMENTS_MAX <= DOCUMENT_DEPTH_MAX, "paths are no deeper than documents");
assertLimit(DOCUMENT_BYTES_MAX <= DOCUMENT_CACHE_BYTES_MAX, "the document cache can hold the largest document");
assertLimit(TRANSFORMS_PER_WRITE_MAX <= MASK_PATHS_MAX, "a write transforms no more fields than a mask may name");
assertLimit(SHARD_BATCH_ROWS_MAX > PAGE_SIZE_MAX + QUERY_OFFSET_MAX, "one batch per shard serves the deepest first page");
assertLimit(STREAM_FIRST_BATCH_ROWS <= SHARD_BATCH_ROWS_MAX, "the first stream batch is a batch");
assertLimit(DOCUMENT_BYTES_MAX <= SHARD_REPLY_BYTES_MAX, "a shard batch holds at least one document");
assertLimit(DOCUMENT_WIRE_BYTES_MAX <= RESPONSE_BYTES_MAX, "a response can always carry one whole document");
assertLimit(
  RESPONSE_BYTES_MAX + RESPONSE_OVERHEAD_BYTES_MAX <= GRPC_MESSAGE_BYTES_DEFAULT_MAX,
  "every response fits a default gRPC client's 4 MiB receive limit",
);
assertLimit(
  Math.max(PAGE_SIZE_MAX, BATCH_SIZE_MAX) * 6 + PAGE_TOKEN_LENGTH_MAX + BATCH_SIZE_MAX * (DOCUMENT_ID_LENGTH_MAX + COLLECTION_NAME_LENGTH_MAX + 8) <
    RESPONSE_OVERHEAD_BYTES_MAX / 2,
  "item framing, a page token and a full list of unread refs leave half the overhead margin for plans and statuses",
);
// A query token's JSON: {"s":"query:<32 hex>","p":{"k":[...],"i":"<id>","n":<n>,"f":<n>}}
// takes at most 351 bytes besides its keys (ids need no escapes, n has at
// most 16 digits, f at most 3); each key adds 5 bytes of framing ([rank,...],) to its
// share. base64url makes 4 characters of 3 bytes; the MAC adds 23.
assertLimit(
  Math.ceil(((351 + QUERY_ORDER_KEYS_MAX * 5 + PAGE_TOKEN_SORT_KEYS_BYTES_MAX) * 4) / 3) + 23 <= PAGE_TOKEN_LENGTH_MAX,
  "a query page token with every sort key at its share fits PAGE_TOKEN_LENGTH_MAX",
);
assertLimit(
  Math.floor(PAGE_TOKEN_SORT_KEYS_BYTES_MAX / QUERY_ORDER_KEYS_MAX) >= 64,
  "each sort key's share holds any number (24 bytes) whole, and a cut key's digest (25 bytes) with a prefix",
);
assertLimit(DOCUMENT_ID_LENGTH_MAX <= 256, "a token's id fits the 351 bytes counted above");
// A resume token's JSON: {"s":"listen:<32 hex>","p":{"r":<version>,"p":{...}}}
// takes at most 128 bytes besides its positions; each is
// "<shard id>":<position>, (16 digits at most) of 20 bytes plus the id.
assertLimit(
  Math.ceil(((128 + SHARD_COUNT_MAX * (SHARD_ID_LENGTH_MAX + 20)) * 4) / 3) + 23 <= RESUME_TOKEN_LENGTH_MAX,
  "a resume token naming a position on every shard of the largest routing table fits RESUME_TOKEN_LENGTH_MAX",
);
// Sixteen sort keys take 4 parameters each in the resume condition, plus
// the collection and the id; the filter must keep some parameters.
assertLimit(16 * 4 + 2 < SQL_PARAMS_MAX, "sort keys and a cursor fit in one statement's parameters");

/** The most writes one transaction or atomic batch may carry. */
export const TX_WRITES_MAX = 500;

/** The most read versions one commit may ask to validate. */
export const TX_READS_MAX = 500;

/** The most bytes of document data one transaction may write. */
export const TX_BYTES_MAX = BATCH_BYTES_MAX;

/**
 * The longest transaction id, in characters: the proto's limit on
 * `transaction` and `retry_of` (transaction_service.proto). An id carries
 * its database's scope, so the longest is a 63-character database id's
 * with the longest uid and placement (about 220; test/unit/tx-token.test.ts
 * checks it fits). It was 128, which ids of databases named with more than
 * about 12 characters passed: their transactions could not commit.
 */
export const TX_ID_LENGTH_MAX = 512;

/** The most shards one transaction may touch. */
export const TX_PARTICIPANTS_MAX = 16;

/** How long a transaction may stay open when its options (BeginTransaction's, or new_transaction's) name no timeout. */
export const TX_TIMEOUT_DEFAULT_MS = 60_000;

/** The longest timeout TransactionOptions may name, in BeginTransaction or new_transaction (the proto says so too). */
export const TX_TIMEOUT_MAX_MS = 60_000;

/**
 * The shortest timeout TransactionOptions may name. A transaction is at
 * least two round trips (its reads, then a commit that may be a two-phase
 * commit across shards): a shorter deadline expires before its commit on
 * any deployment, so the id would be refused as expired by every call (a
 * retry loop would spend its attempts on runs that cannot commit). The Go
 * client's TransactionTimeoutMin and the Python client's
 * TRANSACTION_TIMEOUT_MS_MIN are this value.
 */
export const TX_TIMEOUT_MIN_MS = 100;

/**
 * How long after its deadline a transaction id may still be named by
 * `retry_of`, in milliseconds. A retry comes right after its attempt
 * aborted, well inside this; an older id would let anyone who kept one
 * claim the oldest priority (and its read locks) long after the fact.
 */
export const TX_RETRY_OF_WINDOW_MS = 60_000;

/**
 * How much older than its own begin a retry's inherited priority may be, in
 * milliseconds (sync/lock-order.ts inheritedPriorityMs). Without a bound, a
 * client that began a retry every half second, each naming the one before
 * in `retry_of`, read a hot document and went quiet, kept the document
 * from everyone else for as long as it liked (each quiet retry lost its
 * locks after TX_READ_LOCK_LEASE_MS, but the next one, with the same old
 * priority, took them again: a new user's finding, 3 increments in 77 s).
 * With it, such a chain is older than a newcomer for at most this long.
 * Far longer than a legitimate runTransaction's retries take to win.
 */
export const TX_RETRY_PRIORITY_AGE_MAX_MS = 30_000;

/**
 * How long an undecided transaction that is not committing keeps its claim
 * to be waited for after its last call (a GetDocuments of a retry, or any
 * round of one that waits for a lock), in milliseconds. Past it, anyone its
 * read locks block may abort it (sync/read-lock-lease.ts), so one that went
 * quiet (an abandoned retry) stalls a document for about this long, not
 * until its deadline. Short next to the TypeScript SDK's runTransaction
 * (5 attempts, about 3 s when each retry waits its whole
 * INTENT_RESOLUTION_ROUNDS_MAX rounds), so its third attempt gets through;
 * long next to one round's wait, which renews it. Cloud Spanner aborts a
 * read-write transaction idle for 10 s; ours holds locks only while
 * retrying, and its waiters give up much sooner, hence shorter.
 */
export const TX_READ_LOCK_LEASE_MS = 1_000;

/**
 * The most transactions whose last call a coordinator remembers for
 * TX_READ_LOCK_LEASE_MS. Past it the one heard from longest ago is
 * forgotten, and its lease starts again when next asked about (it only
 * waits longer to lose its locks: never a wrong abort).
 */
export const COORDINATOR_LEASES_MAX = 10_000;

/**
 * How long after its deadline a finished transaction's records are kept,
 * so a repeated or late message is answered from them. Past the deadline
 * no client message for the transaction is accepted any more.
 */
export const TX_RECORD_RETENTION_MS = 60_000;

/** How many times a request blocked by transaction locks resolves them and tries again. */
export const INTENT_RESOLUTION_ROUNDS_MAX = 8;

/** The first wait before retrying a request blocked by locks; it doubles per round. */
export const INTENT_RESOLUTION_BACKOFF_MS = 5;

/** After this many rounds a blocked request aborts the undecided transactions in its way. */
export const INTENT_RESOLUTION_PATIENCE_ROUNDS = 3;

/**
 * How long a retry waits, in milliseconds, when only older live
 * transactions are in its way (it may never abort them: lock-order.ts),
 * before it gives up with ABORTED and its client tries again. Its rounds
 * are not counted against INTENT_RESOLUTION_ROUNDS_MAX: a hot document
 * with N retries queued has each wait for the N-1 before it (measured
 * locally: about 60 ms per commit in the queue), and a wait that ran out
 * after 8 rounds (about 0.6 s) cost the younger ones an attempt each time.
 * Far below InnoDB's innodb_lock_wait_timeout (50 s); short next to a
 * call's deadline (the SDKs' 10 s).
 */
export const TX_LOCK_WAIT_MS_MAX = 5_000;

/** The longest pause, in ms, between two looks of a retry that waits for older transactions (the pause doubles from INTENT_RESOLUTION_BACKOFF_MS up to this). */
export const TX_LOCK_WAIT_POLL_MS_MAX = 80;

/**
 * How long a shard remembers, in ms, that a retry is waiting for a
 * document's lock, so a younger retry asking after the lock is released
 * queues behind it instead of taking the lock (and being wounded by the
 * waiter at its next look). A waiter looks again at least every
 * TX_LOCK_WAIT_POLL_MS_MAX; one that stopped looking is forgotten after this.
 */
export const LOCK_WAITER_MEMORY_MS = 400;

/** The most (document, waiting retry) pairs a shard remembers; past it the oldest entries are forgotten (only fairness is lost). */
export const LOCK_WAITERS_MAX = 10_000;

/**
 * How many coordinator objects share the multi-shard transactions. Each
 * transaction id names its coordinator, so this may change at any time.
 */
export const COORDINATOR_COUNT = 32;

/** The most due transaction records a coordinator handles in one alarm run. */
export const COORDINATOR_RECORDS_PER_ALARM_MAX = 50;

/** The most overdue transactions a shard resolves in one alarm run. */
export const OVERDUE_RESOLUTIONS_PER_ALARM_MAX = 50;

/**
 * How far apart any two clocks of the platform (Workers and Durable
 * Objects) may be, in milliseconds. A read-only transaction's snapshot is
 * taken this far ahead of the Worker's clock when it begins, so every
 * commit acknowledged before it began is inside it (see src/sync/README.md).
 */
export const CLOCK_UNCERTAINTY_MS = 25;

/**
 * How long a shard keeps a superseded document version for snapshot reads,
 * after the write that superseded it, in milliseconds. It outlives the
 * longest transaction (plus the clock allowance), so a read-only
 * transaction always finds the versions of its snapshot.
 */
export const SNAPSHOT_HISTORY_RETENTION_MS = 2 * 60_000;

/**
 * The most superseded versions a shard drops in one alarm run (the rest
 * wait for the next run, which the alarm sets at once). A run is one
 * synchronous DELETE that holds the shard: 10,000 rows of 1 KB took about
 * 140 ms (node:sqlite, in memory), which a full `npm run bench` saw as
 * 150 ms stalls of transactions minutes after a burst of writes; 500 rows
 * keep a run to a few milliseconds and still trim tens of thousands of
 * rows a second.
 */
export const HISTORY_TRIM_ROWS_PER_ALARM_MAX = 500;

/**
 * How long a shard keeps its change log by default, in milliseconds: 48
 * hours, longer than DynamoDB Streams' 24. A deployment sets its own with
 * the CHANGE_LOG_RETENTION_HOURS var. A resume token older than this
 * answers OUT_OF_RANGE.
 */
export const CHANGE_LOG_RETENTION_MS_DEFAULT = 48 * 3600_000;

/** The longest retention the CHANGE_LOG_RETENTION_HOURS var may set (30 days), in hours. */
export const CHANGE_LOG_RETENTION_HOURS_MAX = 30 * 24;

/**
 * The most bytes one shard's change log may hold (before and after images
 * and row overhead); past it the oldest rows are trimmed even inside the
 * time window. A shard holds at most 10 GB in all.
 */
export const CHANGE_LOG_BYTES_MAX = 1024 * 1024 * 1024;

/** The most change-log rows a shard trims in one alarm run (the rest wait for the next run, set at once); small for the reason HISTORY_TRIM_ROWS_PER_ALARM_MAX is. */
export const CHANGE_LOG_TRIM_ROWS_PER_ALARM_MAX = 1_000;

/** The most change rows one shard returns to one feed call (a transaction's rows are never split, so a reply may hold up to TX_WRITES_MAX more). */
export const LISTEN_FEED_ROWS_MAX = 500;

/**
 * How long a shard holds a feed call open waiting for a change, in
 * milliseconds. A quiet listener gets a heartbeat (a message with no
 * changes and a resume token) when a feed call returns after this long
 * without a message: so one at least every twice this. A listener a read
 * rule binds gets its heartbeats every this long from its stream's start
 * instead (watch/heartbeat.ts), so they never follow hidden writes.
 */
export const LISTEN_POLL_WAIT_MS = 10_000;

/** The most feed calls one shard holds open at once; past it a call returns at once (the listener asks again later). */
export const LISTEN_WAITERS_PER_SHARD_MAX = 10_000;

/**
 * The most documents one listener's matching set may hold: the initial
 * snapshot, and for a query with a limit every matching document (the
 * window is computed from them). Counted in documents; the size bound
 * beside it is SHARD_REPLY_BYTES_MAX per shard, in UTF-8 bytes of the
 * documents' JSON. Past either Listen answers RESOURCE_EXHAUSTED; narrow
 * the filter.
 */
export const LISTEN_MATCHED_DOCUMENTS_MAX = 10_000;

/** The most change rows a listener buffers in the Worker while it waits for the rest of a transaction. */
export const LISTEN_PENDING_ROWS_MAX = 20_000;

/** The most log pages a shard keeps read at its current head for the feed calls one write wakes (see watch/shard-feed.ts). */
export const FEED_CACHE_PAGES_MAX = 64;

/**
 * The most bytes of decoded changes (parsed documents) a Worker isolate
 * keeps so that listeners of one collection decode each change once
 * (see watch/decoded-changes.ts).
 */
export const LISTEN_DECODED_CACHE_BYTES_MAX = 32 * 1024 * 1024;

/**
 * The most changes the listener gathers into one Listen message (a
 * transaction's changes are not split for it; past RESPONSE_BYTES_MAX of
 * encoded changes a message runs over several: services/listen-messages.ts).
 */
export const LISTEN_CHANGES_PER_MESSAGE_MAX = 500;

/** The most vertices of one GeoPolygon (the proto says so too). */
export const GEO_POLYGON_VERTICES_MAX = 1000;

/**
 * The largest GeoNear radius, in meters (the proto says so too): half the
 * WGS 84 equator's length. Any radius from half the mean sphere's
 * circumference (about 20,015,115 m) up covers the whole Earth.
 */
export const GEO_NEAR_RADIUS_METERS_MAX = 20_037_509;

/**
 * The most geo index entries one shard reads for one geo condition (the
 * R*Tree's candidates before the exact check). A near query sorts all of
 * them by distance, so it cannot stop early; past this it fails with
 * RESOURCE_EXHAUSTED rather than read without end: narrow the region.
 */
export const GEO_CANDIDATES_PER_SHARD_MAX = 200_000;

assertLimit(COORDINATOR_COUNT >= 1 && COORDINATOR_COUNT <= 256, "a coordinator index fits in one byte of a transaction id");
assertLimit(DATABASES_PAGE_SIZE_DEFAULT >= 1 && DATABASES_PAGE_SIZE_DEFAULT <= DATABASES_PAGE_SIZE_MAX, "1 <= DATABASES_PAGE_SIZE_DEFAULT <= DATABASES_PAGE_SIZE_MAX");
assertLimit(DATABASE_DELETE_CONCURRENCY_MAX >= 1 && DATABASE_CACHE_ENTRIES_MAX >= 1, "a database delete makes progress and a cache holds at least one database");
assertLimit(DATABASE_ID_LENGTH_MAX >= 1 && DATABASE_ID_LENGTH_MAX <= 63, "a database id is a DNS-label-sized name (fits object names, headers and log lines)");
assertLimit(TX_WRITES_MAX <= BATCH_SIZE_MAX, "a transaction's writes fit one shard batch");
assertLimit(TX_TIMEOUT_DEFAULT_MS <= TX_TIMEOUT_MAX_MS, "TX_TIMEOUT_DEFAULT_MS <= TX_TIMEOUT_MAX_MS");
assertLimit(0 < TX_TIMEOUT_MIN_MS && TX_TIMEOUT_MIN_MS < TX_TIMEOUT_DEFAULT_MS, "a transaction timeout has room between its bounds");
assertLimit(
  SNAPSHOT_HISTORY_RETENTION_MS > TX_TIMEOUT_MAX_MS + CLOCK_UNCERTAINTY_MS,
  "history outlives the oldest snapshot a live transaction can read at",
);
assertLimit(INTENT_RESOLUTION_PATIENCE_ROUNDS < INTENT_RESOLUTION_ROUNDS_MAX, "a blocked request aborts blockers before it gives up");
assertLimit(
  TX_READ_LOCK_LEASE_MS > 2 * INTENT_RESOLUTION_BACKOFF_MS * 2 ** (INTENT_RESOLUTION_ROUNDS_MAX - 2),
  "a retry waiting inside its own call renews its lease each round, with room to spare before it runs out (the longest pause between rounds, doubled)",
);
assertLimit(
  LOCK_WAITER_MEMORY_MS > 2 * TX_LOCK_WAIT_POLL_MS_MAX && TX_READ_LOCK_LEASE_MS > 2 * LOCK_WAITER_MEMORY_MS,
  "a waiting retry looks again well within the shard's memory of it, and that memory is short next to the lease that keeps the waiter from being thought quiet",
);
assertLimit(TX_RETRY_PRIORITY_AGE_MAX_MS > TX_LOCK_WAIT_MS_MAX + TX_READ_LOCK_LEASE_MS, "a retry keeps its priority for longer than one wait for a lock");
assertLimit(TX_LOCK_WAIT_MS_MAX < TX_TIMEOUT_MAX_MS, "a retry stops waiting for locks before its deadline");
assertLimit(TX_READ_LOCK_LEASE_MS < TX_TIMEOUT_MAX_MS, "a quiet transaction loses its locks before its deadline would release them");
assertLimit(COORDINATOR_LEASES_MAX >= 1, "a coordinator remembers at least one lease");
assertLimit(LATENCY_BUCKET_FIRST_MS > 0 && LATENCY_BUCKET_COUNT >= 2, "a latency histogram has a positive first bucket and an overflow bucket");

assertLimit(GEO_CANDIDATES_PER_SHARD_MAX <= QUERY_ROWS_READ_MAX, "one shard's geo candidates fit one query's rows-read budget");
// Math.PI times the mean Earth radius of search/geo/distance.ts.
assertLimit(GEO_NEAR_RADIUS_METERS_MAX >= Math.PI * 6_371_008.8, "the largest near radius reaches every point of the Earth");
assertLimit(LISTEN_FEED_ROWS_MAX <= LISTEN_PENDING_ROWS_MAX, "one feed reply fits a listener's buffer");
assertLimit(CHANGE_LOG_RETENTION_MS_DEFAULT > 24 * 3600_000, "the change log outlives DynamoDB Streams' 24 hours");

export * from "./routing/limits.js";
export * from "./search/limits.js";
assertLimit(
  SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX <= GEO_CANDIDATES_PER_SHARD_MAX,
  "a rule-bound geo search reads no more index entries, hidden ones included, than anyone's geo condition may (search/readable-stats.ts)",
);
assertLimit(FIELD_NAME_MEMO_ENTRIES_MAX * FIELD_NAME_MEMO_CHARS_MAX * 2 * 4 <= 4 * 1024 * 1024, "the field-name memo stays within a few MiB (a name and its quoted segment, UTF-16)");
assertLimit(READ_WINDOW_DOCS_MAX * DOCUMENT_STORED_BYTES_MAX <= 32 * 1024 * 1024, "a read window loads at most 32 MiB of a shard's 128 MB of memory");

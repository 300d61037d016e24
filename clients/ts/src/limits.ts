/**
 * The SDK's limits and defaults, each with its unit in its name. They live
 * in the package (not in the server's src/limits.ts) because a published
 * package carries its own; the server's limits that the SDK must respect
 * (page sizes) are repeated here and named the same.
 */

/** Deadline of a unary call, unless the caller gives one. */
export const CALL_TIMEOUT_MS_DEFAULT = 10_000;

/** Deadline of a server stream (StreamQuery, ExportDocuments), unless the caller gives one. */
export const STREAM_TIMEOUT_MS_DEFAULT = 300_000;

/** Attempts of one idempotent call, the first included. */
export const CALL_ATTEMPTS_MAX_DEFAULT = 4;

/** Backoff before the second attempt; it doubles for each attempt after. */
export const BACKOFF_INITIAL_MS_DEFAULT = 100;

/** The longest backoff between two attempts. */
export const BACKOFF_MAX_MS_DEFAULT = 2_000;

/**
 * Attempts of a whole transaction in runTransaction, the first included.
 * Retries queue for a hot document (update locks, oldest first), so 24
 * concurrent increments of one document take about 2 runs each; 10 leaves
 * room for a retry wounded by older ones that arrive after it took a lock
 * (Firestore's default is 5).
 */
export const TRANSACTION_ATTEMPTS_MAX_DEFAULT = 10;

/**
 * The largest document the server stores: 1 MiB of its JSON, in UTF-8
 * bytes (the server's DOCUMENT_BYTES_MAX, named the same); a larger one is
 * refused with RESOURCE_EXHAUSTED. The CLI bounds what it reads from stdin
 * by it (cli/limits.ts, STDIN_BYTES_MAX).
 */
export const DOCUMENT_BYTES_MAX = 1024 * 1024;

/**
 * The most entries of a transaction's read set (each document at each
 * version read), which its Commit sends whole: the server's TX_READS_MAX
 * (and the Go client's TransactionReadsMax). A read that would take the
 * read set past it is refused before it is sent, naming this limit, since
 * the server would refuse the transaction's GetDocuments or Commit.
 */
export const TRANSACTION_READS_MAX = 500;

/** The most refs one transactional GetDocuments call names (the server's limit); longer reads are sent in calls of this size. */
export const TRANSACTION_GET_REFS_MAX = 500;

/** The server's largest page (ListDocuments, RunQuery); the SDK asks for pages this big. */
export const PAGE_SIZE_MAX = 1_000;

/** Pages QueryBuilder.execute and Collection.listAll read before refusing to read more. */
export const PAGES_PER_CALL_MAX = 1_000;

/** The server's largest ListCollections page; listCollections asks for pages this big. */
export const COLLECTIONS_PAGE_SIZE_MAX = 1_000;

/** The most documents one step of Collection.deleteAll deletes per shard (DeleteCollectionRequest.batch_size's bound); also its default. */
export const DELETE_ALL_BATCH_SIZE_MAX = 500;

/** The largest limit() and offset() (int32 fields on the wire: a larger number would fail the request's serialization). */
export const QUERY_COUNT_MAX = 2 ** 31 - 1;

/**
 * Calls Collection.deleteAll makes before giving up: each deletes up to 500
 * documents per shard, so this covers 50 million documents per shard.
 */
export const DELETE_ALL_STEPS_MAX = 100_000;

/**
 * The deepest nesting of maps and arrays the SDK walks when it checks a
 * value before sending it (values.ts); deeper values are refused with a
 * TypeError instead of exhausting the stack. The server's own limit is
 * smaller (20 levels) and answers INVALID_ARGUMENT for what lies between.
 */
export const VALUE_DEPTH_MAX = 64;

/**
 * Streams a listener (Listen) opens in a row that reach the server but no
 * resume token, the first included, before it gives up and reports the
 * last transient error; reaching a token resets the count. Streams that
 * cannot reach the server (listen.ts, isUnreachable) do not count: a
 * listener waits out a restart, bounded by its caller's signal.
 */
export const LISTEN_RECONNECT_ATTEMPTS_MAX_DEFAULT = 10;

/** Backoff ceiling before a listener's first reconnect, in ms; it doubles for each failed attempt after. */
export const LISTEN_BACKOFF_INITIAL_MS_DEFAULT = 250;

/** The largest backoff ceiling between two reconnects of a listener, in ms. */
export const LISTEN_BACKOFF_MAX_MS_DEFAULT = 15_000;

/**
 * Messages a listener holds while it waits for a resume token (changes
 * apply only at tokens). The server sends a token at least every
 * LISTEN_POLL_WAIT_MS (10 s) and with almost every message, so past this
 * something is wrong: the listener fails with RESOURCE_EXHAUSTED.
 */
export const LISTEN_HELD_MESSAGES_MAX = 10_000;

/** The least integer a typed integer holds: -2^63 (int64). A bigint below it is refused with a RangeError. */
export const INT64_MIN = -(2n ** 63n);
/** The greatest integer a typed integer holds: 2^63-1 (int64). A bigint above it is refused with a RangeError. */
export const INT64_MAX = 2n ** 63n - 1n;

/** The earliest typed timestamp, in seconds since the Unix epoch: 0001-01-01T00:00:00Z (the contract's range, as Firestore's). */
export const TIMESTAMP_SECONDS_MIN = -62_135_596_800;
/** The latest whole second of a typed timestamp, in seconds since the Unix epoch: 9999-12-31T23:59:59Z (plus up to 999,999 microseconds). */
export const TIMESTAMP_SECONDS_MAX = 253_402_300_799;
/** Microseconds in a second: a typed timestamp's fraction is 0 to this minus one (the wire keeps microseconds, no finer). */
export const MICROS_PER_SECOND = 1_000_000;

/** The latitude of a GeoPoint, in degrees: -90 to 90. */
export const LATITUDE_DEGREES_MAX = 90;
/** The longitude of a GeoPoint, in degrees: -180 to 180. */
export const LONGITUDE_DEGREES_MAX = 180;

function assertLimit(ok: boolean, what: string): void {
  if (!ok) throw new Error(`limits: ${what}`);
}

assertLimit(BACKOFF_INITIAL_MS_DEFAULT > 0 && BACKOFF_INITIAL_MS_DEFAULT <= BACKOFF_MAX_MS_DEFAULT, "initial backoff is positive and at most the largest");
assertLimit(BACKOFF_MAX_MS_DEFAULT < CALL_TIMEOUT_MS_DEFAULT, "a backoff fits in a call's deadline");
assertLimit(CALL_ATTEMPTS_MAX_DEFAULT >= 1 && TRANSACTION_ATTEMPTS_MAX_DEFAULT >= 1, "at least one attempt");
assertLimit(TRANSACTION_READS_MAX >= TRANSACTION_GET_REFS_MAX, "one full GetDocuments call fits a transaction's read set");
assertLimit(VALUE_DEPTH_MAX >= 20, "the SDK's depth bound leaves the server's document depth limit (20) to the server");
assertLimit(
  LISTEN_BACKOFF_INITIAL_MS_DEFAULT > 0 && LISTEN_BACKOFF_INITIAL_MS_DEFAULT <= LISTEN_BACKOFF_MAX_MS_DEFAULT,
  "a listener's initial backoff is positive and at most its largest",
);
assertLimit(INT64_MAX === -INT64_MIN - 1n, "int64 is two's complement");
assertLimit(new Date(TIMESTAMP_SECONDS_MIN * 1000).toISOString() === "0001-01-01T00:00:00.000Z", "the first timestamp is year 1");
assertLimit(new Date(TIMESTAMP_SECONDS_MAX * 1000).toISOString() === "9999-12-31T23:59:59.000Z", "the last timestamp is the end of year 9999");
assertLimit(LISTEN_RECONNECT_ATTEMPTS_MAX_DEFAULT >= 1 && LISTEN_HELD_MESSAGES_MAX >= 1, "a listener reconnects at least once and holds at least one message");

/**
 * How long a listener's stream may send nothing before the SDK drops it and
 * reconnects from its last token, in ms. The server sends a quiet listener
 * a heartbeat at least every 20 s (twice its LISTEN_POLL_WAIT_MS), so 45 s
 * of silence means the connection is dead.
 */
export const LISTEN_IDLE_TIMEOUT_MS_DEFAULT = 45_000;

/** Between two GetResharding calls of waitForResharding (and `impossibledb reshard --wait`). */
export const RESHARDING_POLL_INTERVAL_MS_DEFAULT = 500;

/** How long waitForResharding waits for a resharding to finish before DEADLINE_EXCEEDED (the resharding goes on). */
export const RESHARDING_WAIT_TIMEOUT_MS_DEFAULT = 30 * 60_000;

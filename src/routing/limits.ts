/**
 * Limits of the routing layer, in one place, with the relations between them
 * checked when the module loads so that a bad edit fails every test at once
 * rather than one unlucky request in production.
 */

/**
 * The most shards one routing table may name. Shard owners are stored as
 * 16-bit indices, and a ring of this many shards still builds in well under a
 * Worker's CPU budget.
 */
export const SHARD_COUNT_MAX = 1024;

/** Every shard needs at least one point on the ring, or it would own no keys. */
export const VIRTUAL_NODES_PER_SHARD_MIN = 1;

/**
 * The most virtual nodes one shard may have. Beyond this, balance improves
 * too little (spread shrinks like 1/sqrt(n)) to pay for the memory and build time.
 */
export const VIRTUAL_NODES_PER_SHARD_MAX = 4096;

/**
 * The most points one ring may hold (shards times virtual nodes per shard).
 * A ring of 2^20 points costs 6 MiB (a 4-byte point and a 2-byte owner each),
 * which a Worker's 128 MiB isolate can afford once; the per-shard and
 * shard-count limits alone would allow 4 Mi points, which it cannot.
 */
export const RING_POINT_COUNT_MAX = 1 << 20;

/**
 * The longest shard id, in UTF-16 code units. Shard ids end up in Durable
 * Object names, logs and routing tables, so they stay short.
 */
export const SHARD_ID_LENGTH_MAX = 64;

/**
 * The grammar of a shard id: ASCII letters, digits, '.', '_' and '-', starting
 * with a letter or digit (for example "shard-0"). A strict grammar keeps ids
 * safe to print and to embed in names and keys without escaping.
 */
export const SHARD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Owner indices are stored in a Uint16Array. */
const OWNER_INDEX_COUNT_MAX = 1 << 16;

/**
 * Ring entries are sorted as packed float64 keys `point * SHARD_COUNT_MAX + rank`,
 * which are exact only while they stay below 2^53.
 */
const FLOAT64_EXACT_INTEGER_MAX = Number.MAX_SAFE_INTEGER;
const HASH_POINT_COUNT = 2 ** 32;

assertLimit(SHARD_COUNT_MAX >= 1, "SHARD_COUNT_MAX >= 1");
assertLimit(SHARD_COUNT_MAX <= OWNER_INDEX_COUNT_MAX, "owner indices fit in 16 bits");
assertLimit(
  HASH_POINT_COUNT * SHARD_COUNT_MAX <= FLOAT64_EXACT_INTEGER_MAX,
  "packed sort keys are exact float64 integers",
);
assertLimit(
  VIRTUAL_NODES_PER_SHARD_MIN >= 1 && VIRTUAL_NODES_PER_SHARD_MIN <= VIRTUAL_NODES_PER_SHARD_MAX,
  "1 <= VIRTUAL_NODES_PER_SHARD_MIN <= VIRTUAL_NODES_PER_SHARD_MAX",
);
assertLimit(
  VIRTUAL_NODES_PER_SHARD_MAX <= RING_POINT_COUNT_MAX,
  "one shard may use its maximum virtual nodes",
);
assertLimit(
  SHARD_COUNT_MAX * VIRTUAL_NODES_PER_SHARD_MIN <= RING_POINT_COUNT_MAX,
  "the maximum shard count fits on a ring at the minimum virtual nodes",
);
assertLimit(SHARD_ID_LENGTH_MAX >= 1, "SHARD_ID_LENGTH_MAX >= 1");

function assertLimit(holds: boolean, relation: string): void {
  if (!holds) throw new Error(`routing limits are inconsistent: expected ${relation}`);
}

/**
 * Rows one resharding step looks at on a shard (copy, release): bounds the
 * CPU and the time other requests wait behind one step, since a step runs
 * in one synchronous SQLite transaction.
 */
export const RESHARD_SCAN_ROWS_MAX = 1_000;

/** Moved rows one release step deletes from a source (each costs index upkeep). */
export const MOVED_ROWS_PER_RELEASE_MAX = 100;

/**
 * Bytes of documents one copy page carries from a source (at least one
 * document). Small, since the page is stored on its targets in one
 * synchronous step each (every row hashed and its indexes kept), during
 * which that target serves nothing. With YCSB's 1 KB records
 * RESHARD_COPY_PAGE_ROWS_MAX is the bound that binds; this one binds for
 * larger documents (a 64 KiB page of 1 MB documents is one document).
 */
export const RESHARD_COPY_PAGE_BYTES_MAX = 64 * 1024;

/**
 * Moving rows one copy page carries from a source, whatever their size.
 * Each costs the source a read and a `moving_keys` insert, and its target
 * an insert with every index and trigger kept, all in synchronous steps
 * that hold the thread local workerd shares with every object: a page of
 * 230 rows (the 256 KiB bound alone) held the source 110 ms and its four
 * targets 35 ms each on a loaded machine (2026-12-02), so every call
 * waited that long. 32 rows keep each step to a few milliseconds.
 */
export const RESHARD_COPY_PAGE_ROWS_MAX = 32;

/**
 * Rows one copy step looks at on a source (moving or not; only keys are
 * read for those that stay): bounds a step that finds few moving rows, as
 * in a grow by one shard, where about one row in N moves.
 */
export const RESHARD_COPY_SCAN_ROWS_MAX = 250;

/**
 * Moving keys one step of a source's checksum point hashes (each document's
 * key, version and JSON): like a copy page, it bounds how long one
 * synchronous step holds the shard, all of whose keys wait meanwhile.
 */
export const RESHARD_CHECKSUM_KEYS_MAX = 250;

/**
 * Copies one step of a target's verification reads and hashes (before the
 * cutover): bounds how long the step holds the target, whose own keys wait
 * meanwhile on a shrink's remaining shard.
 */
export const RESHARD_VERIFY_ROWS_MAX = 500;

/** Change-log rows one catch-up step reads on a source. */
export const RESHARD_CATCHUP_ROWS_MAX = 1_000;

/**
 * A source is ready to fence once a catch-up round has read at most this
 * many log rows: the drain after the fence (while its moving keys wait)
 * then has at most this many rows to carry.
 */
export const RESHARD_CUTOVER_LAG_ROWS_MAX = 200;

/** Split advice: 5 GB, half of a Durable Object's 10 GB of SQLite storage. */
export const SPLIT_SHARD_BYTES_MAX = 5_000_000_000;

/** Split advice: 500 requests/s, half of a Durable Object's soft limit of about 1,000. */
export const SPLIT_REQUESTS_PER_SECOND_MAX = 500;

/**
 * Pages of change-log rows a fence drains in its own step before it answers
 * "lagging" (the caller then catches up and fences again): with the
 * catch-up's lag at most RESHARD_CUTOVER_LAG_ROWS_MAX this is never reached
 * unless writes surged between the two.
 */
export const RESHARD_FENCE_DRAIN_PAGES_MAX = 10;

/** Shards one resharding step calls at once (stamps of existing shards, targets' preparation, fences, promotions); the preparing phase stamps new shards, which it creates, one at a time. */
export const RESHARD_SHARD_CONCURRENCY_MAX = 8;

/**
 * Sources that move data at once (copy, catch-up, checksum point, release)
 * when the StartResharding request names no throttle (ReshardingThrottle:
 * 1 to RESHARD_SHARD_CONCURRENCY_MAX): the move's throttle across shards. Each such step holds a source and its
 * targets in one synchronous SQLite transaction, so a move that steps every
 * source at once starves requests wherever objects share a thread (local
 * workerd runs every object on one). Two at a time, each paced by
 * RESHARD_REST_PER_BUSY, leaves serving the larger share.
 */
export const RESHARD_COPY_CONCURRENCY_MAX = 2;

/**
 * After each data-moving step, a source's loop rests this many times as
 * long as the step took (the default; a StartResharding request may ask
 * for 0 to RESHARD_REST_RATIO_MAX) (its round trip to the source and to its targets):
 * 1 keeps the move's share of the shards it touches at about half. The
 * idea is the rate limit every live-migration system puts on its copy
 * (CockroachDB's snapshot rate, Vitess's VReplication throttler, gh-ost's
 * throttling); it makes the move longer, never the cutover (which is not
 * paced).
 */
export const RESHARD_REST_PER_BUSY = 1;

/** The largest rest ratio a StartResharding request may ask for (ReshardingThrottle.rest_ratio): the move then holds a shard about 5% of the time. */
export const RESHARD_REST_RATIO_MAX = 20;

/** The wait before fencing again a source whose moving keys a transaction still locks. */
export const RESHARD_FENCE_RETRY_MS = 5;

/**
 * Fences of one source that found transactions' locks on its moving keys
 * before the cutover has their coordinators abort the undecided ones
 * (presumed abort allows it before a commit decision; their clients get
 * ABORTED and run them again). Before that, each locked fence only brings
 * decided transactions' outcomes to the shard and aborts quiet ones
 * (TX_READ_LOCK_LEASE_MS). Before this bound existed the cutover waited
 * for the locks' deadlines: one quiet retry froze a cutover, and every
 * call waiting on its fenced keys, for about 58 s (a new user's finding).
 */
export const RESHARD_FENCE_PATIENCE_ROUNDS = 3;

/** The most lock holders a fence names in its "locked" answer (the caller settles them, then fences again). */
export const RESHARD_FENCE_HOLDERS_MAX = 64;

/** How long past its budget one alarm keeps fencing sources that transactions lock, before it yields to the next alarm. */
export const RESHARD_FENCE_WAIT_MS_MAX = 2_000;

/**
 * How long one alarm of the shard manager advances a resharding before it
 * yields and sets the next alarm. Short, so the object answers GetResharding
 * and CancelResharding between slices promptly (local dev servers were seen
 * holding other calls while one long alarm ran); a cutover is never split
 * by it: it runs to its end once begun.
 */
export const RESHARD_ALARM_BUDGET_MS = 250;

/** The wait before a resharding step that failed (a shard unreachable) is tried again. */
export const RESHARD_RETRY_BACKOFF_MS = 1_000;

assertLimit(RESHARD_CUTOVER_LAG_ROWS_MAX < RESHARD_CATCHUP_ROWS_MAX, "a lag small enough to fence fits one catch-up step");
assertLimit(MOVED_ROWS_PER_RELEASE_MAX <= RESHARD_SCAN_ROWS_MAX, "a release step deletes at most the rows it scans");
assertLimit(RESHARD_COPY_CONCURRENCY_MAX >= 1 && RESHARD_COPY_CONCURRENCY_MAX <= RESHARD_SHARD_CONCURRENCY_MAX, "the data-moving steps run at least one and at most the shard concurrency at once");
assertLimit(RESHARD_REST_PER_BUSY >= 0, "a rest is never negative");
assertLimit(RESHARD_VERIFY_ROWS_MAX <= RESHARD_SCAN_ROWS_MAX, "a verification step reads at most as many documents as a copy step looks at");
assertLimit(RESHARD_CHECKSUM_KEYS_MAX <= RESHARD_SCAN_ROWS_MAX, "a checksum step reads at most as many documents as a copy step looks at");
assertLimit(RESHARD_COPY_PAGE_ROWS_MAX >= 1 && RESHARD_COPY_PAGE_ROWS_MAX <= RESHARD_COPY_SCAN_ROWS_MAX, "a copy page carries at least one row and at most the rows its step looks at");
assertLimit(RESHARD_COPY_SCAN_ROWS_MAX <= RESHARD_SCAN_ROWS_MAX, "a copy step looks at most at the rows any resharding step may");
assertLimit(RESHARD_COPY_PAGE_BYTES_MAX >= 1, "a copy page carries at least one document's bytes");

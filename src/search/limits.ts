/**
 * The limits of search (issue 14), with their units in their names,
 * re-exported by `src/limits.ts`. Where the proto declares the same number
 * (search.proto's buf.validate rules), the two must agree
 * (test/unit/limits.test.ts).
 */

/** The most text fields in one search index (search.proto: `repeated.max_items = 16`). */
export const SEARCH_TEXT_FIELDS_MAX = 16;

/** The largest weight of a text field (search.proto: `double.lte = 1000`). */
export const SEARCH_FIELD_WEIGHT_MAX = 1000;

/** The longest search text, in UTF-16 code units (search.proto: `string.max_len = 1000`). */
export const SEARCH_TEXT_LENGTH_MAX = 1000;

/** The most terms and phrases a search text may hold (before typo expansion). */
export const SEARCH_TERMS_MAX = 32;

/** The most tokens in one quoted phrase. */
export const SEARCH_PHRASE_TOKENS_MAX = 16;

/** The deepest nesting of parentheses and NOT in a search text. */
export const SEARCH_DEPTH_MAX = 16;

/** The most vocabulary words one typo-tolerant term expands to (besides itself), nearest first. */
export const SEARCH_TYPO_EXPANSIONS_MAX = 8;

/** The most vocabulary rows a shard reads for the typo expansions of one term. */
export const SEARCH_TYPO_SCAN_ROWS_MAX = 20_000;

/** The most phrases a compiled query may hold after typo expansion (each is one FTS5 phrase). */
export const SEARCH_COMPILED_PHRASES_MAX = SEARCH_TERMS_MAX * (SEARCH_TYPO_EXPANSIONS_MAX + 1);

/** The shortest term (in characters) that gets typo tolerance with one edit. */
export const SEARCH_TYPO_ONE_EDIT_LENGTH_MIN = 5;

/** The shortest term (in characters) that gets typo tolerance with two edits. */
export const SEARCH_TYPO_TWO_EDITS_LENGTH_MIN = 9;

/** The shortest prefix of a `foo*` term, in characters (shorter would read most of the vocabulary). */
export const SEARCH_PREFIX_LENGTH_MIN = 2;

/** The most tokens indexed from one document (over all its text fields); the rest is not indexed. */
export const SEARCH_DOCUMENT_TOKENS_MAX = 100_000;

/** The longest token indexed, in characters; longer runs are cut (FTS5 handles any, this bounds typo scans). */
export const SEARCH_TOKEN_LENGTH_MAX = 64;

/** The most pending documents one write path (or one alarm) indexes on the spot; the rest wait for the next call (see README). */
export const SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX = 128;

/**
 * The most queued documents a search (or geo search) indexes on a shard
 * before it answers, so it sees every write before it. More queued than
 * this (after a large batch, a resharding's promotion, or a migration that
 * re-indexes a collection) and the search answers UNAVAILABLE, to be
 * retried, while the shard's alarm indexes them SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX
 * at a time: about 0.3 ms a document (measured by a new user, 2026-12-02),
 * so at most about 0.3 s of one search, where an unbounded catch-up held
 * its shard for as long as the queue took (and on Cloudflare could pass a
 * request's CPU limit, failing every search the same way).
 */
export const SEARCH_CATCH_UP_ROWS_MAX = 1_024;

/**
 * The most documents one backfill step of CreateSearchIndex indexes on a
 * shard: a step holds the shard (a Durable Object runs one request at a
 * time), and locally every object shares one thread. Indexing took about
 * 0.33 ms a document (8,000 documents on 8 shards in 2.6-2.8 s, a new
 * user's run, 2026-12-02), so 4,000 a step held every call of a local
 * server for the whole build; 128 a step is about 40 ms.
 */
export const SEARCH_BACKFILL_ROWS_PER_CALL_MAX = 128;

/**
 * How long a shard's text index must go unchanged before the shard's alarm
 * compacts it (compaction.ts), in ms: writes arriving steadily keep FTS5's
 * own incremental merging (a few segments per level) and are never slowed
 * by a compaction; an index at rest is merged into one segment.
 */
export const SEARCH_COMPACT_IDLE_MS = 5_000;

/**
 * FTS5 leaf pages (about 4 KB each) one compaction step merges, the work
 * of one alarm call (FTS5's `merge` command with -N): bounded so a step
 * holds the shard about as long as a large write. One shard of
 * bench/search.ts's corpus (12,328 documents, 17 segments after its
 * backfill) was one segment after 15 steps of 5 to 7 ms each (workerd,
 * 2026-12-02).
 */
export const SEARCH_COMPACT_PAGES_PER_STEP = 128;

/** The most backfill rounds CreateSearchIndex runs before it answers (the index stays CREATING; calling again continues). */
export const SEARCH_BACKFILL_ROUNDS_MAX = 1_000;

/** The most vocabulary words a shard keeps in memory for typo tolerance (vocabulary-cache.ts). */
export const SEARCH_VOCABULARY_CACHE_WORDS_MAX = 200_000;

/** The most single-word document counts a shard keeps in memory between writes (vocabulary-cache.ts), in words. */
export const SEARCH_VOCABULARY_CACHE_COUNTS_MAX = 100_000;

/**
 * The most candidate rows one shard scores for one page of a search. For a
 * caller bound by a read rule only the candidates it may read count
 * (issue 11: a refusal that counted hidden ones would tell it that many
 * hidden documents match); the hidden rows its search still reads are
 * bounded by SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX instead.
 */
export const SEARCH_CANDIDATES_PER_SHARD_MAX = 200_000;

/**
 * The most documents a collection's text index may hold on one shard for a
 * caller bound by a read rule to search it. Such a search reads every
 * indexed document of the collection on each shard to find the readable
 * ones (readable-stats.ts), and each phrase's candidates, hidden ones
 * included, so this bounds that work. The refusal depends on the
 * collection's size only, the same for every query and every caller: it
 * never says whether, or how many, hidden documents match a term
 * (README.md, "What a rule-bound caller learns").
 */
export const SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX = 200_000;

/**
 * The most tokens of readable text a shard reads to find the typo variants
 * of a rule-bound caller's terms. Such a caller's variants come from the
 * words of the documents it may read (readable-stats.ts), never from the
 * shared vocabulary, whose size depends on hidden documents; past this
 * many readable tokens on a shard its typo-tolerant terms are matched as
 * typed, a decision that depends only on what it may read.
 */
export const SEARCH_TYPO_READABLE_TOKENS_MAX = 500_000;

/**
 * The most candidates a shard sends with its statistics so that the Worker
 * scores them itself and the shard needs no second call (one-pass.ts);
 * a shard with more gets the scoring pass. Small, because every one of
 * them travels whole while a scoring pass sends only its page: at 128 the
 * two-term shape of bench/search.ts (about 70 candidates a shard) was
 * slower in one pass than in two.
 */
export const SEARCH_ONE_PASS_CANDIDATES_MAX = 32;

/** The most bytes of documents (stored JSON) a shard sends with its statistics for one pass; past it, the scoring pass. */
export const SEARCH_ONE_PASS_BYTES_MAX = 256 * 1024;

/**
 * The most searches whose global statistics a Worker isolate keeps
 * (stats-cache.ts), each checked against every shard's text index
 * generation before its scores are used; the least recently used goes.
 */
export const SEARCH_STATS_CACHE_ENTRIES_MAX = 256;

/** The characters of context each side of a highlighted match. */
export const SEARCH_SNIPPET_CONTEXT_CHARS = 60;

/** The most characters in one highlight snippet (before the marks). */
export const SEARCH_SNIPPET_CHARS_MAX = 400;

function assertLimit(condition: boolean, relation: string): void {
  if (!condition) throw new Error(`search/limits.ts: broken relation between limits: ${relation}`);
}

assertLimit(SEARCH_TYPO_ONE_EDIT_LENGTH_MIN < SEARCH_TYPO_TWO_EDITS_LENGTH_MIN, "two edits need a longer term than one");
assertLimit(SEARCH_TERMS_MAX * 2 <= SEARCH_TEXT_LENGTH_MAX, "the terms limit is reachable within the text length");
assertLimit(SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX <= SEARCH_BACKFILL_ROWS_PER_CALL_MAX, "a write indexes no more than a backfill step");
assertLimit(SEARCH_ONE_PASS_CANDIDATES_MAX <= SEARCH_CANDIDATES_PER_SHARD_MAX, "one pass sends no more candidates than a scoring pass may score");
assertLimit(SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX <= SEARCH_CANDIDATES_PER_SHARD_MAX, "a rule-bound search reads no more candidates of a phrase, hidden ones included, than anyone's search may score");
assertLimit(SEARCH_TYPO_SCAN_ROWS_MAX <= SEARCH_TYPO_READABLE_TOKENS_MAX, "a rule-bound caller whose readable text holds fewer tokens than the vocabulary scan's words gets typo variants");
assertLimit(SEARCH_SNIPPET_CONTEXT_CHARS * 2 < SEARCH_SNIPPET_CHARS_MAX, "a snippet holds its context");

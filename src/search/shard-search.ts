/**
 * A shard's two passes of a search (see README.md, "Two passes"):
 *
 * - `runSearchStats`: this shard's N and total tokens, the documents
 *   containing each phrase of the query, and, for each typo-tolerant term,
 *   the vocabulary words within its edit budget with their document counts.
 * - `runShardSearch`: the candidates of the compiled FTS5 expression, scored
 *   with OUR BM25 (bm25.ts) on the GLOBAL statistics the Worker sends, then
 *   walked in (score desc, id asc) order after the page's cursor, loading
 *   each document and keeping those the query's filter and the caller's
 *   read rule admit, up to `limit`.
 *
 * Both first index any document of the collection still queued
 * (search-maintenance.ts), so a search sees every write made before it.
 */
import { failure, type Failure } from "../errors.js";
import type { StoredDocument } from "../storage/types.js";
import { matchesEverything, type Expr } from "../query/expression.js";
import { matches } from "../query/evaluate.js";
import { compareStrings } from "../query/values.js";
import { ruleFiltered } from "../query/shard-query.js";
import { documentCheck, type ShardReadRule } from "../rules/read-rule.js";
import type { UnchangedReads } from "../storage/unchanged-reads.js";
import { readSearchState, type SearchSql, type SearchState, type SearchTextFieldSpec } from "./catalog.js";
import type { CompiledNode, CompiledPhrase } from "./compile.js";
import { bm25, createPhraseFrequencies, isPlainWord } from "./bm25.js";
import { catchUp } from "./search-maintenance.js";
import type { GeoRegion } from "./geo/region.js";
import { geoNarrowing } from "./shard-geo.js";
import { ensureInstanceTable, ftsColumn, ftsTableName, instanceTableName, textTotals, vocabTableName } from "./text-index.js";
import { candidateCountStatement, scoringStatement, type ScoringInput, type ScoringStatement } from "./sql-scoring.js";
import { loadDocument, loadDocuments, rawRows } from "./shard-documents.js";
import { geoRuleBoundRefusal, readableMatches, readableRows, readableScope, readableVariants, readableWords, ruleBoundRefusal, type ReadableRows } from "./readable-stats.js";
import { runOnePass, type OnePassAnswer, type OnePassRequest } from "./one-pass.js";
import { editDistance, vocabularyRange, type Variant } from "./typo.js";
import { VocabularyCache, type WordPosting } from "./vocabulary-cache.js";
import { SEARCH_CANDIDATES_PER_SHARD_MAX, SEARCH_ONE_PASS_CANDIDATES_MAX, SEARCH_TYPO_READABLE_TOKENS_MAX, SEARCH_TYPO_SCAN_ROWS_MAX } from "./limits.js";

/**
 * A shard's answer about one typo-tolerant term: the vocabulary words near
 * it; `typed` when the shard holds the word as typed (then it is not
 * expanded anywhere: a word that exists means what it says, and its rare
 * neighbours would otherwise outrank it by their higher IDF); `too_many`
 * when the words sharing its first character pass SEARCH_TYPO_SCAN_ROWS_MAX
 * on this shard (then it is not expanded anywhere either, rather than
 * expanded differently depending on how words fall on shards), or, for a
 * rule-bound caller, when its readable text here passes
 * SEARCH_TYPO_READABLE_TOKENS_MAX.
 */
export type TypoAnswer = Variant[] | "typed" | "too_many";

/** The statistics pass's request. */
export interface ShardSearchStatsRequest {
  readonly collection: string;
  /** The query's phrases before typo expansion. */
  readonly phrases: readonly CompiledPhrase[];
  /** Terms to find typo variants of, with the edits each allows. */
  readonly typo: ReadonlyArray<{ readonly term: string; readonly edits: number }>;
  /** The caller's read rule: then every statistic counts only documents it admits (readable-stats.ts); null or absent for none. */
  readonly rule?: ShardReadRule | null;
  /** Set by the shard itself, never by the Worker: leave out the rows it releases after a resharding (readable-stats.ts ReadableScope). */
  readonly excludeMoved?: boolean;
  /** Answer in one pass when the query without typo variants has few candidates here (one-pass.ts); absent: statistics only. */
  readonly onePass?: OnePassRequest | null;
}

/** A shard's statistics. */
export type ShardSearchStats =
  | {
      readonly ok: true;
      readonly textFields: readonly SearchTextFieldSpec[];
      readonly documents: number;
      readonly tokens: number;
      /** Per phrase of the request: the documents containing it. */
      readonly phraseDocuments: number[];
      /** Per typo term of the request: the words found near it, or why none were looked for. */
      readonly variants: TypoAnswer[];
      /** With a one-pass request: every admitted candidate, or null when there are too many (one-pass.ts). */
      readonly onePass?: OnePassAnswer | null;
      /**
       * The text index's generation these statistics were read at (stats-cache.ts); null when
       * they are not the whole index's (a read rule, or rows left out after a resharding).
       */
      readonly generation?: number | null;
      readonly rowsRead: number;
    }
  | (Failure & { readonly rowsRead: number });

/** A position in (score desc, id asc) order. */
export interface SearchCursor {
  readonly score: number;
  readonly id: string;
}

/** The scoring pass's request. */
export interface ShardSearchRequest extends Pick<ScoringInput, "collection" | "match" | "tree" | "phrases" | "idfs" | "averageLength"> {
  readonly filter: Expr;
  readonly rule?: ShardReadRule | null;
  /** Set by the shard itself, never by the Worker: leave out the rows it releases after a resharding (readable-stats.ts ReadableScope). */
  readonly excludeMoved?: boolean;
  /** Resume strictly after this position; from the start when null. */
  readonly after: SearchCursor | null;
  readonly limit: number;
  readonly rowsReadMax: number;
  /** A near or within condition that narrows the candidates (shard-geo.ts); null or absent for none. */
  readonly geo?: GeoRegion | null;
}

/** A shard's scored page. */
export type ShardSearchResult =
  | {
      readonly ok: true;
      readonly documents: StoredDocument[];
      /** The score of each document, in the same order. */
      readonly scores: number[];
      /** With a geo condition, each document's distance from the near center in meters (0 for within), in the same order. */
      readonly distances?: number[];
      /** With a geo condition, the R*Tree candidates read before the exact check (SearchPlan.geo_candidates). */
      readonly geoCandidates?: number;
      readonly hasMore: boolean;
      /** Documents the FTS5 expression matched on this shard. */
      readonly candidates: number;
      /** The text index's generation the page was scored at (stats-cache.ts); null for a rule-bound caller or rows left out after a resharding. */
      readonly generation?: number | null;
      readonly rowsRead: number;
    }
  | (Failure & { readonly rowsRead: number });

/**
 * Runs a pass's writes atomically (a Durable Object's transactionSync). A
 * pass writes only to index queued documents, and takes a transaction only
 * then.
 */
export type WriteAtomically = <T>(write: () => T) => T;

const writeDirectly: WriteAtomically = (write) => write();

/**
 * Why a collection cannot be searched on this shard, or its text fields and
 * totals, after indexing any of its documents still queued
 * (search-maintenance.ts, through `atomically`), so a search sees every
 * write made before it.
 */
function searchable(
  sql: SearchSql,
  collection: string,
  atomically: WriteAtomically,
  instanceTable: string | null = null,
  reads: UnchangedReads | null = null,
): Failure | { ok: true; textFields: readonly SearchTextFieldSpec[]; totals: SearchState["totals"]; instanceTable: boolean } {
  // Kept between searches while the shard's database is unchanged (storage/unchanged-reads.ts).
  const read = () => readSearchState(sql, collection, instanceTable);
  const index = reads === null ? read() : reads.get(`search-state\u0000${collection}\u0000${instanceTable ?? ""}`, read);
  if (index === null) return failure("failed_precondition", `collection ${collection} has no search index; create one with AdminService.CreateSearchIndex`);
  if (index.state !== "ready") return failure("failed_precondition", `the search index of ${collection} is not READY yet; call AdminService.CreateSearchIndex again to finish it`);
  if (index.spec.textFields.length === 0) return failure("failed_precondition", `the search index of ${collection} has no text fields; a text search needs some (CreateSearchIndex text_fields)`);
  if (!index.pending) return { ok: true, textFields: index.spec.textFields, totals: index.totals, instanceTable: index.instanceTable };
  const behind = atomically(() => catchUp(sql, collection));
  if (behind !== null) return behind;
  return { ok: true, textFields: index.spec.textFields, totals: textTotals(sql, collection), instanceTable: index.instanceTable };
}

/**
 * The statistics pass on this shard; `vocabulary` caches the word ranges
 * typo tolerance scans and single words' document counts, until the
 * collection's index changes (a fresh one caches nothing across calls). With a
 * read rule, every count, refusal and row read is over the documents the
 * caller may read (readable-stats.ts): typo variants come from their
 * words, never from the vocabulary, and the collection's index must hold
 * at most SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX documents here. `reads`
 * keeps the index's state between calls while the shard's database is
 * unchanged (storage/unchanged-reads.ts; the caller syncs it first).
 */
export function runSearchStats(
  sql: SearchSql,
  req: ShardSearchStatsRequest,
  vocabulary: VocabularyCache = new VocabularyCache(),
  atomically: WriteAtomically = writeDirectly,
  reads: UnchangedReads | null = null,
): ShardSearchStats {
  const scope = readableScope(req);
  const phraseMatch = (p: CompiledPhrase) => `"${p.tokens.join(" ")}"${p.prefix ? " *" : ""}`;
  // One pass first when the query is one phrase, prefix or word: its
  // candidates (at most SEARCH_ONE_PASS_CANDIDATES_MAX, read whole) are
  // the phrase's documents, so FTS5 need not intersect its positions twice
  // to count them, nor fts5vocab read a word's postings again. A plain
  // word's are read from the index's instance table (one-pass.ts
  // wordCandidates), whose existence is read with the index's state.
  const alone = req.phrases.length === 1 && scope === null && req.onePass != null && req.onePass.match === phraseMatch(req.phrases[0]!) ? req.phrases[0]! : null;
  const word = alone !== null && isPlainWord(alone);
  const ready = searchable(sql, req.collection, atomically, word ? instanceTableName(req.collection) : null, reads);
  if (!ready.ok) return { ...ready, rowsRead: 0 };
  const refused = scope !== null ? ruleBoundRefusal(sql, req.collection) : null;
  if (refused !== null) return { ...refused, rowsRead: 0 };
  // A rule-bound caller's rows read count only readable documents (readable-stats.ts).
  let rowsRead = scope !== null ? 0 : 1;
  const all = ready.totals;
  const table = ftsTableName(req.collection);
  const vocab = vocabTableName(req.collection);
  const readable = scope === null ? null : readableRows(sql, req.collection, scope);
  if (readable !== null) rowsRead += readable.rowsRead;
  const totals = readable === null ? all : { documents: readable.rows.size, tokens: sum([...readable.rows.values()]) };
  /** Documents (readable ones, with a rule) matching an FTS5 phrase. */
  const matching = (match: string): number => {
    if (readable !== null) {
      const counted = readableMatches(sql, req.collection, match, readable);
      rowsRead += counted.rowsRead;
      return counted.documents;
    }
    const n = sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${table}" WHERE "${table}" MATCH ?`, match).toArray()[0]!.n;
    rowsRead += n;
    return n;
  };
  /**
   * Documents (readable ones, with a rule) holding a word, once per word:
   * fts5vocab counts them by reading the word's postings, and a term is
   * asked for both as a phrase and before its typo scan. Without a rule the
   * count is also kept in the shard's cache until the index changes
   * (vocabulary-cache.ts), so searches between writes do not read it again.
   */
  const held = new Map<string, number>();
  const holding = (word: string): number => {
    const known = held.get(word);
    if (known !== undefined) return known;
    let n: number;
    if (readable !== null) n = matching(`"${word}"`);
    else {
      n = vocabulary.documents(req.collection, word, all.generation, () => {
        rowsRead++;
        return sql.exec<{ doc: number }>(`SELECT doc FROM "${vocab}" WHERE term = ?`, word).toArray()[0]?.doc ?? 0;
      });
    }
    held.set(word, n);
    return n;
  };
  let onePass: OnePassAnswer | null | undefined;
  if (alone !== null) {
    // Created once per index, as the scoring pass does (a write: it takes a transaction).
    // From the instance table only when this shard is known (at this
    // generation) to hold the word in at most SEARCH_ONE_PASS_CANDIDATES_MAX
    // documents: grouping its instances by document reads all of them, where
    // the MATCH stops one past the bound, so a common word stays on the MATCH.
    const known = word ? vocabulary.known(req.collection, alone.tokens[0]!, all.generation) : undefined;
    const fromInstances = known !== undefined && known <= SEARCH_ONE_PASS_CANDIDATES_MAX;
    if (fromInstances && !ready.instanceTable) atomically(() => ensureInstanceTable(sql, req.collection));
    const lone = alone.tokens[0]!;
    const postings = {
      cached: fromInstances ? vocabulary.wordPostings(req.collection, lone, all.generation) : undefined,
      keep: (read: readonly WordPosting[]) => vocabulary.keepWordPostings(req.collection, lone, all.generation, read),
    };
    const answered = runOnePass(sql, req.collection, ready.textFields, req.onePass!, null, fromInstances, postings);
    rowsRead += answered.rowsRead;
    onePass = answered.answer;
    // A lone word's documents are its candidates (its typo check asks again).
    if (onePass !== null && word) {
      held.set(alone.tokens[0]!, onePass.candidates);
      // Kept until the index changes, so the next search of the word reads the instance table.
      vocabulary.documents(req.collection, alone.tokens[0]!, all.generation, () => onePass!.candidates);
    }
  }
  const phraseDocuments = req.phrases.map((p) =>
    onePass != null ? onePass.candidates : p.tokens.length === 1 && !p.prefix ? holding(p.tokens[0]!) : matching(phraseMatch(p)),
  );
  const variants: TypoAnswer[] = [];
  // A rule-bound caller's variants come from its readable words, read once (see below).
  let readableVocabulary: ReadonlyMap<string, number> | null = null;
  for (const { term, edits } of req.typo) {
    // A word found as typed is not expanded (see TypoAnswer): say so
    // without scanning.
    if (holding(term) > 0) {
      variants.push("typed");
      continue;
    }
    if (readable !== null) {
      // Never the shared vocabulary for a rule-bound caller: how many words
      // it holds, and which, depends on hidden documents (issue 11). Its
      // readable text instead, when that is small enough to read; whether
      // it is depends only on what the caller may read.
      if (totals.tokens > SEARCH_TYPO_READABLE_TOKENS_MAX) {
        variants.push("too_many");
        continue;
      }
      if (readableVocabulary === null) {
        const read = readableWords(sql, req.collection, ready.textFields, readable);
        rowsRead += read.rowsRead;
        readableVocabulary = read.words;
      }
      variants.push(readableVariants(readableVocabulary, term, edits));
      continue;
    }
    // The term's variants on this shard, from the cache when the index has
    // not changed since they were found.
    const found = vocabulary.variants(req.collection, term, edits, all.generation, () => {
      const { low, high } = vocabularyRange(term);
      // Words only first (fts5vocab counts a word's documents by reading its
      // postings), from the cache when the index has not changed since.
      let scanned = 0;
      const words = vocabulary.range(req.collection, low, all.generation, () => {
        const rows = sql.exec<{ term: string }>(`SELECT term FROM "${vocab}" WHERE term >= ? AND term < ? LIMIT ?`, low, high, SEARCH_TYPO_SCAN_ROWS_MAX + 1).toArray();
        scanned = rows.length;
        return rows.map((r) => r.term);
      });
      rowsRead += scanned;
      if (words.length > SEARCH_TYPO_SCAN_ROWS_MAX) return "too_many";
      const near: Variant[] = [];
      for (const word of words) {
        const d = editDistance(term, word, edits);
        if (d > edits || word === term) continue;
        const documents = holding(word);
        if (documents > 0) near.push({ word, edits: d, documents });
      }
      return near;
    });
    variants.push(found === "too_many" ? found : [...found]);
  }
  if (onePass === undefined && req.onePass !== undefined && req.onePass !== null) {
    const answered = runOnePass(sql, req.collection, ready.textFields, req.onePass, readable);
    rowsRead += answered.rowsRead;
    onePass = answered.answer;
  }
  const generation = scope === null ? all.generation : null;
  return { ok: true, textFields: ready.textFields, documents: totals.documents, tokens: totals.tokens, phraseDocuments, variants, generation, rowsRead, ...(onePass === undefined ? {} : { onePass }) };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

interface Candidate {
  readonly id: string;
  readonly score: number;
}

/**
 * The scoring pass on this shard. Queries sql-scoring.ts can score exactly
 * are scored and sorted inside SQLite, and only the rows walked reach
 * JavaScript; the others are scored here from the stored tokens. `reads`
 * as for runSearchStats.
 */
export function runShardSearch(sql: SearchSql, req: ShardSearchRequest, atomically: WriteAtomically = writeDirectly, reads: UnchangedReads | null = null): ShardSearchResult {
  if (!(req.limit > 0 && Number.isInteger(req.limit))) throw new Error("invariant broken: a search page asks for at least one row");
  // The instance table's existence is read with the index's state (one statement, not two).
  const ready = searchable(sql, req.collection, atomically, instanceTableName(req.collection), reads);
  if (!ready.ok) return { ...ready, rowsRead: 0 };
  // A rule-bound caller's candidates, refusals and rows read are its
  // readable documents' only (issue 11): hidden candidates are skipped
  // before they are counted or loaded.
  let readable: ReadableRows | null = null;
  const scope = readableScope(req);
  if (scope !== null) {
    const refused = ruleBoundRefusal(sql, req.collection) ?? (req.geo === undefined || req.geo === null ? null : geoRuleBoundRefusal(sql, req.collection));
    if (refused !== null) return { ...refused, rowsRead: 0 };
    readable = readableRows(sql, req.collection, scope);
  }
  const weights = ready.textFields.map((f) => f.weight);
  const where = ruleFiltered(req.filter, req.rule);
  const admits = documentCheck(req.rule);
  // The walk below keeps every hit it meets when nothing can drop one, so
  // it needs the page and one more (hasMore): SQLite then sorts with a
  // bounded heap. Otherwise it steps the whole order as far as it must.
  const droppable = !matchesEverything(where) || admits !== null || readable !== null || (req.geo !== undefined && req.geo !== null);
  const scoring = (after: SearchCursor | null, rowsMax: number): ScoringStatement | null =>
    scoringStatement({
      collection: req.collection, match: req.match, tree: req.tree, phrases: req.phrases, idfs: req.idfs,
      averageLength: req.averageLength, weights, after, rowsMax,
    });
  // The whole page and one more when nothing can drop a hit; else batches
  // that double (rankInSql).
  const firstRowsMax = req.limit + 1;
  const sqlScored = scoring(req.after, firstRowsMax) !== null;
  if (sqlScored && !ready.instanceTable) atomically(() => ensureInstanceTable(sql, req.collection));
  const ranked = sqlScored
    ? readableOnly(rankInSql(sql, (after, rowsMax) => scoring(after, rowsMax)!, req.after, firstRowsMax, droppable, candidateCountStatement(req.collection, req.match)), sql, req, readable)
    : rankInJavaScript(sql, req, ready.textFields, readable);
  if (!ranked.ok) return ranked;
  let rowsRead = ranked.rowsRead + (readable?.rowsRead ?? 0);
  if (ranked.candidates > SEARCH_CANDIDATES_PER_SHARD_MAX) {
    return { ...failure("resource_exhausted", `the search matched more than SEARCH_CANDIDATES_PER_SHARD_MAX (${SEARCH_CANDIDATES_PER_SHARD_MAX}) documents on one shard; use rarer terms`), rowsRead };
  }
  if (rowsRead > req.rowsReadMax) return overBudget(rowsRead, req.rowsReadMax);
  // Geo narrows, text ranks: only candidates inside the region are kept.
  // For a rule-bound caller, the region's readable documents only (Explain's geo_candidates too).
  const narrowed = req.geo === undefined || req.geo === null ? null : geoNarrowing(sql, req.collection, req.geo, readable?.ids ?? null);
  if (narrowed !== null && !narrowed.ok) return { ...narrowed, rowsRead };
  if (narrowed !== null) rowsRead += narrowed.rowsRead;
  if (rowsRead > req.rowsReadMax) return overBudget(rowsRead, req.rowsReadMax);
  const generation = scope === null ? ready.totals.generation : null;
  if (!droppable) {
    // Nothing can drop a hit: the page is the first `limit` hits after the
    // cursor, loaded in one statement, and one more hit says hasMore
    // without loading its document.
    const page = firstHits(ranked.hits, req.after, req.limit + 1);
    const hasMore = page.length > req.limit;
    if (hasMore) page.pop();
    const documents = loadDocuments(sql, req.collection, page.map((c) => c.id));
    rowsRead += documents.length;
    if (rowsRead > req.rowsReadMax) return overBudget(rowsRead, req.rowsReadMax);
    return { ok: true, documents, scores: page.map((c) => c.score), hasMore, candidates: ranked.candidates, generation, rowsRead };
  }
  const documents: StoredDocument[] = [];
  const scores: number[] = [];
  const distances: number[] = [];
  let hasMore = false;
  for (const c of ranked.hits) {
    if (narrowed !== null && !narrowed.distances.has(c.id)) continue;
    if (req.after !== null && compareHits(c, req.after) <= 0) continue;
    const doc = loadDocument(sql, req.collection, c.id);
    rowsRead++;
    if (rowsRead > req.rowsReadMax) return overBudget(rowsRead, req.rowsReadMax);
    if (doc === null) throw new Error("invariant broken: an indexed document has a row");
    if (!matchesEverything(where) && !matches(where, doc)) continue;
    if (admits !== null && !admits(doc)) continue;
    if (documents.length === req.limit) {
      hasMore = true;
      break;
    }
    documents.push(doc);
    scores.push(c.score);
    if (narrowed !== null) distances.push(narrowed.distances.get(c.id)!);
  }
  return { ok: true, documents, scores, ...(narrowed === null ? {} : { distances, geoCandidates: narrowed.candidates }), hasMore, candidates: ranked.candidates, generation, rowsRead };
}

/** The candidates in (score desc, id asc) order, how many there are, and the rows read to rank them. */
type Ranked = { readonly ok: true; readonly hits: Iterable<Candidate>; readonly candidates: number; readonly rowsRead: number } | (Failure & { readonly rowsRead: number });

/**
 * Ranks inside SQLite (sql-scoring.ts), in batches of rows in (score desc,
 * id asc) order: the first of `firstRowsMax` rows at once, then, only as
 * the walk reads on (`more`: a filter, rule or geo condition may drop
 * hits), each next batch after the last row, twice as large. Every batch
 * is read to its end: a statement a Durable Object leaves with rows unread
 * stays active until its cursor is garbage-collected, and while any is
 * active SQLite refuses to drop a table or index on that connection
 * (SQLITE_LOCKED): a search that stopped early made DeleteSearchIndex and
 * DeleteIndex fail for seconds (a new user's finding). `count` counts the
 * candidates (FTS5's match, the documents the statement ranks) when the
 * scoring statement did not (ScoringStatement.counts: it counts the list
 * it makes first for an AND or a NOT, in the same statement).
 *
 * Rows read: the first batch's (it scans every candidate's instances); a
 * later batch scans them again, which is not counted twice, so a filtered
 * search's budget is what one scan reads (the walk counts each document it
 * loads).
 */
function rankInSql(
  sql: SearchSql,
  statementFor: (after: SearchCursor | null, rowsMax: number) => ScoringStatement,
  after: SearchCursor | null,
  firstRowsMax: number,
  more: boolean,
  count: ScoringStatement,
): Ranked {
  let counted: number | null = null;
  const run = (from: SearchCursor | null, rowsMax: number) => {
    const statement = statementFor(from, rowsMax);
    // Columns: id, score, and the candidates' count when the statement counts them.
    const cursor = sql.exec(statement.sql, ...statement.params);
    const raw = rawRows(cursor);
    if (statement.counts === true && raw.length > 0) counted ??= raw[0]![2] as number;
    return { rows: raw.map((r) => ({ id: r[0] as string, score: r[1] as number })), rowsRead: cursor.rowsRead };
  };
  const first = run(after, firstRowsMax);
  // Counted by the statement when it lists the candidates first and a row
  // came back; else by FTS5's own match.
  const candidates: number = counted ?? sql.exec<{ total: number }>(count.sql, ...count.params).toArray()[0]?.total ?? 0;
  const hits: Iterable<Candidate> = {
    *[Symbol.iterator]() {
      let batch = first.rows;
      let rowsMax = firstRowsMax;
      for (;;) {
        yield* batch;
        if (!more || batch.length < rowsMax) return;
        rowsMax *= 2;
        batch = run(batch[batch.length - 1]!, rowsMax).rows;
      }
    },
  };
  // Rows read are the scoring statement's, as before the count was its own
  // statement: the count reads FTS5's doclists only, an order of magnitude
  // less, and counting it would move searches over rowsReadMax that passed.
  // (A statement that counts its candidate list reads that list once more:
  // at most SEARCH_CANDIDATES_PER_SHARD_MAX rows, included.)
  return { ok: true, hits, candidates, rowsRead: first.rowsRead ?? candidates };
}

/**
 * For a rule-bound caller (`readable` not null), SQL's ranking with the
 * hidden candidates left out: SQLite still scores them all (work bounded
 * by SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX), but the candidates counted,
 * the rows read and the hits walked are the readable ones only.
 */
function readableOnly(ranked: Ranked, sql: SearchSql, req: ShardSearchRequest, readable: ReadableRows | null): Ranked {
  if (readable === null || !ranked.ok) return ranked;
  const counted = readableMatches(sql, req.collection, req.match, readable);
  const all = ranked.hits;
  const hits: Iterable<Candidate> = {
    *[Symbol.iterator]() {
      for (const c of all) if (readable.ids.has(c.id)) yield c;
    },
  };
  return { ok: true, hits, candidates: counted.documents, rowsRead: counted.rowsRead };
}

/**
 * Ranks in JavaScript from the candidates' stored tokens (queries
 * sql-scoring.ts cannot score exactly). With `readable`, only the readable candidates are kept and
 * counted, and the rows read are two per readable candidate (its index
 * row and its text), whatever hidden rows the statement stepped over.
 */
function rankInJavaScript(sql: SearchSql, req: ShardSearchRequest, textFields: readonly SearchTextFieldSpec[], readable: ReadableRows | null): Ranked {
  const weights = textFields.map((f) => f.weight);
  const table = ftsTableName(req.collection);
  const columnNames = textFields.map((_, i) => ftsColumn(i));
  const cursor = sql.exec<Record<string, string | number>>(
    `SELECT f.rowid AS r, d.id AS id, d.token_count AS n, ${columnNames.map((c) => `f.${c}`).join(", ")} FROM "${table}" AS f JOIN search_text_docs AS d ON d.row_id = f.rowid WHERE "${table}" MATCH ?`,
    req.match,
  );
  const rows: Array<Record<string, string | number>> = [];
  for (const row of cursor) if (readable === null || readable.rows.has(row["r"] as number)) rows.push(row);
  const rowsRead = (readable === null ? (cursor.rowsRead ?? rows.length) : rows.length) + rows.length;
  if (rows.length > SEARCH_CANDIDATES_PER_SHARD_MAX) return { ok: true, hits: [], candidates: rows.length, rowsRead };
  const candidates: Candidate[] = [];
  const frequencies = createPhraseFrequencies(req.tree, req.phrases, weights);
  for (const row of rows) {
    const freqs = frequencies(columnNames.map((name) => splitTokens(row[name])));
    const score = bm25(req.idfs, freqs, row.n as number, req.averageLength);
    if (req.after === null || compareHits({ score, id: row.id as string }, req.after) > 0) candidates.push({ id: row.id as string, score });
  }
  candidates.sort(compareHits);
  return { ok: true, hits: candidates, candidates: rows.length, rowsRead };
}

/** (score desc, id asc): negative when `a` comes first. */
export function compareHits(a: SearchCursor, b: SearchCursor): number {
  if (a.score !== b.score) return a.score > b.score ? -1 : 1;
  return compareStrings(a.id, b.id);
}

function splitTokens(text: string | number | undefined): string[] {
  return typeof text === "string" && text !== "" ? text.split(" ") : [];
}

/** The first `count` hits strictly after `after`, in order. */
function firstHits(hits: Iterable<Candidate>, after: SearchCursor | null, count: number): Candidate[] {
  const out: Candidate[] = [];
  for (const c of hits) {
    if (out.length === count) break;
    if (after === null || compareHits(c, after) > 0) out.push(c);
  }
  return out;
}

function overBudget(rowsRead: number, max: number): Failure & { rowsRead: number } {
  return { ...failure("resource_exhausted", `the search read more than its remaining budget of ${max} rows (QUERY_ROWS_READ_MAX); use rarer terms or a narrower filter`), rowsRead };
}

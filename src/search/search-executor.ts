/**
 * The Worker's side of a text search, in two passes over every shard:
 *
 * 1. statistics: each shard's N, total tokens, documents per phrase, and
 *    typo variants of long terms with their document counts; summed, they
 *    are the GLOBAL statistics; the variants chosen from the union
 *    (typo.ts) make the compiled FTS5 expression (compile.ts);
 *    Shards with at most SEARCH_ONE_PASS_CANDIDATES_MAX candidates send
 *    them with their statistics, and the Worker scores them (one-pass.ts);
 * 2. scoring: every other shard scores its candidates with the global IDFs and
 *    average length and returns its best documents after the page's
 *    cursor, in (score desc, id asc) order; the Worker merges them
 *    (search-merge.ts), applies offset and limit, and resumes pages after
 *    the last (score, id) returned.
 *
 * A repeated first page by a caller no rule binds skips pass 1: the
 * statistics of the last one come from the Worker's cache (stats-cache.ts)
 * and every shard's scoring call confirms its index generation is the one
 * they were read at, or the page runs again with both passes.
 *
 * So the ranking on 8 shards equals the ranking on one database (the
 * oracle test checks it against SQLite's own bm25()). Both passes go to
 * every shard: statistics must be global even when a filter pins ids.
 * For a caller bound by a read rule, "global" means over the documents it
 * may read (shard-search.ts, readable-stats.ts): scores and Explain's
 * counts never depend on documents it cannot see.
 */
import { fillPage } from "../query/page-fill.js";
import { hash32 } from "../routing/hash.js";
import { FailureError } from "../errors.js";
import { QUERY_FANOUT_CONCURRENCY_MAX, QUERY_ROWS_READ_MAX, SHARD_BATCH_ROWS_MAX, STREAM_FIRST_BATCH_ROWS } from "../limits.js";
import { createLimiter, withinDeadline } from "../query/fan-out.js";
import type { ExecuteOptions, QueryReport, QuerySpec, ShardReport } from "../query/executor.js";
import { ruleReport } from "../rules/read-rule.js";
import type { SearchTextFieldSpec } from "./catalog.js";
import { basePhrases, compileSearch, phraseText, typoTerms, type CompiledSearch } from "./compile.js";
import { idf } from "./bm25.js";
import { SEARCH_TYPO_ONE_EDIT_LENGTH_MIN } from "./limits.js";
import type { SearchNode } from "./query-parser.js";
import type { GeoRegion } from "./geo/region.js";
import { mergeScored, type ScoredDocument } from "./search-merge.js";
import { pageOf, scoreOnePass, type OnePassAnswer } from "./one-pass.js";
import type { SearchCursor, ShardSearchRequest, ShardSearchResult, ShardSearchStats, ShardSearchStatsRequest } from "./shard-search.js";
import { chooseVariants, editsAllowed, type Variant } from "./typo.js";
import { StaleSearchStatistics, statsCacheKey, type CachedSearchStats, type SearchStatsCache } from "./stats-cache.js";

/** The shards of a search, however they are reached (Durable Objects, or node:sqlite in tests). */
export interface SearchShards {
  readonly shards: readonly string[];
  readonly routingVersion: number;
  searchStats(shard: string, req: ShardSearchStatsRequest): Promise<ShardSearchStats>;
  search(shard: string, req: ShardSearchRequest): Promise<ShardSearchResult>;
  /**
   * Where a first page of a search by a caller no read rule binds finds the
   * global statistics of an earlier one, checked against every shard's
   * index generation (stats-cache.ts); absent or null: every search takes
   * its statistics pass.
   */
  readonly statsCache?: SearchStatsCache | null;
}

/** A query's search clause, parsed. */
export interface TextSearch {
  readonly node: SearchNode;
  readonly exact: boolean;
  /** A near or within condition that narrows the results (geo narrows, text ranks); null or absent for none. */
  readonly geo?: GeoRegion | null;
}

/** What the statistics pass settled: the compiled query and the global statistics. */
export interface SearchPlanData {
  readonly compiled: CompiledSearch;
  /** The typo variants chosen per term (kept by page walks). */
  readonly expansions: Readonly<Record<string, readonly string[]>>;
  readonly textFields: readonly SearchTextFieldSpec[];
  readonly documents: number;
  readonly tokens: number;
  readonly averageLength: number;
  /** Per compiled phrase: documents containing it over all shards. */
  readonly phraseDocuments: number[];
  readonly idfs: number[];
  readonly statsRowsRead: number;
  /**
   * Per shard (in `shards` order): its every admitted candidate, sent with
   * its statistics (one-pass.ts), when it had few and the query compiled
   * is the one it answered; such a shard gets no scoring call.
   */
  readonly prefetched: ReadonlyArray<OnePassAnswer | null>;
  /** The search's geo condition, sent to the scoring pass; null for none. */
  readonly geo: GeoRegion | null;
  /** R*Tree candidates the scoring pass's shard calls read for the geo condition, summed as they answer (Explain). */
  geoCandidates: number;
  /**
   * Per shard (in `shards` order), when the statistics came from the
   * Worker's cache rather than a statistics pass: the index generation
   * they were read at, which every scoring call must report back
   * (StaleSearchStatistics otherwise). Absent or null after a statistics pass.
   */
  readonly expectedGenerations?: readonly number[] | null;
}

/**
 * The statistics a page walk keeps from its first page. Scores depend on
 * N, the average length and each phrase's document count, which every
 * write to the collection changes; a walk that resumed after a (score, id)
 * computed with other statistics skipped or repeated documents (a write
 * between two pages ended a walk of 100 matches after 50). So every page
 * of a walk scores with its first page's statistics and typo variants,
 * and a walk returns each document that matches throughout it exactly
 * once, as query walks do.
 */
export interface FrozenSearchStats {
  readonly documents: number;
  readonly tokens: number;
  /** Per compiled phrase, in compiled order. */
  readonly phraseDocuments: readonly number[];
  /**
   * The typo variants chosen per term; null when the page token had no
   * room for them (then `compiledDigest` must match the new compile).
   */
  readonly expansions: Readonly<Record<string, readonly string[]>> | null;
  /** {@link compiledHash} of the first page's compiled FTS5 expression. */
  readonly compiled: string;
  /** {@link indexFingerprint} of the text fields the first page searched; absent in tokens made before it was kept. */
  readonly index?: string;
}

/** Where a search page walk stands. */
export interface SearchPageState {
  readonly after: SearchCursor;
  readonly returned: number;
  /** The first page's statistics; absent for a state from before they were kept. */
  readonly frozen?: FrozenSearchStats;
}

/** A page of search results. */
export interface SearchPage {
  readonly documents: ScoredDocument[];
  readonly next: SearchPageState | null;
  readonly report: QueryReport;
  readonly plan: SearchPlanData;
}

/**
 * Pass 1: the global statistics and the compiled query. With `frozen` (a
 * later page of a walk), the first page's typo variants and statistics are
 * used instead of today's; FAILED_PRECONDITION when the walk's compiled
 * query cannot be rebuilt (its variants were not kept and have changed).
 */
export async function searchStatistics(
  shards: SearchShards,
  target: Pick<QuerySpec, "collection" | "rule" | "filter">,
  search: TextSearch,
  options: ExecuteOptions,
  frozen?: FrozenSearchStats,
): Promise<SearchPlanData> {
  const collection = target.collection;
  // A rule-bound caller's statistics count only what it may read (issue 11).
  const rule = target.rule ?? null;
  const phrases = basePhrases(search.node);
  const typo = search.exact || frozen?.expansions != null ? [] : typoTerms(search.node, SEARCH_TYPO_ONE_EDIT_LENGTH_MIN).map((term) => ({ term, edits: editsAllowed([...term].length) }));
  // Each shard with few candidates of the query without typo variants
  // sends them all now (one-pass.ts); a geo search always takes two passes.
  const base = compileSearch(search.node, new Map());
  const onePass = search.geo === undefined || search.geo === null ? { match: base.match, tree: base.tree, phrases: base.phrases, filter: target.filter, rule } : null;
  const limit = createLimiter(QUERY_FANOUT_CONCURRENCY_MAX);
  const answers = await Promise.all(
    shards.shards.map((shard) =>
      limit(async () => {
        const stats = await withinDeadline(shards.searchStats(shard, { collection, phrases, typo, rule, onePass }), options.deadline);
        if (!stats.ok) throw new FailureError(stats.kind, stats.message);
        return stats;
      }),
    ),
  );
  const documents = sum(answers.map((a) => a.documents));
  const tokens = sum(answers.map((a) => a.tokens));
  const baseDocuments = phrases.map((_, i) => sum(answers.map((a) => a.phraseDocuments[i]!)));
  const expansions = new Map<string, string[]>();
  const variantDocuments = new Map<string, number>();
  typo.forEach(({ term }, i) => {
    const found = answers.map((a) => a.variants[i]!);
    // Found as typed on some shard, or too many words to scan on one (for a
    // rule-bound caller: too much readable text, never hidden words): the
    // term is matched as typed.
    if (found.some((f) => f === "typed" || f === "too_many")) return;
    const chosen = chooseVariants(term, found as Variant[][]);
    expansions.set(term, chosen.map((v) => v.word));
    for (const v of chosen) variantDocuments.set(v.word, v.documents);
  });
  if (frozen?.expansions != null) {
    expansions.clear();
    for (const [term, words] of Object.entries(frozen.expansions)) expansions.set(term, [...words]);
  }
  const compiled = compileSearch(search.node, expansions);
  // A phrase's global count: from the base phrases, or, for a variant, from the vocabularies.
  const baseCount = new Map(phrases.map((p, i) => [key(p), baseDocuments[i]!]));
  let phraseDocuments = compiled.phrases.map((p) => baseCount.get(key(p)) ?? variantDocuments.get(p.tokens[0]!) ?? 0);
  let totals = { documents, tokens };
  if (frozen !== undefined) {
    if (frozen.compiled !== compiledHash(compiled.match) || frozen.phraseDocuments.length !== compiled.phrases.length) {
      throw new FailureError("failed_precondition", "the collection's vocabulary changed the search's typo variants since the walk's first page; run the search again without page_token");
    }
    phraseDocuments = [...frozen.phraseDocuments];
    totals = { documents: frozen.documents, tokens: frozen.tokens };
  }
  const idfs = phraseDocuments.map((n) => idf(totals.documents, n));
  const textFields = answers[0]?.textFields ?? [];
  // The index dropped and made again with other fields or weights: the first page's scores no longer compare.
  if (frozen?.index !== undefined && frozen.index !== indexFingerprint(textFields)) {
    throw new FailureError("failed_precondition", "the collection's search index was redefined (other text fields or weights) since the walk's first page; run the search again without page_token");
  }
  // Usable only when the query compiled is the one the shards answered.
  const prefetched = answers.map((a) => (a.onePass !== undefined && a.onePass !== null && a.onePass.match === compiled.match ? a.onePass : null));
  const plan: SearchPlanData = {
    compiled,
    expansions: Object.fromEntries(expansions),
    textFields,
    documents: totals.documents,
    tokens: totals.tokens,
    averageLength: averageLengthOf(totals.documents, totals.tokens),
    phraseDocuments,
    idfs,
    statsRowsRead: sum(answers.map((a) => a.rowsRead)),
    prefetched,
    geo: search.geo ?? null,
    geoCandidates: 0,
  };
  // Kept for the next first page (stats-cache.ts) when every shard counted
  // its whole index and said at which generation, unless every shard
  // answered in one pass (then the search is one round trip already).
  const generations = answers.map((a) => a.generation);
  if (shards.statsCache != null && rule === null && frozen === undefined && generations.every((g) => typeof g === "number") && prefetched.some((p) => p === null)) {
    shards.statsCache.set(statsCacheKey(shards.routingVersion, shards.shards, collection, search.node, search.exact), {
      generations: generations as number[],
      compiled,
      expansions: plan.expansions,
      textFields,
      documents: totals.documents,
      tokens: totals.tokens,
      phraseDocuments,
    });
  }
  return plan;
}

/**
 * The statistics of an earlier first page of the same search, from the
 * Worker's cache (stats-cache.ts), or null: only for a caller no read rule
 * binds. The plan's scoring calls check each shard's generation. Explain's
 * `stats_rows_read` is 0: no statistics pass ran.
 */
function cachedStatistics(shards: SearchShards, target: Pick<QuerySpec, "collection" | "rule">, search: TextSearch): { key: string; plan: SearchPlanData } | null {
  if (shards.statsCache == null || (target.rule ?? null) !== null) return null;
  const key = statsCacheKey(shards.routingVersion, shards.shards, target.collection, search.node, search.exact);
  const entry: CachedSearchStats | undefined = shards.statsCache.get(key);
  if (entry === undefined) return null;
  if (entry.generations.length !== shards.shards.length) throw new Error("invariant broken: cached statistics name every shard of their routing table");
  const plan: SearchPlanData = {
    compiled: entry.compiled,
    expansions: entry.expansions,
    textFields: entry.textFields,
    documents: entry.documents,
    tokens: entry.tokens,
    averageLength: averageLengthOf(entry.documents, entry.tokens),
    phraseDocuments: [...entry.phraseDocuments],
    idfs: entry.phraseDocuments.map((n) => idf(entry.documents, n)),
    statsRowsRead: 0,
    prefetched: shards.shards.map(() => null),
    geo: search.geo ?? null,
    geoCandidates: 0,
    expectedGenerations: entry.generations,
  };
  return { key, plan };
}

function averageLengthOf(documents: number, tokens: number): number {
  return documents === 0 ? 0 : tokens / documents;
}

/** Runs one page of a search (pass 1, then pass 2), continuing from `state` when given. */
export async function runSearchPage(
  shards: SearchShards,
  spec: QuerySpec,
  search: TextSearch,
  pageSize: number,
  state: SearchPageState | null,
  options: ExecuteOptions,
): Promise<SearchPage> {
  // A first page may take its statistics from the cache; if a shard's index
  // has changed since, the page is run again with both passes.
  const cached = state === null ? cachedStatistics(shards, spec, search) : null;
  if (cached !== null) {
    try {
      return await searchPage(shards, spec, cached.plan, pageSize, state, options);
    } catch (err) {
      if (!(err instanceof StaleSearchStatistics)) throw err;
      shards.statsCache!.delete(cached.key);
    }
  }
  const plan = await searchStatistics(shards, spec, search, options, state?.frozen);
  return searchPage(shards, spec, plan, pageSize, state, options);
}

/** Pass 2 of a page, with the statistics settled (`plan`). */
async function searchPage(shards: SearchShards, spec: QuerySpec, plan: SearchPlanData, pageSize: number, state: SearchPageState | null, options: ExecuteOptions): Promise<SearchPage> {
  const run = startSearch(shards, spec, plan, options);
  const skip = state === null ? spec.offset : 0;
  const returned = state?.returned ?? 0;
  const remaining = spec.limit === null ? Infinity : spec.limit - returned;
  const want = Math.min(pageSize, remaining);
  // An async generator: nothing is fetched unless fillPage reads it.
  const source = run.merged(state?.after ?? null, Math.min(skip + want + 1, SHARD_BATCH_ROWS_MAX));
  const { items: documents, more } = await fillPage(source, skip, plan.documents > 0 ? want : 0, options.pageBytes, (hit) => hit.doc);
  run.report.rowsReturned = documents.length;
  const last = documents[documents.length - 1];
  const next = more && last !== undefined && remaining - documents.length > 0 ? { after: { score: last.score, id: last.doc.id }, returned: returned + documents.length, frozen: frozenOf(plan) } : null;
  return { documents, next, report: run.report, plan };
}

/**
 * Streams every result of a search in rank order, after its statistics pass
 * (`plan`); returns the report when done. With `resume` (a stream that met
 * a resharding's cutover, going on over the new table with the same
 * statistics: `plan` built from its `frozen` ones), it goes on strictly
 * after `resume.after`, the offset already skipped and `resume.returned`
 * documents already sent.
 */
export async function* streamSearch(
  shards: SearchShards,
  spec: QuerySpec,
  plan: SearchPlanData,
  options: ExecuteOptions,
  resume: Pick<SearchPageState, "after" | "returned"> | null = null,
): AsyncGenerator<ScoredDocument, QueryReport> {
  const run = startSearch(shards, spec, plan, options);
  if (plan.documents === 0) return run.report;
  let seen = resume === null ? 0 : spec.offset;
  let sent = resume?.returned ?? 0;
  const wanted = resume === null ? spec.offset + (spec.limit ?? Infinity) + 1 : (spec.limit ?? Infinity) - sent + 1;
  for await (const hit of run.merged(resume?.after ?? null, Math.min(STREAM_FIRST_BATCH_ROWS, Math.max(1, wanted)))) {
    if (++seen <= spec.offset) continue;
    if (spec.limit !== null && sent >= spec.limit) break;
    sent++;
    run.report.rowsReturned = sent;
    yield hit;
  }
  return run.report;
}

function startSearch(shards: SearchShards, spec: QuerySpec, plan: SearchPlanData, options: ExecuteOptions) {
  const reports: ShardReport[] = shards.shards.map((s) => ({ shard: s, pruned: false, index: "search", sqlPlan: "", rowsRead: 0, rowsReturned: 0 }));
  const report: QueryReport = {
    shardsTotal: shards.shards.length,
    shardsQueried: shards.shards.length,
    routingVersion: shards.routingVersion,
    shards: reports,
    rowsReturned: 0,
    rule: spec.rule === null || spec.rule === undefined ? null : ruleReport(spec.rule, "readable"),
  };
  const budget = (options.rowsReadMax ?? QUERY_ROWS_READ_MAX) - plan.statsRowsRead;
  let rowsRead = 0;
  const limit = createLimiter(QUERY_FANOUT_CONCURRENCY_MAX);
  // Shards that answered in one pass are scored here, with the global statistics.
  const local = plan.prefetched.map((answer, i) => {
    if (answer === null) return null;
    reports[i]!.sqlPlan = `one pass: FTS5 MATCH ${answer.match}: ${answer.candidates} candidates sent with the statistics (rows read in stats_rows_read), scored by the Worker`;
    return scoreOnePass(answer, spec.collection, plan.idfs, plan.averageLength);
  });
  const merged = (after: SearchCursor | null, first: number) =>
    mergeScored(
      shards.shards.map((shard, i) => async (from: SearchCursor | null, size: number) => {
        const hits = local[i];
        if (hits !== null && hits !== undefined) {
          const page = pageOf(hits, from, size);
          reports[i]!.rowsReturned += page.documents.length;
          return page;
        }
        return limit(async () => {
          const result = await withinDeadline(
            shards.search(shard, {
              collection: spec.collection,
              match: plan.compiled.match,
              tree: plan.compiled.tree,
              phrases: plan.compiled.phrases,
              idfs: plan.idfs,
              averageLength: plan.averageLength,
              filter: spec.filter,
              rule: spec.rule ?? null,
              after: from,
              limit: size,
              rowsReadMax: Math.max(budget - rowsRead, 0),
              geo: plan.geo,
            }),
            options.deadline,
          );
          rowsRead += result.rowsRead;
          reports[i]!.rowsRead += result.rowsRead;
          if (!result.ok) throw new FailureError(result.kind, result.message);
          // Cached statistics hold only while the shard's index is as it was
          // when they were read (stats-cache.ts).
          const expected = plan.expectedGenerations?.[i];
          if (expected !== undefined && result.generation !== expected) throw new StaleSearchStatistics(shard);
          plan.geoCandidates += result.geoCandidates ?? 0;
          reports[i]!.rowsReturned += result.documents.length;
          if (reports[i]!.sqlPlan === "") {
            const cachedNote = plan.expectedGenerations == null ? "" : " with the Worker's cached statistics (index generation checked)";
            reports[i]!.sqlPlan = `FTS5 MATCH ${plan.compiled.match}: ${result.candidates} candidates scored${cachedNote}`;
          }
          if (rowsRead > budget) throw new FailureError("resource_exhausted", `the search read more than QUERY_ROWS_READ_MAX (${budget}) rows`);
          return result;
        });
      }),
      after,
      first,
      SHARD_BATCH_ROWS_MAX,
    );
  return { report, merged };
}

/** The statistics a walk keeps for its later pages. */
export function frozenOf(plan: SearchPlanData): FrozenSearchStats {
  return {
    documents: plan.documents,
    tokens: plan.tokens,
    phraseDocuments: plan.phraseDocuments,
    expansions: plan.expansions,
    compiled: compiledHash(plan.compiled.match),
    index: indexFingerprint(plan.textFields),
  };
}

/** A short fingerprint (compiledHash) of a search index's text fields and weights, in order: a later page checks it searched the same definition. */
export function indexFingerprint(textFields: ReadonlyArray<{ readonly field: string; readonly weight: number }>): string {
  return compiledHash(JSON.stringify(textFields.map((f) => [f.field, f.weight])));
}

/**
 * A short fingerprint of a compiled expression (two murmur3 hashes, 16 hex
 * digits): enough to tell that a later page compiled the same query. Page
 * tokens are signed, so it needs no resistance to forgery.
 */
export function compiledHash(match: string): string {
  return [hash32(match, 0), hash32(match, 0x9e3779b9)].map((h) => h.toString(16).padStart(8, "0")).join("");
}

/** Explain's terms: each compiled phrase with its global document count. */
export function planTerms(plan: SearchPlanData): Array<{ term: string; documents: number }> {
  return plan.compiled.phrases.map((p, i) => ({ term: phraseText(p), documents: plan.phraseDocuments[i]! }));
}

function key(p: { tokens: readonly string[]; prefix: boolean }): string {
  return `${p.prefix ? "*" : "="}${p.tokens.join(" ")}`;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}


/**
 * BM25 with global statistics computed INSIDE SQLite, for the compiled
 * queries where that is exact: one statement that takes the candidates
 * from the FTS5 expression, each phrase's instances per document and
 * column from the index's `fts5vocab` instance table (so no stored text is
 * read or split), scores every candidate with bm25.ts's formula, in its
 * order of operations, and sorts them in (score desc, id asc) order. The
 * shard then steps the sorted rows lazily: only the rows it walks reach
 * JavaScript, so a common term's ten best cost ten rows, not its ten
 * thousand candidates (the sort itself runs in C). When the shard knows it
 * needs at most `rowsMax` rows (no filter can drop one), the statement
 * says LIMIT, and SQLite keeps only that many while sorting.
 *
 * Cost (measured on one shard's 12,500 documents of the benchmark's corpus,
 * node:sqlite, a term in 91% of them): the instance scan and GROUP BY are
 * most of it; a query that is one phrase or an OR of phrases needs no list
 * of candidates first (its candidates are exactly the documents with an
 * instance), a window counting the candidates cost a third of the rest and
 * is replaced by candidateCountStatement's count of FTS5's own match.
 *
 * Exactness: SQLite's arithmetic is IEEE double, as JavaScript's, and the
 * statement adds and multiplies in the same order as bm25.ts
 * (`createPhraseFrequencies`: integer instance counts per column, weighted
 * in column order; `bm25`: phrases in compiled order, starting from 0);
 * every non-integer constant (IDFs, weights, k1, b, avgdl) is a bound
 * parameter, never a literal SQLite would parse. A phrase counts exactly
 * when present (bm25.ts `countedPhrases`) when no AND or NOT sits below an
 * OR on the path to it; phrases on the right of a NOT never count. Other
 * queries, and those needing more than SQL_PARAMS_MAX parameters or
 * SQL_STATEMENT_BYTES_MAX bytes, are scored in JavaScript from the stored
 * tokens (shard-search.ts). The ranking oracle test checks both paths
 * against SQLite's own bm25().
 */
import { SQL_COMPOUND_SELECT_TERMS_MAX, SQL_PARAMS_MAX, SQL_STATEMENT_BYTES_MAX } from "../limits.js";
import { BM25_B, BM25_K1 } from "./bm25.js";
import type { CompiledNode, CompiledPhrase } from "./compile.js";
import { ftsColumn, ftsTableName, instanceTableName } from "./text-index.js";

/** One scoring statement: its SQL and its parameters (numbered `?N`). */
export interface ScoringStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /**
   * Every row also holds `total`, the candidates FTS5's match found (the
   * statement lists them first, for an AND or a NOT, and counts that list
   * too), so candidateCountStatement need not match again when a row came
   * back. Absent or false: the rows hold no count.
   */
  readonly counts?: boolean;
}

/** What a scoring statement needs to know. */
export interface ScoringInput {
  readonly collection: string;
  /** The compiled FTS5 expression (compile.ts). */
  readonly match: string;
  /** The expression's shape (compile.ts). */
  readonly tree: CompiledNode;
  readonly phrases: readonly CompiledPhrase[];
  /** The global IDF of each phrase. */
  readonly idfs: readonly number[];
  /** The global average length (BM25's avgdl). */
  readonly averageLength: number;
  /** Per FTS5 column, its BM25 weight. */
  readonly weights: readonly number[];
  /** Only rows after this position in (score desc, id asc) order (the page cursor); null for all. */
  readonly after: { readonly score: number; readonly id: string } | null;
  /** At most this many rows (a positive integer), or null for every candidate. */
  readonly rowsMax: number | null;
}

/**
 * The phrases bm25() counts, by index, when counting them equals "present
 * in the document" for every document the expression matches; null when
 * some phrase's count depends on more (an AND or NOT below an OR).
 */
export function countedWhenPresent(tree: CompiledNode): number[] | null {
  const out: number[] = [];
  const walk = (n: CompiledNode, underOr: boolean): boolean => {
    switch (n.kind) {
      case "phrase":
        out.push(n.index);
        return true;
      case "or":
        return n.children.every((c) => walk(c, true));
      case "and":
        return !underOr && n.children.every((c) => walk(c, false));
      case "not":
        // The right side never counts (bm25.ts countedPhrases), so it is not walked.
        return !underOr && walk(n.left, false);
    }
  };
  return walk(tree, false) ? out.sort((a, b) => a - b) : null;
}

/** True when `tree` is one phrase or an OR of phrases: its matches are exactly the documents holding one of its phrases. */
export function matchesAreInstances(tree: CompiledNode): boolean {
  switch (tree.kind) {
    case "phrase":
      return true;
    case "or":
      return tree.children.every(matchesAreInstances);
    case "and":
    case "not":
      return false;
  }
}

/**
 * The statement counting the candidates of `match` (FTS5's own match, the
 * documents the scoring statement ranks): one row `{ total }`.
 */
export function candidateCountStatement(collection: string, match: string): ScoringStatement {
  const table = ftsTableName(collection);
  return { sql: `SELECT count(*) AS total FROM "${table}" WHERE "${table}" MATCH ?`, params: [match] };
}

/**
 * The statement that scores and sorts the candidates, or null when the
 * query must be scored in JavaScript. Its rows are `{ id, score }` in
 * (score desc, id asc) order, after `input.after`, at most `input.rowsMax`.
 */
export function scoringStatement(input: ScoringInput): ScoringStatement | null {
  const counted = countedWhenPresent(input.tree);
  if (counted === null) return null;
  if (input.rowsMax !== null && !(Number.isInteger(input.rowsMax) && input.rowsMax > 0)) throw new Error("invariant broken: a scoring statement's rowsMax is a positive integer");
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `?${params.length}`;
  };
  const table = ftsTableName(input.collection);
  const instances = instanceTableName(input.collection);
  const weights = input.weights.map((w) => bind(w));
  const k1 = bind(BM25_K1);
  const k1Plus1 = bind(BM25_K1 + 1);
  const b = bind(BM25_B);
  const avgdl = bind(input.averageLength);
  // Every counted phrase's instances, tagged with the phrase, in one
  // table grouped by document (a join per phrase would rescan).
  // With an AND or a NOT, the candidates first, so only their instances
  // are grouped and sorted (an AND of two common words has few candidates
  // among many instances); without, every document with an instance is a
  // candidate, and the list would only cost (a third of a common term's time).
  const ctes: string[] = [];
  let candidate: string | null = null;
  if (!matchesAreInstances(input.tree)) {
    ctes.push(`m(rid) AS MATERIALIZED (SELECT rowid FROM "${table}" WHERE "${table}" MATCH ${bind(input.match)})`);
    candidate = "doc IN (SELECT rid FROM m)";
  }
  const parts = counted.map((i) => phraseInstancesSql(input.phrases[i]!, instances, bind, ctes, i, candidate));
  const frequencies = counted.map((i) => {
    const weighted = input.weights.map((_, c) => ` + sum(p = ${i} AND col = '${ftsColumn(c)}') * ${weights[c]}`).join("");
    return `(0${weighted}) AS f${i}`;
  });
  const terms = counted.map((i) => ` + ${bind(input.idfs[i]!)} * ((f${i} * ${k1Plus1}) / (f${i} + ${k1} * ((1 - ${b}) + ((${b} * d.token_count) / ${avgdl}))))`);
  // The cursor in SQL too: (score desc, id asc), ids compared as SQLite
  // orders them (BINARY, code point order, as compareHits does).
  const after = input.after === null ? "" : (() => {
    const score = bind(input.after.score);
    return ` WHERE score < ${score} OR (score = ${score} AND id > ${bind(input.after.id)})`;
  })();
  const limit = input.rowsMax === null ? "" : ` LIMIT ${bind(input.rowsMax)}`;
  // The candidate list, when there is one, is counted in the same
  // statement: a second FTS5 match only to count it cost a fifth of an AND's time.
  const total = candidate === null ? "" : ", (SELECT count(*) FROM m) AS total";
  const sql =
    `WITH ${[...ctes, `i(doc, p, col) AS (${unionAll(parts)})`].join(", ")} ` +
    `SELECT id, score${total} FROM (SELECT d.id AS id, (0${terms.join("")}) AS score ` +
    `FROM (SELECT doc, ${frequencies.join(", ")} FROM i GROUP BY doc) AS a JOIN search_text_docs AS d ON d.row_id = a.doc)${after} ORDER BY score DESC, id${limit}`;
  if (params.length > SQL_PARAMS_MAX || new TextEncoder().encode(sql).length > SQL_STATEMENT_BYTES_MAX) return null;
  return { sql, params, counts: candidate !== null };
}

/**
 * `parts` (SELECTs of `(doc, p, col)`) joined by UNION ALL, nested in
 * subqueries of at most SQL_COMPOUND_SELECT_TERMS_MAX each, since a Durable
 * Object's SQLite refuses a longer compound SELECT (a word with five typo
 * variants answered INTERNAL "too many terms in compound SELECT").
 */
export function unionAll(parts: readonly string[]): string {
  if (parts.length === 0) throw new Error("invariant broken: a union of no SELECT");
  if (parts.length <= SQL_COMPOUND_SELECT_TERMS_MAX) return parts.join(" UNION ALL ");
  const groups: string[] = [];
  for (let i = 0; i < parts.length; i += SQL_COMPOUND_SELECT_TERMS_MAX) {
    groups.push(`SELECT * FROM (${parts.slice(i, i + SQL_COMPOUND_SELECT_TERMS_MAX).join(" UNION ALL ")})`);
  }
  return unionAll(groups);
}

/**
 * A subquery of `(doc, p, col)`: one row per instance of phrase `p` (its
 * index), with its document and column, of the documents `candidate`
 * admits (every document when null). One token: its rows of the
 * instance table (a prefix: the range of words it starts). Several
 * tokens: positions where token j sits at offset + j for every j, each
 * token's rows materialized once so SQLite joins them through an
 * automatic index rather than rescanning.
 */
function phraseInstancesSql(phrase: CompiledPhrase, instances: string, bind: (v: unknown) => string, ctes: string[], index: number, candidate: string | null): string {
  const termCondition = (j: number): string => {
    const token = phrase.tokens[j]!;
    // Tokens are letters and digits (tokenizer.ts), never U+10FFFF, so
    // [token, token + U+10FFFF) is exactly the words starting with it.
    return phrase.prefix && j === phrase.tokens.length - 1 ? `term >= ${bind(token)} AND term < ${bind(`${token}\u{10FFFF}`)}` : `term = ${bind(token)}`;
  };
  // Every candidate holds at least one counted phrase (countedWhenPresent),
  // so grouping the candidates' instances yields every candidate.
  const admitted = candidate === null ? "" : ` AND ${candidate}`;
  if (phrase.tokens.length === 1) return `SELECT doc, ${index} AS p, col FROM "${instances}" WHERE ${termCondition(0)}${admitted}`;
  const names = phrase.tokens.map((_, j) => `t${index}_${j}`);
  names.forEach((name, j) => ctes.push(`${name}(doc, col, offset) AS MATERIALIZED (SELECT doc, col, offset FROM "${instances}" WHERE ${termCondition(j)}${admitted})`));
  const on = names.slice(1).map((name, j) => `JOIN ${name} ON ${name}.doc = ${names[0]}.doc AND ${name}.col = ${names[0]}.col AND ${name}.offset = ${names[0]}.offset + ${j + 1}`);
  return `SELECT ${names[0]}.doc AS doc, ${index} AS p, ${names[0]}.col AS col FROM ${names[0]} ${on.join(" ")}`;
}

/**
 * BM25 with global statistics computed INSIDE SQLite, for the compiled
 * queries where that is exact: one statement that takes the candidates
 * from the FTS5 expression, each phrase's instances per document and
 * column from the index's `fts5vocab` instance table (so no stored text is
 * read or split), scores every candidate with bm25.ts's formula, in its
 * order of operations, and sorts them in (score desc, id asc) order. The
 * shard then steps the sorted rows lazily: only the rows it walks reach
 * JavaScript, so a common term's ten best cost ten rows, not its ten
 * thousand candidates (the sort itself runs in C).
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
import { SQL_PARAMS_MAX, SQL_STATEMENT_BYTES_MAX } from "../limits.js";
import { BM25_B, BM25_K1 } from "./bm25.js";
import type { CompiledNode, CompiledPhrase } from "./compile.js";
import { ftsColumn, ftsTableName, instanceTableName } from "./text-index.js";

/** One scoring statement: its SQL and its parameters (numbered `?N`). */
export interface ScoringStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
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
  /** Only rows scoring at most this (the page cursor's score); null for all. */
  readonly scoreAtMost: number | null;
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

/**
 * The statement that scores and sorts every candidate, or null when the
 * query must be scored in JavaScript. Its rows are `{ id, score, total }`
 * in (score desc, id asc) order; `total` is the number of candidates.
 */
export function scoringStatement(input: ScoringInput): ScoringStatement | null {
  const counted = countedWhenPresent(input.tree);
  if (counted === null) return null;
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
  // The candidates first, so only their instances are grouped and sorted
  // (an AND of two common words has few candidates among many instances).
  const match = bind(input.match);
  const ctes: string[] = [`m(rid) AS MATERIALIZED (SELECT rowid FROM "${table}" WHERE "${table}" MATCH ${match})`];
  const parts = counted.map((i) => phraseInstancesSql(input.phrases[i]!, instances, bind, ctes, i));
  const frequencies = counted.map((i) => {
    const weighted = input.weights.map((_, c) => ` + sum(p = ${i} AND col = '${ftsColumn(c)}') * ${weights[c]}`).join("");
    return `(0${weighted}) AS f${i}`;
  });
  const terms = counted.map((i) => ` + ${bind(input.idfs[i]!)} * ((f${i} * ${k1Plus1}) / (f${i} + ${k1} * ((1 - ${b}) + ((${b} * d.token_count) / ${avgdl}))))`);
  const after = input.scoreAtMost === null ? "" : ` WHERE score <= ${bind(input.scoreAtMost)}`;
  const sql =
    `WITH ${[...ctes, `i(doc, p, col) AS (${parts.join(" UNION ALL ")})`].join(", ")} ` +
    `SELECT id, score, total FROM (SELECT d.id AS id, (0${terms.join("")}) AS score, count(*) OVER () AS total ` +
    `FROM (SELECT doc, ${frequencies.join(", ")} FROM i GROUP BY doc) AS a JOIN search_text_docs AS d ON d.row_id = a.doc)${after} ORDER BY score DESC, id`;
  if (params.length > SQL_PARAMS_MAX || new TextEncoder().encode(sql).length > SQL_STATEMENT_BYTES_MAX) return null;
  return { sql, params };
}

/**
 * A subquery of `(doc, p, col)`: one row per instance of phrase `p` (its
 * index), with its document and column. One token: its rows of the
 * instance table (a prefix: the range of words it starts). Several
 * tokens: positions where token j sits at offset + j for every j, each
 * token's rows materialized once so SQLite joins them through an
 * automatic index rather than rescanning.
 */
function phraseInstancesSql(phrase: CompiledPhrase, instances: string, bind: (v: unknown) => string, ctes: string[], index: number): string {
  const termCondition = (j: number): string => {
    const token = phrase.tokens[j]!;
    // Tokens are letters and digits (tokenizer.ts), never U+10FFFF, so
    // [token, token + U+10FFFF) is exactly the words starting with it.
    return phrase.prefix && j === phrase.tokens.length - 1 ? `term >= ${bind(token)} AND term < ${bind(`${token}\u{10FFFF}`)}` : `term = ${bind(token)}`;
  };
  // Every candidate holds at least one counted phrase (countedWhenPresent),
  // so grouping the candidates' instances yields every candidate.
  const candidate = "doc IN (SELECT rid FROM m)";
  if (phrase.tokens.length === 1) return `SELECT doc, ${index} AS p, col FROM "${instances}" WHERE ${termCondition(0)} AND ${candidate}`;
  const names = phrase.tokens.map((_, j) => `t${index}_${j}`);
  names.forEach((name, j) => ctes.push(`${name}(doc, col, offset) AS MATERIALIZED (SELECT doc, col, offset FROM "${instances}" WHERE ${termCondition(j)} AND ${candidate})`));
  const on = names.slice(1).map((name, j) => `JOIN ${name} ON ${name}.doc = ${names[0]}.doc AND ${name}.col = ${names[0]}.col AND ${name}.offset = ${names[0]}.offset + ${j + 1}`);
  return `SELECT ${names[0]}.doc AS doc, ${index} AS p, ${names[0]}.col AS col FROM ${names[0]} ${on.join(" ")}`;
}

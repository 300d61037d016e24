/**
 * `impossibledb query`: a plain query (filter, order, select) or a search
 * or geo one, printed as a table or, with --json, as NDJSON. It shows at
 * most --limit documents (QUERY_LIMIT_DEFAULT, 100, unless given), and says
 * on stderr when more match, since "100 documents" alone reads as the
 * number of matches: it asks for one document more than it shows, and that
 * one's presence is the answer. The note goes to stderr in --json mode
 * too, so stdout stays JSON lines.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { Option, type Command } from "commander";
import type { ImpossibleDBClient } from "../node.js";
import { QUERY_COUNT_MAX } from "../limits.js";
import { collectionArgument, integerArgument } from "./arguments.js";
import { CliError } from "./errors.js";
import { sortSpec } from "./field-specs.js";
import { QUERY_LIMIT_DEFAULT } from "./limits.js";
import { queryTarget, selectedPaths } from "./query-args.js";
import { cellText, counted, formatTable, scoreText } from "./table.js";

/** The options of `query`, as commander hands them over. */
interface QueryCommandOptions {
  filter?: string;
  orderBy?: string[];
  limit: number;
  select?: string;
  search?: string;
  exact?: boolean;
  near?: string;
  within?: string;
  json?: boolean;
}

/** One result as the command prints it: the document, and its score or distance when the query has them. */
interface Row {
  readonly id: string;
  readonly data: Record<string, unknown>;
  readonly score?: number;
  readonly distanceMeters?: number;
}

/** Adds `query` to `cli`; `client` makes the client when the arguments are good. */
export function addQueryCommand(cli: Command, client: () => ImpossibleDBClient): void {
  cli
    .command("query")
    .description("run a query and print the documents as a table, or --json as NDJSON")
    .argument("<collection>", "the collection", collectionArgument)
    .option("--filter <expr>", 'an AIP-160 filter, e.g. \'age > 21 AND status = "active"\'')
    .option("--order-by <spec...>", "sort fields as FIELD or FIELD:desc, most significant first")
    .addOption(new Option("--limit <n>", "the most documents to print; a note on stderr says when more match").argParser(integerArgument).default(QUERY_LIMIT_DEFAULT))
    .option("--select <fields>", "comma-separated field paths to return")
    .option("--search <text>", "full-text search over the collection's search index, ranked by score (see search-index)")
    .option("--exact", "with --search: no typo tolerance")
    .option("--near <lat,lng,meters>", "only documents within METERS of the point (the search index's geo field), nearest first")
    .option("--within <lat,lng,lat,lng>", "only documents inside the box from its south-west to its north-east corner (the search index's geo field)")
    .option("--json", "print one {id, data} JSON object a line (with --search, also its score; with --near, its distanceMeters)")
    .action(async (collection: string, opts: QueryCommandOptions) => {
      if (opts.limit < 1) throw new CliError("--limit must be at least 1");
      if (opts.limit > QUERY_COUNT_MAX) throw new CliError(`--limit must be at most ${QUERY_COUNT_MAX}`);
      // Every option is checked before the client is made: a refusal exits 2 with nothing sent.
      const target = queryTarget(opts);
      const select = selectedPaths(opts.select);
      // One more than is shown: its presence says that more match.
      const q = client().collection(collection).query().limit(Math.min(opts.limit + 1, QUERY_COUNT_MAX));
      if (opts.filter !== undefined) q.filter(opts.filter);
      let rows: Row[];
      if (target !== null) {
        if (target.search !== undefined) q.search(target.search.text, { exact: target.search.exact });
        if (target.near !== undefined) q.near(target.near.center, target.near.meters);
        if (target.within !== undefined) q.within(target.within);
        if (select !== undefined) q.select(...select);
        const scored = opts.search !== undefined;
        const measured = opts.near !== undefined;
        rows = (await q.hits()).map((h) => ({ id: h.doc.id, data: h.doc.data, ...(scored ? { score: h.score } : {}), ...(measured ? { distanceMeters: h.distanceMeters } : {}) }));
      } else {
        for (const spec of opts.orderBy ?? []) {
          const { field, direction } = sortSpec(spec, `--order-by ${spec}`);
          q.sort(field, direction);
        }
        if (select !== undefined) q.select(...select);
        rows = (await q.execute()).map((d) => ({ id: d.id, data: d.data }));
      }
      const more = rows.length > opts.limit;
      printRows(rows.slice(0, opts.limit), opts.json === true, opts.search !== undefined, opts.near !== undefined);
      if (more) console.error(`first ${counted(opts.limit, "document")}; more match: use --limit N to see more`);
      else if (opts.json !== true) console.error(counted(rows.length, "document"));
    });
}

/** Prints `rows` on stdout: NDJSON, or a table with a score and a meters column when the query has them. */
function printRows(rows: readonly Row[], json: boolean, scored: boolean, measured: boolean): void {
  if (json) {
    process.stdout.write(
      rows.map((r) => JSON.stringify({ id: r.id, ...(scored ? { score: r.score } : {}), ...(measured ? { distanceMeters: r.distanceMeters } : {}), data: r.data }) + "\n").join(""),
    );
    return;
  }
  const fields = [...new Set(rows.flatMap((r) => Object.keys(r.data)))];
  const table = rows.map((r) => [
    r.id,
    ...(scored ? [scoreText(r.score ?? 0)] : []),
    ...(measured ? [(r.distanceMeters ?? 0).toFixed(1)] : []),
    ...fields.map((f) => cellText(Object.hasOwn(r.data, f) ? (r.data[f] as JsonValue) : undefined)),
  ]);
  process.stdout.write(formatTable(["id", ...(scored ? ["score"] : []), ...(measured ? ["meters"] : []), ...fields], table));
}

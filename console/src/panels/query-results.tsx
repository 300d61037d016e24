/**
 * The query playground's answer: a page of documents (with "Next page" when
 * the server has more) or a table of aggregation groups.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { QueryPlan } from "../../../gen/impossibledb/v1/query_pb.js";
import type { OrderTerm } from "../order-text.js";

/** The query as sent, so "Next page" asks for the same one whatever the boxes say by then. */
export interface QueryInput {
  readonly collection: string;
  readonly filter: string;
  readonly orderBy: OrderTerm[];
  readonly limit: number;
}

/** What the last run answered: a page of documents, or aggregation groups. */
export type Results =
  | {
      readonly kind: "documents";
      /** Each document's id and its text: typed fields' protobuf JSON when it has any, else its JSON data (json-text.ts resultText). */
      readonly rows: ReadonlyArray<{ id: string; text: string }>;
      readonly query: QueryInput;
      readonly pageNumber: number;
      readonly nextPageToken: string;
      readonly plan: QueryPlan | undefined;
    }
  | { readonly kind: "groups"; readonly rows: ReadonlyArray<{ key: JsonValue[]; results: Record<string, JsonValue> }>; readonly plan: QueryPlan | undefined };

/** A page of documents. */
export type DocumentResults = Extract<Results, { kind: "documents" }>;

/** Shows `results`; `onNextPage` asks for the page after a page of documents. */
export function ResultsTable({ results, onNextPage }: { results: Results; onNextPage: (from: DocumentResults) => void }) {
  if (results.kind === "groups") {
    return (
      <table class="results" aria-label="aggregation results">
        <thead>
          <tr>
            <th>group</th>
            <th>result</th>
          </tr>
        </thead>
        <tbody>
          {results.rows.map((g, i) => (
            <tr key={i}>
              <td>{JSON.stringify(g.key)}</td>
              <td>
                <code>{JSON.stringify(g.results)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return (
    <div>
      <p class="row muted">
        <span>
          {results.rows.length} document{results.rows.length === 1 ? "" : "s"}
          {results.pageNumber > 1 || results.nextPageToken !== "" ? ` on page ${results.pageNumber}` : ""}
        </span>
        {results.nextPageToken === "" ? null : (
          <button type="button" onClick={() => onNextPage(results)}>
            Next page
          </button>
        )}
      </p>
      <table class="results" aria-label="query results">
        <thead>
          <tr>
            <th>id</th>
            <th>data</th>
          </tr>
        </thead>
        <tbody>
          {results.rows.map((row) => (
            <tr key={row.id}>
              <td class="doc-id">{row.id}</td>
              <td>
                <code>{row.text}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

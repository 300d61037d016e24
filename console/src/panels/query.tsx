/**
 * The query playground: a collection, AIP-160 filter text, an order, a
 * limit and, optionally, one aggregation (with group-by fields, and then no
 * order or limit); it runs RunQuery (or RunAggregationQuery) with Explain and shows the results beside a
 * picture of the plan.
 */
import { toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { Aggregation_Function, type QueryPlan } from "../../../gen/impossibledb/v1/query_pb.js";
import { useClients } from "../connection.js";
import { ErrorLine, describeError, type ShownError } from "../errors.js";
import { parseOrderText } from "../order-text.js";
import { ExplainPicture } from "./explain.js";

/** Documents per RunQuery page in the playground; RunQuery allows up to 1000. */
export const QUERY_PAGE_SIZE = 100;

const AGGREGATIONS: ReadonlyArray<{ label: string; fn: Aggregation_Function | null }> = [
  { label: "none", fn: null },
  { label: "count", fn: Aggregation_Function.COUNT },
  { label: "sum", fn: Aggregation_Function.SUM },
  { label: "avg", fn: Aggregation_Function.AVG },
  { label: "min", fn: Aggregation_Function.MIN },
  { label: "max", fn: Aggregation_Function.MAX },
];

type Results =
  | { readonly kind: "documents"; readonly rows: ReadonlyArray<{ id: string; data: JsonObject }>; readonly more: boolean; readonly plan: QueryPlan | undefined }
  | { readonly kind: "groups"; readonly rows: ReadonlyArray<{ key: JsonValue[]; results: Record<string, JsonValue> }>; readonly plan: QueryPlan | undefined };

/** The Query panel. */
export function QueryPanel() {
  const { queries } = useClients();
  const [collection, setCollection] = useState("");
  const [filter, setFilter] = useState("");
  const [order, setOrder] = useState("");
  const [limit, setLimit] = useState("");
  const [aggregation, setAggregation] = useState("none");
  const [aggregationField, setAggregationField] = useState("");
  const [groupBy, setGroupBy] = useState("");
  const [results, setResults] = useState<Results | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);

  const aggregating = aggregation !== "none";

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const fn = AGGREGATIONS.find((a) => a.label === aggregation)?.fn ?? null;
      if (fn === null) {
        const query = { collection: collection.trim(), filter, orderBy: parseOrderText(order), limit: limit === "" ? 0 : Number(limit) };
        const res = await queries.runQuery({ query, pageSize: QUERY_PAGE_SIZE, explain: true });
        setResults({ kind: "documents", rows: res.documents.map((d) => ({ id: d.id, data: d.data ?? {} })), more: res.nextPageToken !== "", plan: res.plan });
      } else {
        // An aggregation's query leaves order and limit unset (the server refuses them).
        const query = { collection: collection.trim(), filter };
        const aggregations = [{ alias: aggregation, function: fn, field: aggregationField.trim() }];
        const res = await queries.runAggregationQuery({ query, aggregations, groupBy: splitFields(groupBy), explain: true });
        const rows = res.groups.map((g) => ({ key: g.key.map(jsonOf), results: Object.fromEntries(Object.entries(g.results).map(([k, v]) => [k, jsonOf(v)])) }));
        setResults({ kind: "groups", rows, plan: res.plan });
      }
    } catch (err) {
      setResults(null);
      setError(err instanceof Error && err.message.startsWith("order by:") ? { code: "invalid_argument", message: err.message } : describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel query" data-panel="query" aria-label="Query">
      <form
        class="query-form"
        aria-label="query"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          Collection <input value={collection} required onInput={(e) => setCollection(e.currentTarget.value)} />
        </label>
        <label class="wide">
          Filter <input value={filter} placeholder='age > 21 AND city = "Oslo"' onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <label>
          Order by <input value={order} placeholder="age desc, name" disabled={aggregating} onInput={(e) => setOrder(e.currentTarget.value)} />
        </label>
        <label>
          Limit <input class="narrow" value={limit} inputMode="numeric" disabled={aggregating} onInput={(e) => setLimit(e.currentTarget.value)} />
        </label>
        <label>
          Aggregation{" "}
          <select value={aggregation} onChange={(e) => setAggregation(e.currentTarget.value)}>
            {AGGREGATIONS.map((a) => (
              <option key={a.label} value={a.label}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
        {aggregating && aggregation !== "count" ? (
          <label>
            of field <input value={aggregationField} onInput={(e) => setAggregationField(e.currentTarget.value)} />
          </label>
        ) : null}
        {aggregating ? (
          <label>
            Group by <input value={groupBy} placeholder="city, year" onInput={(e) => setGroupBy(e.currentTarget.value)} />
          </label>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          Run
        </button>
      </form>
      <ErrorLine error={error} />
      {results === null ? null : (
        <div class="query-results">
          <ResultsTable results={results} />
          {results.plan === undefined ? null : <ExplainPicture plan={results.plan} />}
        </div>
      )}
    </section>
  );
}

/** Comma-separated field names, blanks dropped. */
function splitFields(text: string): string[] {
  return text
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "");
}

function jsonOf(value: Value): JsonValue {
  return toJson(ValueSchema, value);
}

function ResultsTable({ results }: { results: Results }) {
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
      <p class="muted" data-result-count={results.rows.length}>
        {results.rows.length} document{results.rows.length === 1 ? "" : "s"}
        {results.more ? ` (the first ${QUERY_PAGE_SIZE}; there are more)` : ""}
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
                <code>{JSON.stringify(row.data)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

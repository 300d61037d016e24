/**
 * The query playground: a collection, AIP-160 filter text, an order, a
 * limit and, optionally, one aggregation (with group-by fields, and then no
 * order or limit); it runs RunQuery (or RunAggregationQuery) with Explain and shows the results beside a
 * picture of the plan.
 */
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { Aggregation_Function } from "../../../gen/impossibledb/v1/query_pb.js";
import { useClients } from "../connection.js";
import { ErrorLine } from "../error-line.js";
import { InputError, describeError, type ShownError } from "../errors.js";
import { resultText } from "../json-text.js";
import { parseOrderText } from "../order-text.js";
import { ExplainPicture } from "./explain.js";
import { ResultsTable, type QueryInput, type Results } from "./query-results.js";

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

  const call = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setResults(null);
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const runPage = (query: QueryInput, pageToken: string, pageNumber: number) =>
    call(async () => {
      const res = await queries.runQuery({ query, pageSize: QUERY_PAGE_SIZE, pageToken, explain: true });
      // The typed form when a document has one, as Browse shows it: `data` rounds integers past 2^53.
      const rows = res.documents.map((d) => ({ id: d.id, text: resultText(d) }));
      setResults({ kind: "documents", rows, query, pageNumber, nextPageToken: res.nextPageToken, plan: res.plan });
    });

  const run = () => {
    const fn = AGGREGATIONS.find((a) => a.label === aggregation)?.fn ?? null;
    if (fn === null) {
      return call(async () => {
        if (!/^[0-9]*$/.test(limit.trim())) throw new InputError(`limit: "${limit}" is not a whole number`);
        const query = { collection: collection.trim(), filter, orderBy: parseOrderText(order), limit: Number(limit.trim() || "0") };
        await runPage(query, "", 1);
      });
    }
    return call(async () => {
      // An aggregation's query leaves order and limit unset (the server refuses them).
      const query = { collection: collection.trim(), filter };
      const aggregations = [{ alias: aggregation, function: fn, field: aggregationField.trim() }];
      const res = await queries.runAggregationQuery({ query, aggregations, groupBy: splitFields(groupBy), explain: true });
      const rows = res.groups.map((g) => ({ key: g.key.map(jsonOf), results: Object.fromEntries(Object.entries(g.results).map(([k, v]) => [k, jsonOf(v)])) }));
      setResults({ kind: "groups", rows, plan: res.plan });
    });
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
          <ResultsTable results={results} onNextPage={(r) => void runPage(r.query, r.nextPageToken, r.pageNumber + 1)} />
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


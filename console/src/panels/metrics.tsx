/**
 * Per-method metrics from AdminService.GetMetrics: calls by Connect code
 * and latency percentiles, as counted by the Worker isolate that answers
 * (under `npm start` there is one; on Cloudflare each isolate counts its own).
 */
import { useClients } from "../connection.js";
import { ErrorLine } from "../error-line.js";
import { formatMs, formatTime } from "../format.js";
import { useCall } from "../use-call.js";
import { BarChart } from "./bar-chart.js";

/** The Metrics panel. */
export function MetricsPanel() {
  const { admin } = useClients();
  const state = useCall(() => admin.getMetrics({}), [admin]);
  const methods = state.data?.methods ?? [];
  const shortName = (method: string) => method.replace(/^impossibledb\.v1\./, "");
  return (
    <section class="panel metrics" data-panel="metrics" aria-label="Metrics">
      <div class="row">
        <h2>Calls and latency</h2>
        <button type="button" onClick={state.reload} disabled={state.loading}>
          Refresh
        </button>
      </div>
      <ErrorLine error={state.error} />
      {state.data?.startTime ? (
        <p class="muted">
          Counted by one Worker isolate since {formatTime(state.data.startTime)}.
        </p>
      ) : null}
      <table class="results" aria-label="methods">
        <thead>
          <tr>
            <th>method</th>
            <th>database</th>
            <th class="num">calls</th>
            <th>by code</th>
            <th class="num">p50</th>
            <th class="num">p99</th>
            <th class="num">max</th>
          </tr>
        </thead>
        <tbody>
          {methods.map((m) => (
            <tr key={`${m.method} ${m.database}`} data-method={m.method} data-database={m.database}>
              <td>{shortName(m.method)}</td>
              <td>{m.database}</td>
              <td class="num calls">{String(m.count)}</td>
              <td>
                {Object.entries(m.countByCode)
                  .map(([code, n]) => `${code} ${n}`)
                  .join(", ")}
              </td>
              <td class="num">{formatMs(m.latencyP50Ms)}</td>
              <td class="num">{formatMs(m.latencyP99Ms)}</td>
              <td class="num">{formatMs(m.latencyMaxMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {methods.length === 0 ? null : (
        <BarChart title="calls per method" labelWidthPx={170} bars={methods.map((m) => ({ label: `${shortName(m.method).split("/")[1] ?? m.method}${m.database === "default" || m.database === "" ? "" : ` (${m.database})`}`, value: Number(m.count), text: String(m.count) }))} />
      )}
    </section>
  );
}

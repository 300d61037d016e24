/**
 * The shard map: the routing table (version, hash function, virtual nodes)
 * and, per shard, its documents, bytes and recent request rate, as a table
 * and as charts, with each shard's rate as a line over the refreshes since
 * the panel opened, and the latest resharding with its progress and the
 * split advice (resharding.tsx). It refreshes itself while shown.
 */
import { useEffect, useState } from "preact/hooks";
import { useClients } from "../connection.js";
import { ErrorLine } from "../error-line.js";
import { formatBytes, formatRate, formatTime } from "../format.js";
import { useCall } from "../use-call.js";
import { BarChart } from "./bar-chart.js";
import { ReshardingFacts } from "./resharding.js";
import { Sparkline } from "./sparkline.js";

/** How often the shard map asks again while it is shown. */
export const SHARDS_REFRESH_INTERVAL_MS = 5000;
/** Request-rate samples kept per shard for its sparkline: 5 minutes at one per refresh. */
export const RATE_SAMPLES_MAX = 60;

/** The Shards panel. */
export function ShardsPanel() {
  const { admin } = useClients();
  const state = useCall(async () => {
    const [routing, shards] = await Promise.all([admin.getRoutingTable({}), admin.listShards({})]);
    return { table: routing.table!, shards: shards.shards, listedVersion: shards.routingVersion };
  }, [admin]);
  const resharding = useCall(() => admin.getResharding({}), [admin]);
  useEffect(() => {
    const timer = setInterval(() => {
      state.reload();
      resharding.reload();
    }, SHARDS_REFRESH_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [state.reload, resharding.reload]);
  const data = state.data;
  // Each answer adds one sample per shard: the rate's history while the panel is shown.
  const [rates, setRates] = useState<ReadonlyMap<string, readonly number[]>>(new Map());
  useEffect(() => {
    if (data === null) return;
    setRates((before) => new Map(data.shards.map((s) => [s.id, [...(before.get(s.id) ?? []), s.requestsPerSecond].slice(-RATE_SAMPLES_MAX)])));
  }, [data]);
  const rateMax = Math.max(0, ...[...rates.values()].flat());

  return (
    <section class="panel shards" data-panel="shards" aria-label="Shards">
      <div class="row">
        <h2>Shard map</h2>
        <button
          type="button"
          onClick={() => {
            state.reload();
            resharding.reload();
          }}
          disabled={state.loading}
        >
          Refresh
        </button>
      </div>
      <ErrorLine error={state.error} />
      <ErrorLine error={resharding.error} />
      {resharding.data === null ? null : <ReshardingFacts resharding={resharding.data.resharding} advice={resharding.data.advice} />}
      {data === null ? null : (
        <>
          <dl class="facts">
            <dt>routing table version</dt>
            <dd data-routing-version={String(data.table.version)}>{String(data.table.version)}</dd>
            <dt>shards</dt>
            <dd>{data.table.shards.length}</dd>
            <dt>hash</dt>
            <dd>
              {data.table.hashFunction}, {data.table.virtualNodesPerShard} virtual nodes per shard
            </dd>
            <dt>updated</dt>
            <dd>{formatTime(data.table.updateTime)}</dd>
          </dl>
          <table class="results" aria-label="shards">
            <thead>
              <tr>
                <th>shard</th>
                <th class="num">documents</th>
                <th class="num">data</th>
                <th class="num">requests</th>
                <th>since this page opened</th>
                <th class="num">schema</th>
              </tr>
            </thead>
            <tbody>
              {data.shards.map((s) => (
                <tr key={s.id} data-shard={s.id}>
                  <td>{s.id}</td>
                  <td class="num">{String(s.documentCount)}</td>
                  <td class="num">{formatBytes(Number(s.dataBytes))}</td>
                  <td class="num">{formatRate(s.requestsPerSecond)}</td>
                  <td>
                    <Sparkline values={rates.get(s.id) ?? []} maxValue={rateMax} label={`${s.id} requests per second`} />
                  </td>
                  <td class="num">{s.schemaVersion}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="charts">
            <BarChart title="documents" bars={data.shards.map((s) => ({ label: s.id, value: Number(s.documentCount), text: String(s.documentCount) }))} />
            <BarChart title="data" bars={data.shards.map((s) => ({ label: s.id, value: Number(s.dataBytes), text: formatBytes(Number(s.dataBytes)) }))} />
            <BarChart title="requests per second (last minute)" bars={data.shards.map((s) => ({ label: s.id, value: s.requestsPerSecond, text: formatRate(s.requestsPerSecond) }))} />
          </div>
          <p class="muted">
            Request rates are approximate: each shard counts its calls in memory over the last minute, from when its object last started.
          </p>
        </>
      )}
    </section>
  );
}

/**
 * A probe beside the load: one AdminService.GetRoutingTable at a time,
 * every PROBE_INTERVAL_MS, on a socket of its own. The Worker answers it
 * from its routing cache without calling any Durable Object, so its latency
 * tells a stall of the whole server (locally one workerd thread runs the
 * Worker and every object) from a wait at one shard: if the probe stalls
 * with the load, the server as a whole was not answering.
 */
import { createClient, type Transport } from "@connectrpc/connect";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";

/** Pause between one probe's answer and the next probe. */
const PROBE_INTERVAL_MS = 50;

/** One probe; times are the harness's performance.now(), ms. */
export interface Probe {
  readonly startMs: number;
  readonly endMs: number;
  readonly error: string | null;
}

export function startProbe(transport: Transport): { stop(): Promise<Probe[]> } {
  const admin = createClient(AdminService, transport);
  const probes: Probe[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const startMs = performance.now();
      let error: string | null = null;
      try {
        await admin.getRoutingTable({});
      } catch (err) {
        error = String(err);
      }
      probes.push({ startMs, endMs: performance.now(), error });
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return probes;
    },
  };
}

/** The probes sent in [fromMs, toMs): how many, the longest, and how many failed. */
export function probeStats(probes: readonly Probe[], fromMs: number, toMs: number): { probes: number; longestMs: number; errors: number } {
  const inWindow = probes.filter((p) => p.startMs >= fromMs && p.startMs < toMs);
  return {
    probes: inWindow.length,
    longestMs: Math.round(Math.max(0, ...inWindow.map((p) => p.endMs - p.startMs)) * 10) / 10,
    errors: inWindow.filter((p) => p.error !== null).length,
  };
}

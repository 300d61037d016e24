/**
 * A probe beside the load: one plain HTTP GET of a path the Worker does not
 * serve (PROBE_PATH; it answers 404) at a time, every PROBE_INTERVAL_MS, on
 * a socket of its own. No Durable Object is called (not even the shard
 * manager, which GetRoutingTable reads fresh), so its latency tells a stall
 * of the whole server (locally one workerd thread runs the Worker and every
 * object) from a wait at a shard: if the probe stalls with the load, the
 * server as a whole was not answering.
 */
import http from "node:http";

/** Pause between one probe's answer and the next probe. */
const PROBE_INTERVAL_MS = 50;
/** A path no route serves: the Worker's router answers 404 itself. */
const PROBE_PATH = "/bench-probe-not-a-route";

/** One probe; times are the harness's performance.now(), ms. */
export interface Probe {
  readonly startMs: number;
  readonly endMs: number;
  readonly error: string | null;
}

export function startProbe(baseUrl: string): { stop(): Promise<Probe[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const probes: Probe[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const startMs = performance.now();
      let error: string | null = null;
      try {
        await get(agent, `${baseUrl}${PROBE_PATH}`);
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
      agent.destroy();
      return probes;
    },
  };
}

/** GETs `url`; any HTTP answer counts (the body is read and dropped). */
function get(agent: http.Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
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

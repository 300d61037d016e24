/**
 * CPU accounting from /proc (Linux): the harness's own CPU (the load
 * generator shares the machine's cores with the systems it drives) and each
 * server's, summed over a process and all its descendants. Ticks are 1/100 s
 * (USER_HZ), so runs shorter than about a second read coarsely.
 */
import { readFile, readdir } from "node:fs/promises";

const TICKS_PER_SECOND = 100;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime, in seconds. */
  readonly cpuSeconds: number;
}

async function readStat(pid: number): Promise<ProcStat | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // comm may contain spaces and parentheses: split after the last ')'.
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, comm, ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return null; // the process ended between listing and reading
  }
}

async function allStats(): Promise<ProcStat[]> {
  const pids = (await readdir("/proc")).filter((n) => /^\d+$/.test(n)).map(Number);
  return (await Promise.all(pids.map(readStat))).filter((s): s is ProcStat => s !== null);
}

function descendantsOf(stats: readonly ProcStat[], roots: readonly number[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const found: ProcStat[] = [];
  const queue = stats.filter((s) => roots.includes(s.pid));
  while (queue.length > 0) {
    const next = queue.pop()!;
    found.push(next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  return found;
}

/** The workerd processes this harness started (Miniflare spawns them as our descendants). */
export async function workerdPids(): Promise<number[]> {
  const stats = await allStats();
  return descendantsOf(stats, [process.pid]).filter((s) => s.comm.startsWith("workerd")).map((s) => s.pid);
}

/** CPU seconds used so far by `roots` and their descendants. */
export async function treeCpuSeconds(roots: readonly number[]): Promise<number> {
  if (roots.length === 0) return 0;
  return descendantsOf(await allStats(), roots).reduce((sum, s) => sum + s.cpuSeconds, 0);
}

/** A CPU meter over one run: the harness's own process and a server's process tree. */
export interface CpuMeter {
  stop(): Promise<{ harnessCores: number; harnessCpuSeconds: number; serverCores: number; serverCpuSeconds: number }>;
}

export async function startCpuMeter(serverRoots: readonly number[]): Promise<CpuMeter> {
  const wall0 = performance.now();
  const own0 = process.cpuUsage();
  const server0 = await treeCpuSeconds(serverRoots);
  return {
    async stop() {
      const wallSeconds = (performance.now() - wall0) / 1000;
      const own = process.cpuUsage(own0);
      const serverCpuSeconds = (await treeCpuSeconds(serverRoots)) - server0;
      const harnessCpuSeconds = (own.user + own.system) / 1e6;
      return {
        harnessCores: harnessCpuSeconds / wallSeconds,
        harnessCpuSeconds,
        serverCores: serverCpuSeconds / wallSeconds,
        serverCpuSeconds,
      };
    },
  };
}

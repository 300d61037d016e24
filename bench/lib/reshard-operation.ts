/**
 * Starts the resharding (AdminService.StartResharding) and polls
 * GetResharding until it reports phase DONE, noting when the harness first
 * saw each phase. Those client-side times (accurate to one poll) cut the
 * load into the move's phases; the server's own figures (documents copied,
 * cutover_millis, start and end time) are kept as it reported them.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { AdminService, Resharding_Phase, Resharding_State, type Resharding } from "../../gen/impossibledb/v1/admin_service_pb.js";

/** The first poll that saw a phase. */
export interface PhaseSeen {
  readonly phase: string;
  /** The harness's performance.now() when the answer arrived. */
  readonly seenAtMs: number;
  /** When the poll before it answered: the phase began between the two. */
  readonly previousPollAtMs: number;
  readonly documentsCopied: number;
}

/** What the server reported at the end, in plain numbers. */
export interface ReshardingOutcome {
  readonly state: string;
  readonly sourceShardCount: number;
  readonly targetShardCount: number;
  readonly sourceRoutingVersion: number;
  readonly targetRoutingVersion: number;
  readonly documentsCopied: number;
  readonly documentsTotal: number;
  readonly cutoverMillis: number;
  /** end_time - start_time, by the server's clock. */
  readonly serverWallMs: number;
  readonly errors: readonly string[];
}

export interface ReshardingRun {
  /** performance.now() just before StartResharding was sent, and when DONE was first seen. */
  readonly startedAtMs: number;
  readonly doneSeenAtMs: number;
  readonly phases: readonly PhaseSeen[];
  readonly outcome: ReshardingOutcome;
  readonly polls: number;
  /** GetResharding calls that failed (each is reported; the poll goes on). */
  readonly pollErrors: ReadonlyArray<{ atMs: number; error: string }>;
}

/** Most poll errors kept for the report; more are counted but not kept. */
const POLL_ERRORS_KEPT_MAX = 20;

export async function runResharding(
  transport: Transport,
  shardCount: number,
  options: { pollMs: number; timeoutMs: number; log: (line: string) => void; throttle?: { sourcesAtOnce: number; restRatio?: number } },
): Promise<ReshardingRun> {
  const admin = createClient(AdminService, transport);
  const startedAtMs = performance.now();
  const { resharding: started } = await admin.startResharding({ shardCount, throttle: options.throttle });
  if (started === undefined) throw new Error("StartResharding answered without the operation");
  let lastPollAtMs = performance.now();
  const phases: PhaseSeen[] = [{ phase: Resharding_Phase[started.phase], seenAtMs: lastPollAtMs, previousPollAtMs: startedAtMs, documentsCopied: Number(started.documentsCopied) }];
  const pollErrors: Array<{ atMs: number; error: string }> = [];
  let polls = 0;
  let lastLogMs = startedAtMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, options.pollMs));
    const nowMs = performance.now();
    if (nowMs - startedAtMs > options.timeoutMs) throw new Error(`the resharding was still at ${phases.at(-1)!.phase} after ${options.timeoutMs} ms`);
    let current: Resharding | undefined;
    try {
      polls++;
      current = (await admin.getResharding({})).resharding;
    } catch (err) {
      if (pollErrors.length < POLL_ERRORS_KEPT_MAX) pollErrors.push({ atMs: nowMs, error: err instanceof ConnectError ? err.message : String(err) });
      continue;
    }
    if (current === undefined || current.id !== started.id) throw new Error(`GetResharding lost the operation ${started.id}`);
    const seenAtMs = performance.now();
    const phase = Resharding_Phase[current.phase];
    if (phase !== phases.at(-1)!.phase) {
      phases.push({ phase, seenAtMs, previousPollAtMs: lastPollAtMs, documentsCopied: Number(current.documentsCopied) });
      options.log(`resharding: ${phase} at ${((seenAtMs - startedAtMs) / 1000).toFixed(1)} s, ${current.documentsCopied} documents copied`);
    } else if (seenAtMs - lastLogMs > 10_000) {
      lastLogMs = seenAtMs;
      options.log(`resharding: still ${phase}, ${current.documentsCopied}/${current.documentsTotal} documents copied`);
    }
    lastPollAtMs = seenAtMs;
    if (current.phase === Resharding_Phase.DONE) return { startedAtMs, doneSeenAtMs: seenAtMs, phases, outcome: outcomeOf(current), polls, pollErrors };
  }
}

function outcomeOf(r: Resharding): ReshardingOutcome {
  const start = r.startTime === undefined ? NaN : timestampMs(r.startTime);
  const end = r.endTime === undefined ? NaN : timestampMs(r.endTime);
  return {
    state: Resharding_State[r.state],
    sourceShardCount: r.sourceShardCount,
    targetShardCount: r.targetShardCount,
    sourceRoutingVersion: Number(r.sourceRoutingVersion),
    targetRoutingVersion: Number(r.targetRoutingVersion),
    documentsCopied: Number(r.documentsCopied),
    documentsTotal: Number(r.documentsTotal),
    cutoverMillis: Number(r.cutoverMillis),
    serverWallMs: end - start,
    errors: [...r.errors],
  };
}

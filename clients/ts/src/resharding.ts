/**
 * Following a live resharding. AdminService.StartResharding answers at once
 * and the shard manager moves the documents in the background, so a caller
 * that needs the new shard count (a script, a test, the CLI's
 * `reshard --wait`) polls GetResharding until the operation reaches phase
 * DONE. `waitForResharding` is that loop, with a bound on its length, so
 * nobody writes it again with a subtle difference (waiting for the state
 * instead of the phase, say: a cancelled resharding is CANCELLED at once,
 * while its rollback is still running).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { Resharding_Phase, type Resharding, type ShardCountAdvice } from "./gen/impossibledb/v1/admin_service_pb.js";
import { RESHARDING_POLL_INTERVAL_MS_DEFAULT, RESHARDING_WAIT_TIMEOUT_MS_DEFAULT } from "./limits.js";
import type { Services } from "./services.js";
import { checkOptions, type OptionKinds } from "./options.js";

/** Options of waitForResharding. */
export interface WaitForReshardingOptions {
  /**
   * The operation to wait for (Resharding.id, as StartResharding answered);
   * when another one is the latest, the wait fails with FAILED_PRECONDITION.
   * Default: whichever is the latest.
   */
  id?: string;
  /** Between two GetResharding calls; default RESHARDING_POLL_INTERVAL_MS_DEFAULT. */
  intervalMs?: number;
  /** The whole wait; past it, DEADLINE_EXCEEDED (the resharding goes on). Default RESHARDING_WAIT_TIMEOUT_MS_DEFAULT. */
  timeoutMs?: number;
  /** Stops the wait (not the resharding) with the signal's reason. */
  signal?: AbortSignal;
  /** Called with every answer of GetResharding, the last included. */
  onProgress?: (resharding: Resharding, advice: ShardCountAdvice | undefined) => void;
}

/** Every key of WaitForReshardingOptions (options.ts refuses any other). */
const WAIT_FOR_RESHARDING_OPTIONS = { id: "string", intervalMs: "number", timeoutMs: "number", signal: "signal", onProgress: "function" } as const satisfies OptionKinds<WaitForReshardingOptions>;

/**
 * Codes of a poll that learned nothing but may succeed later: the shard
 * manager was busy past the call's deadline (it answers after its current
 * step, and a cutover's steps are long on a loaded machine), unreachable, or
 * rate limited. The wait polls again instead of ending with them: ending a
 * wait whose resharding then succeeded made a script (`reshard --wait`)
 * report a failure that never happened.
 */
const POLL_AGAIN_CODES: ReadonlySet<Code> = new Set([Code.DeadlineExceeded, Code.Unavailable, Code.ResourceExhausted]);

/**
 * Polls GetResharding on `client`'s database until the resharding is in
 * phase DONE, and returns it: check its `state` (SUCCEEDED, FAILED or
 * CANCELLED) and `errors`. Waiting never changes the operation.
 * NOT_FOUND when no resharding has run. A poll that failed with
 * DEADLINE_EXCEEDED, UNAVAILABLE or RESOURCE_EXHAUSTED is made again at the
 * next interval; when the whole wait ends on such failures, its
 * DEADLINE_EXCEEDED names the last of them.
 */
export async function waitForResharding(client: { readonly services: Pick<Services, "admin"> }, options: WaitForReshardingOptions = {}): Promise<Resharding> {
  checkOptions("waitForResharding", options, WAIT_FOR_RESHARDING_OPTIONS);
  const intervalMs = options.intervalMs ?? RESHARDING_POLL_INTERVAL_MS_DEFAULT;
  const timeoutMs = options.timeoutMs ?? RESHARDING_WAIT_TIMEOUT_MS_DEFAULT;
  if (!(intervalMs > 0) || !(timeoutMs > 0)) throw new RangeError("waitForResharding: intervalMs and timeoutMs must be positive");
  const deadline = Date.now() + timeoutMs;
  // The loop's bound: one poll per interval until the deadline, and the first.
  const pollsMax = Math.ceil(timeoutMs / intervalMs) + 1;
  let lastFailure: ConnectError | undefined;
  for (let poll = 0; poll < pollsMax; poll++) {
    options.signal?.throwIfAborted();
    let answer;
    try {
      answer = await client.services.admin.getResharding({}, { signal: options.signal, timeoutMs: Math.max(1, deadline - Date.now()) });
    } catch (err) {
      options.signal?.throwIfAborted();
      const error = ConnectError.from(err);
      if (!POLL_AGAIN_CODES.has(error.code)) throw err;
      lastFailure = error;
      const waitMs = Math.min(intervalMs, deadline - Date.now());
      if (waitMs <= 0) break;
      await sleep(waitMs, options.signal);
      continue;
    }
    lastFailure = undefined;
    const { resharding, advice } = answer;
    if (resharding === undefined) throw new ConnectError("no resharding has run on this database", Code.NotFound);
    if (options.id !== undefined && resharding.id !== options.id) {
      throw new ConnectError(`resharding ${options.id} is no longer the latest: ${resharding.id} is`, Code.FailedPrecondition);
    }
    options.onProgress?.(resharding, advice);
    if (resharding.phase === Resharding_Phase.DONE) return resharding;
    const waitMs = Math.min(intervalMs, deadline - Date.now());
    if (waitMs <= 0) break;
    await sleep(waitMs, options.signal);
  }
  const last = lastFailure === undefined ? "" : `; the last poll failed: ${Code[lastFailure.code]}: ${lastFailure.rawMessage}`;
  throw new ConnectError(`resharding not done after ${timeoutMs} ms (it goes on; wait again or cancel it)${last}`, Code.DeadlineExceeded);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", aborted, { once: true });
  });
}

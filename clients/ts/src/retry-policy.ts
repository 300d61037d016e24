/**
 * When a failed call is tried again, and how long to wait first. Pure: the
 * transport (HttpClient.ts) and runTransaction feed it codes and attempt
 * numbers and a random source, so the policy is tested without a network.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import type { OptionKinds } from "./options.js";
import { BACKOFF_INITIAL_MS_DEFAULT, BACKOFF_MAX_MS_DEFAULT, CALL_ATTEMPTS_MAX_DEFAULT } from "./limits.js";

/** How often and how patiently to retry. */
export interface RetryOptions {
  /** Attempts of one call, the first included; 1 turns retries off. */
  attemptsMax?: number;
  /** Backoff ceiling before the second attempt, in ms; doubles per attempt. */
  initialBackoffMs?: number;
  /** The largest backoff ceiling, in ms. */
  maxBackoffMs?: number;
  /** A source of uniform numbers in [0, 1); Math.random when unset. */
  random?: () => number;
}

/** Every key of RetryOptions and its kind (options.ts refuses any other key, and a value of another kind). */
export const RETRY_OPTIONS = { attemptsMax: "number", initialBackoffMs: "number", maxBackoffMs: "number", random: "function" } as const satisfies OptionKinds<RetryOptions>;

/** RetryOptions with every default filled in. */
export type RetryPolicy = Required<RetryOptions>;

/** Fills in the defaults and checks the options. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy: RetryPolicy = {
    attemptsMax: options.attemptsMax ?? CALL_ATTEMPTS_MAX_DEFAULT,
    initialBackoffMs: options.initialBackoffMs ?? BACKOFF_INITIAL_MS_DEFAULT,
    maxBackoffMs: options.maxBackoffMs ?? BACKOFF_MAX_MS_DEFAULT,
    random: options.random ?? Math.random,
  };
  if (!Number.isInteger(policy.attemptsMax) || policy.attemptsMax < 1) throw new RangeError(`attemptsMax must be an integer >= 1, got ${policy.attemptsMax}`);
  if (!(policy.initialBackoffMs >= 0) || !(policy.maxBackoffMs >= policy.initialBackoffMs)) {
    throw new RangeError(`need 0 <= initialBackoffMs <= maxBackoffMs, got ${policy.initialBackoffMs} and ${policy.maxBackoffMs}`);
  }
  return policy;
}

/**
 * True when the method may safely run twice: the contract marks it
 * NO_SIDE_EFFECTS or IDEMPOTENT. A write that failed in transit may have been
 * applied, so writes are never retried by the transport.
 */
export function isIdempotent(method: DescMethod): boolean {
  return method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS || method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT;
}

/**
 * True when the server refused the call before doing anything, so that even
 * a write may be sent again: ImpossibleDB attaches a retry delay
 * (`google.rpc.RetryInfo`) to RESOURCE_EXHAUSTED only when a rate limit
 * refused the call at the door, before any shard saw it (docs/security.md),
 * so a write refused that way was never applied and retrying it cannot apply
 * it twice. Any other failure of a write may have happened after the write,
 * and stays the caller's to decide.
 */
export function isRefusedAtTheDoor(code: Code, retryInfoDelayMs: number | undefined): boolean {
  return code === Code.ResourceExhausted && retryInfoDelayMs !== undefined;
}

/**
 * Codes that say "try again later": the server was briefly unreachable
 * (UNAVAILABLE) or overloaded (RESOURCE_EXHAUSTED).
 */
export function isTransient(code: Code): boolean {
  return code === Code.Unavailable || code === Code.ResourceExhausted;
}

/**
 * How long to wait after failed attempt number `attempt` (1 for the first):
 * "full jitter", uniform in [0, min(max, initial * 2^(attempt-1))), so that
 * clients that failed together do not retry together.
 */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  // The exponent stops growing long before 2^n overflows: a listener waiting
  // out an unreachable server counts its attempts without bound, and
  // 0 * Infinity would be NaN.
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.min(BACKOFF_DOUBLINGS_MAX, Math.max(0, attempt - 1)));
  return Math.floor(policy.random() * ceiling);
}

/** Doublings of the backoff ceiling at most; 2^52 ms outlasts any maxBackoffMs. */
const BACKOFF_DOUBLINGS_MAX = 52;

/** Waits `ms`, or less when `signal` aborts (then rejects with its reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Bounded fan-out: at most QUERY_FANOUT_CONCURRENCY_MAX shard calls of one
 * query in flight, the rest queued, and every call held to the query's
 * deadline and rows-read budget.
 */
import { FailureError } from "../errors.js";

/** Limits concurrent calls to `max`. */
export function createLimiter(max: number): <T>(call: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (call) => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await call();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** A query's clock and deadline. */
export interface Deadline {
  readonly atMs: number;
  readonly now: () => number;
}

/** Settles with `promise`, or fails DEADLINE_EXCEEDED when the deadline passes first. */
export async function withinDeadline<T>(promise: Promise<T>, deadline: Deadline): Promise<T> {
  const leftMs = deadline.atMs - deadline.now();
  if (leftMs <= 0) throw expired();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expired()), Math.min(leftMs, 2 ** 31 - 1));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

function expired(): FailureError {
  return new FailureError("deadline_exceeded", "the query ran past its deadline (QUERY_DEADLINE_MS or the call's own deadline)");
}

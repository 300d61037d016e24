/**
 * Expected refusals cross Workers RPC as values, not as thrown errors.
 *
 * A shard refuses some requests by design: "moved" (routing/moved.ts: the
 * request was routed by an older routing table; the Worker routes it
 * again) and "database deleted" (objects/tombstone.ts). Thrown from an RPC
 * method, each was reported as an uncaught exception of the object: on
 * Cloudflare an exception in its metrics, and under `wrangler dev` a log
 * line whose stack Node source-mapped, about 37 ms each on the server's one
 * thread, so the burst of moved refusals around a resharding froze every
 * request of a local server for 2 to 45 s (the new-user report of
 * 2026-12-01). PLATFORM.md's rule, "return expected outcomes as values",
 * applied at the boundary: the object's RPC methods return a
 * `RefusalAnswer` where they threw (`answerRefusalsAsValues`), and the
 * caller's stub throws the same error again on its own side
 * (`throwRefusalAnswers`), so every caller sees exactly what it saw before.
 */
import { DATABASE_DELETED_MESSAGE } from "../errors.js";
import { movedEpochOf } from "../routing/moved.js";

/** A refusal as an RPC method's answer: the error's message. */
export interface RefusalAnswer {
  readonly impossibledbRefusal: string;
}

/** Whether an RPC method's answer is a refusal. */
export function isRefusalAnswer(value: unknown): value is RefusalAnswer {
  return typeof value === "object" && value !== null && typeof (value as { impossibledbRefusal?: unknown }).impossibledbRefusal === "string";
}

/** The message of an expected refusal (moved, database deleted), or null for any other error. */
function refusalMessage(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  return movedEpochOf(err) !== null || err.message === DATABASE_DELETED_MESSAGE ? err.message : null;
}

/**
 * Makes the listed methods of `proto` (an object class's RPC surface)
 * return a RefusalAnswer where they threw an expected refusal,
 * synchronously or through their promise; any other error is thrown as
 * before. Only methods no other method of the class calls may be listed
 * (such a caller would get the value, not the error).
 */
export function answerRefusalsAsValues(proto: object, methods: readonly string[]): void {
  const target = proto as Record<string, unknown>;
  const asAnswer = (err: unknown): RefusalAnswer => {
    const message = refusalMessage(err);
    if (message === null) throw err;
    return { impossibledbRefusal: message };
  };
  for (const name of methods) {
    const original = target[name];
    if (typeof original !== "function") throw new Error(`invariant broken: ${name} is not a method of the object`);
    target[name] = function (this: unknown, ...args: unknown[]): unknown {
      let out: unknown;
      try {
        out = (original as (...a: unknown[]) => unknown).apply(this, args);
      } catch (err) {
        return asAnswer(err);
      }
      return out instanceof Promise ? out.catch(asAnswer) : out;
    };
  }
}

/**
 * Wraps a stub so the listed methods throw `new Error(message)` where the
 * object answered a RefusalAnswer. Other properties pass through untouched.
 */
export function throwRefusalAnswers<T extends object>(stub: T, methods: ReadonlySet<string>): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof prop !== "string" || !methods.has(prop) || typeof value !== "function") return value;
      // Called as a method of the stub, never through Function.prototype
      // (an RPC stub takes `.apply` for a remote method's name).
      return (...args: unknown[]) =>
        Promise.resolve((target as Record<string, (...a: unknown[]) => unknown>)[prop]!(...args)).then((answer) => {
          if (isRefusalAnswer(answer)) throw new Error(answer.impossibledbRefusal);
          return answer;
        });
    },
  });
}

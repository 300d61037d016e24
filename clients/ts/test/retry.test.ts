/**
 * The transport's retry policy, against services served in memory by
 * connect's createRouterTransport: which calls are retried, how long the
 * client waits, and that every attempt carries a deadline.
 */
import { Code, ConnectError, createClient, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRetryingTransport, type RetryingTransportOptions } from "../src/HttpClient.js";
import { AdminService } from "../src/gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { CALL_TIMEOUT_MS_DEFAULT } from "../src/limits.js";
import { backoffMs, retryPolicy } from "../src/retry-policy.js";

/** A transport over `impl` with retries, recording the waits instead of waiting. */
function rig(
  impl: { collection?: Partial<ServiceImpl<typeof CollectionService>>; admin?: Partial<ServiceImpl<typeof AdminService>> },
  options: RetryingTransportOptions = {},
) {
  const waits: number[] = [];
  const inner = createRouterTransport((router) => {
    router.service(CollectionService, impl.collection ?? {});
    router.service(AdminService, impl.admin ?? {});
  });
  const transport = createRetryingTransport(inner, {
    retry: { random: () => 0.5, initialBackoffMs: 100, maxBackoffMs: 1_000, ...options.retry },
    sleep: async (ms) => void waits.push(ms),
    ...options,
  });
  return { waits, collection: createClient(CollectionService, transport), admin: createClient(AdminService, transport) };
}

/** A handler that fails with `codes` in turn, then answers. */
function failing(codes: Code[], seen: { attempts: number; timeouts: (number | undefined)[] }) {
  return (_req: unknown, ctx: { timeoutMs(): number | undefined }) => {
    seen.attempts += 1;
    seen.timeouts.push(ctx.timeoutMs());
    const code = codes[seen.attempts - 1];
    if (code !== undefined) throw new ConnectError(`attempt ${seen.attempts} failed`, code);
    return { document: { id: "ok" } };
  };
}

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded; it should have failed");
}

describe("retries", () => {
  it("retries an idempotent read on UNAVAILABLE and RESOURCE_EXHAUSTED, backing off exponentially", async () => {
    const seen = { attempts: 0, timeouts: [] as (number | undefined)[] };
    const { collection, waits } = rig({ collection: { getDocument: failing([Code.Unavailable, Code.ResourceExhausted, Code.Unavailable], seen) } });
    const res = await collection.getDocument({ ref: { collection: "c", id: "x" } });
    expect(res.document?.id).toBe("ok");
    expect(seen.attempts).toBe(4);
    // Full jitter with random() = 0.5: half of 100, 200, 400.
    expect(waits).toEqual([50, 100, 200]);
  });

  it("never retries a write, which may have been applied", async () => {
    const seen = { attempts: 0, timeouts: [] as (number | undefined)[] };
    const { collection, waits } = rig({ collection: { setDocument: failing([Code.Unavailable], seen) } });
    const err = await failure(collection.setDocument({ ref: { collection: "c", id: "x" }, data: {} }));
    expect(err.code).toBe(Code.Unavailable);
    expect(seen.attempts).toBe(1);
    expect(waits).toEqual([]);
  });

  it("does not retry errors that another attempt cannot fix", async () => {
    for (const code of [Code.NotFound, Code.InvalidArgument, Code.Internal, Code.Aborted, Code.FailedPrecondition]) {
      const seen = { attempts: 0, timeouts: [] as (number | undefined)[] };
      const { collection } = rig({ collection: { getDocument: failing([code], seen) } });
      expect((await failure(collection.getDocument({ ref: { collection: "c", id: "x" } }))).code).toBe(code);
      expect(seen.attempts).toBe(1);
    }
  });

  it("gives up after attemptsMax attempts with the last error", async () => {
    const seen = { attempts: 0, timeouts: [] as (number | undefined)[] };
    const { collection, waits } = rig({ collection: { getDocument: failing(Array(10).fill(Code.Unavailable), seen) } }, { retry: { attemptsMax: 3 } });
    const err = await failure(collection.getDocument({ ref: { collection: "c", id: "x" } }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toBe("attempt 3 failed");
    expect(seen.attempts).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it("caps each backoff at maxBackoffMs", async () => {
    const seen = { attempts: 0, timeouts: [] as (number | undefined)[] };
    const { collection, waits } = rig(
      { collection: { getDocument: failing(Array(6).fill(Code.Unavailable), seen) } },
      { retry: { attemptsMax: 7, random: () => 0.999, initialBackoffMs: 100, maxBackoffMs: 300 } },
    );
    await collection.getDocument({ ref: { collection: "c", id: "x" } });
    expect(waits).toEqual([99, 199, 299, 299, 299, 299]);
  });
});

describe("deadlines", () => {
  it("gives every call the default deadline when the caller names none", async () => {
    const seen = { attempts: 0, timeouts: [] as (number | undefined)[] };
    const { collection } = rig({ collection: { getDocument: failing([], seen) } });
    await collection.getDocument({ ref: { collection: "c", id: "x" } });
    expect(seen.timeouts[0]).toBeGreaterThan(CALL_TIMEOUT_MS_DEFAULT - 1_000);
    expect(seen.timeouts[0]).toBeLessThanOrEqual(CALL_TIMEOUT_MS_DEFAULT);
  });

  it("spends one deadline across all attempts, and starts no retry that cannot finish in it", async () => {
    let nowMs = 0;
    const seen = { attempts: 0, timeouts: [] as (number | undefined)[] };
    const { collection, waits } = rig(
      { collection: { getDocument: failing(Array(10).fill(Code.Unavailable), seen) } },
      {
        now: () => nowMs,
        sleep: async (ms) => {
          waits.push(ms);
          nowMs += ms;
        },
        retry: { attemptsMax: 10, random: () => 0.5, initialBackoffMs: 100, maxBackoffMs: 10_000 },
      },
    );
    const err = await failure(collection.getDocument({ ref: { collection: "c", id: "x" } }, { timeoutMs: 1_000 }));
    // Waits of 50, 100, 200, 400 leave 250 ms; the next (800) would not fit.
    expect(waits).toEqual([50, 100, 200, 400]);
    expect(err.code).toBe(Code.Unavailable);
    // Each attempt is told what is left of the one deadline (the handler
    // reads it off the real clock, a few ms later).
    const expected = [1_000, 950, 850, 650, 250];
    expect(seen.timeouts).toHaveLength(expected.length);
    seen.timeouts.forEach((t, i) => expect(Math.abs((t ?? -1) - expected[i]!)).toBeLessThanOrEqual(20));
  });
});

describe("server streams", () => {
  it("retries a stream that fails before its first message", async () => {
    let opened = 0;
    const { admin, waits } = rig({
      admin: {
        async *exportDocuments() {
          opened += 1;
          if (opened < 3) throw new ConnectError("shard unreachable", Code.Unavailable);
          yield { documents: [{ id: "a" }] };
          yield { documents: [{ id: "b" }] };
        },
      },
    });
    const ids: string[] = [];
    for await (const msg of admin.exportDocuments({ collection: "c" })) ids.push(...msg.documents.map((d) => d.id));
    expect(ids).toEqual(["a", "b"]);
    expect(opened).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it("does not retry a stream after a message has been seen", async () => {
    let opened = 0;
    const { admin } = rig({
      admin: {
        async *exportDocuments() {
          opened += 1;
          yield { documents: [{ id: "a" }] };
          throw new ConnectError("shard unreachable", Code.Unavailable);
        },
      },
    });
    const ids: string[] = [];
    const err = await failure(
      (async () => {
        for await (const msg of admin.exportDocuments({ collection: "c" })) ids.push(...msg.documents.map((d) => d.id));
      })(),
    );
    expect(err.code).toBe(Code.Unavailable);
    expect(ids).toEqual(["a"]);
    expect(opened).toBe(1);
  });
});

describe("backoffMs", () => {
  it("stays within [0, min(max, initial * 2^(attempt-1)))", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initial, extra, attempt, r) => {
          const policy = retryPolicy({ initialBackoffMs: initial, maxBackoffMs: initial + extra, random: () => r });
          const ceiling = Math.min(initial + extra, initial * 2 ** (attempt - 1));
          const wait = backoffMs(policy, attempt);
          return Number.isInteger(wait) && wait >= 0 && (ceiling === 0 ? wait === 0 : wait < ceiling);
        },
      ),
    );
  });

  it("stays a whole number of ms however many attempts a listener waiting out a server counts (2^n would overflow)", () => {
    for (const attempt of [1_025, 10_000, Number.MAX_SAFE_INTEGER]) {
      expect(backoffMs(retryPolicy({ initialBackoffMs: 0, maxBackoffMs: 0, random: () => 0.5 }), attempt)).toBe(0);
      expect(backoffMs(retryPolicy({ initialBackoffMs: 250, maxBackoffMs: 15_000, random: () => 0.5 }), attempt)).toBe(7_500);
    }
  });

  it("refuses nonsense options", () => {
    expect(() => retryPolicy({ attemptsMax: 0 })).toThrow(RangeError);
    expect(() => retryPolicy({ initialBackoffMs: 500, maxBackoffMs: 100 })).toThrow(RangeError);
  });
});

/** The server's rate-limit refusal (src/errors.ts rateLimitedError): RetryInfo with `delayMs`, and retry-after. */
function rateLimited(delayMs: number, withRetryInfo = true): ConnectError {
  const error = new ConnectError("rate limit reached", Code.ResourceExhausted, { "retry-after": String(Math.ceil(delayMs / 1000)) });
  if (withRetryInfo) {
    const duration = new BinaryWriter().tag(1, WireType.Varint).int64(Math.floor(delayMs / 1000)).tag(2, WireType.Varint).int32((delayMs % 1000) * 1_000_000).finish();
    error.details.push({ type: "google.rpc.RetryInfo", value: new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(duration).finish() });
  }
  return error;
}

/** A handler that refuses `refusals` times with `error()`, then answers. */
function limited(refusals: number, error: () => ConnectError, seen: { attempts: number }) {
  return () => {
    seen.attempts += 1;
    if (seen.attempts <= refusals) throw error();
    return { document: { id: "ok" } };
  };
}

describe("rate limits (RESOURCE_EXHAUSTED with RetryInfo)", () => {
  it("waits the server's delay plus the jittered backoff, then succeeds", async () => {
    const seen = { attempts: 0 };
    const { collection, waits } = rig({ collection: { getDocument: limited(2, () => rateLimited(1_500), seen) } });
    const res = await collection.getDocument({ ref: { collection: "c", id: "x" } });
    expect(res.document?.id).toBe("ok");
    expect(seen.attempts).toBe(3);
    expect(waits).toEqual([1_500 + 50, 1_500 + 100]);
  });

  it("retries a write refused at the door (it was never applied), but not a write refused without RetryInfo", async () => {
    const seen = { attempts: 0 };
    const { collection, waits } = rig({ collection: { setDocument: limited(1, () => rateLimited(1_250), seen) } });
    expect((await collection.setDocument({ ref: { collection: "c", id: "x" }, data: {} })).document?.id).toBe("ok");
    expect(seen.attempts).toBe(2);
    expect(waits).toEqual([1_250 + 50]);

    const plain = { attempts: 0 };
    const bare = rig({ collection: { setDocument: limited(1, () => rateLimited(1_000, false), plain) } });
    expect((await failure(bare.collection.setDocument({ ref: { collection: "c", id: "x" }, data: {} }))).code).toBe(Code.ResourceExhausted);
    expect(plain.attempts).toBe(1);
    expect(bare.waits).toEqual([]);
  });

  it("reads retry-after when there is no RetryInfo (reads only)", async () => {
    const seen = { attempts: 0 };
    const { collection, waits } = rig({ collection: { getDocument: limited(1, () => rateLimited(2_000, false), seen) } });
    await collection.getDocument({ ref: { collection: "c", id: "x" } });
    expect(waits).toEqual([2_000 + 50]);
  });

  it("gives up at once, with RESOURCE_EXHAUSTED, when the delay would outlast the deadline; and after attemptsMax", async () => {
    const seen = { attempts: 0 };
    const { collection, waits } = rig({ collection: { getDocument: limited(10, () => rateLimited(30_000), seen) } });
    const err = await failure(collection.getDocument({ ref: { collection: "c", id: "x" } }, { timeoutMs: 5_000 }));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(seen.attempts).toBe(1);
    expect(waits).toEqual([]);

    const many = { attempts: 0 };
    const bounded = rig({ collection: { setDocument: limited(10, () => rateLimited(1_000), many) } }, { retry: { attemptsMax: 3 } });
    expect((await failure(bounded.collection.setDocument({ ref: { collection: "c", id: "x" }, data: {} }))).code).toBe(Code.ResourceExhausted);
    expect(many.attempts).toBe(3);
  });
});

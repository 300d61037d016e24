/**
 * waitForResharding against an AdminService served in memory (its polling,
 * its refusals and its bound), and the CLI's wording of the server's
 * resharding refusals.
 */
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient, waitForResharding } from "../src/node.js";
import { AdminService, Resharding_Phase, Resharding_State } from "../src/gen/impossibledb/v1/admin_service_pb.js";
import { refusal } from "../src/cli/resharding.js";
import { EXIT, ServerRefusal } from "../src/cli/errors.js";

function client(impl: Partial<ServiceImpl<typeof AdminService>>) {
  const transport = createRouterTransport((router) => router.service(AdminService, impl));
  return new ImpossibleDBClient({ transport, retry: { initialBackoffMs: 1, maxBackoffMs: 2 } });
}

/** A GetResharding that answers `phases` one call after another, then DONE. */
function phases(...list: Resharding_Phase[]) {
  let calls = 0;
  return {
    calls: () => calls,
    impl: {
      getResharding() {
        const phase = list[calls++] ?? Resharding_Phase.DONE;
        const state = phase === Resharding_Phase.DONE ? Resharding_State.SUCCEEDED : Resharding_State.RUNNING;
        return { resharding: { id: "op-1", phase, state, documentsCopied: BigInt(calls), documentsTotal: 10n }, advice: { suggestedShardCount: 12, currentShardCount: 12 } };
      },
    } satisfies Partial<ServiceImpl<typeof AdminService>>,
  };
}

describe("waitForResharding", () => {
  it("polls until phase DONE, reporting every answer, and returns the operation", async () => {
    const server = phases(Resharding_Phase.PREPARING, Resharding_Phase.COPYING, Resharding_Phase.CUTTING_OVER);
    const seen: Resharding_Phase[] = [];
    const done = await waitForResharding(client(server.impl), { id: "op-1", intervalMs: 1, onProgress: (r, advice) => (seen.push(r.phase), expect(advice?.suggestedShardCount).toBe(12)) });
    expect(done).toMatchObject({ id: "op-1", phase: Resharding_Phase.DONE, state: Resharding_State.SUCCEEDED });
    expect(seen).toEqual([Resharding_Phase.PREPARING, Resharding_Phase.COPYING, Resharding_Phase.CUTTING_OVER, Resharding_Phase.DONE]);
    expect(server.calls()).toBe(4);
  });

  it("waits through a cancel's rollback: CANCELLED is not the end until the phase is DONE", async () => {
    const answers = [
      { state: Resharding_State.CANCELLED, phase: Resharding_Phase.ROLLING_BACK },
      { state: Resharding_State.CANCELLED, phase: Resharding_Phase.DONE },
    ];
    let calls = 0;
    const done = await waitForResharding(client({ getResharding: () => ({ resharding: { id: "op-2", ...answers[calls++] } }) }), { intervalMs: 1 });
    expect(done).toMatchObject({ state: Resharding_State.CANCELLED, phase: Resharding_Phase.DONE });
    expect(calls).toBe(2);
  });

  it("polls again after a poll that timed out or found the server unavailable, and returns the operation once DONE", async () => {
    const failures = [Code.DeadlineExceeded, Code.Unavailable, Code.ResourceExhausted];
    let calls = 0;
    const busy = {
      getResharding() {
        const code = failures[calls++];
        if (code !== undefined) throw new ConnectError("the shard manager is busy", code);
        return { resharding: { id: "op-4", phase: Resharding_Phase.DONE, state: Resharding_State.SUCCEEDED } };
      },
    };
    const done = await waitForResharding(client(busy), { intervalMs: 1, timeoutMs: 60_000 });
    expect(done).toMatchObject({ id: "op-4", state: Resharding_State.SUCCEEDED });
    // The SDK's transport retries UNAVAILABLE and RESOURCE_EXHAUSTED itself; the wait retried the rest.
    expect(calls).toBe(4);
  });

  it("ends on a poll's refusal at once, and names the last failed poll when the whole wait runs out", async () => {
    let calls = 0;
    const denied = { getResharding: () => (calls++, Promise.reject(new ConnectError("no", Code.PermissionDenied))) };
    await expect(waitForResharding(client(denied), { intervalMs: 1 })).rejects.toMatchObject({ code: Code.PermissionDenied });
    expect(calls).toBe(1);
    const slow = { getResharding: () => Promise.reject(new ConnectError("the shard manager is busy", Code.DeadlineExceeded)) };
    const err = await waitForResharding(client(slow), { intervalMs: 5, timeoutMs: 40 }).then(
      () => new ConnectError("the wait succeeded", Code.Unknown),
      (e: unknown) => ConnectError.from(e),
    );
    expect(err).toMatchObject({ code: Code.DeadlineExceeded });
    expect(err.rawMessage).toMatch(/not done after 40 ms .*the last poll failed: DeadlineExceeded: the shard manager is busy/);
  });

  it("is NOT_FOUND when no resharding has run, and FAILED_PRECONDITION when another one is the latest", async () => {
    await expect(waitForResharding(client({ getResharding: () => ({}) }))).rejects.toMatchObject({ code: Code.NotFound });
    await expect(waitForResharding(client(phases().impl), { id: "op-0" })).rejects.toMatchObject({ code: Code.FailedPrecondition });
  });

  it("gives up with DEADLINE_EXCEEDED after timeoutMs, and stops when its signal aborts", async () => {
    const never = { getResharding: () => ({ resharding: { id: "op-3", phase: Resharding_Phase.COPYING, state: Resharding_State.RUNNING } }) };
    await expect(waitForResharding(client(never), { intervalMs: 5, timeoutMs: 30 })).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    const stop = new AbortController();
    const waiting = waitForResharding(client(never), { intervalMs: 5, signal: stop.signal });
    stop.abort(new Error("stopped"));
    await expect(waiting).rejects.toThrow(/stopped/);
    await expect(waitForResharding(client(never), { intervalMs: 0 })).rejects.toThrow(RangeError);
  });
});

describe("the CLI's resharding refusals", () => {
  const refused = (message: string, action: "start" | "cancel") => refusal(new ConnectError(message, Code.FailedPrecondition), action) as ServerRefusal;

  it("names the next step for each FAILED_PRECONDITION, and exits 1", () => {
    expect(refused("resharding abc to 12 shards is running; wait for it or cancel it", "start").message).toBe(
      "cannot start resharding: resharding abc to 12 shards is running; wait for it or cancel it (follow it with `impossibledb resharding`, or cancel it with `impossibledb resharding cancel`)",
    );
    expect(refused("the database already has 8 shards", "start").message).toBe("cannot start resharding: the database already has 8 shards (nothing to do)");
    expect(refused("no resharding is running", "cancel").message).toBe("cannot cancel resharding: no resharding is running (`impossibledb resharding` shows the last one)");
    expect(refused("resharding abc has begun its cutover (phase CUTTING_OVER) and can no longer be cancelled", "cancel").message).toBe(
      "cannot cancel resharding: resharding abc has begun its cutover (phase CUTTING_OVER) and can no longer be cancelled (it will finish; follow it with `impossibledb resharding`)",
    );
    expect(refused("the database already has 8 shards", "start").exitCode).toBe(EXIT.failed);
    // The server's error goes with it, so --json prints its code and message (cli-refusals.test.ts).
    expect(refused("the database already has 8 shards", "start").refused.code).toBe(Code.FailedPrecondition);
    expect(refused("the database already has 8 shards", "start").hint).toBe("nothing to do");
  });

  it("passes any other error on as it came", () => {
    const other = new ConnectError("no", Code.PermissionDenied);
    expect(refusal(other, "start")).toBe(other);
  });
});

/**
 * The stress run's own parts (scripts/stress/): its plan covers every kind
 * of call over every transport and replays from its seed, and its judge
 * counts what a broken request path would answer (a bare HTTP 500, an
 * INTERNAL, a hung call, wrong data) as failures, so the run can fail.
 */
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { describe, expect, it } from "vitest";
import { runCall, type CallContext, type Ledger } from "../../../scripts/stress/calls.js";
import { documentData, planCall, TRANSPORTS, type TransportName } from "../../../scripts/stress/plan.js";

const CALLS = 2_000;

describe("the stress plan", () => {
  it("covers every kind of call over every transport, with large bodies and aborts, and is the same for the same seed", () => {
    const kinds = new Set<string>();
    const transports = new Set<string>();
    let large = 0;
    let abandoned = 0;
    for (let i = 0; i < CALLS; i++) {
      const plan = planCall(7, i);
      expect(planCall(7, i)).toEqual(plan);
      kinds.add(plan.kind);
      if ("transport" in plan) transports.add(plan.transport);
      if ((plan.kind === "write" || plan.kind === "cut-body") && plan.bytes > 64 * 1024) large += 1;
      if (plan.kind === "write" && plan.abortAfterMs !== undefined) abandoned += 1;
    }
    expect([...kinds].sort()).toEqual(["cut-body", "listen", "query-stream", "read", "short-deadline", "write"]);
    expect([...transports].sort()).toEqual([...TRANSPORTS].sort());
    expect(large).toBeGreaterThan(CALLS * 0.02);
    expect(abandoned).toBeGreaterThan(CALLS * 0.03);
    expect(planCall(8, 1)).not.toEqual(planCall(7, 1));
  });
});

/** A context whose every transport answers through `fetch`. */
function contextWith(fetch: typeof globalThis.fetch, timeoutMs = 5_000): CallContext {
  const ledger: Ledger = { seed: 1, collection: "c", acked: new Map(), maybe: new Map(), never: new Set() };
  const connect = createConnectTransport({ baseUrl: "http://stress.invalid", fetch });
  const grpcWeb = createGrpcWebTransport({ baseUrl: "http://stress.invalid", fetch });
  const transports = Object.fromEntries(TRANSPORTS.map((name) => [name, name.startsWith("grpc") ? grpcWeb : connect])) as Record<TransportName, Transport>;
  return { ledger, transports, workerUrl: "http://stress.invalid", timeoutMs };
}

describe("the stress judge", () => {
  it("fails a call that got a bare HTTP 500 (UNKNOWN), over Connect and gRPC-Web", async () => {
    const bare500 = (async () => new Response("oops", { status: 500, headers: { "Content-Type": "text/plain" } })) as typeof fetch;
    const ctx = contextWith(bare500);
    for (const transport of ["connect-json", "grpc-web-gzip"] as const) {
      const outcome = await runCall(ctx, 1, { kind: "write", transport, bytes: 10 });
      expect(outcome.failure).toBeDefined();
      expect(outcome.label).not.toBe("ok");
    }
  });

  it("fails a call answered INTERNAL in good protocol form", async () => {
    const internal = (async () => new Response(JSON.stringify({ code: "internal", message: "boom" }), { status: 500, headers: { "Content-Type": "application/json" } })) as typeof fetch;
    const outcome = await runCall(contextWith(internal), 2, { kind: "read", transport: "connect-json" });
    expect(outcome).toMatchObject({ label: "Internal" });
    expect(outcome.failure).toMatch(/boom/);
  });

  it("fails a read whose server never answers: its deadline ends it, and DEADLINE_EXCEEDED is no answer a read may get", async () => {
    const never = ((_url: unknown, init?: RequestInit) => new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)))) as typeof fetch;
    const outcome = await runCall(contextWith(never, 50), 3, { kind: "read", transport: "connect-json" });
    expect(outcome.failure).toBeDefined();
  });

  it("fails a read that returns other data than was written, and passes the right data", async () => {
    const written = documentData(1, 4, 20);
    const answer = (data: unknown) =>
      (async () => new Response(JSON.stringify({ document: { collection: "c", id: "w4", data } }), { status: 200, headers: { "Content-Type": "application/json" } })) as typeof fetch;
    const wrong = contextWith(answer({ ...written, pad: written.pad.slice(1) }));
    wrong.ledger.acked.set("w4", written);
    expect((await runCall(wrong, 5, { kind: "read", transport: "connect-json" })).failure).toMatch(/pad differs/);
    const right = contextWith(answer(written));
    right.ledger.acked.set("w4", written);
    expect(await runCall(right, 5, { kind: "read", transport: "connect-json" })).toEqual({ label: "ok" });
  });
});

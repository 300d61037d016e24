/**
 * A listener whose client goes away stops at once, not at its next message:
 * cancelling the response stream aborts the call's signal, which ends the
 * listen loop while it waits on the shards' long polls
 * (LISTEN_POLL_WAIT_MS, 10 s). Before, it ran on until its next heartbeat
 * found the stream gone, and then until the one after (found by a new-user
 * test: about 30 s server-side per cancelled Listen).
 */
import { describe, expect, it } from "vitest";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { LISTEN_POLL_WAIT_MS } from "../../src/limits.js";
import { connectClient, jsonEnvelope, rawFetch } from "./helpers.js";

const LISTEN = "/impossibledb.v1.QueryService/Listen";
const admin = connectClient(AdminService);


/** Listen calls this isolate has finished, by code. */
async function listensEnded(): Promise<Record<string, bigint>> {
  const methods = (await admin.getMetrics({})).methods;
  return methods.find((m) => m.method === "impossibledb.v1.QueryService/Listen")?.countByCode ?? {};
}

describe("a cancelled Listen", { timeout: 30_000 }, () => {
  it("ends server-side well before the next heartbeat", async () => {
    const res = await rawFetch(LISTEN, {
      method: "POST",
      headers: { "Content-Type": "application/connect+json" },
      body: jsonEnvelope(JSON.stringify({ query: { collection: "cancel_listen" } })),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // The snapshot's message: the listener is running and waiting on the shards.
    expect((await reader.read()).done).toBe(false);
    const before = (await listensEnded())["canceled"] ?? 0n;
    const cancelledAtMs = Date.now();
    await reader.cancel("client went away");
    let after = before;
    while (after === before && Date.now() - cancelledAtMs < LISTEN_POLL_WAIT_MS * 2) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = (await listensEnded())["canceled"] ?? 0n;
    }
    expect(after).toBe(before + 1n);
    // Half a poll's wait: the loop ended on the signal, not on a heartbeat.
    expect(Date.now() - cancelledAtMs).toBeLessThan(LISTEN_POLL_WAIT_MS / 2);
  });
});

import { describe, expect, it } from "vitest";
import { env, listDurableObjectIds } from "cloudflare:test";
import { createFetchHandler } from "../../src/server/fetch-handler.js";
import { createRouter } from "../../src/server/router.js";
import { rawFetch } from "./helpers.js";

// GET /healthz is what a load balancer, a deploy script or a newcomer with
// curl probes first: plain HTTP, no Connect headers, no Durable Object.
describe("GET /healthz", () => {
  it("answers 200 {status: ok} to a bare GET, without Connect headers", async () => {
    const res = await rawFetch("/healthz", { method: "GET" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers HEAD with 200 and no body", async () => {
    const res = await rawFetch("/healthz", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("refuses other methods with 405 and says which are allowed", async () => {
    const res = await rawFetch("/healthz", { method: "POST", body: "{}" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
  });

  it("touches no Durable Object", async () => {
    for (let i = 0; i < 3; i++) expect((await rawFetch("/healthz", { method: "GET" })).status).toBe(200);
    // Storage is isolated per test file, and nothing in this file calls an
    // RPC, so any object that exists was created by the health check.
    expect(await listDurableObjectIds(env.SHARD)).toEqual([]);
    expect(await listDurableObjectIds(env.SHARD_MANAGER)).toEqual([]);
    expect(await listDurableObjectIds(env.TX_COORDINATOR)).toEqual([]);
  });

  it("answers 503 with the reason when the change log's retention is not a number of hours", async () => {
    const handle = createFetchHandler(createRouter());
    for (const bad of ["0", "-1", "forever", "721"]) {
      const res = await handle(new Request("http://impossibledb.test/healthz"), { ...env, CHANGE_LOG_RETENTION_HOURS: bad });
      expect(res.status, bad).toBe(503);
      expect(((await res.json()) as { error: string }).error).toMatch(/CHANGE_LOG_RETENTION_HOURS/);
    }
    const ok = await handle(new Request("http://impossibledb.test/healthz"), { ...env, CHANGE_LOG_RETENTION_HOURS: "72" });
    expect(ok.status).toBe(200);
  });

  it("answers 503 with the reason when the routing configuration is broken", async () => {
    const handle = createFetchHandler(createRouter());
    const res = await handle(new Request("http://impossibledb.test/healthz"), { ...env, SHARD_COUNT: "0" });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; error: string };
    expect(body.status).toBe("misconfigured");
    expect(body.error).toMatch(/SHARD_COUNT/);
  });
});

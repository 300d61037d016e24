import { afterEach, describe, expect, it, vi } from "vitest";
import { Code } from "@connectrpc/connect";
import { AdminService, type GetMetricsResponse } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { connectClient, expectCode, grpcWebClient, rawFetch } from "./helpers.js";

const ref = (id: string) => ({ collection: "obs", id });
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Calls GetDocument over `client` with `sent` as x-request-id (none when undefined) and returns the id the response carried. */
async function idOfCall(client: ReturnType<typeof connectClient<typeof CollectionService>>, sent: string | undefined): Promise<string | null> {
  let got: string | null = null;
  const headers = sent === undefined ? undefined : { "x-request-id": sent };
  await client.getDocument({ ref: ref("a") }, { headers, onHeader: (h) => (got = h.get("x-request-id")) });
  return got;
}

function countOf(metrics: GetMetricsResponse, method: string, code: string): bigint {
  return metrics.methods.find((m) => m.method === method)?.countByCode[code] ?? 0n;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("request ids", () => {
  it("are echoed when sane, generated when absent, replaced when not sane, over Connect and gRPC-Web", async () => {
    await connectClient(CollectionService).setDocument({ ref: ref("a"), data: { n: 1 } });
    for (const client of [connectClient(CollectionService), connectClient(CollectionService, { binary: true }), grpcWebClient(CollectionService)]) {
      expect(await idOfCall(client, "req-42.a:b_C")).toBe("req-42.a:b_C");
      expect(await idOfCall(client, undefined)).toMatch(REQUEST_ID);
      expect(await idOfCall(client, "x".repeat(129))).toMatch(REQUEST_ID);
      expect(await idOfCall(client, "bad id<script>")).toMatch(REQUEST_ID);
    }
  });

  it("come back on errors and on server streams", async () => {
    // A failed call's response headers reach the client as the error's metadata.
    const connectError = await expectCode(connectClient(CollectionService).getDocument({ ref: ref("missing") }, { headers: { "x-request-id": "err-1" } }), Code.NotFound);
    expect(connectError.metadata.get("x-request-id")).toBe("err-1");
    const grpcWebError = await expectCode(grpcWebClient(CollectionService).getDocument({ ref: ref("missing") }, { headers: { "x-request-id": "err-2" } }), Code.NotFound);
    expect(grpcWebError.metadata.get("x-request-id")).toBe("err-2");
    for (const client of [connectClient(AdminService), grpcWebClient(AdminService)]) {
      let streamed: string | null = null;
      for await (const _ of client.exportDocuments({ collection: "obs" }, { headers: { "x-request-id": "stream-1" }, onHeader: (h) => (streamed = h.get("x-request-id")) })) {
        // Drain the stream.
      }
      expect(streamed).toBe("stream-1");
    }
  });

  it("are readable by browsers (CORS exposes the header)", async () => {
    const res = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", {
      method: "POST",
      headers: { Origin: "http://localhost:5173", "Content-Type": "application/json", "x-request-id": "cors-1" },
      body: JSON.stringify({ ref: ref("a") }),
    });
    expect(res.headers.get("x-request-id")).toBe("cors-1");
    expect(res.headers.get("Access-Control-Expose-Headers")?.toLowerCase()).toContain("x-request-id");
    const pre = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-request-id" },
    });
    expect(pre.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("x-request-id");
  });
});

describe("GetMetrics", () => {
  it("counts calls by method and code", async () => {
    const admin = connectClient(AdminService);
    const db = connectClient(CollectionService);
    const before = await admin.getMetrics({});
    await db.setDocument({ ref: ref("m"), data: { n: 1 } });
    await db.getDocument({ ref: ref("m") });
    await grpcWebClient(CollectionService).getDocument({ ref: ref("m") });
    await expectCode(db.getDocument({ ref: ref("nope") }), Code.NotFound);
    await expectCode(db.getDocument({ ref: { collection: "bad name!", id: "x" } }), Code.InvalidArgument);
    const after = await admin.getMetrics({});
    const get = "impossibledb.v1.CollectionService/GetDocument";
    expect(countOf(after, get, "ok") - countOf(before, get, "ok")).toBe(2n);
    expect(countOf(after, get, "not_found") - countOf(before, get, "not_found")).toBe(1n);
    expect(countOf(after, get, "invalid_argument") - countOf(before, get, "invalid_argument")).toBe(1n);
    const set = "impossibledb.v1.CollectionService/SetDocument";
    expect(countOf(after, set, "ok") - countOf(before, set, "ok")).toBe(1n);
    // The first GetMetrics is counted by the time the second one reads.
    expect(countOf(after, "impossibledb.v1.AdminService/GetMetrics", "ok")).toBeGreaterThanOrEqual(1n);
    const getMetrics = after.methods.find((m) => m.method === get)!;
    expect(getMetrics.count).toBe(Object.values(getMetrics.countByCode).reduce((a, b) => a + b, 0n));
    expect(getMetrics.latencyP50Ms).toBeLessThanOrEqual(getMetrics.latencyP99Ms);
    expect(getMetrics.latencyP99Ms).toBeLessThanOrEqual(getMetrics.latencyMaxMs);
    // A real time, not the epoch that a Worker's clock reads at module load.
    expect(Number(after.startTime?.seconds ?? 0)).toBeGreaterThan(Date.UTC(2024, 0, 1) / 1000);
  });
});

describe("the log line", () => {
  /** The JSON log lines written while `fn` ran. */
  async function linesDuring(fn: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    let calls: unknown[][];
    try {
      await fn();
    } finally {
      // Read before restoring: restoring a spy clears what it recorded.
      calls = [...spy.mock.calls];
      spy.mockRestore();
    }
    return calls.map((args) => {
      expect(args).toHaveLength(1);
      return JSON.parse(args[0] as string) as Record<string, unknown>;
    });
  }

  it("is one JSON object per call, with the query's shards and rows", async () => {
    for (const id of ["q1", "q2", "q3"]) await connectClient(CollectionService).setDocument({ ref: ref(id), data: { n: 1 } });
    const lines = await linesDuring(() => connectClient(QueryService).runQuery({ query: { collection: "obs" } }, { headers: { "x-request-id": "log-1" } }));
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({ method: "impossibledb.v1.QueryService/RunQuery", database: "default", code: "ok", requestId: "log-1" });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(line.shardsTouched).toBeGreaterThanOrEqual(1);
    expect(line.rowsRead).toBeGreaterThanOrEqual(3);
  });

  it("names the failure code, and leaves out what the handler did not measure", async () => {
    const lines = await linesDuring(() => expectCode(connectClient(CollectionService).getDocument({ ref: ref("nope") }), Code.NotFound));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: "impossibledb.v1.CollectionService/GetDocument", database: "default", code: "not_found" });
    expect(lines[0]!.requestId).toMatch(REQUEST_ID);
    expect(lines[0]).not.toHaveProperty("shardsTouched");
    expect(lines[0]).not.toHaveProperty("rowsRead");
  });

  it("is written when a server stream ends, with its counters", async () => {
    const lines = await linesDuring(async () => {
      for await (const _ of grpcWebClient(QueryService).streamQuery({ query: { collection: "obs" } })) {
        // Drain the stream.
      }
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: "impossibledb.v1.QueryService/StreamQuery", code: "ok" });
    expect(lines[0]!.shardsTouched).toBeGreaterThanOrEqual(1);
  });
});

import { describe, expect, it } from "vitest";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { connectClient, rawFetch } from "./helpers.js";

const db = connectClient(CollectionService);

// buf curl and other Connect clients ask for gzip; a response over the
// compression threshold must be gzipped exactly once (the runtime must not
// encode Connect's already-compressed body a second time).
describe("gzip-compressed query responses", () => {
  it("decompress once to the JSON answer", async () => {
    await db.batchWriteDocuments({
      writes: Array.from({ length: 20 }, (_, i) => ({ ref: { collection: "gz", id: `g${i}` }, operation: { case: "set" as const, value: { text: "x".repeat(100), i } } })),
    });
    const res = await rawFetch("/impossibledb.v1.QueryService/RunQuery", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Encoding": "gzip" },
      body: JSON.stringify({ query: { collection: "gz", filter: "i >= 0" } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Encoding")).toBe("gzip");
    // workerd's fetch undoes one Content-Encoding, as every HTTP client does.
    const text = await res.text();
    expect((JSON.parse(text) as { documents: unknown[] }).documents).toHaveLength(20);
  });
});

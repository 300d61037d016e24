import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { connectClient, expectCode } from "./helpers.js";

// These RPCs are part of the v1 contract; later milestones implement them.
// Until then they must say so plainly, and never pretend to work.
describe("not yet implemented RPCs answer Unimplemented", () => {
  const query = connectClient(QueryService);
  const admin = connectClient(AdminService);
  const q = { collection: "users" };

  it.each([
    ["RunQuery", () => query.runQuery({ query: q })],
    ["RunAggregationQuery", () => query.runAggregationQuery({ query: q, aggregations: [{ alias: "n", function: 1 }] })],
    ["CreateIndex", () => admin.createIndex({ index: { collection: "users", fields: [{ field: "age" }] } })],
    ["GetIndex", () => admin.getIndex({ collection: "users", id: "i" })],
    ["ListIndexes", () => admin.listIndexes({ collection: "users" })],
    ["DeleteIndex", () => admin.deleteIndex({ collection: "users", id: "i" })],
  ])("%s", async (name, call) => {
    await expectCode(call(), Code.Unimplemented, new RegExp(`${name} is not implemented yet`));
  });

  it("StreamQuery", async () => {
    const consume = async () => {
      for await (const _ of query.streamQuery({ query: q })) expect.unreachable();
    };
    await expectCode(consume(), Code.Unimplemented, /StreamQuery is not implemented yet/);
  });
});

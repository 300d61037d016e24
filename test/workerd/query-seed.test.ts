import { describe, expect, it } from "vitest";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { FieldFilter_Operator, CompositeFilter_Operator, Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { connectClient, grpcWebClient } from "./helpers.js";

const db = connectClient(CollectionService);
const query = connectClient(QueryService);
const admin = connectClient(AdminService);

// The seed's example: where age > 21, status == "active", sort lastName asc, limit 10, offset 20.
const SEED_QUERY = {
  collection: "users",
  where: {
    filterType: {
      case: "compositeFilter" as const,
      value: {
        op: CompositeFilter_Operator.AND,
        filters: [
          { filterType: { case: "fieldFilter" as const, value: { field: "age", op: FieldFilter_Operator.GREATER_THAN, value: { kind: { case: "numberValue" as const, value: 21 } } } } },
          { filterType: { case: "fieldFilter" as const, value: { field: "status", op: FieldFilter_Operator.EQUAL, value: { kind: { case: "stringValue" as const, value: "active" } } } } },
        ],
      },
    },
  },
  orderBy: [{ field: "lastName", direction: Order_Direction.ASCENDING }],
  limit: 10,
  offset: 20,
};

interface User {
  id: string;
  age: number;
  status: string;
  lastName: string;
}

function users(count: number): User[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `user-${String(i).padStart(3, "0")}`,
    age: 15 + ((i * 7) % 20),
    status: i % 3 === 0 ? "inactive" : "active",
    lastName: `name-${String((i * 37) % 101).padStart(3, "0")}`,
  }));
}

function expected(all: User[]): string[] {
  return all
    .filter((u) => u.age > 21 && u.status === "active")
    .sort((a, b) => (a.lastName < b.lastName ? -1 : a.lastName > b.lastName ? 1 : a.id < b.id ? -1 : 1))
    .slice(20, 30)
    .map((u) => u.id);
}

describe("the seed's example query", () => {
  it("runs through RunQuery, StreamQuery and the text filter, unindexed and indexed", async () => {
    const all = users(120);
    await db.batchWriteDocuments({
      writes: all.map(({ id, ...data }) => ({ ref: { collection: "users", id }, operation: { case: "set" as const, value: data } })),
    });
    const want = expected(all);
    expect(want).toHaveLength(10);

    const page = await query.runQuery({ query: SEED_QUERY, explain: true });
    expect(page.documents.map((d) => d.id)).toEqual(want);
    expect(page.nextPageToken).toBe("");
    expect(page.plan!.shardsQueried).toBe(8);
    expect(page.plan!.rowsReturned).toBe(10n);

    const text = await grpcWebClient(QueryService).runQuery({
      query: { collection: "users", filter: 'age > 21 AND status = "active"', orderBy: SEED_QUERY.orderBy, limit: 10, offset: 20 },
    });
    expect(text.documents.map((d) => d.id)).toEqual(want);

    const streamed: string[] = [];
    for await (const msg of query.streamQuery({ query: SEED_QUERY })) {
      if (msg.result.case === "document") streamed.push(msg.result.value.id);
    }
    expect(streamed).toEqual(want);

    const { index } = await admin.createIndex({ index: { collection: "users", fields: [{ field: "status" }, { field: "lastName" }] } });
    const indexed = await query.runQuery({ query: SEED_QUERY, explain: true });
    expect(indexed.documents.map((d) => d.id)).toEqual(want);
    for (const shard of indexed.plan!.shards) {
      expect(shard.index).toBe(index!.id);
      // The index serves both the equality and the sort: no sort step.
      expect(shard.sqlPlan).toMatch(/USING INDEX/);
      expect(shard.sqlPlan).not.toMatch(/TEMP B-TREE/);
    }
  });
});

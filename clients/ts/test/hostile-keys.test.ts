/**
 * The SDK's lookup tables answer only for their own entries: an operator or
 * aggregate function named after an inherited property ("constructor",
 * "__proto__", "toString") is refused before anything is sent, rather than
 * sent as whatever Object.prototype holds under that name.
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient, type AggregateSpec, type WhereOperator } from "../src/node.js";
import { QueryService } from "../src/gen/impossibledb/v1/query_service_pb.js";

function client(sent: string[]) {
  const transport = createRouterTransport((router) => {
    router.service(QueryService, {
      runAggregationQuery() {
        sent.push("runAggregationQuery");
        return { groups: [] };
      },
    });
  });
  return new ImpossibleDBClient({ transport, retry: { initialBackoffMs: 1, maxBackoffMs: 2 } });
}

describe.each(["constructor", "__proto__", "toString", "hasOwnProperty"])("the inherited name %s", (name) => {
  it("is no where() operator", () => {
    const err = (() => {
      try {
        client([]).collection("users").query().where("a", name as WhereOperator, 1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it("is no aggregate function, and nothing is sent", async () => {
    const sent: string[] = [];
    const spec = { fn: name, field: "a" } as unknown as AggregateSpec;
    await expect(client(sent).collection("users").query().aggregate({ x: spec })).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(sent).toEqual([]);
  });
});

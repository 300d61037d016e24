import { describe, expect, it } from "vitest";
import { Order_Direction } from "../../../gen/impossibledb/v1/query_pb.js";
import { parseOrderText } from "../../../console/src/order-text.js";

describe("the query playground's order-by text", () => {
  it("reads fields with optional directions, ascending by default", () => {
    expect(parseOrderText(" age desc, name ,city ASC")).toEqual([
      { field: "age", direction: Order_Direction.DESCENDING },
      { field: "name", direction: Order_Direction.ASCENDING },
      { field: "city", direction: Order_Direction.ASCENDING },
    ]);
    expect(parseOrderText("")).toEqual([]);
  });

  it("names a term it cannot read", () => {
    expect(() => parseOrderText("age down")).toThrow('order by: "age down"');
    expect(() => parseOrderText("age desc name")).toThrow('order by: "age desc name"');
  });
});

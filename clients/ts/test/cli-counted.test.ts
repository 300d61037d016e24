/** The CLI's counts read as English: "1 shard", "2 shards", "0 documents". */
import { describe, expect, it } from "vitest";
import { counted } from "../src/cli/table.js";

describe("counted", () => {
  it("uses the singular for exactly one and the plural otherwise", () => {
    expect(counted(1, "shard")).toBe("1 shard");
    expect(counted(2, "shard")).toBe("2 shards");
    expect(counted(0, "document")).toBe("0 documents");
    expect(counted(1n, "document")).toBe("1 document");
    expect(counted(1234, "document")).toBe("1234 documents");
    expect(counted(1, "index", "indexes")).toBe("1 index");
    expect(counted(3, "index", "indexes")).toBe("3 indexes");
  });
});

/** The CLI's counts read as English ("1 shard", "2 shards", "0 documents"), and its scores keep their significant digits. */
import { describe, expect, it } from "vitest";
import { counted, scoreText } from "../src/cli/table.js";

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

describe("scoreText", () => {
  it("keeps four significant digits, so small scores are not printed as zero", () => {
    expect(scoreText(0.00001234567)).toBe("0.00001235");
    expect(scoreText(0.0421)).toBe("0.04210");
    expect(scoreText(1.5)).toBe("1.500");
    expect(scoreText(12.34567)).toBe("12.35");
  });
});

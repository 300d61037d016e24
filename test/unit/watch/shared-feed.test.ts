/** Feed calls with equal arguments in flight at once share one call; others do not. */
import { describe, expect, it } from "vitest";
import { sharedFeed } from "../../../src/watch/shared-feed.js";

describe("sharedFeed", () => {
  it("shares one call among concurrent equal calls, and only while it is in flight", async () => {
    const calls: unknown[][] = [];
    const releases: Array<(v: string) => void> = [];
    const feed = sharedFeed((...args) => {
      calls.push(args);
      return new Promise<string>((resolve) => releases.push(resolve));
    });
    const a = feed("s0", "c", null, 5, 100);
    const b = feed("s0", "c", null, 5, 100);
    const other = feed("s0", "c", null, 6, 100);
    expect(calls.length).toBe(2);
    releases[0]!("page");
    expect(await a).toBe("page");
    expect(await b).toBe("page");
    void other;
    void feed("s0", "c", null, 5, 100);
    expect(calls.length).toBe(3);
  });

  it("gives every sharer the failure, then calls again", async () => {
    let n = 0;
    const feed = sharedFeed(async () => {
      n++;
      throw new Error("shard reset");
    });
    const results = await Promise.allSettled([feed("s", "c", null, 0, 1), feed("s", "c", null, 0, 1)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(n).toBe(1);
    await feed("s", "c", null, 0, 1).catch(() => {});
    expect(n).toBe(2);
  });
});

/**
 * A drop refused because a statement is still active on the shard
 * (SQLITE_LOCKED) is tried again until SQLite takes it, within
 * SHARD_DDL_LOCKED_WAIT_MS_MAX; other errors are not retried.
 */
import { describe, expect, it } from "vitest";
import { FailureError } from "../../../src/errors.js";
import { SHARD_DDL_LOCKED_WAIT_MS_MAX } from "../../../src/limits.js";
import { dropWhenUnlocked, isTableLocked } from "../../../src/shards/shard-ddl.js";

const locked = () => new Error("database table is locked: SQLITE_LOCKED");

describe("dropWhenUnlocked", () => {
  it("tries again while SQLite says the table is locked, then answers the drop", async () => {
    let calls = 0;
    const pauses: number[] = [];
    const out = await dropWhenUnlocked("shard-3", async () => {
      if (++calls < 4) throw locked();
      return true;
    }, async (ms) => void pauses.push(ms));
    expect(out).toBe(true);
    expect(calls).toBe(4);
    expect(pauses).toEqual([100, 200, 400]);
  });

  it("does not retry other errors", async () => {
    let calls = 0;
    await expect(dropWhenUnlocked("shard-0", async () => {
      calls++;
      throw new Error("something else");
    }, async () => undefined)).rejects.toThrow("something else");
    expect(calls).toBe(1);
    expect(isTableLocked(new Error("x"))).toBe(false);
    expect(isTableLocked(locked())).toBe(true);
  });

  it("gives up with UNAVAILABLE naming the shard after SHARD_DDL_LOCKED_WAIT_MS_MAX", async () => {
    const realNow = Date.now;
    let now = 1_000_000;
    Date.now = () => now;
    try {
      const err = await dropWhenUnlocked("shard-7", async () => {
        throw locked();
      }, async (ms) => void (now += ms)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FailureError);
      expect((err as FailureError).kind).toBe("unavailable");
      expect((err as FailureError).message).toMatch(/shard-7.*SHARD_DDL_LOCKED_WAIT_MS_MAX.*call again/);
      expect(now - 1_000_000).toBeGreaterThanOrEqual(SHARD_DDL_LOCKED_WAIT_MS_MAX);
    } finally {
      Date.now = realNow;
    }
  });
});

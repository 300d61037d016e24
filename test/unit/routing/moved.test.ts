import { describe, expect, it } from "vitest";
import { asConnectError } from "../../../src/errors.js";
import { movedEpochOf, movedMessage } from "../../../src/routing/moved.js";
import { Code } from "@connectrpc/connect";

describe("the moved answer", () => {
  it("names the shard's epoch, also when another layer wrapped its message", () => {
    expect(movedEpochOf(new Error(movedMessage(7)))).toBe(7);
    // The coordinator reports a participant that refused to prepare in its own words.
    expect(movedEpochOf(`participant shard-3 did not answer prepare: Error: ${movedMessage(12)}`)).toBe(12);
    expect(movedEpochOf(new Error("routing moved"))).toBeNull();
    expect(movedEpochOf(new Error("something else"))).toBeNull();
    expect(movedEpochOf({ message: movedMessage(3) })).toBeNull();
  });

  it("is UNAVAILABLE, never INTERNAL, if it ever reaches a client", () => {
    const err = asConnectError(new Error(movedMessage(4)));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toMatch(/being resharded; retry/);
  });
});

import { describe, expect, it } from "vitest";
import { bareAbortReason } from "../../../src/sync/abort-reason.js";

describe("abort reasons in later answers", () => {
  it("quote the reason once, without the code and retry advice it was recorded with", () => {
    expect(bareAbortReason("aborted: transaction aborted: c/a changed after it was read; retry it")).toBe("c/a changed after it was read");
    expect(bareAbortReason("aborted by an older transaction that needed its locks (wound-wait)")).toBe("aborted by an older transaction that needed its locks (wound-wait)");
    expect(bareAbortReason("transaction aborted")).toBe("no reason recorded");
  });
});

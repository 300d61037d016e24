import { describe, expect, it } from "vitest";
import { anotherCommitFailure } from "../../../src/sync/another-commit.js";

describe("the answer to a commit of an id whose one commit went another way", () => {
  it("names what the id already had: an empty commit, another commit, or a refused one", () => {
    const empty = anotherCommitFailure({ kind: "empty" });
    expect(empty.kind).toBe("failed_precondition");
    expect(empty.message).toMatch(/already committed with no reads or writes/);
    expect(empty.message).not.toMatch(/other reads or writes came first/);
    const other = anotherCommitFailure({ kind: "other" });
    expect([other.kind, other.message]).toEqual(["failed_precondition", expect.stringMatching(/commits once.*\(its commit with other reads or writes came first\)$/)]);
  });

  it("after a refused commit: ABORTED, quoting the refusal once as the earlier commit's, not as this one's", () => {
    const refused = anotherCommitFailure({ kind: "refused", reason: "transaction aborted: precondition failed: document c/x does not exist; retry it as a new transaction" });
    expect(refused.kind).toBe("aborted");
    expect(refused.message).toBe(
      "transaction aborted: its commit with other reads or writes was refused (precondition failed: document c/x does not exist); a transaction commits once: retry it as a new transaction",
    );
  });
});

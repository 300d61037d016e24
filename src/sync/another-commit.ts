/**
 * The words a commit of a transaction id is answered with when the id's
 * one commit went another way. Pure (errors and abort reasons only), so
 * Node tests load it without the Workers types.
 */
import { failure, type Failure } from "../errors.js";
import { bareAbortReason } from "./abort-reason.js";

/** What a call made after a transaction finished answers. */
export const COMMITS_ONCE_MESSAGE =
  "transaction already committed or committing different writes; a transaction commits once: begin a new one";

/**
 * What an id already had when a commit of it with other reads or writes
 * arrives: a commit with nothing to validate or write (`empty`), a commit
 * with reads or writes, committed or committing (`other`), or a commit
 * that was refused, which aborted the id (`refused`, with its reason).
 */
export type EarlierCommit = { readonly kind: "empty" } | { readonly kind: "other" } | { readonly kind: "refused"; readonly reason: string };

/**
 * The answer to a commit of an id whose one commit went another way. The
 * one place these words are built, so that each says what happened: an
 * empty commit used the id up (FAILED_PRECONDITION), another commit came
 * first (FAILED_PRECONDITION: the same id can never commit these writes),
 * or the earlier commit was refused and the id is aborted (ABORTED: retry
 * as a new transaction), never the refused commit's own words as if they
 * were about this one.
 */
export function anotherCommitFailure(earlier: EarlierCommit): Failure {
  switch (earlier.kind) {
    case "empty":
      return failure(
        "failed_precondition",
        "transaction already committed with no reads or writes (an earlier Commit of the id had nothing to validate or write); a transaction commits once: begin a new one",
      );
    case "other":
      return failure("failed_precondition", `${COMMITS_ONCE_MESSAGE} (its commit with other reads or writes came first)`);
    case "refused":
      return failure(
        "aborted",
        `transaction aborted: its commit with other reads or writes was refused (${bareAbortReason(earlier.reason)}); a transaction commits once: retry it as a new transaction`,
      );
  }
}

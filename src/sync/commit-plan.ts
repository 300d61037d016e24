/**
 * The plain-data messages between the Worker, the coordinator and the
 * participants of a transaction.
 */
import type { Failure, FailureKind } from "../errors.js";
import { failure } from "../errors.js";
import { bareAbortReason } from "./abort-reason.js";
import { COMMITS_ONCE_MESSAGE } from "./another-commit.js";
import type { ParticipantRequest, TxWriteResult } from "./participant.js";

/** Everything the coordinator needs to run a commit. */
export interface CommitPlan {
  readonly txId: string;
  readonly deadlineMs: number;
  /**
   * The transaction's priority when it is a retry that may wait (lock-order.ts),
   * for the prepares of shards it only holds read locks on; else null.
   */
  readonly priority?: number | null;
  /** One request per participant shard. */
  readonly participants: ReadonlyArray<{ readonly shard: string; readonly request: ParticipantRequest }>;
}

/**
 * A commit plan named without its writes: what a coordinator that holds
 * the plan needs to know it is the same commit (`finishStagedByRef`).
 */
export interface PlanRef {
  readonly txId: string;
  /** The whole transaction's fingerprint of its reads and writes (`ParticipantRequest.txFingerprint`). */
  readonly txFingerprint: string;
  readonly deadlineMs: number;
  /** The participants' shards, in plan order. */
  readonly shards: readonly string[];
}

/** The reference of `plan`. */
export function planRefOf(plan: CommitPlan): PlanRef {
  return { txId: plan.txId, txFingerprint: plan.participants[0]?.request.txFingerprint ?? "", deadlineMs: plan.deadlineMs, shards: plan.participants.map((p) => p.shard) };
}

/**
 * The prepares of a commit: the plan's, plus an empty one (it validates
 * nothing and holds the locks already taken until the decision) for each
 * shard where the transaction took read locks as it read.
 */
export function withReadingShards(plan: CommitPlan, reading: readonly string[]): CommitPlan["participants"] {
  const template = plan.participants[0]?.request;
  const extra = reading
    .filter((shard) => !plan.participants.some((p) => p.shard === shard))
    .map((shard) => ({
      shard,
      request: {
        txId: plan.txId,
        expiresMs: plan.deadlineMs,
        reads: [],
        writes: [],
        txFingerprint: template?.txFingerprint ?? "reads-only",
        priority: plan.priority ?? null,
      },
    }));
  return [...plan.participants, ...extra];
}

/** The outcome of a commit. */
export type CommitOutcome =
  | { readonly ok: true; readonly commitTimeMs: number; readonly results: readonly TxWriteResult[] }
  | { readonly ok: false; readonly kind: FailureKind; readonly message: string };

/** What the coordinator says about a transaction someone is blocked on. */
export type Resolution =
  /** `txFingerprint`: the committed commit's, so a shard holding another commit's prepare of the id drops it rather than applying it. */
  | { readonly phase: "committed"; readonly commitTs: number; readonly txFingerprint?: string }
  /**
   * `winner`: set when the id is not aborted but its one commit is another (a one-phase claim's fingerprint), so only other commits' prepares are dropped.
   * Without it, also the answer to a shard outside the id's commit (TransactionCoordinator `resolve`'s `askingShard`): aborted there, whatever the id's fate.
   */
  | { readonly phase: "aborted"; readonly winner?: string }
  | { readonly phase: "pending" };

/**
 * Where a transaction id stands in its life, as its coordinator knows it.
 * "open" also covers a transaction committed in one phase on a single
 * shard, or a read-only one that committed: the coordinator holds only its
 * claim (one-phase-claims.ts), and that shard's own record (or, read-only,
 * the claim's time) answers for it.
 */
export type Lifecycle = "open" | "committing" | "committed" | "aborted" | "rolled_back";

/** A transaction's lifecycle as its coordinator answers it, with the recorded reason when it was aborted. */
export interface LifecycleAnswer {
  readonly lifecycle: Lifecycle;
  /** Why it was aborted (an AbortCause's words, a refused vote, a deadline); absent unless `lifecycle` is "aborted". */
  readonly abortReason?: string;
}

/** What a call of a rolled-back transaction answers (FAILED_PRECONDITION). */
export const ROLLED_BACK_MESSAGE = "transaction was rolled back: nothing of it is applied; begin a new transaction";

/**
 * Why a transaction in `lifecycle` may not read or start a new commit, or
 * null when it may. A rolled-back id answers FAILED_PRECONDITION (using it
 * is a mistake of the caller, not a conflict to retry), an aborted one
 * ABORTED (retry the transaction), a committed one FAILED_PRECONDITION.
 */
export function lifecycleFailure(answer: LifecycleAnswer): Failure | null {
  switch (answer.lifecycle) {
    case "open":
      return null;
    case "rolled_back":
      return failure("failed_precondition", ROLLED_BACK_MESSAGE);
    case "aborted":
      return failure("aborted", answer.abortReason === undefined ? "transaction aborted; retry it as a new transaction" : `transaction aborted: ${bareAbortReason(answer.abortReason)}; retry it as a new transaction`);
    case "committed":
    case "committing":
      return failure("failed_precondition", COMMITS_ONCE_MESSAGE);
  }
}

/** Test-only crash points, so tests can stop a coordinator mid-protocol. */
export type Failpoint = "after_first_prepare" | "after_decision" | "after_first_commit" | "after_stage";

/**
 * Why someone blocked by a transaction's locks asks its coordinator to
 * abort it: an older retry wounding it (wound-wait, lock-order.ts), a
 * request that waited INTENT_RESOLUTION_PATIENCE_ROUNDS for it, a shard's
 * alarm past its deadline, or a resharding's cutover that needed its locks
 * on moving documents (RESHARD_FENCE_PATIENCE_ROUNDS). The aborted transaction's later calls
 * answer ABORTED with matching words, so a client can tell a lost race
 * with an older transaction from a wait that ran out.
 */
export type AbortCause = "wounded" | "waited" | "expired" | "resharded";

/**
 * The plain-data messages between the Worker, the coordinator and the
 * participants of a transaction.
 */
import type { FailureKind } from "../errors.js";
import type { ParticipantRequest, TxWriteResult } from "./participant.js";

/** Everything the coordinator needs to run a commit. */
export interface CommitPlan {
  readonly txId: string;
  readonly deadlineMs: number;
  /** One request per participant shard. */
  readonly participants: ReadonlyArray<{ readonly shard: string; readonly request: ParticipantRequest }>;
}

/** The outcome of a commit. */
export type CommitOutcome =
  | { readonly ok: true; readonly commitTimeMs: number; readonly results: readonly TxWriteResult[] }
  | { readonly ok: false; readonly kind: FailureKind; readonly message: string };

/** What the coordinator says about a transaction someone is blocked on. */
export type Resolution =
  | { readonly phase: "committed"; readonly commitTimeMs: number }
  | { readonly phase: "aborted" }
  | { readonly phase: "pending" };

/** Test-only crash points, so tests can stop a coordinator mid-protocol. */
export type Failpoint = "after_first_prepare" | "after_decision" | "after_first_commit";

/**
 * The coordinator's side of two-phase commit as a pure state machine:
 * `transition(state, event) -> { state, effects }`. The coordinator object
 * persists the new state BEFORE it carries out any effect, so a crash at any
 * point leaves a state from which replaying the effects is safe (every
 * message to a participant is idempotent).
 *
 * Presumed abort: a transaction with no commit decision on record is
 * aborted. The decision to commit is taken only when every participant has
 * voted yes, and once taken it never changes; an abort may be decided at
 * any time before that (a no vote, a rollback, a deadline, or a reader that
 * needs the locks and has waited long enough).
 *
 * Parallel commit (after CockroachDB's, "Parallel Commits", SIGMOD 2020 and
 * its design RFC): a first attempt's Worker writes a STAGING record here
 * (`stage_requested`) at the same time as it sends the prepares, and tells
 * the client "committed" as soon as the record is durable and every
 * participant voted yes, before this machine hears the votes. So a staging
 * transaction is *implicitly committed* exactly when every participant holds
 * a durable prepare, and it must never be aborted by presumption: an abort,
 * a rollback, a deadline or a timer only asks for a `recover` effect, which
 * asks every participant that has not voted yes "prepared, or refuse it
 * now" (a refusal is durable: a later prepare of the id votes no). A
 * `refused` event is the only way from staging to aborted; all participants
 * prepared is the only way to committed. Both follow from durable state on
 * the shards, so everyone who looks decides the same.
 */

/** Where a transaction is. */
export type Phase = "idle" | "preparing" | "staging" | "committed" | "aborted";

/** The coordinator's durable record of one transaction. */
export interface CoordinatorState {
  readonly phase: Phase;
  readonly participants: readonly string[];
  /** Participants that voted yes. */
  readonly yes: readonly string[];
  /** Participants that have applied the decision. */
  readonly acked: readonly string[];
  readonly deadlineMs: number;
  readonly decidedAtMs: number | null;
  readonly abortReason: string | null;
  /**
   * The client rolled the transaction back: every later call of the id is
   * refused with FAILED_PRECONDITION. Absent in records written before
   * rollbacks were recorded.
   */
  readonly rolledBack?: boolean;
  /**
   * The largest commit timestamp proposed by a participant that voted yes
   * (µs); once committed, the transaction's commit timestamp on every
   * shard. Absent in records written before timestamps existed.
   */
  readonly commitTs?: number;
}

/** Something that happened to the transaction. */
export type Event =
  | { readonly type: "commit_requested"; readonly participants: readonly string[]; readonly deadlineMs: number; readonly nowMs: number }
  | { readonly type: "voted_yes"; readonly participant: string; readonly proposedTs: number; readonly nowMs: number }
  | { readonly type: "reading_registered"; readonly participants: readonly string[] }
  | {
      readonly type: "voted_no";
      readonly participant: string;
      readonly reason: string;
      readonly nowMs: number;
      /**
       * False when the participant answered no itself: it took no locks and
       * needs no abort. True when its answer was lost (it may have prepared).
       */
      readonly mayHavePrepared: boolean;
    }
  | { readonly type: "stage_requested"; readonly participants: readonly string[]; readonly deadlineMs: number; readonly nowMs: number }
  | {
      /**
       * Recovery of a staging transaction found `participant` without a
       * prepare and recorded its refusal there (or found it aborted): the
       * transaction can never be prepared everywhere.
       */
      readonly type: "refused";
      readonly participant: string;
      readonly reason: string;
      readonly nowMs: number;
    }
  | { readonly type: "abort_requested"; readonly reason: string; readonly nowMs: number }
  | { readonly type: "rollback_requested"; readonly nowMs: number }
  | { readonly type: "acked"; readonly participant: string }
  | { readonly type: "timer"; readonly nowMs: number };

/** Something the coordinator must do after persisting the new state. */
export type Effect =
  | { readonly type: "send_prepare"; readonly participant: string }
  | { readonly type: "send_commit"; readonly participant: string }
  | { readonly type: "send_abort"; readonly participant: string }
  | { readonly type: "set_timer"; readonly atMs: number }
  | { readonly type: "clear_timer" }
  /** Ask every participant of a staging transaction that has not voted yes: prepared, or refuse it now. */
  | { readonly type: "recover" };

/** How long after a deadline an undecided transaction is presumed aborted. */
export const DECISION_GRACE_MS = 2_000;
/** How soon an undelivered decision is sent again. */
export const DELIVERY_RETRY_MS = 1_000;
/**
 * How long after a staging record is written its coordinator recovers it
 * by itself (the Worker that staged it normally reports the votes within
 * milliseconds; this covers a Worker that went away), and how often a
 * recovery that could not reach a participant is tried again.
 */
export const STAGING_RECOVERY_MS = 1_000;

/** The state of a transaction the coordinator has never heard of. */
export function initialState(deadlineMs: number): CoordinatorState {
  return { phase: "idle", participants: [], yes: [], acked: [], deadlineMs, decidedAtMs: null, abortReason: null };
}

/** The commit timestamp (µs) of a committed state; records from before timestamps fall back to the decision time. */
export function commitTsOf(state: CoordinatorState): number {
  if (state.phase !== "committed") throw new Error(`invariant broken: commit timestamp of a ${state.phase} transaction`);
  return state.commitTs ?? state.decidedAtMs! * 1000;
}

/** Applies `event` to `state`. Pure. */
export function transition(state: CoordinatorState, event: Event): { state: CoordinatorState; effects: Effect[] } {
  const next = step(state, event);
  assertInvariants(state, next.state);
  if (state.phase === "staging" && next.state.phase === "aborted" && event.type !== "refused") {
    throw new Error(`invariant broken: a staging transaction aborted by ${event.type}, not by a participant's durable refusal`);
  }
  return next;
}

function step(s: CoordinatorState, e: Event): { state: CoordinatorState; effects: Effect[] } {
  switch (e.type) {
    case "commit_requested": {
      if (s.phase !== "idle") return { state: s, effects: [] };
      if (e.nowMs > e.deadlineMs) return decideAbort({ ...s, deadlineMs: e.deadlineMs }, "transaction expired before it could commit", e.nowMs);
      // Shards where the transaction took read locks as it read take part too, so the decision releases them.
      const participants = [...new Set([...s.participants, ...e.participants])];
      if (participants.length === 0) throw new Error("invariant broken: a commit needs at least one participant");
      const state: CoordinatorState = { ...s, phase: "preparing", participants, deadlineMs: e.deadlineMs };
      return {
        state,
        effects: [...participants.map((p): Effect => ({ type: "send_prepare", participant: p })), { type: "set_timer", atMs: e.deadlineMs + DECISION_GRACE_MS }],
      };
    }
    case "stage_requested": {
      if (s.phase !== "idle") return { state: s, effects: [] };
      if (s.participants.length > 0) throw new Error("invariant broken: a transaction that registered read locks commits through prepare, not staging");
      if (e.nowMs > e.deadlineMs) return decideAbort({ ...s, deadlineMs: e.deadlineMs }, "transaction expired before it could commit", e.nowMs);
      const participants = [...new Set(e.participants)];
      if (participants.length < 2) throw new Error("invariant broken: a staged commit has two or more participants");
      return { state: { ...s, phase: "staging", participants, deadlineMs: e.deadlineMs }, effects: [{ type: "set_timer", atMs: e.nowMs + STAGING_RECOVERY_MS }] };
    }
    case "refused": {
      if (s.phase !== "staging") return { state: s, effects: [] };
      assertParticipant(s, e.participant);
      if (s.yes.includes(e.participant)) throw new Error(`invariant broken: ${e.participant} refused a transaction it prepared`);
      // The refusing participant holds nothing: it has the decision.
      const acked = s.acked.includes(e.participant) ? s.acked : [...s.acked, e.participant];
      return decideAbort({ ...s, acked }, e.reason, e.nowMs);
    }
    case "voted_yes": {
      if ((s.phase !== "preparing" && s.phase !== "staging") || s.yes.includes(e.participant)) return { state: s, effects: [] };
      assertParticipant(s, e.participant);
      const yes = [...s.yes, e.participant];
      const commitTs = Math.max(s.commitTs ?? 0, e.proposedTs);
      if (yes.length < s.participants.length) return { state: { ...s, yes, commitTs }, effects: [] };
      const state: CoordinatorState = { ...s, yes, commitTs, phase: "committed", decidedAtMs: e.nowMs };
      return { state, effects: [...deliver(state), { type: "set_timer", atMs: e.nowMs + DELIVERY_RETRY_MS }] };
    }
    case "voted_no": {
      // A staging transaction's no votes are not final (a no for locks records nothing on the shard): only `refused` aborts it.
      if (s.phase === "staging") return { state: s, effects: [{ type: "recover" }] };
      if (s.phase !== "preparing") return { state: s, effects: [] };
      assertParticipant(s, e.participant);
      // A participant that said no holds nothing: count it as having the decision.
      const acked = e.mayHavePrepared || s.acked.includes(e.participant) ? s.acked : [...s.acked, e.participant];
      return decideAbort({ ...s, acked }, e.reason, e.nowMs);
    }
    case "reading_registered": {
      // Only before the commit starts: the Worker registers a shard before it takes read locks there.
      if (s.phase !== "idle") return { state: s, effects: [] };
      const participants = [...new Set([...s.participants, ...e.participants])];
      return { state: { ...s, participants }, effects: [{ type: "set_timer", atMs: s.deadlineMs + DECISION_GRACE_MS }] };
    }
    case "abort_requested":
      if (s.phase === "committed" || s.phase === "aborted") return { state: s, effects: [] };
      // Its client may already have been told it committed: find out, and abort only if some participant refuses.
      if (s.phase === "staging") return { state: s, effects: [{ type: "recover" }] };
      return decideAbort(s, e.reason, e.nowMs);
    case "rollback_requested":
      // A rollback after the commit decision undoes nothing; after an abort
      // it only marks the id as rolled back. A staging transaction is
      // decided first (the coordinator recovers it, then rolls back).
      if (s.phase === "committed" || s.phase === "staging") return { state: s, effects: s.phase === "staging" ? [{ type: "recover" }] : [] };
      if (s.phase === "aborted") return { state: { ...s, rolledBack: true }, effects: [] };
      return decideAbort({ ...s, rolledBack: true }, "rolled back by the client", e.nowMs);
    case "acked": {
      if (s.phase !== "committed" && s.phase !== "aborted") return { state: s, effects: [] };
      if (s.acked.includes(e.participant) || !s.participants.includes(e.participant)) return { state: s, effects: [] };
      const acked = [...s.acked, e.participant];
      const state = { ...s, acked };
      return { state, effects: acked.length === s.participants.length ? [{ type: "clear_timer" }] : [] };
    }
    case "timer":
      if (s.phase === "staging") return { state: s, effects: [{ type: "recover" }, { type: "set_timer", atMs: e.nowMs + STAGING_RECOVERY_MS }] };
      if (s.phase === "idle" || s.phase === "preparing") {
        if (e.nowMs >= s.deadlineMs + DECISION_GRACE_MS) return decideAbort(s, "transaction did not reach a decision before its deadline", e.nowMs);
        return { state: s, effects: [{ type: "set_timer", atMs: s.deadlineMs + DECISION_GRACE_MS }] };
      }
      if (s.acked.length === s.participants.length) return { state: s, effects: [{ type: "clear_timer" }] };
      return { state: s, effects: [...deliver(s), { type: "set_timer", atMs: e.nowMs + DELIVERY_RETRY_MS }] };
  }
}

function decideAbort(s: CoordinatorState, reason: string, nowMs: number): { state: CoordinatorState; effects: Effect[] } {
  const state: CoordinatorState = { ...s, phase: "aborted", decidedAtMs: nowMs, abortReason: reason };
  if (state.acked.length === state.participants.length) return { state, effects: [{ type: "clear_timer" }] };
  return { state, effects: [...deliver(state), { type: "set_timer", atMs: nowMs + DELIVERY_RETRY_MS }] };
}

/** Sends the decision to every participant that has not applied it yet. */
function deliver(s: CoordinatorState): Effect[] {
  const type = s.phase === "committed" ? "send_commit" : "send_abort";
  return s.participants.filter((p) => !s.acked.includes(p)).map((participant) => ({ type, participant }));
}

function assertParticipant(s: CoordinatorState, participant: string): void {
  if (!s.participants.includes(participant)) throw new Error(`invariant broken: vote from ${participant}, not a participant`);
}

/** What must hold across every transition. */
function assertInvariants(before: CoordinatorState, after: CoordinatorState): void {
  const fail = (what: string) => {
    throw new Error(`invariant broken: ${what} (${before.phase} -> ${after.phase})`);
  };
  if (before.phase === "committed" && after.phase !== "committed") fail("a commit decision never changes");
  if (before.phase === "aborted" && after.phase !== "aborted") fail("an abort decision never changes");
  if (before.rolledBack === true && after.rolledBack !== true) fail("a rollback is never forgotten");
  if (after.rolledBack === true && after.phase !== "aborted") fail("a rolled-back transaction is aborted");
  if (after.phase === "committed" && !after.participants.every((p) => after.yes.includes(p))) fail("commit only after every participant voted yes");
  if (after.acked.some((p) => !after.participants.includes(p))) fail("only participants acknowledge");
  if (after.phase !== "committed" && after.phase !== "aborted" && after.acked.length > 0) fail("only a decision is acknowledged");
  if (before.phase === "staging" && after.phase !== "staging" && after.phase !== "committed" && after.phase !== "aborted") fail("staging ends only in a decision");
  if ((after.phase === "committed" || after.phase === "aborted") && after.decidedAtMs === null) fail("a decision has a time");
  if (before.phase === "committed" && after.commitTs !== before.commitTs) fail("a commit timestamp never changes");
  // Checked when the commit is decided: records decided before timestamps existed carry none.
  if (before.phase !== "committed" && after.phase === "committed" && after.commitTs === undefined) fail("a commit has a timestamp");
}

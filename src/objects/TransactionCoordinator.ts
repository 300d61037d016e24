/**
 * A transaction coordinator: a Durable Object holding the durable records of
 * the multi-shard transactions whose ids name it, and driving their
 * two-phase commit. COORDINATOR_COUNT of them share the load, so no object
 * is created per transaction. The protocol is the pure state machine in
 * `src/sync/twoPhaseCommit.ts`; this class persists each new state before
 * carrying out its effects, and its alarm recovers transactions left in
 * doubt by a crash.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { COORDINATOR_LEASES_MAX, COORDINATOR_RECORDS_PER_ALARM_MAX, TX_READ_LOCK_LEASE_MS, TX_RECORD_RETENTION_MS } from "../limits.js";
import { shardStub } from "../shards/shard-client.js";
import { transactionEnv } from "../sync/coordinator-client.js";
import { bareAbortReason } from "../sync/abort-reason.js";
import { assertNotErased, eraseDatabase, isErased } from "./tombstone.js";
import { migrate } from "../storage/schema.js";
import { anotherCommitFailure, COMMITS_ONCE_MESSAGE } from "../sync/another-commit.js";
import { lifecycleFailure, ROLLED_BACK_MESSAGE, planRefOf, withReadingShards, type AbortCause, type CommitOutcome, type CommitPlan, type Failpoint, type Lifecycle, type LifecycleAnswer, type PlanRef, type Resolution } from "../sync/commit-plan.js";
import {
  COORDINATOR_MIGRATIONS,
  dueRecords,
  forget,
  loadRecord,
  nextDue,
  planFingerprintOf,
  saveState,
  saveVote,
  votesOf,
  type CoordinatorRecord,
} from "../sync/coordinator-store.js";
import type { ParticipantRequest, RecoveryStatus, Vote } from "../sync/participant.js";
import { commitTsOf, DECISION_GRACE_MS, initialState, transition, type CoordinatorState, type Effect, type Event } from "../sync/twoPhaseCommit.js";
import { timestampMs } from "../sync/hybrid-clock.js";
import { clearFinished, untilUnblocked, type PriorityBlocked } from "../sync/intent-resolver.js";
import { LeaseTable, mayGoQuiet, quietPastLease } from "../sync/read-lock-lease.js";
import { failure, FailureError, type Failure, type FailureKind } from "../errors.js";
import { claimOnePhase, forgetClaims, loadClaim, moveClaim, nextClaimForgetMs, type ClaimAnswer } from "../sync/one-phase-claims.js";

/** How often a commit waiting on a concurrent commit of the same transaction looks again. */
const DECISION_POLL_MS = 10;
/** A participant's words for a commit that came after the deadline (participant.ts), said by the coordinator for a commit no shard checks. */
const EXPIRED_BEFORE_COMMIT_MESSAGE = "transaction expired before it could commit; retry it";

/** The words of each AbortCause (sync/commit-plan.ts) in the aborted transaction's later answers. */
const ABORT_REASONS: Record<AbortCause, string> = {
  wounded: "aborted by an older transaction that needed its locks (wound-wait)",
  waited: "aborted to release locks another request was waiting for",
  expired: "aborted by a participant past the transaction's deadline",
  resharded: "aborted by a resharding's cutover that needed its locks on documents that move",
};

export class TransactionCoordinator extends DurableObject<Env> {
  private failpoint: Failpoint | null = null;
  /**
   * Commits preparing now, with every shard they prepare on (the plan's and
   * those where the transaction took read locks); not yet written anywhere
   * (presumed abort covers a crash).
   */
  private readonly inflight = new Map<string, { plan: CommitPlan; shards: readonly string[] }>();

  /**
   * When each transaction's calls were last heard of, in memory only (a
   * renewal must not cost a durable write): an undecided transaction quiet
   * for TX_READ_LOCK_LEASE_MS is aborted by whoever its locks block
   * (sync/read-lock-lease.ts).
   */
  private readonly leases = new LeaseTable(COORDINATOR_LEASES_MAX);

  /** True once DeleteDatabase erased this coordinator: every call is refused (tombstone.ts). */
  private erased: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.erased = isErased(ctx.storage.sql);
    if (this.erased) return;
    ctx.storage.transactionSync(() => {
      migrate(ctx.storage.sql, "coordinator", COORDINATOR_MIGRATIONS);
    });
  }

  /**
   * Runs two-phase commit for `plan` and answers once the decision is
   * durable; the decision reaches the participants in the background (and
   * by alarm until each has applied it). Repeating a commit answers the
   * same decision. `failpoint` is for tests only: it resets the object at
   * that point of the protocol.
   *
   * Nothing is written before the votes are in: under presumed abort a
   * transaction with no record is aborted, so a crash while preparing
   * loses nothing, and the commit costs one durable write here (the
   * decision) after the participants' prepares.
   */
  async commit(plan: CommitPlan, failpoint?: Failpoint): Promise<CommitOutcome> {
    assertNotErased(this.erased);
    this.failpoint = failpoint ?? null;
    const existing = loadRecord(this.sql, plan.txId, true);
    // Another commit of the id came first (claimed by a one-phase commit, sync/one-phase-claims.ts, or
    // planned here), or was refused. The same commit again (a resharding may have spread its documents
    // over other shards since) is not another.
    const another = this.anotherCommit(plan.txId, fingerprintOfPlan(plan));
    if (another !== null) return another;
    // An aborted id stays aborted, whatever this commit holds: answer its abort, with its reason.
    if (existing !== null && existing.state.phase === "aborted") return this.awaitDecision(plan.txId);
    // The same commit sent again after a resharding moved its documents (its plan names other shards now): its decision.
    if (existing?.plan != null && existing.state.phase === "committed" && fingerprintOfPlan(existing.plan) === fingerprintOfPlan(plan)) return this.awaitDecision(plan.txId);
    if (existing?.plan != null && JSON.stringify(existing.plan) !== JSON.stringify(plan)) {
      // A transaction id commits one set of writes; a retry must repeat it exactly.
      return {
        ok: false,
        kind: "failed_precondition",
        message: COMMITS_ONCE_MESSAGE,
      };
    }
    if ((existing === null || existing.state.phase === "idle") && !this.inflight.has(plan.txId)) {
      const prepares = withReadingShards(plan, existing?.state.participants ?? []);
      if (prepares.length === 0) return this.commitNothing(plan);
      const participants = prepares.map((p) => p.shard);
      const before = existing?.state ?? initialState(plan.deadlineMs);
      const start = transition(before, { type: "commit_requested", participants, deadlineMs: plan.deadlineMs, nowMs: Date.now() });
      this.inflight.set(plan.txId, { plan, shards: participants });
      try {
        const votes = await Promise.all(prepares.map((p) => this.prepareOn(p.shard, p.request)));
        this.decide(plan, start.state, votes);
      } finally {
        this.inflight.delete(plan.txId);
        this.leases.forget(plan.txId);
      }
      const record = this.record(plan.txId)!;
      await this.armAlarm();
      if (record.state.phase === "committed" && this.failpoint === "after_decision") {
        // Crash once the decision is durable and before any delivery.
        await this.ctx.storage.sync();
        this.crashAt("after_decision");
      }
      // The decision is durable; delivering it is not on the client's path.
      this.ctx.waitUntil(this.run(record, deliveryEffects(record.state)));
    }
    return this.awaitDecision(plan.txId);
  }

  /**
   * Parallel commit, step one (src/sync/parallel-commit.ts): writes the
   * STAGING record of a first attempt's commit over two or more shards,
   * while the Worker sends the prepares itself. True when the record of
   * this very plan is staging (written now, or before by the same commit
   * sent again): the Worker may then tell its client "committed" as soon
   * as every participant votes yes. False when the id already has another
   * fate (aborted, decided, committing through two phases, claimed by a
   * one-phase commit, or past its deadline); `finishStaged` then answers it.
   */
  async stage(plan: CommitPlan, failpoint?: Failpoint): Promise<boolean> {
    assertNotErased(this.erased);
    this.failpoint = failpoint ?? null;
    const existing = loadRecord(this.sql, plan.txId, true);
    if (existing !== null) return existing.state.phase === "staging" && JSON.stringify(existing.plan) === JSON.stringify(plan);
    // A one-phase claim of the id is this same commit when its fingerprint is: a one-shard commit a
    // resharding refused (nothing applied) is sent again under the new table, where it may span shards.
    // The claim is read once here: every parallel commit stages, and most ids have none.
    const claim = loadClaim(this.sql, plan.txId);
    if (this.inflight.has(plan.txId) || (claim !== null && claim.fingerprint !== fingerprintOfPlan(plan))) return false;
    // The same commit, claimed and applied by a one-phase commit on one shard before a resharding
    // spread its documents over several: never staged again (finishStaged answers that commit).
    // Only such a claim makes this wait on its shard; after it, the checks above are made again,
    // since other calls of the id may have run meanwhile (they check and write with no await between).
    if (claim !== null && claim.shard !== "") {
      if ((await this.appliedOnePhase(plan)) !== null) return false;
      if (loadRecord(this.sql, plan.txId, true) !== null || this.inflight.has(plan.txId) || this.claimedByAnother(plan)) return false;
    }
    const nowMs = Date.now();
    const participants = plan.participants.map((p) => p.shard);
    const { state, effects } = transition(initialState(plan.deadlineMs), { type: "stage_requested", participants, deadlineMs: plan.deadlineMs, nowMs });
    // Past its deadline it is aborted (and recorded so, with no participant holding anything yet).
    const dueMs = state.phase === "staging" ? dueTime({ dueMs: plan.deadlineMs, state }, effects) : plan.deadlineMs + TX_RECORD_RETENTION_MS;
    this.ctx.storage.transactionSync(() => saveState(this.sql, plan.txId, state, plan, dueMs));
    await this.armAlarm();
    if (state.phase !== "staging") return false;
    if (this.failpoint === "after_stage") {
      await this.ctx.storage.sync();
      this.crashAt("after_stage");
    }
    return true;
  }

  /**
   * Parallel commit, step two: the votes the Worker collected for `plan`.
   * A staging record takes the yes votes (all yes: committed, and the
   * decision is delivered); any other answer makes the coordinator recover
   * the transaction (a no vote for locks records nothing on the shard, so
   * only a participant's durable refusal may abort it). Answers the
   * outcome, as `commit` does. When the id had another fate (stage said
   * false), shards that prepared this plan's part are told to abort it
   * (their own alarm would, past the deadline).
   */
  /**
   * `finishStaged` for the plan this coordinator already holds for `ref`
   * (the same reads and writes, shards and deadline: `samePlan`), so the
   * Worker need not send a plan of up to TX_BYTES_MAX again beside its
   * votes: one RPC's arguments are limited to 32 MiB (workerd), and a plan
   * of 10 MiB of text, held as UTF-16, with votes that repeat its
   * documents passed it. `{ needPlan: true }` when this coordinator holds
   * no such plan (its stage failed, or another commit has the id): the
   * caller then sends the plan itself.
   */
  async finishStagedByRef(ref: PlanRef, votes: ReadonlyArray<{ shard: string; vote: Vote }>): Promise<CommitOutcome | { needPlan: true }> {
    assertNotErased(this.erased);
    const record = loadRecord(this.sql, ref.txId, true);
    if (record?.plan == null || !samePlan(record.plan, ref)) return { needPlan: true };
    return this.finishStaged(record.plan, votes);
  }

  async finishStaged(plan: CommitPlan, votes: ReadonlyArray<{ shard: string; vote: Vote }>): Promise<CommitOutcome> {
    assertNotErased(this.erased);
    const record = loadRecord(this.sql, plan.txId, true);
    if (record === null || record.state.phase !== "staging" || JSON.stringify(record.plan) !== JSON.stringify(plan)) {
      const another = this.anotherCommit(plan.txId, fingerprintOfPlan(plan));
      // Shards that prepared this plan's part (or may have: no answer) while the id had another fate.
      // With `winner` (the fingerprint of the commit that has the id), only prepares of other commits
      // are dropped: the shard may hold the winner's own prepare, or its commit.
      const abortStrays = async (winner?: string) => {
        const forgetAtMs = plan.deadlineMs + TX_RECORD_RETENTION_MS;
        const stray = votes.filter((v) => v.vote.vote === "yes" || v.vote.kind === "unavailable").map((v) => v.shard);
        await Promise.all(stray.map((shard) => shardStub(transactionEnv(this.env, plan.txId), shard).txAbort(plan.txId, forgetAtMs, winner).catch(() => undefined)));
      };
      // An aborted id stays aborted, whatever this commit holds: answer its abort, with its reason.
      if (record?.state.phase === "aborted") {
        await abortStrays();
        return another ?? this.awaitDecision(plan.txId);
      }
      if (record?.plan != null && JSON.stringify(record.plan) !== JSON.stringify(plan)) {
        if (fingerprintOfPlan(record.plan) === fingerprintOfPlan(plan)) {
          // The same commit sent again after a resharding moved its documents: this plan names other
          // shards. Its prepares on shards that were not the commit's participants hold the same
          // writes again and must never commit; the commit's own participants hold their commit (or
          // their prepare, when it is still staging: decided from them first, as its client may have
          // been told it committed).
          if (record.state.phase === "staging") await this.recover(plan.txId);
          await this.dropRepeatPrepares(plan, votes, new Set(record.state.participants));
          return this.awaitDecision(plan.txId);
        }
        await abortStrays(fingerprintOfPlan(record.plan));
        return another ?? { ok: false, kind: "failed_precondition", message: COMMITS_ONCE_MESSAGE };
      }
      if (record === null) {
        const applied = await this.appliedOnePhase(plan);
        if (applied !== null) {
          await this.dropRepeatPrepares(plan, votes, new Set([applied.shard]));
          return { ok: true, commitTimeMs: timestampMs(applied.vote.ts), results: applied.vote.results };
        }
      }
      const claim = record === null ? loadClaim(this.sql, plan.txId) : null;
      if (claim !== null && another !== null) {
        await abortStrays(claim.fingerprint);
        return another;
      }
      // Not staged (its stage failed, or a reader aborted the id before the stage arrived): aborted for good, so a stage arriving late is refused.
      await this.ensureRecord(plan.txId, plan.deadlineMs);
      const phase = this.record(plan.txId)!.state.phase;
      if (phase === "idle") await this.apply(plan.txId, { type: "abort_requested", reason: "its commit could not be staged at its coordinator", nowMs: Date.now() });
      if (this.record(plan.txId)!.state.phase === "aborted") await abortStrays();
      return this.awaitDecision(plan.txId);
    }
    // Every vote is kept (an abort answers with the first no's own code and
    // words: a stale read, a failed precondition), and the yes votes are
    // applied to the record, all in one durable write.
    const decided = this.ctx.storage.transactionSync(() => {
      const current = this.record(plan.txId)!;
      let state = current.state;
      let dueMs = current.dueMs;
      const effects: Effect[] = [];
      for (const { shard, vote } of votes) {
        saveVote(this.sql, plan.txId, shard, vote);
        if (vote.vote !== "yes") continue;
        const next = transition(state, { type: "voted_yes", participant: shard, proposedTs: vote.ts, nowMs: Date.now() });
        state = next.state;
        effects.push(...next.effects);
        dueMs = dueTime({ dueMs, state }, next.effects);
      }
      saveState(this.sql, plan.txId, state, null, dueMs);
      return { record: { ...current, state, dueMs }, effects };
    });
    await this.armAlarm();
    this.ctx.waitUntil(this.run(decided.record, decided.effects));
    if (this.record(plan.txId)!.state.phase === "staging") await this.recover(plan.txId);
    return this.awaitDecision(plan.txId);
  }

  /**
   * The answer to a commit of `txId` whose reads and writes (`fingerprint`)
   * differ from the commit the id already has: one claimed by a one-phase
   * commit (an empty one, or with reads or writes), one planned here, or
   * one that was refused, which aborted the id. Null when the id has no
   * other commit (none yet, this same one, or an abort that came before any
   * commit: its lifecycle answers then).
   */
  private anotherCommit(txId: string, fingerprint: string): Failure | null {
    const record = this.record(txId);
    const claim = loadClaim(this.sql, txId);
    const earlier = planFingerprintOf(this.sql, txId) ?? claim?.fingerprint ?? null;
    if (earlier === null || earlier === fingerprint) return null;
    if (record?.state.phase === "aborted") {
      if (record.state.rolledBack === true) return null;
      return anotherCommitFailure({ kind: "refused", reason: abortOutcome(votesOf(this.sql, txId, record.state.participants), record.state).message });
    }
    if (record === null && claim !== null) return anotherCommitFailure(claim.shard === "" ? { kind: "empty" } : { kind: "other" });
    return record?.state.phase === "idle" ? null : anotherCommitFailure({ kind: "other" });
  }

  /**
   * The first answer of the one-phase commit claimed for `txId`, when the
   * shard refused it and `fingerprint` is that same commit sent again, so
   * a repeat answers the same code and words (a precondition's
   * FAILED_PRECONDITION stays one); else null.
   */
  private refusedBefore(txId: string, fingerprint: string): Failure | null {
    const claim = loadClaim(this.sql, txId);
    if (claim === null || claim.fingerprint !== fingerprint || this.record(txId)?.state.phase !== "aborted") return null;
    const vote = votesOf(this.sql, txId, [claimVoter(claim.shard)])[0];
    return vote?.vote === "no" ? failure(vote.kind, vote.message) : null;
  }

  /**
   * The one-phase commit of `plan`'s id that its claimed shard applied, when
   * the claim is of these same reads and writes (a commit sent again after a
   * resharding spread its documents over several shards); else null. Asks
   * the claimed shard (StorageObject.txRecordedVote) only when such a claim
   * exists.
   */
  private async appliedOnePhase(plan: CommitPlan): Promise<{ shard: string; vote: Vote & { vote: "yes" } } | null> {
    if (!this.sameCommitClaimed(plan)) return null;
    const claim = loadClaim(this.sql, plan.txId)!;
    const vote = await shardStub(transactionEnv(this.env, plan.txId), claim.shard).txRecordedVote(plan.txId, claim.fingerprint);
    return vote?.vote === "yes" ? { shard: claim.shard, vote } : null;
  }

  /** True when a one-phase commit on a shard claimed `plan`'s id with these same reads and writes. */
  private sameCommitClaimed(plan: CommitPlan): boolean {
    const claim = loadClaim(this.sql, plan.txId);
    return claim !== null && claim.shard !== "" && claim.fingerprint === fingerprintOfPlan(plan);
  }

  /**
   * Aborts the prepares a repeated commit made on shards outside `owners`
   * (the shards that applied the id's commit): each holds the commit's
   * writes a second time, and must never commit them. Shards in `owners`
   * are left as they are (they answered the repeat from their record).
   */
  private async dropRepeatPrepares(plan: CommitPlan, votes: ReadonlyArray<{ shard: string; vote: Vote }>, owners: ReadonlySet<string>): Promise<void> {
    const forgetAtMs = plan.deadlineMs + TX_RECORD_RETENTION_MS;
    const strays = votes.filter((v) => !owners.has(v.shard) && (v.vote.vote === "yes" || v.vote.kind === "unavailable")).map((v) => v.shard);
    await Promise.all(strays.map((shard) => shardStub(transactionEnv(this.env, plan.txId), shard).txAbort(plan.txId, forgetAtMs)));
  }

  /**
   * True when a one-phase commit claimed `plan`'s id with other reads or
   * writes (sync/one-phase-claims.ts). The same commit (same fingerprint)
   * is not another: a resharding may have refused it on one shard and the
   * Worker sent it again under the new table, over several.
   */
  private claimedByAnother(plan: CommitPlan): boolean {
    const claim = loadClaim(this.sql, plan.txId);
    return claim !== null && claim.fingerprint !== plan.participants[0]?.request.txFingerprint;
  }

  /**
   * Decides a staging transaction from what its participants durably hold
   * (twoPhaseCommit.ts, "Parallel commit"): each participant that has not
   * voted yes is asked for its prepare, or refuses the transaction now. All
   * prepared: committed; one refusal: aborted. A participant that cannot
   * be reached leaves it staging; the record's timer tries again.
   */
  private async recover(txId: string): Promise<void> {
    const record = this.record(txId);
    if (record === null || record.state.phase !== "staging") return;
    const { state } = record;
    const forgetAtMs = state.deadlineMs + TX_RECORD_RETENTION_MS;
    const pending = state.participants.filter((p) => !state.yes.includes(p));
    // A shard may hold another commit's prepare of the id (one that lost the id to this plan): it does not count.
    const fingerprint = planFingerprintOf(this.sql, txId) ?? undefined;
    await Promise.all(
      pending.map(async (shard) => {
        let status: RecoveryStatus;
        try {
          status = await shardStub(transactionEnv(this.env, txId), shard).txPrepareStatusOrRefuse(txId, forgetAtMs, fingerprint);
        } catch (err) {
          console.warn(`recovering staging transaction ${txId}: ${shard} did not answer; its timer tries again`, err);
          return;
        }
        if (status.status === "prepared") {
          this.ctx.storage.transactionSync(() => saveVote(this.sql, txId, shard, status.vote));
          await this.apply(txId, { type: "voted_yes", participant: shard, proposedTs: status.vote.ts, nowMs: Date.now() });
        } else if (status.status === "refused") {
          // The shard's own no (a stale read, a failed precondition), when the Worker reported one, says why better.
          const reported = votesOf(this.sql, txId, [shard])[0];
          const reason = reported?.vote === "no" && reported.kind !== "unavailable" ? reported.message : status.reason;
          await this.apply(txId, { type: "refused", participant: shard, reason, nowMs: Date.now() });
        } else if (this.record(txId)?.state.phase !== "committed") {
          // Only a commit decision (taken here, by a recovery running beside this one) lets a shard commit.
          throw new Error(`invariant broken: ${shard} committed ${txId} while its coordinator had not decided to`);
        }
      }),
    );
  }

  /**
   * Applies the votes to the in-memory state and persists the decision with
   * the votes, in one write. If a blocked reader aborted the transaction
   * while it prepared, that abort stands.
   */
  private decide(plan: CommitPlan, preparing: CoordinatorState, votes: ReadonlyArray<{ shard: string; vote: Vote }>): void {
    this.ctx.storage.transactionSync(() => {
      const current = this.record(plan.txId);
      let state = current === null || current.state.phase === "idle" ? preparing : current.state;
      let dueMs = current?.dueMs ?? plan.deadlineMs;
      for (const { shard, vote } of votes) {
        saveVote(this.sql, plan.txId, shard, vote);
        const event: Event =
          vote.vote === "yes"
            ? { type: "voted_yes", participant: shard, proposedTs: vote.ts, nowMs: Date.now() }
            : {
                type: "voted_no",
                participant: shard,
                reason: `${vote.kind}: ${vote.message}`,
                nowMs: Date.now(),
                mayHavePrepared: vote.kind === "unavailable",
              };
        const next = transition(state, event);
        state = next.state;
        dueMs = dueTime({ dueMs, state }, next.effects);
      }
      if (state.phase === "preparing") {
        // Every participant answered, so a preparing state means an earlier
        // abort was recorded for a different set of participants.
        throw new Error(`invariant broken: ${plan.txId} undecided after every vote`);
      }
      saveState(this.sql, plan.txId, state, plan, dueMs);
    });
  }

  /**
   * Says where a transaction stands, for someone blocked on its locks. With
   * `abortIfUndecided`, an undecided transaction is aborted now (presumed
   * abort lets the coordinator do that at any time before it decides to
   * commit), so a reader never waits on it forever. Without it, a
   * transaction is aborted all the same when it has gone quiet: undecided,
   * not committing, and not heard from for TX_READ_LOCK_LEASE_MS
   * (sync/read-lock-lease.ts), so an abandoned retry's read locks stall
   * nobody for long.
   *
   * `askingShard`: the name of the shard that holds the prepare or lock
   * (when it knows it). A shard outside the participants of the id's one
   * commit (its final set: staging, preparing or decided; or the shard of
   * its one-phase claim) is answered "aborted" for itself, whatever the id's
   * fate: what it holds is a repeated Commit's prepare after a resharding
   * moved the documents (the same reads and writes, so the same
   * fingerprint), and applying it would apply the commit a second time.
   * The coordinator records nothing for it.
   */
  async resolve(txId: string, deadlineMs: number, abortIfUndecided: boolean, why: AbortCause = "waited", askingShard?: string): Promise<Resolution> {
    assertNotErased(this.erased);
    const nowMs = Date.now();
    if (askingShard !== undefined && this.outsideCommit(txId, askingShard)) return { phase: "aborted" };
    // The id's one commit was claimed by a one-phase commit, which holds no
    // locks: a lock of the id is a losing commit's prepare, never to commit.
    // Answered without recording an abort, which would unsay that commit.
    const claim = this.record(txId) === null && !this.inflight.has(txId) ? loadClaim(this.sql, txId) : null;
    if (claim !== null) return { phase: "aborted", winner: claim.fingerprint };
    const quiet = !abortIfUndecided && this.quiet(txId, deadlineMs, nowMs);
    if (this.record(txId) === null) {
      if (!abortIfUndecided && !quiet) return { phase: "pending" };
      await this.ensureRecord(txId, deadlineMs);
    }
    const phase = this.record(txId)!.state.phase;
    // A staging transaction may be committed already (its client told so): it is decided from its participants, never presumed aborted.
    if (abortIfUndecided && phase === "staging") await this.recover(txId);
    if ((abortIfUndecided || quiet) && (phase === "idle" || phase === "preparing")) {
      const reason = quiet
        ? `it was quiet for more than TX_READ_LOCK_LEASE_MS (${TX_READ_LOCK_LEASE_MS} ms) while another transaction waited for its locks`
        : ABORT_REASONS[why];
      await this.apply(txId, { type: "abort_requested", reason, nowMs });
      this.leases.forget(txId);
    }
    return resolutionOf(this.record(txId)!.state, planFingerprintOf(this.sql, txId));
  }

  /**
   * True when `shard` can hold no part of `txId`'s one commit: the id's
   * participants are final (staging, preparing, committed or aborted) and
   * do not include it, or the id's commit was claimed by a one-phase commit
   * on another shard. False while the set may still grow (idle: a retry
   * registers the shards it reads; a commit in flight not yet recorded).
   */
  private outsideCommit(txId: string, shard: string): boolean {
    if (this.inflight.has(txId)) return !this.inflight.get(txId)!.shards.includes(shard);
    const state = this.record(txId)?.state;
    if (state !== undefined) return state.phase !== "idle" && !state.participants.includes(shard);
    const claim = loadClaim(this.sql, txId);
    return claim !== null && claim.shard !== shard;
  }

  /** True when `txId` has gone quiet past its lease (sync/read-lock-lease.ts). */
  private quiet(txId: string, deadlineMs: number, nowMs: number): boolean {
    const state = this.record(txId)?.state;
    const view = { phase: state?.phase ?? null, committing: this.inflight.has(txId) };
    // Only a transaction that can go quiet gets a lease (the table holds no others).
    if (!mayGoQuiet(view)) return false;
    // The caller may not know the deadline (a blocked request passes its own clock); the record does.
    const heardMs = this.leases.lastHeardMs(txId, nowMs, state?.deadlineMs ?? deadlineMs);
    return quietPastLease({ ...view, heardMs }, nowMs, TX_READ_LOCK_LEASE_MS);
  }

  /**
   * Rolls a transaction back: records it (durably, before answering) so
   * that every later call of the id, on any Worker, is refused, and
   * releases its read locks before answering. A rollback after the commit
   * decision changes nothing.
   */
  async rollback(txId: string, deadlineMs: number): Promise<void> {
    assertNotErased(this.erased);
    // A one-phase commit was claimed (and so may have been applied): a
    // rollback after a commit changes nothing, and must not make the id
    // say "rolled back: nothing of it is applied".
    if (this.record(txId) === null && loadClaim(this.sql, txId) !== null) return;
    // A staging commit is decided first: a rollback after it committed changes nothing.
    if (this.record(txId)?.state.phase === "staging") await this.recover(txId);
    if (this.record(txId)?.state.phase === "staging") throw new FailureError("unavailable", "the transaction is committing and a participant did not answer; try the rollback again");
    await this.ensureRecord(txId, deadlineMs);
    await this.apply(txId, { type: "rollback_requested", nowMs: Date.now() }, true);
    this.leases.forget(txId);
    // The abort may have been decided earlier (a commit that aborted) and be
    // still on its way; a client retries right after its rollback, and its
    // retry must not meet this attempt's read locks, so deliver it now.
    const record = this.record(txId)!;
    if (record.state.phase === "aborted") await this.run(record, deliveryEffects(record.state));
  }

  /**
   * Records that a retry will take read locks on `shards` (before it takes
   * them), so that its commit or abort releases them: they take part in its
   * two-phase commit, and an abort (rollback, deadline, a waiter that ran
   * out of patience, or found it quiet past its lease) is delivered to
   * them. Every call renews the transaction's lease (the Worker calls this
   * before each locking read, and again on each round of one that waits).
   * Answers the transaction's lifecycle; only an "open" one may go on
   * reading.
   */
  async register(txId: string, deadlineMs: number, shards: readonly string[]): Promise<LifecycleAnswer> {
    assertNotErased(this.erased);
    const lifecycle = this.lifecycle(txId);
    if (lifecycle.lifecycle !== "open") return lifecycle;
    this.leases.heard(txId, Date.now(), deadlineMs);
    const known = this.record(txId)?.state.participants ?? [];
    if (shards.every((s) => known.includes(s))) return lifecycle;
    await this.ensureRecord(txId, deadlineMs);
    await this.apply(txId, { type: "reading_registered", participants: shards });
    return this.lifecycle(txId);
  }

  /**
   * Before a one-phase commit of a transaction a client began
   * (sync/one-phase-claims.ts): the lifecycle of a transaction this
   * coordinator already holds a record of (aborted, rolled back, committed
   * through two phases; the Worker then has the shard refuse anything new),
   * else the claim of its one commit: claimed (go on) or a conflict with
   * the commit claimed before. The claim is compared by `fingerprint` (the
   * commit's reads and writes) alone; `shard` is recorded for diagnosis, as
   * a commit a resharding refused is sent again under the new table, where
   * the same commit may lie on another shard.
   */
  async claimOnePhase(
    txId: string,
    deadlineMs: number,
    shard: string,
    fingerprint: string,
    answerMs: number | null = null,
  ): Promise<{ readonly lifecycle: LifecycleAnswer; readonly claim: ClaimAnswer | null; readonly another: Failure | null }> {
    assertNotErased(this.erased);
    const lifecycle = this.lifecycle(txId);
    if (lifecycle.lifecycle !== "open") return { lifecycle, claim: null, another: this.anotherCommit(txId, fingerprint) ?? this.refusedBefore(txId, fingerprint) };
    // A first claim past the deadline is a commit that never happened: expired, as a shard
    // refuses one that reads or writes (participant.ts). Only a claim made in time is answered
    // after it (a Commit sent again within TX_RECORD_RETENTION_MS, whose first answer was lost);
    // a commit with nothing to validate or write, or a read-only one, touches no shard that would
    // check, and answered OK here however late it came.
    if (Date.now() > deadlineMs && loadClaim(this.sql, txId) === null) return { lifecycle, claim: null, another: failure("aborted", EXPIRED_BEFORE_COMMIT_MESSAGE) };
    const forgetAtMs = deadlineMs + TX_RECORD_RETENTION_MS;
    const claim = this.ctx.storage.transactionSync(() => claimOnePhase(this.sql, txId, { shard, fingerprint, answerMs }, forgetAtMs));
    await this.armAlarm();
    return { lifecycle, claim, another: claim.kind === "conflict" ? this.anotherCommit(txId, fingerprint) : null };
  }

  /**
   * The commit of a locking transaction with nothing to prepare (no writes,
   * no reads, no read locks on any shard): the id's one commit all the same,
   * claimed as a commit with no shard is (claimOnePhase), so that a repeat
   * answers the same commit time, after the deadline too, and a first one
   * past the deadline is refused as expired. It answered OK with a new time
   * at every call, however late.
   */
  private async commitNothing(plan: CommitPlan): Promise<CommitOutcome> {
    const nowMs = Date.now();
    const claimed = await this.claimOnePhase(plan.txId, plan.deadlineMs, "", fingerprintOfPlan(plan), nowMs);
    const refused = claimed.another ?? lifecycleFailure(claimed.lifecycle);
    if (refused !== null) return { ok: false, kind: refused.kind, message: refused.message };
    if (claimed.claim?.kind !== "claimed") throw new Error("invariant broken: a claim conflict without the other commit's answer");
    return { ok: true, commitTimeMs: claimed.claim.answerMs ?? nowMs, results: [] };
  }

  /**
   * Names `shard` as the shard `txId`'s claimed one-phase commit (its
   * `fingerprint`) now goes to (sync/one-phase-claims.ts `moveClaim`): the
   * Worker found that the shard the claim named, before a resharding moved
   * the documents, holds no answer for it.
   */
  async moveOnePhaseClaim(txId: string, fingerprint: string, shard: string): Promise<void> {
    assertNotErased(this.erased);
    this.ctx.storage.transactionSync(() => moveClaim(this.sql, txId, fingerprint, shard));
  }

  /**
   * Records that the one-phase commit claimed for `txId` was refused by its
   * shard (`reason`, the shard's words; `kind`, its code): the transaction
   * is aborted for good, as a two-phase commit with a no vote is, and the
   * same commit sent again is answered the same (claimOnePhase).
   */
  async abortOnePhase(txId: string, deadlineMs: number, reason: string, kind?: FailureKind): Promise<void> {
    assertNotErased(this.erased);
    const claim = loadClaim(this.sql, txId);
    if (kind !== undefined && claim !== null) {
      this.ctx.storage.transactionSync(() => saveVote(this.sql, txId, claimVoter(claim.shard), { vote: "no", kind, message: reason }));
    }
    await this.ensureRecord(txId, deadlineMs);
    const phase = this.record(txId)!.state.phase;
    if (phase === "idle" || phase === "preparing") await this.apply(txId, { type: "abort_requested", reason, nowMs: Date.now() });
  }

  /**
   * Where `txId` stands, for a Worker about to serve a call of it, with
   * the reason of an abort (so a read of an aborted transaction says why,
   * as its commit does). Reads only.
   */
  lifecycle(txId: string): LifecycleAnswer {
    assertNotErased(this.erased);
    const lifecycle = this.phaseOf(txId);
    const abortReason = lifecycle === "aborted" ? this.record(txId)?.state.abortReason : null;
    return abortReason === undefined || abortReason === null ? { lifecycle } : { lifecycle, abortReason };
  }

  private phaseOf(txId: string): Lifecycle {
    const state = this.record(txId)?.state;
    if (state === undefined) return this.inflight.has(txId) ? "committing" : "open";
    if (state.phase === "committed") return "committed";
    if (state.phase === "aborted") return state.rolledBack === true ? "rolled_back" : "aborted";
    return state.phase === "preparing" || state.phase === "staging" || this.inflight.has(txId) ? "committing" : "open";
  }

  /**
   * Records a transaction the coordinator holds no record of (with its
   * participants, if it is preparing here now), so that an abort decided
   * next reaches every participant.
   */
  private async ensureRecord(txId: string, deadlineMs: number): Promise<void> {
    if (this.record(txId) !== null) return;
    const inflight = this.inflight.get(txId);
    const state =
      inflight === undefined
        ? initialState(deadlineMs)
        : transition(initialState(inflight.plan.deadlineMs), {
            type: "commit_requested",
            participants: inflight.shards,
            deadlineMs: inflight.plan.deadlineMs,
            nowMs: Date.now(),
          }).state;
    const dueMs = (inflight?.plan.deadlineMs ?? deadlineMs) + TX_RECORD_RETENTION_MS;
    this.ctx.storage.transactionSync(() => saveState(this.sql, txId, state, inflight?.plan ?? null, dueMs));
    await this.armAlarm();
  }

  /** Recovers due records: presumes abort past deadlines, re-sends undelivered decisions, forgets finished ones. */
  /** Erases this coordinator (its database is being deleted) and leaves a tombstone; idempotent. */
  async eraseDatabase(): Promise<void> {
    // Marked first: a step of this object awaiting I/O (an alarm) sees the
    // mark when it resumes, instead of tables being dropped under it.
    this.erased = true;
    await eraseDatabase(this.ctx.storage);
  }

  override async alarm(): Promise<void> {
    if (this.erased) return;
    const nowMs = Date.now();
    this.ctx.storage.transactionSync(() => forgetClaims(this.sql, nowMs, COORDINATOR_RECORDS_PER_ALARM_MAX));
    for (const record of dueRecords(this.sql, nowMs, COORDINATOR_RECORDS_PER_ALARM_MAX)) {
      const { state } = record;
      const finished = (state.phase === "committed" || state.phase === "aborted") && state.acked.length === state.participants.length;
      if (finished || (state.phase === "idle" && nowMs >= state.deadlineMs + TX_RECORD_RETENTION_MS)) {
        this.ctx.storage.transactionSync(() => forget(this.sql, record.txId));
      } else {
        try {
          await this.apply(record.txId, { type: "timer", nowMs }, true);
        } catch (err) {
          // DeleteDatabase erased this coordinator while the step awaited a shard: nothing is left to decide.
          if (this.erased) return;
          throw err;
        }
      }
    }
    await this.armAlarm();
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  /** The record of `txId` without its plan (see loadRecord). */
  private record(txId: string): CoordinatorRecord | null {
    return loadRecord(this.sql, txId);
  }

  /**
   * Applies an event: persists the new state, then carries out its effects.
   * The alarm waits for deliveries (it is their retry loop); other callers
   * let them run in the background.
   */
  private apply(txId: string, event: Event, awaitDeliveries = false): Promise<void> {
    return this.applyEvents(txId, [event], awaitDeliveries);
  }

  /**
   * Applies events in order, persisting only the state after the last of
   * them (one record read, one durable write): the acknowledgements of one
   * round of deliveries are recorded together (run).
   */
  private async applyEvents(txId: string, events: readonly Event[], awaitDeliveries = false): Promise<void> {
    if (events.length === 0) throw new Error("invariant broken: applyEvents with no event");
    const record = this.record(txId);
    if (record === null) throw new Error(`invariant broken: an event for ${txId}, which has no record`);
    let state = record.state;
    const effects: Effect[] = [];
    for (const event of events) {
      const next = transition(state, event);
      state = next.state;
      effects.push(...next.effects);
    }
    if (effects.some((e) => e.type === "send_prepare")) throw new Error("invariant broken: prepares are sent only by commit");
    const dueMs = dueTime({ dueMs: record.dueMs, state }, effects);
    this.ctx.storage.transactionSync(() => saveState(this.sql, txId, state, null, dueMs));
    if (dueMs !== record.dueMs) await this.armAlarm();
    const deliveries = this.run({ ...record, state, dueMs }, effects);
    if (awaitDeliveries) await deliveries;
    else this.ctx.waitUntil(deliveries);
  }

  /** Sets the object's one alarm to the soonest due record or claim to forget. */
  private async armAlarm(): Promise<void> {
    const times = [nextDue(this.sql), nextClaimForgetMs(this.sql)].filter((t): t is number => t !== null);
    if (times.length === 0) return;
    const next = Math.min(...times);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }

  /**
   * Delivers decisions and recovers staging transactions (prepares are
   * never sent from here; see commit).
   * The returned promise settles when every delivery has been tried.
   */
  private async run(record: CoordinatorRecord, effects: readonly Effect[]): Promise<void> {
    const deliveries: Promise<string | null>[] = [];
    const recoveries: Promise<void>[] = [];
    for (const effect of effects) {
      if (effect.type === "send_commit" || effect.type === "send_abort") {
        deliveries.push(this.deliver(record, effect.participant, effect.type === "send_commit"));
      }
      if (effect.type === "recover") recoveries.push(this.recover(record.txId));
    }
    const [delivered] = await Promise.all([Promise.all(deliveries), Promise.all(recoveries)]);
    // Every acknowledgement of this round in one durable write, not one
    // each: a participant that has the decision keeps it, so recording its
    // acknowledgement later (or never, if this object fails first: the
    // alarm sends the decision again, and a participant answers a repeated
    // one as it did the first) loses nothing.
    const acked = delivered.filter((shard): shard is string => shard !== null);
    if (acked.length === 0) return;
    try {
      await this.applyEvents(record.txId, acked.map((participant) => ({ type: "acked", participant })));
    } catch (err) {
      if (this.erased) return;
      console.warn(`recording the acknowledgements of ${record.txId} failed; the alarm sends the decision again`, err);
    }
  }

  /**
   * Asks one participant to prepare; an unreachable participant counts as a
   * no. A retry told to wait (lock-order.ts) has the blockers wounded or
   * waited for and asks again, for a bounded number of rounds.
   */
  private async prepareOn(shard: string, request: ParticipantRequest): Promise<{ shard: string; vote: Vote }> {
    let vote: Vote;
    try {
      vote = await this.prepareOrWait(shard, request);
      if (vote.vote === "no" && vote.wait === undefined && (vote.blockedBy?.length ?? 0) > 0) {
        // A first attempt never waits, but locks of finished or quiet
        // transactions are cleared and the prepare asked once more (a no
        // for locks recorded nothing on the shard).
        if (await clearFinished(transactionEnv(this.env, request.txId), shard, vote.blockedBy!)) vote = await this.prepareOrWait(shard, request);
      }
    } catch (err) {
      // A wait that ran out of rounds recorded nothing on the shard: a plain no.
      vote =
        err instanceof FailureError
          ? { vote: "no", kind: err.kind, message: err.message }
          : { vote: "no", kind: "unavailable", message: `participant ${shard} did not answer prepare: ${String(err)}` };
    }
    this.crashAt("after_first_prepare");
    return { shard, vote };
  }

  /** Asks one participant to prepare, a retry waiting (or wounding) for a bounded number of rounds when told to. */
  private prepareOrWait(shard: string, request: ParticipantRequest): Promise<Vote> {
    return untilUnblocked(transactionEnv(this.env, request.txId), shard, async (): Promise<Vote | PriorityBlocked> => {
      // Wounded by an older transaction (or rolled back) while waiting: stop asking.
      if (this.record(request.txId)?.state.phase === "aborted") {
        return { vote: "no", kind: "aborted", message: "transaction aborted by an older one; retry it" };
      }
      const v = await shardStub(transactionEnv(this.env, request.txId), shard).txPrepare(request, shard);
      if (v.vote === "yes" || v.wait === undefined) return v;
      return { ok: false, kind: "aborted", message: v.message, blockedBy: v.blockedBy ?? [], wound: v.wait.wound, patient: v.wait.patient };
    });
  }

  /** Sends the decision to one participant: its name once it has the decision, null when the send failed (the alarm sends it again). */
  private async deliver(record: CoordinatorRecord, shard: string, commit: boolean): Promise<string | null> {
    const { state } = record;
    const forgetAtMs = state.deadlineMs + TX_RECORD_RETENTION_MS;
    try {
      // The shard is in the transaction's database, which its id names.
      const stub = shardStub(transactionEnv(this.env, record.txId), shard);
      if (commit) await stub.txCommit(record.txId, commitTsOf(state), forgetAtMs);
      else await stub.txAbort(record.txId, forgetAtMs);
      this.crashAt("after_first_commit");
      return shard;
    } catch (err) {
      console.warn(`delivering the decision of ${record.txId} to ${shard} failed; the alarm sends it again`, err);
      return null;
    }
  }

  /** Waits until the transaction is decided (a concurrent commit of the same id may still be preparing). */
  private async awaitDecision(txId: string): Promise<CommitOutcome> {
    for (;;) {
      const record = this.record(txId);
      if (record === null) {
        // Another call is preparing this very transaction; wait for it.
        if (!this.inflight.has(txId)) throw new Error(`invariant broken: commit of ${txId} left no record`);
        await new Promise((resolve) => setTimeout(resolve, DECISION_POLL_MS));
        continue;
      }
      const { state } = record;
      if (state.phase === "committed") {
        const results = votesOf(this.sql, txId, state.participants).flatMap((v) => (v.vote === "yes" ? v.results : []));
        return { ok: true, commitTimeMs: timestampMs(commitTsOf(state)), results };
      }
      if (state.phase === "aborted") return abortOutcome(votesOf(this.sql, txId, state.participants), state);
      if (state.phase === "staging" && Date.now() > state.deadlineMs + DECISION_GRACE_MS) {
        // Decided only from its participants (parallel commit); one has not answered for a while.
        return { ok: false, kind: "unavailable", message: "the commit's outcome is not known yet: a participant shard did not answer; it is decided when it does (read the documents, or commit the same id again, to see it)" };
      }
      await new Promise((resolve) => setTimeout(resolve, DECISION_POLL_MS));
      if (Date.now() >= record.dueMs) await this.apply(txId, { type: "timer", nowMs: Date.now() });
    }
  }

  private crashAt(point: Failpoint): void {
    if (this.failpoint === point) {
      this.failpoint = null;
      this.ctx.abort(`failpoint ${point}`);
    }
  }
}

/**
 * When a record next needs attention: the state machine's timer while it
 * runs, and its retention time once every participant has the decision.
 */
function dueTime(current: { dueMs: number; state: CoordinatorState }, effects: readonly Effect[]): number {
  const { state } = current;
  let due = current.dueMs;
  for (const e of effects) {
    if (e.type === "set_timer") due = e.atMs;
    if (e.type === "clear_timer") due = state.deadlineMs + TX_RECORD_RETENTION_MS;
  }
  return due;
}

/** The deliveries a freshly decided state starts with: every participant without the decision. */
function deliveryEffects(state: CoordinatorState): Effect[] {
  const type = state.phase === "committed" ? "send_commit" : "send_abort";
  return state.participants.filter((p) => !state.acked.includes(p)).map((participant) => ({ type, participant }));
}

function resolutionOf(state: CoordinatorState, txFingerprint: string | null): Resolution {
  if (state.phase === "committed") return txFingerprint === null ? { phase: "committed", commitTs: commitTsOf(state) } : { phase: "committed", commitTs: commitTsOf(state), txFingerprint };
  if (state.phase === "aborted") return { phase: "aborted" };
  return { phase: "pending" };
}

/**
 * Under which name a refused one-phase commit's answer is kept with the
 * votes: not a participant of any plan (a shard's name never starts with
 * "one-phase:"), so no decision counts it.
 */
function claimVoter(shard: string): string {
  return `one-phase:${shard}`;
}

/** The whole-transaction fingerprint of a plan's reads and writes (`ParticipantRequest.txFingerprint`). */
function fingerprintOfPlan(plan: CommitPlan): string {
  return plan.participants[0]?.request.txFingerprint ?? "";
}

/** Whether `plan` is the commit `ref` names: the same id, reads and writes (their fingerprint), shards and deadline. */
function samePlan(plan: CommitPlan, ref: PlanRef): boolean {
  const ours = planRefOf(plan);
  return ours.txId === ref.txId && ours.txFingerprint === ref.txFingerprint && ours.deadlineMs === ref.deadlineMs && ours.shards.join("\n") === ref.shards.join("\n");
}

/** The client's answer for an aborted transaction: the first no vote's own code, else ABORTED. */
/**
 * Which participant's refusal a refused transaction answers with, in the
 * order one shard checks a commit (sync/participant.ts `check`): a rule's
 * PERMISSION_DENIED, then a conflict's ABORTED (a read that is no longer
 * current, a lock in the way, a participant unreachable), then a write's
 * own refusal (ALREADY_EXISTS, NOT_FOUND, FAILED_PRECONDITION...), the
 * first participant's among equals. A write's precondition refused on one
 * shard while another found the transaction's reads stale was answered
 * with the precondition's code: the write had been computed from stale
 * reads, the client's runTransaction did not retry it, and the retry would
 * have succeeded (a new user's run: 37 of 72 ticket allocations failed
 * with ALREADY_EXISTS under contention). ABORTED says "retry".
 */
export function decisiveRefusal(votes: readonly Vote[]): (Vote & { vote: "no" }) | undefined {
  const rank = (kind: string) => (kind === "permission_denied" ? 0 : kind === "aborted" || kind === "unavailable" ? 1 : 2);
  let best: (Vote & { vote: "no" }) | undefined;
  for (const v of votes) if (v.vote === "no" && (best === undefined || rank(v.kind) < rank(best.kind))) best = v;
  return best;
}

function abortOutcome(votes: readonly Vote[], state: CoordinatorState): Failure {
  if (state.rolledBack === true) return { ok: false, kind: "failed_precondition", message: ROLLED_BACK_MESSAGE };
  const no = decisiveRefusal(votes);
  if (no !== undefined) return { ok: false, kind: no.kind === "unavailable" ? "aborted" : no.kind, message: no.message };
  return { ok: false, kind: "aborted", message: `transaction aborted: ${bareAbortReason(state.abortReason ?? "")}; retry it` };
}

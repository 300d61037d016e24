/**
 * The transaction coordinator: one Durable Object per multi-shard
 * transaction (named by its id), holding its durable record and driving
 * two-phase commit. The protocol is the pure state machine in
 * `src/sync/twoPhaseCommit.ts`; this class persists each new state before
 * carrying out its effects, and its alarm recovers transactions left in
 * doubt by a crash.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { migrate } from "../storage/schema.js";
import { initialState, transition, type CoordinatorState, type Effect, type Event } from "../sync/twoPhaseCommit.js";
import type { CommitOutcome, CommitPlan, Failpoint, Resolution } from "../sync/commit-plan.js";
import type { Vote } from "../sync/participant.js";
import { shardStub } from "../shards/shard-client.js";
import { COORDINATOR_MIGRATIONS, loadRecord, saveState, saveVote, votesOf, type CoordinatorRecord } from "../sync/coordinator-store.js";
import { TX_RECORD_RETENTION_MS } from "../limits.js";

export class TransactionCoordinator extends DurableObject<Env> {
  private failpoint: Failpoint | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.transactionSync(() => {
      migrate(ctx.storage.sql, "coordinator", COORDINATOR_MIGRATIONS);
    });
  }

  /**
   * Runs two-phase commit for `plan` and answers once the decision is
   * durable; the decision reaches the participants in the background (and
   * by alarm until each has applied it). Repeating a commit answers the
   * same decision.
   */
  async commit(plan: CommitPlan, failpoint?: Failpoint): Promise<CommitOutcome> {
    this.failpoint = failpoint ?? null;
    const existing = this.record();
    if (existing === null || existing.state.phase === "idle") {
      this.ctx.storage.transactionSync(() => saveState(this.ctx.storage.sql, plan.txId, existing?.state ?? initialState(plan.deadlineMs), plan));
      await this.apply({ type: "commit_requested", participants: plan.participants.map((p) => p.shard), deadlineMs: plan.deadlineMs, nowMs: Date.now() });
    }
    return this.awaitDecision();
  }

  /**
   * Says where a transaction stands, for someone blocked on its locks. With
   * `abortIfUndecided`, an undecided transaction is aborted now (presumed
   * abort lets the coordinator do that at any time before it decides to
   * commit), so a reader never waits on it forever.
   */
  async resolve(txId: string, deadlineMs: number, abortIfUndecided: boolean): Promise<Resolution> {
    let record = this.record();
    if (record === null) {
      this.ctx.storage.transactionSync(() => saveState(this.ctx.storage.sql, txId, initialState(deadlineMs), null));
      record = this.record()!;
    }
    if (abortIfUndecided && (record.state.phase === "idle" || record.state.phase === "preparing")) {
      await this.apply({ type: "abort_requested", reason: "aborted to release locks another request was waiting for", nowMs: Date.now() });
      record = this.record()!;
    }
    return resolutionOf(record.state);
  }

  /** Recovers: presumes abort past the deadline, and re-sends undelivered decisions. */
  override async alarm(): Promise<void> {
    const record = this.record();
    if (record === null) return;
    const { state } = record;
    const finished = (state.phase === "committed" || state.phase === "aborted") && state.acked.length === state.participants.length;
    if (finished) {
      if (Date.now() >= state.deadlineMs + TX_RECORD_RETENTION_MS) await this.ctx.storage.deleteAll();
      else await this.ctx.storage.setAlarm(state.deadlineMs + TX_RECORD_RETENTION_MS);
      return;
    }
    await this.apply({ type: "timer", nowMs: Date.now() });
  }

  private record(): CoordinatorRecord | null {
    return loadRecord(this.ctx.storage.sql);
  }

  /** Applies an event: persists the new state, then carries out its effects. */
  private async apply(event: Event): Promise<void> {
    const record = this.record();
    if (record === null) throw new Error("invariant broken: an event for a transaction with no record");
    const { state, effects } = transition(record.state, event);
    this.ctx.storage.transactionSync(() => saveState(this.ctx.storage.sql, record.txId, state, null));
    await this.run(record, state, effects);
  }

  private async run(record: CoordinatorRecord, state: CoordinatorState, effects: readonly Effect[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const effect of effects) {
      switch (effect.type) {
        case "send_prepare":
          waits.push(this.prepareOn(record, effect.participant));
          break;
        case "send_commit":
        case "send_abort":
          // The decision is durable; delivering it is not on the client's path.
          this.ctx.waitUntil(this.deliver(record, state, effect.participant, effect.type === "send_commit"));
          break;
        case "set_timer":
          await this.ctx.storage.setAlarm(effect.atMs);
          break;
        case "clear_timer":
          await this.ctx.storage.setAlarm(state.deadlineMs + TX_RECORD_RETENTION_MS);
          break;
      }
    }
    await Promise.all(waits);
  }

  private async prepareOn(record: CoordinatorRecord, shard: string): Promise<void> {
    const request = record.plan?.participants.find((p) => p.shard === shard)?.request;
    if (request === undefined) throw new Error(`invariant broken: no request for participant ${shard}`);
    let vote: Vote;
    try {
      vote = await shardStub(this.env, shard).txPrepare(request);
    } catch (err) {
      // An unreachable participant cannot have voted yes for us to count on.
      vote = { vote: "no", kind: "unavailable", message: `participant ${shard} did not answer prepare: ${String(err)}` };
    }
    this.ctx.storage.transactionSync(() => saveVote(this.ctx.storage.sql, shard, vote));
    if (vote.vote === "yes") {
      await this.apply({ type: "voted_yes", participant: shard, nowMs: Date.now() });
    } else {
      await this.apply({ type: "voted_no", participant: shard, reason: `${vote.kind}: ${vote.message}`, nowMs: Date.now() });
    }
    this.crashAt("after_first_prepare");
    if (this.record()?.state.phase === "committed") this.crashAt("after_decision");
  }

  private async deliver(record: CoordinatorRecord, state: CoordinatorState, shard: string, commit: boolean): Promise<void> {
    const forgetAtMs = state.deadlineMs + TX_RECORD_RETENTION_MS;
    try {
      const stub = shardStub(this.env, shard);
      if (commit) await stub.txCommit(record.txId, state.decidedAtMs!, forgetAtMs);
      else await stub.txAbort(record.txId, forgetAtMs);
      this.crashAt("after_first_commit");
      await this.apply({ type: "acked", participant: shard });
    } catch (err) {
      // The alarm sends the decision again until the participant applies it.
      console.warn(`delivering the decision of ${record.txId} to ${shard} failed; the alarm retries`, err);
    }
  }

  /** Waits (bounded by the deadline) until the transaction is decided. */
  private async awaitDecision(): Promise<CommitOutcome> {
    for (;;) {
      const record = this.record();
      if (record === null) throw new Error("invariant broken: commit with no record");
      const { state } = record;
      if (state.phase === "committed") {
        const results = votesOf(this.ctx.storage.sql, state.participants).flatMap((v) => (v.vote === "yes" ? v.results : []));
        return { ok: true, commitTimeMs: state.decidedAtMs!, results };
      }
      if (state.phase === "aborted") return abortOutcome(this.ctx.storage.sql, state);
      if (Date.now() > state.deadlineMs + 2_000) await this.apply({ type: "timer", nowMs: Date.now() });
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private crashAt(point: Failpoint): void {
    if (this.failpoint === point) {
      this.failpoint = null;
      this.ctx.abort(`failpoint ${point}`);
    }
  }
}

function resolutionOf(state: CoordinatorState): Resolution {
  if (state.phase === "committed") return { phase: "committed", commitTimeMs: state.decidedAtMs! };
  if (state.phase === "aborted") return { phase: "aborted" };
  return { phase: "pending" };
}

/** The client's answer for an aborted transaction: the first no vote's own code, else ABORTED. */
function abortOutcome(sql: SqlStorage, state: CoordinatorState): CommitOutcome {
  const no = votesOf(sql, state.participants).find((v) => v.vote === "no");
  if (no !== undefined && no.vote === "no") {
    const kind = no.kind === "unavailable" ? "aborted" : no.kind;
    return { ok: false, kind, message: no.message };
  }
  return { ok: false, kind: "aborted", message: `transaction aborted: ${state.abortReason ?? "no reason recorded"}; retry it` };
}

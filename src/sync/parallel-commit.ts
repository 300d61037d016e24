/**
 * Parallel commit: a first attempt's commit over two or more shards in one
 * round trip from the Worker, after CockroachDB's parallel commits
 * (Tan et al., "CockroachDB: The Resilient Geo-Distributed SQL Database",
 * SIGMOD 2020, section 3.2, and its RFC "Parallel Commits", 2019). The
 * Worker sends, at the same time, a `stage` to the transaction's
 * coordinator (a durable STAGING record naming the participants) and a
 * `prepare` to every participant (write intents and read checks, durable
 * on each shard). Once the record is durable and every participant voted
 * yes, the transaction is implicitly committed: its commit timestamp is
 * the largest proposal, and the client is answered. The Worker then
 * reports the votes to the coordinator off the client's path, which
 * records the decision and applies it on the shards, as the second phase
 * of two-phase commit does.
 *
 * If the Worker goes away before reporting, or anyone needs a decision
 * sooner (a blocked reader, a wound, a rollback, a shard's deadline), the
 * coordinator recovers the staging transaction from the participants: each
 * either holds its durable yes vote or refuses the transaction now,
 * durably (twoPhaseCommit.ts, participant.ts `prepareStatusOrRefuse`).
 * Every prepared: committed; one refusal: aborted. So the decision always
 * agrees with what the Worker told its client.
 *
 * Used for first attempts and CommitBatch only: a retry holds read locks
 * its coordinator must release and may wait for older transactions, so it
 * keeps the coordinator-driven two-phase commit.
 */
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { shardStub } from "../shards/shard-client.js";
import { planRefOf, type CommitOutcome, type CommitPlan } from "./commit-plan.js";
import { coordinatorStub, type CoordinatorStub } from "./coordinator-client.js";
import { timestampMs } from "./hybrid-clock.js";
import { clearFinished } from "./intent-resolver.js";
import type { ParticipantRequest, Vote } from "./participant.js";

/**
 * Test-only: where the Worker "goes away" during a parallel commit.
 * `report_lost`: the client is answered, the votes never reach the
 * coordinator. `second_prepare_lost`: the stage and the first prepare are
 * sent, the second prepare never is, and the call fails.
 */
export type ParallelCommitFailpoint = "report_lost" | "second_prepare_lost";

/** Options of {@link commitInParallel}. */
export interface ParallelCommitOptions {
  /** Runs the report to the coordinator after the answer (ExecutionContext.waitUntil); without it the report is awaited. */
  readonly background?: (work: Promise<unknown>) => void;
  readonly failpoint?: ParallelCommitFailpoint;
}

/**
 * Commits `plan` (two or more participants, a transaction that holds no
 * read locks) by parallel commit. Answers as the coordinator's two-phase
 * commit would: the commit time (ms) and the write results, or the first
 * refusal's code and words. Throws when the outcome cannot be known (the
 * coordinator did not answer).
 */
export async function commitInParallel(env: Env, plan: CommitPlan, options: ParallelCommitOptions = {}): Promise<CommitOutcome> {
  if (plan.participants.length < 2) throw new Error("invariant broken: a parallel commit has two or more participants");
  const coordinator = coordinatorStub(env, plan.txId);
  // A stage that failed may or may not have written its record: the report below settles it either way.
  const staged = coordinator.stage(plan).catch((err: unknown) => {
    console.warn(`staging ${plan.txId} failed; its coordinator decides from the votes`, err);
    return false;
  });
  const lost = options.failpoint === "second_prepare_lost";
  const votes = await Promise.all(
    plan.participants.map(async ({ shard, request }, i) => ({ shard, vote: lost && i === 1 ? null : await prepareFirstAttempt(env, shard, request) })),
  );
  const isStaged = await staged;
  if (lost) throw new Error("failpoint second_prepare_lost: the Worker went away");
  const cast = votes as Array<{ shard: string; vote: Vote }>;
  if (isStaged) await ownStrayShards(env, plan, cast);
  if (isStaged && cast.every((v) => v.vote.vote === "yes")) {
    let commitTs = 0;
    const results = [];
    for (const { vote } of cast) {
      if (vote.vote !== "yes") continue;
      commitTs = Math.max(commitTs, vote.ts);
      results.push(...vote.results);
    }
    if (options.failpoint !== "report_lost") {
      const report = finishStaged(coordinator, plan, cast).catch((err: unknown) => {
        console.warn(`reporting the votes of committed ${plan.txId} failed; its coordinator recovers it`, err);
      });
      if (options.background !== undefined) options.background(report);
      else await report;
    }
    return { ok: true, commitTimeMs: timestampMs(commitTs), results };
  }
  return finishStaged(coordinator, plan, cast);
}

/**
 * Reports the votes to the coordinator, naming the plan by reference when
 * the coordinator holds it (one RPC's arguments are limited to 32 MiB, and
 * a 10 MiB plan beside votes that repeat its documents passed it: a new
 * user's HTTP 500 on a repeated Commit), else with the plan itself.
 */
async function finishStaged(coordinator: CoordinatorStub, plan: CommitPlan, votes: Array<{ shard: string; vote: Vote }>): Promise<CommitOutcome> {
  const answer = await coordinator.finishStagedByRef(planRefOf(plan), votes);
  return "needPlan" in answer ? coordinator.finishStaged(plan, votes) : answer;
}

/**
 * Once staged, this plan is the id's one commit: a shard that answered
 * that another commit of the id prepared there first (one sent at the same
 * moment, whose stage or claim the coordinator refused, so it can never
 * commit) is asked again as the owner, and that prepare gives way
 * (participant.ts `idOwner`). Votes are replaced in place. Without this,
 * two commits of one id sent together could both lose: each holding the
 * shard the other needed.
 */
async function ownStrayShards(env: Env, plan: CommitPlan, votes: Array<{ shard: string; vote: Vote }>): Promise<void> {
  await Promise.all(
    votes.map(async (entry, i) => {
      if (entry.vote.vote !== "no" || entry.vote.otherCommit !== true) return;
      const request = plan.participants.find((p) => p.shard === entry.shard)!.request;
      votes[i] = { shard: entry.shard, vote: await prepareFirstAttempt(env, entry.shard, { ...request, idOwner: true }) };
    }),
  );
}

/**
 * One participant's prepare for a first attempt, which never waits: a no
 * for locks of transactions that are finished or quiet clears them and asks
 * once more (a no for locks recorded nothing on the shard). A shard that
 * does not answer counts as "unavailable" (it may have prepared).
 */
async function prepareFirstAttempt(env: Env, shard: string, request: ParticipantRequest): Promise<Vote> {
  try {
    const stub = shardStub(env, shard);
    let vote = await stub.txPrepare(request, shard);
    if (vote.vote === "no" && vote.wait === undefined && (vote.blockedBy?.length ?? 0) > 0 && (await clearFinished(env, shard, vote.blockedBy!))) {
      vote = await stub.txPrepare(request, shard);
    }
    return vote;
  } catch (err) {
    return err instanceof FailureError
      ? { vote: "no", kind: err.kind, message: err.message }
      : { vote: "no", kind: "unavailable", message: `participant ${shard} did not answer prepare: ${String(err)}` };
  }
}

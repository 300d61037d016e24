/**
 * A shard's side of a transaction: prepare (validate and lock), commit,
 * abort, and the one-phase commit of a transaction that touches only this
 * shard. Every step runs in one SQLite transaction with no `await`, and
 * every step is idempotent per transaction id, because a message between
 * objects may be delivered twice or its answer lost.
 */
import type { Failure, FailureKind } from "../errors.js";
import { COMMITS_ONCE_MESSAGE } from "./another-commit.js";
import { nextVersion, planWrite, readRow, storedData, storePlan, type PlannedWrite } from "../storage/document-store.js";
import { readCheckAt, writeCheck, type ShardWriteGuard } from "../rules/write-guard.js";
import { timestampMs } from "./hybrid-clock.js";
import { observeTimestamp, takeTimestamp } from "./snapshot-store.js";
import { lockDecision } from "./lock-order.js";
import type { ShardWrite } from "../storage/types.js";
import { describeConflict, findConflict, type ReadVersion } from "./conflictDetector.js";
import {
  acquireRead,
  acquireWrite,
  changeGroupsOf,
  holderPriorities,
  locksOf,
  participation,
  recordChangeGroups,
  recordParticipantShard,
  recordParticipation,
  releaseAll,
  forgetParticipation,
  type IntentRow,
  type LockOwner,
  type Participation,
} from "./lockManager.js";
import { hash32 } from "../routing/hash.js";
import { TX_RECORD_RETENTION_MS } from "../limits.js";
import type { JsonObject } from "@bufbuild/protobuf";

/** What a transaction asks of one participant shard. */
export interface ParticipantRequest {
  readonly txId: string;
  /** After this the transaction may not prepare, and its locks must be resolved. */
  readonly expiresMs: number;
  readonly reads: readonly ReadVersion[];
  readonly writes: readonly ShardWrite[];
  /**
   * A fingerprint of the whole transaction (every shard's reads and writes),
   * so a shard can tell a retry of the same commit from a different commit
   * under the same id, even when its own part is the same.
   */
  readonly txFingerprint: string;
  /**
   * Set when the coordinator says the transaction already finished (rolled
   * back, say): the shard repeats an answer it gave before (a one-phase
   * commit that went through before a rollback stays committed) and
   * otherwise refuses with this failure, applying nothing.
   */
  readonly refuseNew?: Failure;
  /**
   * The transaction's priority (its first attempt's begin time, ms) when it
   * is a retry that may wait for others' locks (see lock-order.ts); null
   * for a first attempt, which never waits.
   */
  readonly priority?: number | null;
  /**
   * For a transaction over two or more shards: per collection, the shards
   * holding its writes to it, when two or more (see watch/change-log.ts).
   * The shard records it at prepare and stamps it on the change rows of
   * its commit, so a listener delivers the transaction's changes together.
   */
  readonly changeGroups?: Readonly<Record<string, readonly string[]>>;
  /** The caller's read and write rules (rules/write-guard.ts), checked first. */
  readonly guard?: ShardWriteGuard | null;
  /**
   * Set when the id's coordinator has made this commit the id's one commit
   * (its one-phase claim, or the staged record of this very plan). Several
   * commits of one id may reach a shard at once, and the shard keeps one
   * participation per id: a prepare of the id by another commit (another
   * `txFingerprint`) is then a loser's stray, which can never commit, and
   * gives way to this one instead of refusing it.
   */
  readonly idOwner?: boolean;
}

/** The outcome of one write of a transaction, as the shard planned it. */
export interface TxWriteResult {
  readonly collection: string;
  readonly id: string;
  /** The new version; 0 for a delete. */
  readonly version: number;
  /** The new contents as JSON; null for a delete. */
  readonly dataJson: string | null;
  /**
   * The document's createTime; null when this transaction creates it, whose
   * createTime is then the commit time (known only once every participant
   * has voted).
   */
  readonly createTimeMs: number | null;
}

/** A participant's vote. */
export type Vote =
  | {
      readonly vote: "yes";
      readonly results: readonly TxWriteResult[];
      /** Prepare: the commit timestamp this shard proposes (µs). One-phase commit: the commit timestamp. */
      readonly ts: number;
    }
  | {
      readonly vote: "no";
      readonly kind: FailureKind;
      readonly message: string;
      readonly blockedBy?: readonly string[];
      /**
       * Set when the transaction (a retry) should wait for `blockedBy` and
       * ask again, wounding some and waiting patiently for the others (see
       * lock-order.ts); nothing was recorded.
       */
      readonly wait?: { readonly wound: readonly string[]; readonly patient: readonly string[] };
      /**
       * Set when the shard holds a prepare of the id by another commit
       * (another fingerprint) and recorded nothing for this one: the
       * coordinator decides which of them is the id's commit, and that one
       * asks again with `idOwner`.
       */
      readonly otherCommit?: boolean;
    };

/**
 * Validates, plans and locks; votes yes with the planned results, or no.
 * `shard`: this shard's name in the routing table, as the caller sent the
 * prepare to it; kept with the participation so the shard's alarm can name
 * itself when it asks the coordinator (`resolveOverdue`).
 */
export function prepare(storage: DurableObjectStorage, req: ParticipantRequest, nowMs: number, shard?: string): Vote {
  return storage.transactionSync((): Vote => {
    const sql = storage.sql;
    const opening = open(sql, req, nowMs, nowMs);
    if ("answer" in opening) return opening.answer;
    const { plans, fingerprint } = opening;
    // The proposal is above every timestamp this shard has given or served
    // a snapshot at, so the commit timestamp (the largest proposal) orders
    // this transaction after everything it read or overwrites here.
    const ts = takeTimestamp(sql, nowMs);
    const owner: LockOwner = { txId: req.txId, expiresMs: req.expiresMs, proposedTs: ts, priority: req.priority ?? null };
    const results: TxWriteResult[] = [];
    const written = new Set<string>();
    for (const plan of plans) {
      const version = plan.kind === "put" ? nextVersion(sql) : 0;
      const created = plan.kind === "put" && readRow(sql, plan.collection, plan.id) === null;
      acquireWrite(sql, owner, plan, {
        op: plan.kind,
        data: plan.kind === "put" ? plan.json : null,
        sizeBytes: plan.kind === "put" ? plan.bytes : 0,
        createTimeMs: plan.kind === "put" && !created ? plan.createTimeMs : null,
        existed: plan.kind === "put" ? true : plan.existed,
        version,
      });
      written.add(`${plan.collection}\u0000${plan.id}`);
      results.push(resultOf(plan, version, created));
    }
    for (const read of req.reads) {
      if (!written.has(`${read.collection}\u0000${read.id}`)) acquireRead(sql, owner, read);
    }
    const vote: Vote = { vote: "yes", results, ts };
    recordParticipation(sql, req.txId, "prepared", req.expiresMs, JSON.stringify(vote), fingerprint);
    if (shard !== undefined) recordParticipantShard(sql, req.txId, shard);
    if (req.changeGroups !== undefined && Object.keys(req.changeGroups).length > 0) recordChangeGroups(sql, req.txId, req.changeGroups);
    return vote;
  });
}

/**
 * Applies a prepared transaction's writes at its commit timestamp (µs, the
 * largest of the participants' proposals) and drops its locks. Idempotent.
 */
export function commit(storage: DurableObjectStorage, txId: string, commitTs: number, forgetAtMs: number, txFingerprint?: string): void {
  storage.transactionSync(() => {
    const sql = storage.sql;
    const p = participation(sql, txId);
    if (p?.state === "committed") return;
    if (p !== null && isStray(p, txFingerprint)) {
      // The id committed with other reads or writes; what this shard holds is
      // a losing commit's prepare (see `idOwner`), and it must not apply.
      dropStray(sql, txId);
      return;
    }
    if (p?.state === "aborted") throw new Error(`invariant broken: commit of ${txId}, which this shard aborted`);
    if (p === null) {
      // Only a transaction that every participant prepared can commit, so
      // this shard prepared it, finished it, and has since forgotten it.
      return;
    }
    observeTimestamp(sql, commitTs);
    const groups = changeGroupsOf(sql, txId);
    for (const lock of locksOf(sql, txId)) {
      if (lock.mode !== "write") continue;
      if (lock.proposed_ts !== null && commitTs < lock.proposed_ts) {
        throw new Error(`invariant broken: ${txId} commits at ${commitTs}, below this shard's proposal ${lock.proposed_ts}`);
      }
      const plan = planOf(lock, timestampMs(commitTs));
      assertUnchanged(sql, plan);
      storePlan(sql, plan, commitTs, lock.version ?? undefined, { txId, groupShards: Object.hasOwn(groups, plan.collection) ? groups[plan.collection]! : null });
    }
    releaseAll(sql, txId);
    recordParticipation(sql, txId, "committed", forgetAtMs, null);
  });
}

/**
 * Drops a transaction's locks without applying anything, and remembers the
 * abort so that a prepare arriving late is refused. Idempotent. With
 * `winner` (the fingerprint of the commit that has the id; the id is not
 * aborted), drops only a prepare here of another commit of the id, one
 * that lost the id and can never commit, and leaves the winner's own
 * prepare or commit as it is.
 */
export function abort(storage: DurableObjectStorage, txId: string, forgetAtMs: number, winner?: string): void {
  storage.transactionSync(() => {
    const sql = storage.sql;
    const p = participation(sql, txId);
    if (winner !== undefined) {
      if (p !== null && isStray(p, winner)) dropStray(sql, txId);
      return;
    }
    if (p?.state === "committed") throw new Error(`invariant broken: abort of ${txId}, which this shard committed`);
    if (p?.state === "aborted") return;
    releaseAll(sql, txId);
    const answer: Vote = { vote: "no", kind: "aborted", message: "transaction aborted" };
    recordParticipation(sql, txId, "aborted", Math.max(forgetAtMs, p?.expiresMs ?? 0), JSON.stringify(answer));
  });
}

/** What a participant holds of a staging transaction, for its coordinator's recovery. */
export type RecoveryStatus =
  | { readonly status: "prepared"; readonly vote: Vote & { readonly vote: "yes" } }
  | { readonly status: "committed" }
  | { readonly status: "refused"; readonly reason: string };

/**
 * Recovery of a staging transaction (parallel commit, twoPhaseCommit.ts):
 * in one SQLite transaction, answers the yes vote this shard durably holds,
 * or, when it holds no prepare, records the transaction as aborted here
 * (so a prepare arriving later votes no) and answers "refused". A
 * prepare and this step are each atomic on the shard, so exactly one of
 * them comes first, and the coordinator's decision agrees with what any
 * Worker saw. Idempotent.
 */
export function prepareStatusOrRefuse(storage: DurableObjectStorage, txId: string, forgetAtMs: number, txFingerprint?: string): RecoveryStatus {
  return storage.transactionSync((): RecoveryStatus => {
    const sql = storage.sql;
    const p = participation(sql, txId);
    if (p?.state === "committed") return { status: "committed" };
    if (p !== null && txFingerprint !== undefined && isStray(p, txFingerprint)) {
      // Another commit of the id prepared here, not the staged one: that
      // prepare can never commit (the staged record is the id's), and the
      // staged commit holds no prepare here, so it is refused for good.
      releaseAll(sql, txId);
      const answer: Vote = { vote: "no", kind: "aborted", message: "transaction aborted" };
      recordParticipation(sql, txId, "aborted", forgetAtMs, JSON.stringify(answer), `${txFingerprint}/`);
      return { status: "refused", reason: "a participant held another commit's prepare of the id when its coordinator recovered it" };
    }
    if (p?.state === "prepared") {
      const vote = p.answer === null ? null : (JSON.parse(p.answer) as Vote);
      if (vote?.vote !== "yes") throw new Error(`invariant broken: ${txId} prepared here without a yes vote on record`);
      return { status: "prepared", vote };
    }
    if (p === null) {
      const answer: Vote = { vote: "no", kind: "aborted", message: "transaction aborted" };
      recordParticipation(sql, txId, "aborted", forgetAtMs, JSON.stringify(answer));
      return { status: "refused", reason: "a participant had not prepared it when its coordinator recovered it" };
    }
    return { status: "refused", reason: "a participant had aborted it" };
  });
}

/**
 * Commits a transaction that touches only this shard, in one step: the same
 * checks as prepare, then the writes. Idempotent per transaction id.
 */
export function commitOnePhase(storage: DurableObjectStorage, req: ParticipantRequest, nowMs: number): Vote {
  return storage.transactionSync((): Vote => {
    const sql = storage.sql;
    // Taken first: a document this commit creates is created at its commit time.
    const ts = takeTimestamp(sql, nowMs);
    const opening = open(sql, req, nowMs, timestampMs(ts));
    if ("answer" in opening) return opening.answer;
    const { plans, fingerprint } = opening;
    const results = plans.map((plan) => {
      const applied = storePlan(sql, plan, ts, undefined, { txId: req.txId, groupShards: null });
      return resultOf(plan, applied.document?.version ?? 0);
    });
    const vote: Vote = { vote: "yes", results, ts };
    // Kept past the deadline as long as the id's claim and records are, so a
    // Commit sent again after a lost answer is answered from it (a resharding
    // may also send it to another shard, which asks this one: StorageObject.txRecordedVote).
    recordParticipation(sql, req.txId, "committed", req.expiresMs + TX_RECORD_RETENTION_MS, JSON.stringify(vote), fingerprint);
    return vote;
  });
}

/**
 * The answer this shard recorded for `txId`'s commit whose whole-transaction
 * fingerprint is `txFingerprint` (a one-phase commit's yes with its results,
 * or its refusal), or null when it holds none: it never saw that commit, or
 * it has forgotten it (TX_RECORD_RETENTION_MS after the deadline). Reads
 * only. Asked by a Commit sent again after a resharding moved its documents
 * away from this shard (transaction-service.ts): the shard that owns them
 * now has no record of the id.
 */
export function recordedVote(sql: SqlStorage, txId: string, txFingerprint: string): Vote | null {
  const p = participation(sql, txId);
  if (p === null || p.state === "prepared" || p.answer === null || txFingerprintOf(p) !== txFingerprint) return null;
  return JSON.parse(p.answer) as Vote;
}

/**
 * The first step of prepare and of one-phase commit: a repeated request gets
 * its earlier answer, a request that fails a check gets its no; otherwise
 * the planned writes, and the fingerprint to record with the answer.
 */
function open(sql: SqlStorage, req: ParticipantRequest, nowMs: number, createTimeMs: number): { answer: Vote } | { plans: PlannedWrite[]; fingerprint: string } {
  const fingerprint = fingerprintOf(req);
  const earlier = participation(sql, req.txId);
  // The id's one commit (its coordinator says so) takes the place of a losing commit's prepare.
  if (earlier !== null && req.idOwner === true && isStray(earlier, req.txFingerprint)) dropStray(sql, req.txId);
  else if (earlier !== null) return { answer: repeatAnswer(earlier, fingerprint) };
  if (req.refuseNew !== undefined) return { answer: { vote: "no", kind: req.refuseNew.kind, message: req.refuseNew.message } };
  const checked = check(sql, req, nowMs, createTimeMs);
  if (checked.vote === "no") return { answer: checked };
  return { plans: checked.plans, fingerprint };
}

type Checked = { vote: "yes"; plans: PlannedWrite[] } | (Vote & { vote: "no" });

function check(sql: SqlStorage, req: ParticipantRequest, nowMs: number, createTimeMs: number): Checked {
  if (nowMs > req.expiresMs) return { vote: "no", kind: "aborted", message: "transaction expired before it could commit; retry it" };
  const refusal = ruleRefusal(sql, req, createTimeMs);
  if (refusal !== null) return { vote: "no", kind: "permission_denied", message: refusal };
  const conflict = findConflict(sql, req.txId, req.reads, req.writes);
  if (conflict !== null) {
    const message = describeConflict(conflict);
    if (conflict.kind === "stale_read") return { vote: "no", kind: "aborted", message };
    const decision = lockDecision({ txId: req.txId, priority: req.priority ?? null }, holderPriorities(sql, conflict.holders));
    if (decision.kind === "die") return { vote: "no", kind: "aborted", message, blockedBy: conflict.holders };
    return { vote: "no", kind: "aborted", message, blockedBy: conflict.holders, wait: { wound: decision.wound, patient: decision.patient } };
  }
  const plans: PlannedWrite[] = [];
  for (const write of req.writes) {
    const planned = planWrite(write, readRow(sql, write.collection, write.id), createTimeMs);
    if (!planned.ok) return { vote: "no", kind: planned.kind, message: planned.message };
    plans.push(planned.write);
  }
  return { vote: "yes", plans };
}

/**
 * Security rules, before any conflict or version is looked at (so neither
 * says anything about a document the caller may not see): each validated
 * read against the read rule, each write against the write rule, with the
 * stored documents as they are now. Under the locks prepare then takes,
 * they stay so until the commit applies.
 */
function ruleRefusal(sql: SqlStorage, req: ParticipantRequest, nowMs: number): string | null {
  const reads = readCheckAt(req.guard);
  const writes = writeCheck(req.guard);
  if (reads !== null) {
    for (const read of req.reads) {
      const refusal = reads(read, storedData(readRow(sql, read.collection, read.id)));
      if (refusal !== null) return refusal;
    }
  }
  if (writes !== null) {
    for (const write of req.writes) {
      const refusal = writes(write, storedData(readRow(sql, write.collection, write.id)), nowMs);
      if (refusal !== null) return refusal;
    }
  }
  return null;
}

/**
 * The answer to a prepare or one-phase commit this shard has seen before:
 * the same answer for the same request (a retry), and a refusal for a
 * different one, because a transaction id commits at most one set of
 * writes.
 */
function repeatAnswer(earlier: Participation, fingerprint: string): Vote {
  if (earlier.state === "aborted") return { vote: "no", kind: "aborted", message: "transaction aborted; retry it as a new transaction" };
  if (earlier.requestFingerprint !== fingerprint) {
    return {
      vote: "no",
      kind: "failed_precondition",
      message: COMMITS_ONCE_MESSAGE,
      ...(earlier.state === "prepared" ? { otherCommit: true } : {}),
    };
  }
  if (earlier.answer !== null) return JSON.parse(earlier.answer) as Vote;
  return { vote: "no", kind: "aborted", message: "transaction already finished on this shard" };
}

/** The whole transaction's fingerprint (`ParticipantRequest.txFingerprint`) of what this shard answered, or null. */
function txFingerprintOf(p: Participation): string | null {
  if (p.requestFingerprint === null) return null;
  const slash = p.requestFingerprint.indexOf("/");
  return slash < 0 ? p.requestFingerprint : p.requestFingerprint.slice(0, slash);
}

/**
 * True when `p` is a prepare of the id by a commit other than the one
 * whose whole-transaction fingerprint is `txFingerprint`: a commit that
 * lost the id to that one at the coordinator (it can never commit).
 */
function isStray(p: Participation, txFingerprint: string | undefined): boolean {
  if (txFingerprint === undefined || p.state !== "prepared") return false;
  const held = txFingerprintOf(p);
  return held !== null && held !== txFingerprint;
}

/** Forgets a losing commit's prepare: its locks and its record (a late copy of it finds the winner's record, or none). */
function dropStray(sql: SqlStorage, txId: string): void {
  releaseAll(sql, txId);
  forgetParticipation(sql, txId);
}

/** A fingerprint of what a request asks of this shard, within its whole transaction. */
function fingerprintOf(req: ParticipantRequest): string {
  return `${req.txFingerprint}/${fingerprint([req.reads, req.writes])}`;
}

/** Two independent 32-bit hashes and the length of a value's JSON. */
export function fingerprint(value: unknown): string {
  const text = JSON.stringify(value);
  return `${hash32(text, 1).toString(16)}-${hash32(text, 2).toString(16)}-${text.length}`;
}

function resultOf(plan: PlannedWrite, version: number, created = false): TxWriteResult {
  return plan.kind === "put"
    ? { collection: plan.collection, id: plan.id, version, dataJson: plan.json, createTimeMs: created ? null : plan.createTimeMs }
    : { collection: plan.collection, id: plan.id, version: 0, dataJson: null, createTimeMs: 0 };
}

/** The write a write intent carries; a document it creates is created at the commit time. */
function planOf(lock: IntentRow, commitTimeMs: number): PlannedWrite {
  if (lock.op === "delete") return { kind: "delete", collection: lock.collection, id: lock.id, existed: lock.existed === 1 };
  const json = lock.data!;
  return {
    kind: "put",
    collection: lock.collection,
    id: lock.id,
    json,
    bytes: lock.size_bytes!,
    data: JSON.parse(json) as JsonObject,
    createTimeMs: lock.create_time_ms ?? commitTimeMs,
  };
}

/**
 * A write intent excludes every other writer, so the document must be as
 * it was when the transaction prepared. Anything else is a broken lock.
 */
function assertUnchanged(sql: SqlStorage, plan: PlannedWrite): void {
  const row = readRow(sql, plan.collection, plan.id);
  const existedWhenPlanned = plan.kind === "put" ? null : plan.existed;
  if (existedWhenPlanned !== null && existedWhenPlanned !== (row !== null)) {
    throw new Error(`invariant broken: ${plan.collection}/${plan.id} changed under a write intent`);
  }
}


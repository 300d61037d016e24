/**
 * TransactionService: strictly serializable transactions across shards.
 *
 * BeginTransaction only signs an id (deadline, priority, and for a
 * read-only transaction its snapshot timestamp); GetDocuments and Commit
 * sign one themselves when they carry `new_transaction`
 * (transaction-begin.ts), which saves the client that round trip. A first attempt's
 * GetDocuments reads like any read and returns the versions read; a retry
 * (retry_of) reads with locks; a read-only transaction reads its snapshot.
 * Commit sends the writes with the read versions; a transaction on one
 * shard commits there in one step, a transaction on several (or a retry)
 * goes through its coordinator (two-phase commit). Reads are validated
 * (each version read must still be current) under locks, writes are
 * locked, and a conflict answers ABORTED. A read-only Commit validates
 * nothing. Rollback is recorded by the coordinator, and every later call of
 * the id is refused. See src/sync/README.md.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { WriteResultSchema, type WriteResult } from "../../gen/impossibledb/v1/document_pb.js";
import { TransactionalReadSchema, type TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { INTENT_RESOLUTION_BACKOFF_MS, TX_BYTES_MAX, TX_LOCK_WAIT_MS_MAX, TX_LOCK_WAIT_POLL_MS_MAX, TX_PARTICIPANTS_MAX, TX_READS_MAX, TX_RECORD_RETENTION_MS, TX_TIMEOUT_DEFAULT_MS } from "../limits.js";
import { scopeOf } from "../databases/database-env.js";
import { envOf, waitUntilKey } from "../server/context.js";
import { currentRouting } from "../shards/routing-cache.js";
import { movedEpochOf } from "../routing/shard-epoch.js";
import { shardStub } from "../shards/shard-client.js";
import type { ShardWrite } from "../storage/types.js";
import type { ReadVersion } from "../sync/conflictDetector.js";
import { lifecycleFailure, type CommitOutcome } from "../sync/commit-plan.js";
import { coordinatorStub } from "../sync/coordinator-client.js";
import { clearFinished } from "../sync/intent-resolver.js";
import { commitInParallel } from "../sync/parallel-commit.js";
import { fingerprint, type ParticipantRequest, type TxWriteResult, type Vote } from "../sync/participant.js";
import { createTransactionToken, type TransactionToken } from "../sync/tx-token.js";
import { beginTransaction, tokenOf, transactionOfCall } from "./transaction-begin.js";
import { boundWriteResults, readMany } from "./collection-service.js";
import { transactionReadCheck, writeGuardOf } from "../rules/request-rules.js";
import type { ShardWriteGuard } from "../rules/write-guard.js";
import { readAtSnapshot, readWithLocks } from "./transaction-reads.js";
import { timestampMs } from "../sync/hybrid-clock.js";
import { refFrom, shardWritesFrom, toDocument, transformResultsOf } from "./convert.js";
import { pageTokenKey } from "./list-documents.js";
import { fittingPrefix } from "./response-budget.js";

/** Creates the TransactionService implementation. */
export function createTransactionService(): ServiceImpl<typeof TransactionService> {
  return {
    async beginTransaction(req, ctx) {
      const token = await beginTransaction(envOf(ctx), req.options, "options");
      return { transaction: token.id, expireTime: timestampFromMs(token.deadlineMs) };
    },

    async getDocuments(req, ctx) {
      const env = envOf(ctx);
      const refs = req.refs.map((r, i) => refFrom(r, `refs[${i}]`));
      const { token, fresh } = await transactionOfCall(env, req.transaction, req.newTransaction);
      // A plain or snapshot read has no lasting effect, so the life check runs
      // beside it (and not at all for an id this call just made, which
      // nobody could have ended); a locking read registers (and checks)
      // first. The answer is a prefix of the refs within RESPONSE_BYTES_MAX;
      // the rest are named in unread_refs for the client to read in another call.
      const docs = token.locking
        ? await readWithLocks(env, token, refs)
        : (await Promise.all([token.readOnly ? readAtSnapshot(env, token, refs) : readMany(env, refs, { bounded: true }), fresh ? undefined : assertOpen(env, token)]))[0];
      const readable = await transactionReadCheck(ctx);
      if (!docs.every((doc, i) => readable(refs[i]!, doc))) {
        throw new FailureError("permission_denied", "a read rule refuses a read of this transaction (whether or not the document exists)");
      }
      const reads = fittingPrefix(docs, TransactionalReadSchema, (doc, i) =>
        create(TransactionalReadSchema, {
          ref: { collection: refs[i]!.collection, id: refs[i]!.id },
          document: doc === null ? undefined : toDocument(doc),
          version: BigInt(doc?.version ?? 0),
        }),
      );
      const unreadRefs = refs.slice(reads.length).map((r) => ({ collection: r.collection, id: r.id }));
      return fresh ? { reads, unreadRefs, transaction: token.id, expireTime: timestampFromMs(token.deadlineMs) } : { reads, unreadRefs };
    },

    async commit(req, ctx) {
      const env = envOf(ctx);
      // A Commit sent again after a lost answer may come after the deadline:
      // it is answered from the records kept TX_RECORD_RETENTION_MS past it
      // (a commit that never happened is refused as expired by the shards, or,
      // for one that touches none, by its coordinator's claim).
      const { token, fresh } = await transactionOfCall(env, req.transaction, req.newTransaction, TX_RECORD_RETENTION_MS);
      if (token.readOnly) {
        if (req.writes.length > 0) throw new FailureError("invalid_argument", "a read-only transaction cannot write; begin it without read_only");
        // Its reads came from one snapshot, consistent by construction:
        // there is nothing to validate, so it always commits (at its snapshot).
        // Its commit is recorded at its coordinator all the same (a claim with
        // no shard), so a Rollback after it changes nothing and the id keeps
        // answering as committed, as every other commit's does.
        if (!fresh) await commitReadOnly(env, token);
        return { results: [], commitTime: timestampFromMs(timestampMs(token.snapshotTs)) };
      }
      const writes = shardWritesFrom(req.writes, "writes", TX_BYTES_MAX, "TX_BYTES_MAX", "a transaction");
      const reads = req.reads.map((r, i): ReadVersion => {
        const ref = refFrom(r.ref, `reads[${i}].ref`);
        if (r.version < 0n || r.version > BigInt(Number.MAX_SAFE_INTEGER)) throw new FailureError("invalid_argument", `reads[${i}].version is out of range`);
        return { ...ref, version: Number(r.version) };
      });
      const guard = await writeGuardOf(ctx, new Set(writes.map((w) => w.collection)), new Set(reads.map((r) => r.collection)));
      // A transaction this call began is, to the commit, like CommitBatch's:
      // nobody else has its id, so there is no rollback to look for, and a
      // reshard mid-commit may run the whole call again with a new id.
      return withDocumentsIfAsked(await commitTransaction(env, token, writes, dedupeReads(reads), !fresh, guard, ctx.values.get(waitUntilKey)), req.returnDocuments);
    },

    async rollback(req, ctx) {
      // The rollback is recorded by the coordinator the id names, so every
      // later call of the id, on any Worker, is refused.
      const env = envOf(ctx);
      const token = await tokenOf(env, req.transaction);
      await coordinatorStub(env, token.id).rollback(token.id, token.deadlineMs);
      return {};
    },

    async commitBatch(req, ctx: HandlerContext) {
      const env = envOf(ctx);
      const writes = shardWritesFrom(req.writes, "writes", TX_BYTES_MAX, "TX_BYTES_MAX");
      const guard = await writeGuardOf(ctx, new Set(writes.map((w) => w.collection)));
      // CommitBatch reads nothing, so an ABORTED commit (locks in its way,
      // or wounded by a retry that needed them) lost no read and applied
      // nothing: it is committed again under a new id, waiting for the
      // transactions in its way as a plain write does, up to
      // TX_LOCK_WAIT_MS_MAX. Before, it answered ABORTED whenever a retry
      // held one of its documents (a new user's run: 164 of 186 CommitBatch
      // calls on hot accounts), and no client retried it.
      const startedMs = Date.now();
      for (let attempt = 0; ; attempt++) {
        const token = await createTransactionToken(pageTokenKey(env), Date.now() + TX_TIMEOUT_DEFAULT_MS, false, { scope: scopeOf(env) });
        try {
          const committed = await commitTransaction(env, token, writes, [], false, guard, ctx.values.get(waitUntilKey));
          return withDocumentsIfAsked(committed, req.returnDocuments);
        } catch (err) {
          // A refusal because the database was resharded goes to the routing retry (it needs the new table).
          if (!(err instanceof FailureError) || err.kind !== "aborted" || movedEpochOf(err.message) !== null) throw err;
          if (Date.now() - startedMs >= TX_LOCK_WAIT_MS_MAX) {
            throw new FailureError(
              "aborted",
              `CommitBatch waited TX_LOCK_WAIT_MS_MAX (${TX_LOCK_WAIT_MS_MAX} ms) for transactions holding its documents; nothing was applied: retry it (last: ${err.message})`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(TX_LOCK_WAIT_POLL_MS_MAX, INTENT_RESOLUTION_BACKOFF_MS * 2 ** attempt)));
        }
      }
    },
  };
}

/**
 * Write results carry documents only when the request asked for them
 * (return_documents), and then only within RESPONSE_BYTES_MAX, so a commit
 * of large documents still answers within a default gRPC client's 4 MiB.
 */
function withDocumentsIfAsked<R extends { results: WriteResult[] }>(committed: R, returnDocuments: boolean): R & { documentsOmitted: boolean } {
  if (!returnDocuments) for (const r of committed.results) r.document = undefined;
  return { ...committed, documentsOmitted: returnDocuments && boundWriteResults(committed.results) };
}

/**
 * What a read-only transaction's commits claim at its coordinator: every
 * Commit of its id is the same commit (it validates nothing, whatever reads
 * it names), answered with its snapshot time.
 */
const READ_ONLY_COMMIT_FINGERPRINT = "read-only";

/**
 * Records a read-only transaction's commit at its coordinator, or refuses
 * it when the id has finished otherwise (rolled back, aborted).
 */
async function commitReadOnly(env: Env, token: TransactionToken): Promise<void> {
  const claimed = await coordinatorStub(env, token.id).claimOnePhase(token.id, token.deadlineMs, "", READ_ONLY_COMMIT_FINGERPRINT, timestampMs(token.snapshotTs));
  const refused = claimed.another ?? lifecycleFailure(claimed.lifecycle);
  if (refused !== null) throw new FailureError(refused.kind, refused.message);
}

/** Refuses a call of a transaction that has finished (rolled back, aborted or committed). */
async function assertOpen(env: Env, token: TransactionToken): Promise<void> {
  const refused = lifecycleFailure(await coordinatorStub(env, token.id).lifecycle(token.id));
  if (refused !== null) throw new FailureError(refused.kind, refused.message);
}

function dedupeReads(reads: readonly ReadVersion[]): ReadVersion[] {
  if (reads.length > TX_READS_MAX) throw new FailureError("invalid_argument", `reads has ${reads.length} entries, over TX_READS_MAX (${TX_READS_MAX})`);
  const byRef = new Map<string, ReadVersion>();
  for (const r of reads) {
    const key = `${r.collection}/${r.id}`;
    const seen = byRef.get(key);
    if (seen !== undefined && seen.version !== r.version) {
      throw new FailureError("aborted", `transaction aborted: ${key} was read at two versions (${seen.version} and ${r.version}); retry it`);
    }
    byRef.set(key, r);
  }
  return [...byRef.values()];
}

/**
 * Splits a transaction by shard and commits it in one phase or through its
 * coordinator. `begun` is false for CommitBatch, whose id nobody else has
 * seen, so it cannot have been rolled back.
 */
async function commitTransaction(
  env: Env,
  token: TransactionToken,
  writes: ShardWrite[],
  reads: ReadVersion[],
  begun: boolean,
  guard: ShardWriteGuard | null,
  background: ((work: Promise<unknown>) => void) | undefined,
) {
  const { router } = await currentRouting(env);
  const byShard = new Map<string, { reads: ReadVersion[]; writes: ShardWrite[] }>();
  const slot = (shard: string) => {
    let s = byShard.get(shard);
    if (s === undefined) byShard.set(shard, (s = { reads: [], writes: [] }));
    return s;
  };
  for (const w of writes) slot(router.shardFor(w.collection, w.id)).writes.push(w);
  for (const r of reads) slot(router.shardFor(r.collection, r.id)).reads.push(r);
  if (byShard.size === 0 && !token.locking) {
    // Nothing to validate or write, but the id's one commit all the same:
    // claimed (shard "") so that no other commit of it follows, and
    // answered with the same time when repeated.
    if (!begun) return { results: [], commitTime: timestampFromMs(Date.now()) };
    const nowMs = Date.now();
    const claimed = await coordinatorStub(env, token.id).claimOnePhase(token.id, token.deadlineMs, "", fingerprint([reads, writes]), nowMs);
    const refused = claimed.another ?? lifecycleFailure(claimed.lifecycle);
    if (refused !== null) throw new FailureError(refused.kind, refused.message);
    if (claimed.claim?.kind === "conflict") throw new Error("invariant broken: a claim conflict without the other commit's answer");
    return { results: [], commitTime: timestampFromMs(claimed.claim?.answerMs ?? nowMs) };
  }
  if (byShard.size > TX_PARTICIPANTS_MAX) {
    throw new FailureError("resource_exhausted", `transaction touches ${byShard.size} shards, over TX_PARTICIPANTS_MAX (${TX_PARTICIPANTS_MAX})`);
  }
  const txFingerprint = fingerprint([reads, writes]);
  const priority = token.locking ? token.priorityMs : null;
  const changeGroups = changeGroupsOf(byShard);
  const requests = [...byShard].map(([shard, part]) => ({
    shard,
    request: { txId: token.id, expiresMs: token.deadlineMs, reads: part.reads, writes: part.writes, txFingerprint, priority, changeGroups, guard } satisfies ParticipantRequest,
  }));
  let outcome: CommitOutcome;
  // A retry's read locks may lie on shards this commit does not name; its
  // coordinator knows them and commits through two phases, which releases them.
  if (requests.length === 1 && !token.locking) {
    const [{ shard, request }] = requests as [(typeof requests)[number]];
    // The shard alone decides a one-phase commit, so it must hear of a
    // rollback or abort the coordinator recorded. It still repeats an answer
    // it gave before, so Commit, Rollback, Commit answers the first commit
    // again. A transaction a client began claims its one commit at its
    // coordinator first (sync/one-phase-claims.ts): another commit of the
    // same id, on any shard, is refused, and a refused one-phase commit is
    // recorded there as the transaction's abort.
    const coordinator = coordinatorStub(env, token.id);
    const claimed = begun ? await coordinator.claimOnePhase(token.id, token.deadlineMs, shard, txFingerprint) : null;
    // Another commit of the id came first, or was refused (another-commit.ts says which).
    if (claimed?.another != null) throw new FailureError(claimed.another.kind, claimed.another.message);
    if (claimed?.claim?.kind === "conflict") throw new Error("invariant broken: a claim conflict without the other commit's answer");
    const refuseNew = claimed === null ? null : lifecycleFailure(claimed.lifecycle);
    // Holding the claim, this is the id's one commit: a two-shard commit of the id sent beside it
    // may have prepared on this shard already (its prepares go out beside its stage), and gives way.
    const owned = claimed?.claim?.kind === "claimed" ? { ...request, idOwner: true } : request;
    const send = () => shardStub(env, shard).txCommitOnePhase(refuseNew === null ? owned : { ...request, refuseNew });
    // The same commit claimed before on another shard: a resharding has moved its documents since.
    // The shard the claim names answers it if it committed or refused it there; only when it holds
    // nothing (never applied: its keys are fenced now) does it go to the shard that owns them now,
    // which has no record of the id and would apply it again.
    const earlierShard = claimed?.claim?.kind === "claimed" ? claimed.claim.earlierShard : null;
    let recorded: Vote | null = null;
    if (earlierShard !== null && earlierShard !== "" && earlierShard !== shard) {
      recorded = await shardStub(env, earlierShard).txRecordedVote(token.id, txFingerprint);
      if (recorded === null) await coordinator.moveOnePhaseClaim(token.id, txFingerprint, shard);
    }
    let vote = recorded ?? (await send());
    // A first attempt never waits, but locks of finished or quiet
    // transactions are cleared and the commit tried once more (a no for
    // locks recorded nothing on the shard).
    if (recorded === null && vote.vote === "no" && (vote.blockedBy?.length ?? 0) > 0 && (await clearFinished(env, shard, vote.blockedBy!))) vote = await send();
    // Recorded before the client hears it: once ABORTED, always ABORTED.
    if (vote.vote === "no" && claimed?.claim?.kind === "claimed") await coordinator.abortOnePhase(token.id, token.deadlineMs, vote.message, vote.kind);
    outcome = vote.vote === "yes" ? { ok: true, commitTimeMs: timestampMs(vote.ts), results: vote.results } : { ok: false, kind: vote.kind, message: vote.message };
  } else if (!token.locking) {
    // A first attempt (or CommitBatch) over several shards holds no locks
    // and never waits: parallel commit, one round trip (sync/parallel-commit.ts).
    outcome = await commitInParallel(env, { txId: token.id, deadlineMs: token.deadlineMs, priority, participants: requests }, { background });
  } else {
    outcome = await coordinatorStub(env, token.id).commit({ txId: token.id, deadlineMs: token.deadlineMs, priority, participants: requests });
  }
  if (!outcome.ok) {
    // A participant refused to prepare because the database was resharded
    // (routing/shard-epoch.ts), so the coordinator aborted. A CommitBatch
    // is run again with a new id by the routing retry; an id a client began
    // is aborted for good, and the client retries the transaction.
    if (begun && movedEpochOf(outcome.message) !== null) {
      throw new FailureError("aborted", "transaction aborted: the database was resharded while it committed; retry it");
    }
    throw new FailureError(outcome.kind, outcome.message);
  }
  return { results: inRequestOrder(writes, outcome.results, outcome.commitTimeMs), commitTime: timestampFromMs(outcome.commitTimeMs) };
}

/**
 * Per collection, the shards that hold the transaction's writes to it,
 * keeping only collections written on two or more shards: a listener on the
 * collection waits for every one of those shards' parts and delivers them
 * together (see src/watch/README.md).
 */
function changeGroupsOf(byShard: ReadonlyMap<string, { writes: readonly ShardWrite[] }>): Record<string, string[]> {
  const shardsByCollection = new Map<string, Set<string>>();
  for (const [shard, part] of byShard) {
    for (const w of part.writes) {
      let shards = shardsByCollection.get(w.collection);
      if (shards === undefined) shardsByCollection.set(w.collection, (shards = new Set()));
      shards.add(shard);
    }
  }
  const groups: Record<string, string[]> = {};
  for (const [collection, shards] of shardsByCollection) if (shards.size >= 2) groups[collection] = [...shards].sort();
  return groups;
}

function inRequestOrder(writes: readonly ShardWrite[], results: readonly TxWriteResult[], commitTimeMs: number): WriteResult[] {
  const byRef = new Map(results.map((r) => [`${r.collection}/${r.id}`, r]));
  return writes.map((w) => {
    const r = byRef.get(`${w.collection}/${w.id}`);
    if (r === undefined) throw new Error(`invariant broken: no result for ${w.collection}/${w.id}`);
    const data = r.dataJson === null ? null : (JSON.parse(r.dataJson) as JsonObject);
    const document =
      data === null
        ? undefined
        : toDocument({ collection: r.collection, id: r.id, data, version: r.version, createTimeMs: r.createTimeMs ?? commitTimeMs, updateTimeMs: commitTimeMs });
    return create(WriteResultSchema, {
      ref: { collection: w.collection, id: w.id },
      document,
      version: BigInt(r.version),
      updateTime: timestampFromMs(commitTimeMs),
      ...transformResultsOf(data, w.transforms),
    });
  });
}


/**
 * The coordinator's durable records, one per transaction it coordinates:
 * the state-machine state, the plan (what each participant must prepare),
 * each participant's vote, and when the record next needs attention (a
 * timer of the state machine, or the time it may be forgotten).
 */
import { rowidRebuildMigration } from "../storage/rowid-rebuild.js";
import type { Migration } from "../storage/schema.js";
import { dropTextPieces, isPiecesMarker, loadText, storeText, storedTextPiecesMigration } from "../storage/text-pieces.js";
import type { CommitPlan } from "./commit-plan.js";
import type { Vote } from "./participant.js";
import type { CoordinatorState } from "./twoPhaseCommit.js";
import { ONE_PHASE_CLAIM_MIGRATION } from "./one-phase-claims.js";

/** The coordinator's tables. */
export const COORDINATOR_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "transaction records and votes",
    statements: [
      "CREATE TABLE tx_records (tx_id TEXT PRIMARY KEY, state TEXT NOT NULL, plan TEXT, due_ms INTEGER NOT NULL) WITHOUT ROWID",
      "CREATE INDEX tx_records_by_due ON tx_records (due_ms)",
      "CREATE TABLE tx_votes (tx_id TEXT NOT NULL, participant TEXT NOT NULL, vote TEXT NOT NULL, PRIMARY KEY (tx_id, participant)) WITHOUT ROWID",
    ],
  },
  ONE_PHASE_CLAIM_MIGRATION,
  // A plan holds every document of the transaction, and a vote those of
  // its shard: longer than a row can be (storage/text-pieces.ts).
  storedTextPiecesMigration(3),
  // Plans and votes hold documents (storage/rowid-rebuild.ts).
  rowidRebuildMigration(4, ["tx_records", "tx_votes", "stored_text_pieces"]),
];

/** The record of one transaction. */
export interface CoordinatorRecord {
  readonly txId: string;
  readonly state: CoordinatorState;
  readonly plan: CommitPlan | null;
  readonly dueMs: number;
}

interface Row extends Record<string, SqlStorageValue> {
  tx_id: string;
  state: string;
  plan: string | null;
  due_ms: number;
}

function fromRow(sql: SqlStorage, row: Row): CoordinatorRecord {
  const plan = loadText(sql, row.tx_id, row.plan);
  return {
    txId: row.tx_id,
    state: JSON.parse(row.state) as CoordinatorState,
    plan: plan === null ? null : (JSON.parse(plan) as CommitPlan),
    dueMs: row.due_ms,
  };
}

/**
 * Loads the record of `txId`, or null. Its plan (every write of the
 * transaction, documents included) is read and parsed only `withPlan`: the
 * coordinator looks at a record's state several times per commit and needs
 * the plan once, to check a repeated commit, and parsing it each time was
 * a visible share of a two-shard commit's CPU (`npm run bench:profile --
 * commit2`). Without it the record's `plan` is null.
 */
export function loadRecord(sql: SqlStorage, txId: string, withPlan = false): CoordinatorRecord | null {
  const row = sql
    .exec<Row>(`SELECT tx_id, state, ${withPlan ? "plan" : "NULL AS plan"}, due_ms FROM tx_records WHERE tx_id = ?`, txId)
    .toArray()[0];
  return row === undefined ? null : fromRow(sql, row);
}

/**
 * The whole-transaction fingerprint of the plan recorded for `txId`
 * (`ParticipantRequest.txFingerprint`), or null: which of several commits
 * of the id its shards' prepares must belong to. Read without parsing the
 * plan (see loadRecord).
 */
export function planFingerprintOf(sql: SqlStorage, txId: string): string | null {
  // A plan stored in pieces is not JSON in its column: it is read whole.
  const row = sql
    .exec<{ f: string | null; marker: string | null }>(
      `SELECT CASE WHEN substr(plan, 1, 1) = '{' THEN json_extract(plan, '$.participants[0].request.txFingerprint') END AS f,
              CASE WHEN substr(plan, 1, 1) = '{' THEN NULL ELSE plan END AS marker
       FROM tx_records WHERE tx_id = ?`,
      txId,
    )
    .toArray()[0];
  if (row === undefined) return null;
  if (isPiecesMarker(row.marker)) {
    const plan = JSON.parse(loadText(sql, txId, row.marker)!) as CommitPlan;
    return plan.participants[0]?.request.txFingerprint ?? null;
  }
  return row.f ?? null;
}

/** Saves a record's state, its due time, and its plan when given. */
export function saveState(sql: SqlStorage, txId: string, state: CoordinatorState, plan: CommitPlan | null, dueMs: number): void {
  sql.exec(
    `INSERT INTO tx_records (tx_id, state, plan, due_ms) VALUES (?, ?, ?, ?)
     ON CONFLICT (tx_id) DO UPDATE SET state = excluded.state, plan = COALESCE(excluded.plan, plan), due_ms = excluded.due_ms`,
    txId, JSON.stringify(state), plan === null ? null : storeText(sql, txId, "plan", JSON.stringify(plan)), dueMs,
  );
}

/** Records a participant's vote. */
export function saveVote(sql: SqlStorage, txId: string, participant: string, vote: Vote): void {
  sql.exec("INSERT OR REPLACE INTO tx_votes (tx_id, participant, vote) VALUES (?, ?, ?)", txId, participant, storeText(sql, txId, `vote/${participant}`, JSON.stringify(vote)));
}

/** The votes received for `txId`, in participant order. */
export function votesOf(sql: SqlStorage, txId: string, participants: readonly string[]): Vote[] {
  const byParticipant = new Map(
    sql
      .exec<{ participant: string; vote: string }>("SELECT participant, vote FROM tx_votes WHERE tx_id = ?", txId)
      .toArray()
      .map((r) => [r.participant, JSON.parse(loadText(sql, txId, r.vote)!) as Vote]),
  );
  return participants.flatMap((p) => {
    const v = byParticipant.get(p);
    return v === undefined ? [] : [v];
  });
}

/** Records due at or before `nowMs`, soonest first. */
export function dueRecords(sql: SqlStorage, nowMs: number, limit: number): CoordinatorRecord[] {
  return sql.exec<Row>("SELECT tx_id, state, plan, due_ms FROM tx_records WHERE due_ms <= ? ORDER BY due_ms LIMIT ?", nowMs, limit).toArray().map((row) => fromRow(sql, row));
}

/** The soonest due time of any record, or null. */
export function nextDue(sql: SqlStorage): number | null {
  return sql.exec<{ t: number | null }>("SELECT MIN(due_ms) AS t FROM tx_records").one().t;
}

/** Forgets a finished transaction. */
export function forget(sql: SqlStorage, txId: string): void {
  sql.exec("DELETE FROM tx_records WHERE tx_id = ?", txId);
  sql.exec("DELETE FROM tx_votes WHERE tx_id = ?", txId);
  dropTextPieces(sql, txId);
}

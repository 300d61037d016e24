/**
 * The coordinator's durable record: the transaction's state-machine state,
 * its plan (what each participant must prepare) and each participant's vote.
 */
import type { Migration } from "../storage/schema.js";
import type { CommitPlan } from "./commit-plan.js";
import type { Vote } from "./participant.js";
import type { CoordinatorState } from "./twoPhaseCommit.js";

/** The coordinator's tables. */
export const COORDINATOR_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "transaction record and votes",
    statements: [
      "CREATE TABLE tx_record (tx_id TEXT PRIMARY KEY, state TEXT NOT NULL, plan TEXT) WITHOUT ROWID",
      "CREATE TABLE tx_votes (participant TEXT PRIMARY KEY, vote TEXT NOT NULL) WITHOUT ROWID",
    ],
  },
];

/** The record of the coordinator's one transaction. */
export interface CoordinatorRecord {
  readonly txId: string;
  readonly state: CoordinatorState;
  readonly plan: CommitPlan | null;
}

/** Loads the record, or null for a coordinator that has none. */
export function loadRecord(sql: SqlStorage): CoordinatorRecord | null {
  const rows = sql.exec<{ tx_id: string; state: string; plan: string | null }>("SELECT tx_id, state, plan FROM tx_record").toArray();
  if (rows.length > 1) throw new Error("invariant broken: a coordinator holds one transaction");
  const row = rows[0];
  if (row === undefined) return null;
  return { txId: row.tx_id, state: JSON.parse(row.state) as CoordinatorState, plan: row.plan === null ? null : (JSON.parse(row.plan) as CommitPlan) };
}

/** Saves the state (and the plan, when given). */
export function saveState(sql: SqlStorage, txId: string, state: CoordinatorState, plan: CommitPlan | null): void {
  const existing = loadRecord(sql);
  if (existing !== null && existing.txId !== txId) throw new Error(`invariant broken: coordinator of ${existing.txId} asked about ${txId}`);
  sql.exec(
    `INSERT INTO tx_record (tx_id, state, plan) VALUES (?, ?, ?)
     ON CONFLICT (tx_id) DO UPDATE SET state = excluded.state, plan = COALESCE(excluded.plan, plan)`,
    txId, JSON.stringify(state), plan === null ? null : JSON.stringify(plan),
  );
}

/** Records a participant's vote. */
export function saveVote(sql: SqlStorage, participant: string, vote: Vote): void {
  sql.exec("INSERT OR REPLACE INTO tx_votes (participant, vote) VALUES (?, ?)", participant, JSON.stringify(vote));
}

/** The votes received, in participant order. */
export function votesOf(sql: SqlStorage, participants: readonly string[]): Vote[] {
  const byParticipant = new Map(
    sql.exec<{ participant: string; vote: string }>("SELECT participant, vote FROM tx_votes").toArray().map((r) => [r.participant, JSON.parse(r.vote) as Vote]),
  );
  return participants.flatMap((p) => {
    const v = byParticipant.get(p);
    return v === undefined ? [] : [v];
  });
}

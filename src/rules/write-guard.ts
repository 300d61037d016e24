/**
 * Write rules, checked in the shard inside the write itself: the shard
 * reads the stored row, and in the same synchronous step (no `await`)
 * evaluates the rule against it and the proposed document, then applies
 * the write or refuses it. So the check and the write see the same stored
 * document, and a refused write changes nothing.
 *
 * A write whose answer depends on the stored document (an update, a
 * delete, any write with a precondition but `exists: false`) is first
 * judged by the caller's read rule, as a transaction's read is: against
 * the stored document, or `resource == null` when there is none. A
 * document the read rule hides and a missing one the rule refuses to read
 * (a rule that reads `resource.data` refuses null, as in Firestore) get
 * the same refusal, so such a write cannot tell them apart. Creates and
 * plain sets are not judged so (a create must reach a missing document);
 * whether an id is taken is what they can tell (docs/security.md).
 *
 * The rules run before the write's own checks (preconditions, "already
 * exists", "not found"), so a refused caller learns nothing from them. Its
 * refusal names the operation the caller sent (set, create, update,
 * delete), never `request.method`: that says whether a document is stored,
 * which a caller the read rule hides it from must not learn.
 * `request.method` is `create` when no document is stored, `update` when
 * one is (SetDocument and UpdateDocument alike), `delete` for deletes;
 * `request.resource` is the document as it would be after the write (for
 * UpdateDocument, the patch applied to the stored data; field transforms
 * applied after, as storage/proposed.ts computes it for the store), null
 * for deletes.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { proposedData } from "../storage/proposed.js";
import type { ShardWrite } from "../storage/types.js";
import { compileRuleCached, type CompiledRule, type RuleMethod } from "./compile.js";

/** The write rules of one batch, for its shard. Plain data; the claims as JSON text. */
export interface ShardWriteGuard {
  readonly rules: ReadonlyArray<{ readonly collection: string; readonly source: string }>;
  /**
   * A transaction's read rules, for the reads its Commit validates: a read
   * the rule refuses (the stored document, or null when missing) fails the
   * commit with PERMISSION_DENIED before any version is compared, so read
   * versions cannot probe whether an unreadable document exists.
   */
  readonly readRules?: ReadonlyArray<{ readonly collection: string; readonly source: string }>;
  /**
   * The read rules of the written collections: a write whose answer
   * depends on the stored document (`dependsOnStored`) is refused unless
   * the caller may read it (null when missing), before the write rule.
   */
  readonly writeReadRules?: ReadonlyArray<{ readonly collection: string; readonly source: string }>;
  readonly authJson: string;
}

/** Null when the caller may read what is stored at `ref` (`stored` null: nothing); otherwise why not. */
export type ReadCheckAt = (ref: { collection: string; id: string }, stored: JsonObject | null) => string | null;

/** The shard's check of a transaction's validated reads, or null when there is nothing to check. */
export function readCheckAt(guard: ShardWriteGuard | null | undefined): ReadCheckAt | null {
  if (guard?.readRules === undefined || guard.readRules.length === 0) return null;
  const rules = compiledByCollection(guard.readRules, "read");
  const auth = JSON.parse(guard.authJson) as Record<string, unknown>;
  return (ref, stored) => {
    const rule = rules.get(ref.collection);
    if (rule === undefined) return null;
    const allowed = rule.allows({ request: { auth, method: "get" }, resource: stored === null ? null : { id: ref.id, data: stored } });
    return allowed ? null : `the read rule of collection ${ref.collection} refuses a read of this transaction`;
  };
}

function compiledByCollection(list: ReadonlyArray<{ collection: string; source: string }>, kind: "read" | "write"): Map<string, CompiledRule> {
  const rules = new Map<string, CompiledRule>();
  for (const { collection, source } of list) {
    const compiled = compileRuleCached(source, kind);
    if (!compiled.ok) throw new Error(`invariant broken: a ${kind} rule sent to a shard does not compile: ${compiled.message}`);
    rules.set(collection, compiled.rule);
  }
  return rules;
}

/**
 * Null when `write` may proceed against `stored`; otherwise why the rule
 * refused it. `nowMs` is the write's time, which its server_timestamp
 * transforms record, so the rule sees the document exactly as it would be
 * stored.
 */
export type WriteCheck = (write: ShardWrite, stored: JsonObject | null, nowMs: number) => string | null;

/**
 * True when the answer to `write` depends on whether, or how, its document
 * is stored: an update ("not found"), a delete (whether it deleted), and any
 * precondition but `exists: false` (which a create must pass anyway).
 */
export function dependsOnStored(write: ShardWrite): boolean {
  if (write.op === "update" || write.op === "delete") return true;
  const precondition = write.precondition;
  return precondition !== undefined && !("exists" in precondition && !precondition.exists);
}

/** The shard's check for `guard`, or null when there is nothing to check. */
export function writeCheck(guard: ShardWriteGuard | null | undefined): WriteCheck | null {
  if (guard === null || guard === undefined) return null;
  const writeReadRules = guard.writeReadRules ?? [];
  if (guard.rules.length === 0 && writeReadRules.length === 0) return null;
  const rules = compiledByCollection(guard.rules, "write");
  const readRules = compiledByCollection(writeReadRules, "read");
  const auth = JSON.parse(guard.authJson) as Record<string, unknown>;
  return (write, stored, nowMs) => {
    const readRule = readRules.get(write.collection);
    if (readRule !== undefined && dependsOnStored(write)) {
      const readable = readRule.allows({ request: { auth, method: "get" }, resource: stored === null ? null : { id: write.id, data: stored } });
      // Hidden and missing (when the rule refuses null) answer alike: nothing here depends on `stored` but the rule's verdict.
      if (!readable) return `the read rule of collection ${write.collection} refuses this ${write.op}: an update, a delete or a precondition needs a document you may read`;
    }
    const rule = rules.get(write.collection);
    if (rule === undefined) return null;
    const method: RuleMethod = write.op === "delete" ? "delete" : stored === null ? "create" : "update";
    const outcome = proposedData(write, stored, nowMs);
    // A write that cannot produce a document fails on its own checks later.
    const proposed = outcome?.ok === true ? outcome.data : null;
    const allowed = rule.allows({
      request: { auth, method, resource: proposed === null ? null : { id: write.id, data: proposed } },
      resource: stored === null ? null : { id: write.id, data: stored },
    });
    // The request's own operation, not `method`: the same words whether or not the document exists.
    return allowed ? null : `the write rule of collection ${write.collection} refuses this ${write.op}`;
  };
}

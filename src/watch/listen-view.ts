/**
 * What a listener sees: the documents that match its target, and the
 * added / modified / removed changes a unit of commits makes to them.
 * Pure: tested in Node (test/unit/watch/listen-view.test.ts).
 *
 * Without a limit, a change's before and after images say everything: it
 * was in the result when its before image matched, and is in it when its
 * after image matches. So such a view keeps no state once its snapshot is
 * sent. With a limit, the window (the first `limit` matches in query
 * order) depends on the other matches, so the view keeps every matching
 * document (at most LISTEN_MATCHED_DOCUMENTS_MAX) and diffs the window.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { FailureError } from "../errors.js";
import { LISTEN_MATCHED_DOCUMENTS_MAX } from "../limits.js";
import { matches } from "../query/evaluate.js";
import { documentCheck, type ShardReadRule } from "../rules/read-rule.js";
import type { Expr } from "../query/expression.js";
import { compareCursors, cursorOf, type OrderKey } from "../query/order.js";
import type { StoredDocument } from "../storage/types.js";
import { timestampMs } from "../sync/hybrid-clock.js";
import type { FeedChange, Unit } from "./change-merger.js";

/**
 * What a listener watches: one document, or a query over a collection (a
 * collection is a query with no filter). `rule` is the caller's read rule
 * (src/rules/), fixed when the listener starts: a document it refuses is
 * not in the target, so the listener hears of it as of a missing one.
 */
export type ListenTarget =
  | { readonly kind: "document"; readonly collection: string; readonly id: string; readonly rule?: ShardReadRule | null }
  | {
      readonly kind: "query";
      readonly collection: string;
      readonly filter: Expr;
      readonly order: readonly OrderKey[];
      /** Null for no limit. */
      readonly limit: number | null;
      readonly rule?: ShardReadRule | null;
    };

/** One change a listener sees. */
export interface ViewChange {
  readonly type: "added" | "modified" | "removed";
  /** The document now (added, modified) or as the listener last saw it (removed). */
  readonly document: StoredDocument;
  /** The transaction that made it; null for a plain write. */
  readonly txId: string | null;
}

/** Images by change, so a change many listeners share is parsed once. Never mutated. */
const afterImages = new WeakMap<FeedChange, StoredDocument | null>();
const beforeImages = new WeakMap<FeedChange, StoredDocument | null>();

/** The document a change leaves, or null for a delete. */
export function afterImage(c: FeedChange): StoredDocument | null {
  let image = afterImages.get(c);
  if (image === undefined) afterImages.set(c, (image = parseAfter(c)));
  return image;
}

/** The document before a change, or null when it did not exist. */
export function beforeImage(c: FeedChange): StoredDocument | null {
  let image = beforeImages.get(c);
  if (image === undefined) beforeImages.set(c, (image = parseBefore(c)));
  return image;
}

function parseAfter(c: FeedChange): StoredDocument | null {
  if (c.data === null) return null;
  return {
    collection: c.collection,
    id: c.id,
    data: JSON.parse(c.data) as JsonObject,
    version: c.version ?? 0,
    createTimeMs: c.createTimeMs ?? timestampMs(c.commitTs),
    updateTimeMs: timestampMs(c.commitTs),
  };
}

function parseBefore(c: FeedChange): StoredDocument | null {
  if (c.beforeData === null) return null;
  return {
    collection: c.collection,
    id: c.id,
    data: JSON.parse(c.beforeData) as JsonObject,
    version: c.beforeVersion ?? 0,
    createTimeMs: c.beforeCreateTimeMs ?? 0,
    updateTimeMs: c.beforeUpdateTimeMs ?? 0,
  };
}

/** True when `doc` belongs to the target's result (ignoring a limit). */
export function inTarget(target: ListenTarget, doc: StoredDocument | null): doc is StoredDocument {
  if (doc === null) return false;
  const inScope = target.kind === "document" ? doc.id === target.id && doc.collection === target.collection : doc.collection === target.collection && matches(target.filter, doc);
  return inScope && ruleAdmits(target.rule, doc);
}

/** The per-document checks of read rules, made once per rule object. */
const ruleChecks = new WeakMap<ShardReadRule, ((doc: { id: string; data: JsonObject }) => boolean) | null>();

/** True when the caller's read rule (if any) allows `doc`: its SQL part, and the rest in CEL when the rule is not exact. */
function ruleAdmits(rule: ShardReadRule | null | undefined, doc: StoredDocument): boolean {
  if (rule === null || rule === undefined) return true;
  if (!matches(rule.filter, doc)) return false;
  let check = ruleChecks.get(rule);
  if (check === undefined) ruleChecks.set(rule, (check = documentCheck(rule)));
  return check === null || check(doc);
}

/** The target's order, for sorting snapshots and windows. */
function orderOf(target: ListenTarget): readonly OrderKey[] {
  return target.kind === "query" ? target.order : [];
}

/**
 * A listener's matching set: every document in the target (before the
 * limit), kept while the snapshot is assembled, and for a limit query for
 * the life of the stream.
 */
export class MatchingSet {
  private readonly docs = new Map<string, StoredDocument>();

  constructor(private readonly target: ListenTarget, initial: Iterable<StoredDocument>) {
    for (const doc of initial) if (inTarget(target, doc)) this.set(doc);
  }

  /** Applies one change, forwards (fold) or backwards (undo, to an earlier position). */
  apply(change: FeedChange, direction: "forward" | "undo" = "forward"): void {
    const doc = direction === "forward" ? afterImage(change) : beforeImage(change);
    if (inTarget(this.target, doc)) this.set(doc);
    else this.docs.delete(change.id);
  }

  /** Every match, in no particular order. */
  all(): StoredDocument[] {
    return [...this.docs.values()];
  }

  /** The matches in query order; the first `limit` when the target has one. */
  window(): StoredDocument[] {
    const order = orderOf(this.target);
    const sorted = [...this.docs.values()]
      .map((doc) => ({ doc, at: cursorOf(doc, order) }))
      .sort((a, b) => compareCursors(a.at, b.at, order))
      .map((e) => e.doc);
    const limit = this.target.kind === "query" ? this.target.limit : null;
    return limit === null ? sorted : sorted.slice(0, limit);
  }

  private set(doc: StoredDocument): void {
    this.docs.set(doc.id, doc);
    if (this.docs.size > LISTEN_MATCHED_DOCUMENTS_MAX) {
      throw new FailureError(
        "resource_exhausted",
        `the listener's query matches more than LISTEN_MATCHED_DOCUMENTS_MAX (${LISTEN_MATCHED_DOCUMENTS_MAX}) documents; a listener holds its matches while it starts, and a limit query holds them all: narrow the filter`,
      );
    }
  }
}

/** Turns committed units into the changes a listener sees. */
export interface ListenView {
  apply(unit: Unit): ViewChange[];
}

/** The view of a target after its snapshot; `matching` is the snapshot's matching set. */
export function createView(target: ListenTarget, matching: MatchingSet): ListenView {
  if (target.kind === "query" && target.limit !== null) return windowView(matching);
  return {
    apply(unit) {
      const out: ViewChange[] = [];
      for (const part of unit) {
        for (const c of part.changes) {
          const before = beforeImage(c);
          const after = afterImage(c);
          const was = inTarget(target, before);
          const is = inTarget(target, after);
          if (is) out.push({ type: was ? "modified" : "added", document: after, txId: c.txId });
          else if (was) out.push({ type: "removed", document: before, txId: c.txId });
        }
      }
      return out;
    },
  };
}

/** A limit query's view: the window before and after each unit, diffed. */
function windowView(matching: MatchingSet): ListenView {
  let window = matching.window();
  return {
    apply(unit) {
      const txId = unit[0]?.changes[0]?.txId ?? null;
      for (const part of unit) for (const c of part.changes) matching.apply(c);
      const next = matching.window();
      const before = new Map(window.map((d) => [d.id, d]));
      const after = new Set(next.map((d) => d.id));
      const out: ViewChange[] = [];
      for (const doc of window) if (!after.has(doc.id)) out.push({ type: "removed", document: doc, txId });
      for (const doc of next) {
        const old = before.get(doc.id);
        if (old === undefined) out.push({ type: "added", document: doc, txId });
        else if (old.version !== doc.version) out.push({ type: "modified", document: doc, txId });
      }
      window = next;
      return out;
    },
  };
}

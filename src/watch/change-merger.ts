/**
 * Merges the per-shard change feeds of one listener into one stream of
 * units, each unit being every change one commit made to the listener's
 * collection: a plain write or batch (one shard), or a transaction's parts
 * on every shard it wrote there. Pure: no I/O, tested in Node
 * (test/unit/watch/change-merger.test.ts).
 *
 * Invariants (see src/watch/README.md for why they hold):
 * 1. A unit is emitted whole: a transaction's parts wait in the buffer
 *    until every shard in its group has delivered its part.
 * 2. Per document, changes are emitted in the shard's log order (a
 *    document lives on one shard, and its log order is its commit order).
 *    Units are emitted in each shard's log order, except to break a wait
 *    cycle (two transactions whose parts reached two shards in opposite
 *    orders): then the complete unit with the smallest commit timestamp is
 *    emitted first, and only if none of its documents has an earlier
 *    change still buffered on its shard.
 * 3. `positions()` is a resume point only when it is exact: every change at
 *    or below it emitted, none above it. It is null while a unit emitted
 *    out of order sits above a buffered one.
 */

/** One change as a shard's feed delivers it. */
export interface FeedChange {
  readonly seq: number;
  readonly collection: string;
  readonly id: string;
  readonly op: "put" | "delete";
  /** The new contents (JSON text); null for a delete. */
  readonly data: string | null;
  readonly version: number | null;
  readonly createTimeMs: number | null;
  /** The contents before the write (JSON text); null when the document did not exist. */
  readonly beforeData: string | null;
  readonly beforeVersion: number | null;
  readonly beforeCreateTimeMs: number | null;
  readonly beforeUpdateTimeMs: number | null;
  /** Commit timestamp, µs. */
  readonly commitTs: number;
  readonly txId: string | null;
  /** The shards of this transaction's writes to the collection, when two or more. */
  readonly groupShards: readonly string[] | null;
}

/** A shard's consecutive changes from one commit. */
export interface Part {
  readonly shard: string;
  /** The commit's key: its transaction id, or (for a plain write) shard and commit timestamp. */
  readonly key: string;
  readonly commitTs: number;
  readonly groupShards: readonly string[] | null;
  readonly changes: FeedChange[];
}

/** Everything one commit changed in the collection, across shards. */
export type Unit = readonly Part[];

/** The key that joins a commit's parts across shards. */
export function commitKey(shard: string, change: FeedChange): string {
  return change.txId !== null ? `tx:${change.txId}` : `w:${shard}:${change.commitTs}`;
}

/** Splits one shard's changes (in seq order) into parts. */
export function partsOf(shard: string, changes: readonly FeedChange[]): Part[] {
  const parts: Part[] = [];
  for (const change of changes) {
    const key = commitKey(shard, change);
    const last = parts[parts.length - 1];
    if (last !== undefined && last.key === key && last.commitTs === change.commitTs) last.changes.push(change);
    else parts.push({ shard, key, commitTs: change.commitTs, groupShards: change.groupShards, changes: [change] });
  }
  return parts;
}

interface ShardState {
  pending: Part[];
  /** Every change of this shard's log at or below this position has been received. */
  received: number;
  /** Last seqs of parts emitted ahead of a buffered part. */
  ahead: number[];
}

/** Merges per-shard feeds into whole units (see the module comment). */
export class ChangeMerger {
  private readonly shards = new Map<string, ShardState>();
  private pendingChanges = 0;

  /** `start`: for each shard, the position the listener has everything through. */
  constructor(start: ReadonlyMap<string, number>) {
    for (const [shard, position] of start) this.shards.set(shard, { pending: [], received: position, ahead: [] });
  }

  /** The position through which `shard`'s feed has been received: its next feed call asks for changes after it. */
  receivedThrough(shard: string): number {
    return this.state(shard).received;
  }

  /** Changes buffered, waiting for the rest of their unit. */
  get buffered(): number {
    return this.pendingChanges;
  }

  /**
   * Adds a feed page of `shard`: its changes after the shard's received
   * position, in seq order, and the position it has now delivered
   * everything through.
   */
  push(shard: string, changes: readonly FeedChange[], position: number): void {
    const state = this.state(shard);
    for (const c of changes) {
      if (c.seq <= state.received) throw new Error(`invariant broken: ${shard} delivered seq ${c.seq} at or below ${state.received}`);
    }
    const parts = partsOf(shard, changes);
    // A part continued from the previous page (a transaction's rows are
    // never split by the shard, but be exact): join it.
    const tail = state.pending[state.pending.length - 1];
    if (tail !== undefined && parts[0] !== undefined && tail.key === parts[0].key && tail.commitTs === parts[0].commitTs) {
      tail.changes.push(...parts.shift()!.changes);
    }
    state.pending.push(...parts);
    this.pendingChanges += changes.length;
    state.received = Math.max(state.received, position, changes[changes.length - 1]?.seq ?? 0);
  }

  /** Takes every unit that can be emitted now, in emission order. */
  drain(): Unit[] {
    const out: Unit[] = [];
    for (;;) {
      const unit = this.inOrderUnit() ?? this.cycleBreakingUnit();
      if (unit === null) return out;
      out.push(unit);
    }
  }

  /**
   * The resume point: per shard, the position through which every change
   * has been emitted; null when it would not be exact (invariant 3).
   */
  positions(): Map<string, number> | null {
    const result = new Map<string, number>();
    for (const [shard, state] of this.shards) {
      const position = state.pending.length === 0 ? state.received : state.pending[0]!.changes[0]!.seq - 1;
      state.ahead = state.ahead.filter((seq) => seq > position);
      if (state.ahead.length > 0) return null;
      result.set(shard, position);
    }
    return result;
  }

  private state(shard: string): ShardState {
    const state = this.shards.get(shard);
    if (state === undefined) throw new Error(`invariant broken: no feed for shard ${shard}`);
    return state;
  }

  /**
   * A unit whose parts all head their shards' buffers, or null; of several,
   * the one committed first, so changes to different documents also come
   * in commit order whenever they are buffered together.
   */
  private inOrderUnit(): Unit | null {
    let best: Part | null = null;
    for (const state of this.shards.values()) {
      const head = state.pending[0];
      if (head === undefined || (best !== null && best.commitTs <= head.commitTs)) continue;
      if (this.groupOf(head).every((shard) => this.shards.get(shard)?.pending[0]?.key === head.key)) best = head;
    }
    return best === null ? null : this.take(this.groupOf(best).map((shard) => ({ shard, index: 0 })));
  }

  /**
   * Breaks a wait cycle: the complete unit with the smallest commit
   * timestamp none of whose documents has an earlier buffered change on
   * its shard; null when there is none (a unit is still missing a part).
   */
  private cycleBreakingUnit(): Unit | null {
    let best: { commitTs: number; at: Array<{ shard: string; index: number }> } | null = null;
    for (const state of this.shards.values()) {
      state.pending.forEach((part, index) => {
        if (best !== null && best.commitTs <= part.commitTs) return;
        const at = this.locate(part);
        if (at === null || !at.every((p) => this.isSafeAhead(p.shard, p.index))) return;
        best = { commitTs: part.commitTs, at };
        void index;
      });
    }
    if (best === null) return null;
    const chosen = best as { commitTs: number; at: Array<{ shard: string; index: number }> };
    for (const { shard, index } of chosen.at) {
      const state = this.state(shard);
      if (index > 0) state.ahead.push(state.pending[index]!.changes.at(-1)!.seq);
    }
    return this.take(chosen.at);
  }

  /** Where each part of `part`'s unit sits in the buffers, or null when one has not arrived. */
  private locate(part: Part): Array<{ shard: string; index: number }> | null {
    const at: Array<{ shard: string; index: number }> = [];
    for (const shard of this.groupOf(part)) {
      const index = this.shards.get(shard)?.pending.findIndex((p) => p.key === part.key && p.commitTs === part.commitTs) ?? -1;
      if (index < 0) return null;
      at.push({ shard, index });
    }
    return at;
  }

  /** True when no change buffered before `pending[index]` on `shard` touches one of its documents. */
  private isSafeAhead(shard: string, index: number): boolean {
    const pending = this.state(shard).pending;
    const ids = new Set(pending[index]!.changes.map((c) => c.id));
    for (let i = 0; i < index; i++) if (pending[i]!.changes.some((c) => ids.has(c.id))) return false;
    return true;
  }

  private groupOf(part: Part): readonly string[] {
    return part.groupShards !== null && part.groupShards.length >= 2 ? part.groupShards : [part.shard];
  }

  private take(at: ReadonlyArray<{ shard: string; index: number }>): Unit {
    const unit: Part[] = [];
    for (const { shard, index } of at) {
      const [part] = this.state(shard).pending.splice(index, 1);
      if (part === undefined) throw new Error("invariant broken: taking a part that is not buffered");
      this.pendingChanges -= part.changes.length;
      unit.push(part);
    }
    return unit;
  }
}

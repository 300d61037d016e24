/**
 * A serializability checker for recorded transaction histories.
 *
 * Every committed transaction is a node. Edges come from versions, which are
 * totally ordered per document (a document's versions only grow):
 * - write-write: the writer of a version -> the writer of the next version;
 * - write-read: the writer of a version -> every reader of that version;
 * - read-write (anti-dependency): a reader of a version -> the writer of the
 *   next version of that document.
 * The history is serializable exactly when this graph has no cycle (Adya's
 * G2). A committed transaction that read a version no committed transaction
 * wrote (and that was not there before the history) read an aborted or
 * uncommitted write: a dirty read (G1a).
 */

/** One read or write of a document at a version. */
export interface Access {
  readonly key: string;
  readonly version: number;
}

/** One transaction as a client saw it. */
export interface RecordedTransaction {
  readonly id: string;
  readonly reads: readonly Access[];
  readonly writes: readonly Access[];
  readonly committed: boolean;
}

/** What the checker found. */
export type Verdict =
  | { readonly ok: true; readonly transactions: number; readonly edges: number }
  | { readonly ok: false; readonly anomaly: "dirty_read"; readonly detail: string }
  | { readonly ok: false; readonly anomaly: "cycle"; readonly cycle: readonly string[] };

/**
 * Checks `history`. `initial` holds the versions that existed before it
 * (a document missing from it starts at version 0, "absent").
 */
export function checkSerializable(history: readonly RecordedTransaction[], initial: ReadonlyMap<string, number> = new Map()): Verdict {
  const committed = history.filter((t) => t.committed);
  const writerOf = new Map<string, string>();
  const versionsOf = new Map<string, number[]>();
  for (const t of committed) {
    for (const w of t.writes) {
      writerOf.set(`${w.key}@${w.version}`, t.id);
      versionsOf.set(w.key, [...(versionsOf.get(w.key) ?? []), w.version]);
    }
  }
  for (const list of versionsOf.values()) list.sort((a, b) => a - b);
  const edges = new Map<string, Set<string>>();
  const addEdge = (from: string | undefined, to: string | undefined) => {
    if (from === undefined || to === undefined || from === to) return;
    let set = edges.get(from);
    if (set === undefined) edges.set(from, (set = new Set()));
    set.add(to);
  };
  for (const [key, versions] of versionsOf) {
    for (let i = 1; i < versions.length; i++) addEdge(writerOf.get(`${key}@${versions[i - 1]}`), writerOf.get(`${key}@${versions[i]}`));
  }
  for (const t of committed) {
    for (const r of t.reads) {
      const writer = writerOf.get(`${r.key}@${r.version}`);
      const before = r.version === 0 || initial.get(r.key) === r.version;
      if (writer === undefined && !before) {
        return { ok: false, anomaly: "dirty_read", detail: `${t.id} read ${r.key} at version ${r.version}, which no committed transaction wrote` };
      }
      addEdge(writer, t.id);
      const next = (versionsOf.get(r.key) ?? []).find((v) => v > r.version);
      if (next !== undefined) addEdge(t.id, writerOf.get(`${r.key}@${next}`));
    }
  }
  const cycle = findCycle(committed.map((t) => t.id), edges);
  if (cycle !== null) return { ok: false, anomaly: "cycle", cycle };
  let edgeCount = 0;
  for (const set of edges.values()) edgeCount += set.size;
  return { ok: true, transactions: committed.length, edges: edgeCount };
}

/** An iterative depth-first search for a cycle; returns it, or null. */
function findCycle(nodes: readonly string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, "open" | "done">();
  for (const root of nodes) {
    if (state.has(root)) continue;
    const stack: Array<{ node: string; next: Iterator<string> }> = [{ node: root, next: (edges.get(root) ?? new Set()).values() }];
    state.set(root, "open");
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const step = top.next.next();
      if (step.done) {
        state.set(top.node, "done");
        stack.pop();
        continue;
      }
      const child = step.value;
      if (state.get(child) === "open") {
        const from = stack.findIndex((f) => f.node === child);
        return [...stack.slice(from).map((f) => f.node), child];
      }
      if (!state.has(child)) {
        state.set(child, "open");
        stack.push({ node: child, next: (edges.get(child) ?? new Set()).values() });
      }
    }
  }
  return null;
}

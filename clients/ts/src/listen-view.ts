/**
 * What a listener has seen: its documents, in query order, built from
 * Listen's messages. Pure: the reconnect loop (listen.ts) feeds it messages
 * and tells it when a stream broke or must start over.
 *
 * Changes apply only at resume tokens. A message without a token (a piece
 * of the initial snapshot, or a change the server sent before an earlier
 * transaction was complete) is held until the next message with one, and
 * dropped if the stream breaks first: resuming from the last token sends
 * those changes again, so a reconnect neither loses nor repeats a change.
 */
import type { DocumentData, ValueDecoder } from "./value-codec.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { snapshot, type DocumentSnapshot } from "./documents.js";
import { orderForm, type Ordered } from "./listen-order.js";
import { DocumentChange_Type, type DocumentChange as WireChange, type ListenResponse } from "./gen/impossibledb/v1/query_service_pb.js";
import { LISTEN_HELD_MESSAGES_MAX } from "./limits.js";

/** What happened to a document in a listener's result. */
export type DocumentChangeType = "added" | "modified" | "removed";

/** One change of a QuerySnapshot. */
export interface DocumentChange<T extends DocumentData = DocumentData> {
  /** added: entered the result; modified: changed and still in it; removed: left it (deleted, no longer matches, or left a limit's window). */
  type: DocumentChangeType;
  /** The document after the change; for "removed", as it was last seen. */
  doc: DocumentSnapshot<T>;
  /** The transaction that made the change; undefined for a plain write, a batch, the initial snapshot and a restart. */
  transactionId?: string;
}

/** A listener's result at one point: every change up to it applied. */
export interface QuerySnapshot<T extends DocumentData = DocumentData> {
  /** The documents in the result, in query order (the sort keys, then the id; the id alone without sort keys). */
  docs: DocumentSnapshot<T>[];
  /**
   * What changed since the previous snapshot, in commit order; every change
   * of a transaction is in the same snapshot. A document changed twice
   * appears twice. In the initial snapshot every document is "added".
   */
  docChanges: DocumentChange<T>[];
  /** True for the listener's first snapshot: the result as it was when the listener started. */
  initial: boolean;
  /**
   * True when the listener started over from a fresh snapshot because its
   * resume token was older than the server's change log (OUT_OF_RANGE,
   * after a disconnect longer than the retention, 48 h by default). Changes
   * in between are not known one by one: `docChanges` is the difference
   * between the previous snapshot and the fresh one (removed, then added
   * and modified), so applying it still gives `docs`.
   */
  restarted: boolean;
  /** The resume token through which this snapshot is complete. */
  resumeToken: string;
}

/** A document as the view holds it: as shown, and in the exact form its place in the order is computed from (listen-order.ts). */
interface Held<T extends DocumentData> {
  shown: DocumentSnapshot<T>;
  ordered: Ordered;
}

/** A listener's state; see the file comment. */
export class ListenView<T extends DocumentData = DocumentData> {
  private docs = new Map<string, Held<T>>();
  /** The documents shown before a restart, kept until the fresh snapshot is complete; null when not restarting. */
  private beforeRestart: Map<string, Held<T>> | null = null;
  private held: WireChange[] = [];
  private heldMessages = 0;
  private token = "";
  private shown = false;

  constructor(
    private readonly order: (a: Ordered, b: Ordered) => number,
    private readonly decoder: ValueDecoder,
  ) {}

  /** The token to resume with; empty before the first snapshot and while restarting. */
  get resumeToken(): string {
    return this.token;
  }

  /**
   * Takes one message of the stream; returns a snapshot to show, or null
   * when there is nothing new (a message without a token, a checkpoint).
   * RESOURCE_EXHAUSTED past LISTEN_HELD_MESSAGES_MAX messages without a token.
   */
  receive(message: ListenResponse): QuerySnapshot<T> | null {
    this.held.push(...message.changes);
    this.heldMessages += 1;
    if (message.resumeToken === "") {
      if (this.heldMessages > LISTEN_HELD_MESSAGES_MAX) {
        throw new ConnectError(`Listen sent over LISTEN_HELD_MESSAGES_MAX (${LISTEN_HELD_MESSAGES_MAX}) messages without a resume token`, Code.ResourceExhausted);
      }
      return null;
    }
    this.token = message.resumeToken;
    const held = this.held;
    this.held = [];
    this.heldMessages = 0;
    const changes = held.map((c) => this.apply(c));
    if (this.beforeRestart !== null) {
      const previous = this.beforeRestart;
      this.beforeRestart = null;
      return this.snapshotOf(difference(previous, this.docs), { initial: false, restarted: true });
    }
    if (!this.shown) {
      this.shown = true;
      return this.snapshotOf(changes, { initial: true, restarted: false });
    }
    return changes.length === 0 ? null : this.snapshotOf(changes, { initial: false, restarted: false });
  }

  /** The stream broke: drop what is held (resuming from the last token sends it again). */
  disconnected(): void {
    this.held = [];
    this.heldMessages = 0;
  }

  /**
   * The resume token is too old (OUT_OF_RANGE): forget it and build the
   * result again from a fresh snapshot; the snapshot that completes it is
   * shown as the difference from what was shown before.
   */
  restart(): void {
    this.disconnected();
    // A restart that breaks before its snapshot completes keeps the older baseline: that is what was shown.
    this.beforeRestart ??= this.docs;
    this.docs = new Map();
    this.token = "";
  }

  private apply(wire: WireChange): DocumentChange<T> {
    if (wire.document === undefined) throw new ConnectError("Listen sent a change without a document", Code.Internal);
    const doc = snapshot<T>(wire.document, this.decoder);
    const type = changeType(wire.type);
    if (type === "removed") this.docs.delete(doc.id);
    else this.docs.set(doc.id, { shown: doc, ordered: { id: doc.id, data: orderForm(wire.document, this.decoder, doc.data) } });
    return wire.transactionId === "" ? { type, doc } : { type, doc, transactionId: wire.transactionId };
  }

  private snapshotOf(docChanges: DocumentChange<T>[], flags: { initial: boolean; restarted: boolean }): QuerySnapshot<T> {
    const docs = [...this.docs.values()].sort((a, b) => this.order(a.ordered, b.ordered)).map((held) => held.shown);
    return { docs, docChanges, ...flags, resumeToken: this.token };
  }
}

function changeType(type: DocumentChange_Type): DocumentChangeType {
  switch (type) {
    case DocumentChange_Type.ADDED:
      return "added";
    case DocumentChange_Type.MODIFIED:
      return "modified";
    case DocumentChange_Type.REMOVED:
      return "removed";
    default:
      throw new ConnectError(`Listen sent a change of unknown type ${type}`, Code.Internal);
  }
}

/** The changes that turn `before` into `after`: removals first, then additions and modifications. */
function difference<T extends DocumentData>(before: Map<string, Held<T>>, after: Map<string, Held<T>>): DocumentChange<T>[] {
  const out: DocumentChange<T>[] = [];
  for (const [id, { shown: doc }] of before) if (!after.has(id)) out.push({ type: "removed", doc });
  for (const [id, { shown: doc }] of after) {
    const old = before.get(id)?.shown;
    if (old === undefined) out.push({ type: "added", doc });
    else if (old.version !== doc.version) out.push({ type: "modified", doc });
  }
  return out;
}

/**
 * One document by collection and id: `collection.doc(id)`. Reads and writes
 * stay on Collection; this adds the document's own listener. It is also
 * the SDK's reference value: put one in a document's data to store a typed
 * reference to that document (the contract's `Value.reference_value`), and
 * reads return references as DocumentReferences of the reading client.
 */
import type { DocumentData } from "./value-codec.js";
import type { ConnectError } from "@connectrpc/connect";
import type { Collection } from "./Collection.js";
import type { DocumentSnapshot } from "./documents.js";
import { checkListenOptions, listenSnapshots, subscribe, type ListenOptions } from "./listen.js";
import { documentOrder } from "./listen-order.js";
import { ListenView, type DocumentChangeType } from "./listen-view.js";
import type { Services } from "./services.js";

/** One document as a listener sees it. */
export interface DocumentListenSnapshot<T extends DocumentData = DocumentData> {
  /** The document; null when it does not exist. */
  doc: DocumentSnapshot<T> | null;
  /** What the latest change did: "added" (created), "modified", "removed" (deleted); undefined in the initial snapshot of a missing document. */
  change?: DocumentChangeType;
  /** The transaction that made the latest change, if one did. */
  transactionId?: string;
  /** True for the listener's first snapshot. */
  initial: boolean;
  /** True when the listener started over after OUT_OF_RANGE (see QuerySnapshot.restarted); `doc` is then as it is now. */
  restarted: boolean;
  /** The resume token through which this snapshot is complete. */
  resumeToken: string;
}

/** A document of a collection. Obtain one with Collection.doc(id). */
export class DocumentReference<T extends DocumentData = DocumentData> {
  /** @internal */
  constructor(
    private readonly services: Services,
    /** The document's collection. */
    readonly collection: Collection<T>,
    /** The document's id. */
    readonly id: string,
  ) {}

  /** `collection/id`: the reference's JSON form, as the server's `data` shows it. */
  get path(): string {
    return `${this.collection.name}/${this.id}`;
  }

  /** True when `other` is a DocumentReference to the same document (same collection name and id, whichever client made it). */
  isEqual(other: unknown): boolean {
    return other instanceof DocumentReference && other.collection.name === this.collection.name && other.id === this.id;
  }

  /** The JSON form (`path`), so JSON.stringify writes what the server's `data` holds; the reference's handles are not data. */
  toJSON(): string {
    return this.path;
  }

  /** Reads the document; null when it does not exist (Collection.get). */
  get(): Promise<DocumentSnapshot<T> | null> {
    return this.collection.get(this.id);
  }

  /**
   * Listens to the document: yields its state first (`initial`, `doc` null
   * when it does not exist), then once per commit that writes it, in
   * commit order, until the loop is left or `options.signal` aborts.
   * Reconnects and restarts as QueryBuilder.listen does, and throws the
   * same errors.
   */
  async *listen(options: ListenOptions = {}): AsyncIterable<DocumentListenSnapshot<T>> {
    const ref = { collection: this.collection.name, id: this.id };
    const open = (resumeToken: string, signal: AbortSignal) => this.services.live.listen({ target: { case: "document", value: ref }, resumeToken }, { signal });
    for await (const snap of listenSnapshots(open, new ListenView<T>(documentOrder([]), this.services.decoder), options)) {
      const last = snap.docChanges[snap.docChanges.length - 1];
      const doc = snap.docs[0] ?? null;
      yield { doc, change: last?.type, transactionId: last?.transactionId, initial: snap.initial, restarted: snap.restarted, resumeToken: snap.resumeToken };
    }
  }

  /**
   * Calls `onNext` with each snapshot listen() would yield, until the
   * returned function is called. Errors go to `onError` (console.error
   * without one); nothing is called after unsubscribing.
   */
  onSnapshot(onNext: (snapshot: DocumentListenSnapshot<T>) => void, onError?: (error: ConnectError) => void, options: Omit<ListenOptions, "signal"> = {}): () => void {
    checkListenOptions(`onSnapshot() on ${this.path}`, options);
    return subscribe((signal) => this.listen({ ...options, signal }), onNext, onError);
  }
}

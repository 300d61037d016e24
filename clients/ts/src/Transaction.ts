/**
 * A strictly serializable transaction across shards (TransactionService).
 * A read-only one (`readOnly: true`) reads one consistent snapshot, taken
 * when it begins, and never aborts.
 *
 * Reads are recorded with the versions they saw; writes are buffered and sent
 * together by commit(), which applies them all only if nothing read has
 * changed since, and otherwise fails with ABORTED. Two ways to read:
 *
 * - `read(collection, id)` queues a read and returns the transaction, so
 *   calls chain as in the seed's example; the reads are made at commit(),
 *   just before the writes, and their versions checked with them.
 * - `await get(collection, id)` reads now and returns the document, for
 *   writes that depend on what was read.
 *
 * Every version read is sent back with Commit (CommitRequest.reads), so the
 * server validates it whether or not it kept its own record of the reads.
 * That means every version: a document read twice that changed in between
 * is sent at both versions, and the server aborts the commit (the write may
 * depend on the first value). Keeping only the last version read would let
 * a write computed from the first one overwrite the change unseen.
 *
 * Use runTransaction (on the client) to retry a transaction that aborted.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { snapshot, writeOutcome, type DocumentSnapshot, type WriteOutcome } from "./documents.js";
import type { Services } from "./services.js";
import { createWrite, deleteWrite, setWrite, updateWrite, type UpdateOptions, type WireWrite, type WriteOptions } from "./writes.js";
import type { WithFieldValues } from "./field-value.js";
import type { DocumentData } from "./value-codec.js";

/** Options of a transaction. */
export interface TransactionOptions {
  /** The transaction only reads; commit() must carry no writes. */
  readOnly?: boolean;
  /** How long the transaction may stay open, in ms (the server allows up to 60 s). */
  timeoutMs?: number;
  /**
   * The id of the attempt this transaction retries (runTransaction sets it).
   * The retry inherits the first attempt's priority and locks what it
   * reads, so a transaction that keeps losing to others eventually commits.
   */
  retryOf?: string;
}

/** What commit() did. */
export interface CommitOutcome {
  /** One outcome per write, in the order the writes were made. */
  results: WriteOutcome[];
  /** The documents read with read(), in order; null for each that did not exist. */
  reads: (DocumentSnapshot | null)[];
  /** When the transaction committed. */
  commitTime?: Date;
}

type State = "open" | "committed" | "rolled-back";

/** A transaction. Obtain one with ImpossibleDBClient.createTransaction(). */
export class Transaction {
  private id: string | undefined;
  private readonly queuedReads: { collection: string; id: string }[] = [];
  private readonly writes: WireWrite[] = [];
  /**
   * Every (document, version) pair read, in the order first read; 0n for a
   * document that did not exist. Keyed by ref and version, so reading the
   * same version again adds nothing but reading a new one adds it.
   */
  private readonly readVersions = new Map<string, { ref: { collection: string; id: string }; version: bigint }>();
  private state: State = "open";

  /** @internal */
  constructor(
    private readonly services: Services,
    private readonly options: TransactionOptions = {},
  ) {}

  /** Queues a read of a document; made, and its version validated, at commit(). */
  read(collection: string, id: string): this {
    this.assertOpen();
    this.queuedReads.push({ collection, id });
    return this;
  }

  /** Reads a document now, inside the transaction; null when it does not exist. */
  async get<T extends DocumentData = DocumentData>(collection: string, id: string): Promise<DocumentSnapshot<T> | null> {
    const [doc] = await this.readNow([{ collection, id }]);
    return (doc ?? null) as DocumentSnapshot<T> | null;
  }

  /** Replaces a document whole (creating it if missing) when the transaction commits. */
  write(collection: string, id: string, data: DocumentData | WithFieldValues<DocumentData>, options?: WriteOptions): this {
    return this.push(setWrite(collection, id, data, options));
  }

  /** Creates a document when the transaction commits; the commit fails if it exists. */
  create(collection: string, id: string, data: DocumentData | WithFieldValues<DocumentData>, options?: WriteOptions): this {
    return this.push(createWrite(collection, id, data, options));
  }

  /** Changes fields of an existing document when the transaction commits. */
  update(collection: string, id: string, patch: DocumentData | WithFieldValues<DocumentData>, options?: UpdateOptions): this {
    return this.push(updateWrite(collection, id, patch, options));
  }

  /** Deletes a document when the transaction commits. */
  delete(collection: string, id: string, options?: WriteOptions): this {
    return this.push(deleteWrite(collection, id, options));
  }

  /**
   * Makes the queued reads, then applies every write atomically if nothing
   * read has changed. ABORTED when something has: nothing is applied, and
   * the whole transaction may be tried again.
   */
  async commit(): Promise<CommitOutcome> {
    this.assertOpen();
    const readDocs = this.queuedReads.length === 0 ? [] : await this.readNow(this.queuedReads);
    const transaction = await this.begin();
    const reads = [...this.readVersions.values()];
    const res = await this.services.transaction.commit({ transaction, writes: this.writes, reads });
    this.state = "committed";
    return {
      results: res.results.map((r) => writeOutcome(r, this.services.decoder)),
      reads: readDocs,
      commitTime: res.commitTime === undefined ? undefined : timestampDate(res.commitTime),
    };
  }

  /** The server's id of the transaction, once it has begun (its first read or commit); else undefined. */
  get transactionId(): string | undefined {
    return this.id;
  }

  /** Abandons the transaction; nothing of it is applied. */
  async rollback(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "rolled-back";
    if (this.id !== undefined) await this.services.transaction.rollback({ transaction: this.id });
  }

  private async readNow(refs: { collection: string; id: string }[]): Promise<(DocumentSnapshot | null)[]> {
    this.assertOpen();
    const transaction = await this.begin();
    const out: (DocumentSnapshot | null)[] = [];
    // The server answers a prefix of the refs when the rest would not fit
    // its response limit; each call answers at least one.
    for (let rest = refs, calls = 0; rest.length > 0 && calls < refs.length; calls++) {
      const res = await this.services.transaction.getDocuments({ transaction, refs: rest });
      if (res.reads.length === 0) throw new ConnectError("GetDocuments answered none of the refs", Code.Internal);
      res.reads.forEach((r, i) => {
        const ref = rest[i]!;
        const key = JSON.stringify([ref.collection, ref.id, String(r.version)]);
        if (!this.readVersions.has(key)) this.readVersions.set(key, { ref, version: r.version });
        out.push(r.document === undefined ? null : snapshot(r.document, this.services.decoder));
      });
      rest = rest.slice(res.reads.length);
    }
    return out;
  }

  private async begin(): Promise<string> {
    if (this.id !== undefined) return this.id;
    const timeout = this.options.timeoutMs === undefined ? undefined : durationOf(this.options.timeoutMs);
    const res = await this.services.transaction.beginTransaction({
      options: { readOnly: this.options.readOnly ?? false, timeout, retryOf: this.options.retryOf ?? "" },
    });
    this.id = res.transaction;
    return this.id;
  }

  private push(write: WireWrite): this {
    this.assertOpen();
    this.writes.push(write);
    return this;
  }

  private assertOpen(): void {
    if (this.state !== "open") throw new ConnectError(`the transaction is ${this.state}`, Code.FailedPrecondition);
  }
}

function durationOf(ms: number) {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

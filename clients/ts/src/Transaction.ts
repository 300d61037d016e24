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
 *   writes that depend on what was read; `await getMany(refs)` reads
 *   several in one call.
 *
 * A transaction reads at most TRANSACTION_READS_MAX (500) documents (its
 * read set, which Commit sends whole): a read past it is refused before it
 * is sent, naming the limit.
 *
 * Every version read is sent back with Commit (CommitRequest.reads), so the
 * server validates it whether or not it kept its own record of the reads.
 * That means every version: a document read twice that changed in between
 * is sent at both versions, and the server aborts the commit (the write may
 * depend on the first value). Keeping only the last version read would let
 * a write computed from the first one overwrite the change unseen.
 *
 * No call is spent on beginning: the first read carries the transaction's
 * options (GetDocumentsRequest.new_transaction) and its answer names the
 * id the later calls use; a transaction that never reads begins with its
 * commit (CommitRequest.new_transaction). A read-modify-write is then two
 * round trips, a read and a commit.
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
import { wasNeverSent } from "./HttpClient.js";
import { checkedString, checkOptions, describe, type OptionKinds } from "./options.js";
import { TRANSACTION_GET_REFS_MAX, TRANSACTION_READS_MAX } from "./limits.js";

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

/** Every key of TransactionOptions (options.ts refuses any other). */
export const TRANSACTION_OPTIONS = { readOnly: "boolean", timeoutMs: "number", retryOf: "string" } as const satisfies OptionKinds<TransactionOptions>;

/** Every key of CommitOptions. */
const COMMIT_OPTIONS = { timeoutMs: "number" } as const satisfies OptionKinds<CommitOptions>;

/** The longest transaction timeoutMs the SDK sends: far above the server's 60 s, and a whole number of seconds an int64 holds exactly. */
const TRANSACTION_TIMEOUT_MS_MAX = Number.MAX_SAFE_INTEGER;

/**
 * A document to read in a transaction: `{ collection, id }`, or a
 * DocumentReference (`db.collection("accounts").doc("alice")`).
 */
export interface TransactionReadRef {
  readonly collection: string | { readonly name: string };
  readonly id: string;
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

/** Options of one commit() call. */
export interface CommitOptions {
  /**
   * This commit's deadline, in ms, instead of the client's `timeoutMs`: a
   * large commit may take longer than the short deadline that suits reads.
   * A commit() sent again to learn a lost outcome may give a longer one.
   */
  timeoutMs?: number;
}

/**
 * Where a transaction stands. `committing`: a commit() is in flight;
 * `failed`: the server refused the commit (nothing applied); `unknown`: the
 * commit's answer was lost (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELED,
 * UNKNOWN or INTERNAL), so it may or may not have been applied.
 */
type State = "open" | "committing" | "committed" | "failed" | "unknown" | "rolled-back";

/**
 * Codes after which a commit may have been applied though it was not
 * acknowledged: the answer was lost or cut short. Any other code is the
 * server's refusal, and nothing was applied.
 */
export const OUTCOME_UNKNOWN_CODES: ReadonlySet<Code> = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.Canceled, Code.Unknown, Code.Internal]);

/**
 * `error` (of a commit, a code in OUTCOME_UNKNOWN_CODES) with its message
 * saying that the outcome is unknown and what to do (`next`): a bare
 * "deadline exceeded" reads as "nothing happened", yet the commit may have
 * been applied. Same code, metadata and details; the original as cause. An
 * error that already says so (a broken connection, HttpClient.ts) is
 * returned as it is.
 */
export function withOutcomeUnknown(error: ConnectError, next: string): ConnectError {
  if (/outcome is unknown/.test(error.rawMessage)) return error;
  const wrapped = new ConnectError(`${error.rawMessage}: the commit's outcome is unknown, it may have been applied; ${next}`, error.code, error.metadata, undefined, error);
  // The details as they came (the constructor takes only outgoing ones).
  wrapped.details.push(...error.details);
  return wrapped;
}

/** A transaction. Obtain one with ImpossibleDBClient.createTransaction(). */
export class Transaction {
  private id: string | undefined;
  /**
   * The first read while it is in flight: it begins the transaction, so
   * reads made meanwhile wait for its id rather than begin another.
   */
  private beginning: Promise<unknown> | undefined;
  private readonly queuedReads: { collection: string; id: string }[] = [];
  private readonly writes: WireWrite[] = [];
  /** "collection/id" of every document written, to refuse a second write of one. */
  private readonly written = new Set<string>();
  /**
   * Every (document, version) pair read, in the order first read; 0n for a
   * document that did not exist. Keyed by ref and version, so reading the
   * same version again adds nothing but reading a new one adds it.
   */
  private readonly readVersions = new Map<string, { ref: { collection: string; id: string }; version: bigint }>();
  /**
   * Every document read or being read (its key, as documentKey makes it),
   * claimed when the read is sent: reads sent at once (`Promise.all` of
   * `get()`s) count against TRANSACTION_READS_MAX before any answers.
   */
  private readonly claimedDocuments = new Set<string>();
  private state: State = "open";
  /** Why the last commit did not succeed, for the error of a later call. */
  private failure: ConnectError | undefined;
  /** The documents the queued reads returned, kept for a commit sent again. */
  private queuedReadDocs: (DocumentSnapshot | null)[] = [];
  /** The commit() in flight, so runTransaction can wait for one its function did not await. */
  private inFlight: Promise<unknown> | undefined;

  /** @internal */
  constructor(
    private readonly services: Services,
    private readonly options: TransactionOptions = {},
  ) {
    const timeoutMs = options.timeoutMs;
    // A transaction's timeout goes out as a Duration (int64 seconds, int32
    // nanos): NaN or a fraction of a nanosecond would fail its serialization
    // as INTERNAL, so it is checked here.
    if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && timeoutMs <= TRANSACTION_TIMEOUT_MS_MAX)) {
      throw new RangeError(`transaction: timeoutMs must be a number of ms > 0, got ${describe(timeoutMs)}`);
    }
  }

  /** Queues a read of a document; made, and its version validated, at commit(). */
  read(collection: string, id: string): this {
    this.assertOpen();
    const ref = readRef("read", collection, id);
    this.assertReadsFit("read()", [...this.queuedReads, ref]);
    this.queuedReads.push(ref);
    return this;
  }

  /** Reads a document now, inside the transaction; null when it does not exist. */
  async get<T extends DocumentData = DocumentData>(collection: string, id: string): Promise<DocumentSnapshot<T> | null> {
    const [doc] = await this.readNow("get()", [readRef("get", collection, id)]);
    return (doc ?? null) as DocumentSnapshot<T> | null;
  }

  /**
   * Reads several documents now, inside the transaction, in one
   * GetDocuments call (more when the answer would pass the server's
   * response limit): one snapshot per ref, in order, null for each that
   * does not exist. Many `get()`s at once send one call each, and queue
   * behind each other. Up to TRANSACTION_READS_MAX (500) documents in the
   * transaction's whole read set; a read past it is refused
   * (INVALID_ARGUMENT) before anything is sent.
   */
  async getMany<T extends DocumentData = DocumentData>(refs: readonly TransactionReadRef[]): Promise<(DocumentSnapshot<T> | null)[]> {
    if (!Array.isArray(refs)) throw new TypeError(`transaction getMany(): refs must be an array of { collection, id } or DocumentReferences, got ${describe(refs)}`);
    const wire = refs.map((ref: TransactionReadRef) => {
      if (typeof ref !== "object" || ref === null) throw new TypeError(`transaction getMany(): each ref must be { collection, id } or a DocumentReference, got ${describe(ref)}`);
      return readRef("getMany", typeof ref.collection === "string" ? ref.collection : ref.collection?.name, ref.id);
    });
    return (await this.readNow("getMany()", wire)) as (DocumentSnapshot<T> | null)[];
  }

  /** Replaces a document whole (creating it if missing) when the transaction commits. */
  write(collection: string, id: string, data: DocumentData | WithFieldValues<DocumentData>, options?: WriteOptions): this {
    return this.push(setWrite("write", collection, id, data, options));
  }

  /** Creates a document when the transaction commits; the commit fails if it exists. */
  create(collection: string, id: string, data: DocumentData | WithFieldValues<DocumentData>, options?: WriteOptions): this {
    return this.push(createWrite("create", collection, id, data, options));
  }

  /** Changes fields of an existing document when the transaction commits. */
  update(collection: string, id: string, patch: DocumentData | WithFieldValues<DocumentData>, options?: UpdateOptions): this {
    return this.push(updateWrite("update", collection, id, patch, options));
  }

  /** Deletes a document when the transaction commits. */
  delete(collection: string, id: string, options?: WriteOptions): this {
    return this.push(deleteWrite("delete", collection, id, options));
  }

  /**
   * Makes the queued reads, then applies every write atomically if nothing
   * read has changed. ABORTED when something has: nothing is applied, and
   * the whole transaction may be tried again (runTransaction does).
   *
   * A transaction commits once: a commit() while another is in flight, or
   * after one succeeded or was refused, throws FAILED_PRECONDITION and sends
   * nothing, so one transaction's writes are never applied twice. The one
   * exception is a commit whose answer was lost (UNAVAILABLE, DEADLINE_EXCEEDED
   * and the like: it may have been applied): commit() may then be called
   * again to learn the outcome when the transaction has an id (it read
   * something), since the server answers a repeated Commit of one id with
   * the first one's outcome and never applies it twice. A transaction that
   * only wrote began with its commit and has no id to ask about, so a second
   * commit() throws FAILED_PRECONDITION; read the documents to see whether
   * the writes landed. Such an error's message says that the outcome is
   * unknown. `options.timeoutMs` is this commit's deadline.
   */
  commit(options: CommitOptions = {}): Promise<CommitOutcome> {
    try {
      checkOptions("commit()", options, COMMIT_OPTIONS);
    } catch (err) {
      return Promise.reject(err);
    }
    if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
      return Promise.reject(new RangeError(`commit(): timeoutMs must be a number of ms > 0, got ${options.timeoutMs}`));
    }
    // Only a call that claims the commit is the one in flight: a commit()
    // refused because another is in flight must not replace it.
    const claims = this.state === "open" || this.state === "unknown";
    const call = this.commitOnce(options);
    if (claims && this.state === "committing") this.inFlight = call;
    return call;
  }

  private async commitOnce(options: CommitOptions): Promise<CommitOutcome> {
    if (this.state === "unknown") {
      if (this.id === undefined) throw this.notAgain("its commit's outcome is unknown and, having only written, it has no id to ask the server with: read the documents to see whether its writes were applied");
      return this.sendCommit(this.queuedReadDocs, options);
    }
    this.assertOpen();
    // Claimed before the first await: a second commit() finds it taken.
    this.state = "committing";
    let readDocs: (DocumentSnapshot | null)[];
    try {
      readDocs = this.queuedReads.length === 0 ? [] : await this.readNow("commit() of the queued read()s", this.queuedReads, true);
      await this.settled();
    } catch (err) {
      // A read failed: nothing was committed, and the transaction stays usable.
      this.state = "open";
      throw err;
    }
    this.queuedReadDocs = readDocs;
    return this.sendCommit(readDocs, options);
  }

  /** Sends Commit (again, after a lost answer) and records what became of it. */
  private async sendCommit(readDocs: (DocumentSnapshot | null)[], options: CommitOptions): Promise<CommitOutcome> {
    // What a commit that never left the client leaves the transaction as.
    const before: State = this.state === "unknown" ? "unknown" : "open";
    const reads = [...this.readVersions.values()];
    try {
      // Reached only through documents read at several versions: the reads themselves were checked.
      this.assertReadSetFits("commit()", reads.length);
    } catch (err) {
      this.state = before;
      throw err;
    }
    this.state = "committing";
    // A transaction that never read begins with its commit.
    const which = this.id === undefined ? { newTransaction: this.wireOptions() } : { transaction: this.id };
    let res;
    try {
      res = await this.services.transaction.commit({ ...which, writes: this.writes, reads }, { timeoutMs: options.timeoutMs });
    } catch (err) {
      const error = ConnectError.from(err);
      if (wasNeverSent(err)) {
        // Nothing was sent, so nothing was applied: the transaction is as it was, and commit() may be called again.
        this.state = before;
        throw new ConnectError(`${error.rawMessage}: the commit was not sent, so nothing was applied; commit() again (with a longer timeoutMs)`, error.code, error.metadata, undefined, error);
      }
      if (!OUTCOME_UNKNOWN_CODES.has(error.code)) {
        this.failure = error;
        this.state = "failed";
        throw err;
      }
      this.state = "unknown";
      this.failure = withOutcomeUnknown(
        error,
        this.id === undefined ? "the transaction only wrote, so read the documents to see whether its writes were applied" : "commit() again (with a longer timeoutMs if the deadline was too short) learns it",
      );
      throw this.failure;
    }
    this.state = "committed";
    return {
      results: res.results.map((r) => writeOutcome(r, this.services.decoder)),
      reads: readDocs,
      commitTime: res.commitTime === undefined ? undefined : timestampDate(res.commitTime),
    };
  }

  /**
   * Ends one run of runTransaction after its function returned: commits the
   * transaction unless the function already did, and makes the function's
   * own commit the run's outcome. A commit of its own that failed (even one
   * the function caught) throws that commit's error, so runTransaction
   * retries an ABORTED one like any attempt and surfaces any other code as
   * it was; one still in flight is waited for. A transaction the function
   * rolled back is left as it is: the function chose to apply nothing.
   * @internal
   */
  async finishRun(): Promise<void> {
    if (this.state === "committing") await this.inFlight?.catch(() => undefined);
    if (this.state === "open") {
      await this.commit();
      return;
    }
    if (this.state === "failed" || this.state === "unknown") throw this.failure ?? this.notAgain(`its commit ended ${this.state}`);
    // "committed" and "rolled-back": nothing is left to do.
  }

  /** True once a commit() of this transaction succeeded. */
  get committed(): boolean {
    return this.state === "committed";
  }

  /** The server's id of the transaction, once it has begun (its first read or commit); else undefined. */
  get transactionId(): string | undefined {
    return this.id;
  }

  /**
   * Abandons the transaction; nothing of it is applied. Also releases the
   * read locks of a transaction whose commit failed (runTransaction does
   * this before a retry); does nothing after a commit succeeded or while
   * one is in flight.
   */
  async rollback(): Promise<void> {
    if (this.state !== "open" && this.state !== "failed" && this.state !== "unknown") return;
    this.state = "rolled-back";
    await this.settled();
    if (this.id !== undefined) await this.services.transaction.rollback({ transaction: this.id });
  }

  /** Reads `refs` now; `what` names the call in a refusal. */
  private async readNow(what: string, refs: { collection: string; id: string }[], committing = false): Promise<(DocumentSnapshot | null)[]> {
    if (!committing) this.assertOpen();
    this.assertReadsFit(what, refs);
    for (const ref of refs) this.claimedDocuments.add(documentKey(ref));
    const out: (DocumentSnapshot | null)[] = [];
    // The server answers a prefix of the refs when the rest would not fit
    // its response limit; each call answers at least one.
    for (let rest = refs, calls = 0; rest.length > 0 && calls < refs.length; calls++) {
      const res = await this.getDocuments(rest.slice(0, TRANSACTION_GET_REFS_MAX));
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

  /**
   * Refuses a read that would take the read set past TRANSACTION_READS_MAX,
   * before it is sent: the server would refuse it (its GetDocuments names
   * at most 500 refs, its Commit carries at most 500 reads) in the words
   * of its request validation (`refs: must contain no more than 500
   * item(s)`), which name neither the limit nor what to do. A document
   * already in the read set counts once (read again at a new version it
   * adds one, which the server's Commit limit then catches).
   */
  private assertReadsFit(what: string, refs: readonly { collection: string; id: string }[]): void {
    const documents = new Set(this.claimedDocuments);
    for (const ref of refs) documents.add(documentKey(ref));
    // A document read at two versions is two entries of the read set.
    const secondVersions = this.readVersions.size - new Set([...this.readVersions.values()].map((r) => documentKey(r.ref))).size;
    this.assertReadSetFits(what, documents.size + secondVersions);
  }

  /** Refuses a read set of `reads` entries past TRANSACTION_READS_MAX, naming the limit and `what` would make it. */
  private assertReadSetFits(what: string, reads: number): void {
    if (reads <= TRANSACTION_READS_MAX) return;
    throw new ConnectError(
      `transaction ${what}: a transaction reads at most TRANSACTION_READS_MAX (${TRANSACTION_READS_MAX}) documents (the server's TX_READS_MAX, for which it would refuse the reads or the commit), and this would make its read set ${reads}: read fewer, or split the work into several transactions`,
      Code.InvalidArgument,
    );
  }

  /**
   * One GetDocuments call in the transaction. The first one begins it
   * (new_transaction) and keeps the id it answers; a read made while that
   * one is in flight waits for it, and begins the transaction itself if
   * that one failed.
   */
  private async getDocuments(refs: { collection: string; id: string }[]) {
    // No await between the last check and claiming `beginning`, so two
    // reads never both begin.
    for (;;) {
      if (this.id !== undefined) return this.services.transaction.getDocuments({ transaction: this.id, refs });
      if (this.beginning === undefined) break;
      await this.beginning.catch(() => undefined);
    }
    const call = this.services.transaction.getDocuments({ newTransaction: this.wireOptions(), refs });
    this.beginning = call;
    try {
      const res = await call;
      if (res.transaction === "") throw new ConnectError("GetDocuments began no transaction: the server predates new_transaction", Code.Internal);
      this.id = res.transaction;
      return res;
    } finally {
      // Only this call's claim: a waiter may already have made its own.
      if (this.beginning === call) this.beginning = undefined;
    }
  }

  /** Waits for a first read in flight (whatever its outcome) so its id is known. */
  private async settled(): Promise<void> {
    while (this.beginning !== undefined) await this.beginning.catch(() => undefined);
  }

  private wireOptions() {
    const timeout = this.options.timeoutMs === undefined ? undefined : durationOf(this.options.timeoutMs);
    return { readOnly: this.options.readOnly ?? false, timeout, retryOf: this.options.retryOf ?? "" };
  }

  /**
   * Buffers a write. The server refuses a whole Commit that writes one
   * document twice (INVALID_ARGUMENT, in these words), so the second write
   * is refused here, when it is made, and not buffered.
   */
  private push(write: WireWrite): this {
    this.assertOpen();
    const key = `${write.ref?.collection ?? ""}/${write.ref?.id ?? ""}`;
    if (this.written.has(key)) throw new ConnectError(`writes[${this.writes.length}] writes ${key} again; a transaction may write each document once`, Code.InvalidArgument);
    this.written.add(key);
    this.writes.push(write);
    return this;
  }

  private assertOpen(): void {
    if (this.state === "open") return;
    if (this.state === "committing") throw this.notAgain("it is committing (a commit() is in flight)");
    if (this.state === "failed") throw this.notAgain(`its commit was refused (${this.failure?.rawMessage ?? "no reason given"}); run a new transaction`);
    if (this.state === "unknown") throw this.notAgain(`its commit's outcome is unknown (${this.failure?.rawMessage ?? "no reason given"})${this.id === undefined ? "" : "; commit() again learns it"}`);
    throw this.notAgain(`it is ${this.state}`);
  }

  private notAgain(why: string): ConnectError {
    return new ConnectError(`the transaction cannot take this call: ${why}`, Code.FailedPrecondition);
  }
}

/** A positive number of ms (checked by the constructor) as a Duration: whole nanoseconds, as int32 nanos must be. */
function durationOf(ms: number) {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: Math.floor((ms % 1000) * 1_000_000) };
}

/** A document's key in a transaction's sets of documents read: collection and id. */
function documentKey(ref: { collection: string; id: string }): string {
  return JSON.stringify([ref.collection, ref.id]);
}

/** A transaction read's ref: INVALID_ARGUMENT, naming `method`, for a collection or id that is not a string. */
function readRef(method: string, collection: string, id: string): { collection: string; id: string } {
  return { collection: checkedString(`transaction ${method}(): the collection`, collection), id: checkedString(`transaction ${method}() on ${collection}: the id`, id) };
}

/**
 * One collection's documents: read, write, list, batch, listen, and the
 * start of a query.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { DocumentReference } from "./DocumentReference.js";
import { snapshot, writeOutcome, type DocumentSnapshot, type WriteOutcome } from "./documents.js";
import { DELETE_ALL_BATCH_SIZE_MAX, DELETE_ALL_STEPS_MAX, PAGE_SIZE_MAX, PAGES_PER_CALL_MAX } from "./limits.js";
import { checkedString, checkedStrings, checkOptions, type OptionKinds } from "./options.js";
import type { ListenOptions } from "./listen.js";
import type { QuerySnapshot } from "./listen-view.js";
import { QueryBuilder } from "./QueryBuilder.js";
import type { Services } from "./services.js";
import type { DocumentData } from "./value-codec.js";
import { createWrite, deleteWrite, setWrite, updatePrecondition, updateWrite, wireData, wireFields, wirePatch, writePrecondition, type UpdateOptions, type WireWrite, type WriteOptions } from "./writes.js";
import { pageSizeOf, wholeNumberIn } from "./whole-numbers.js";
import { OUTCOME_UNKNOWN_CODES, withOutcomeUnknown } from "./Transaction.js";
import { wasNeverSent } from "./HttpClient.js";
import type { WithFieldValues } from "./field-value.js";

/** Options of a read. */
export interface ReadOptions {
  /** Return only these field paths. */
  select?: string[];
}

/** Every key of ReadOptions and its kind (options.ts refuses any other key, and a value of another kind). */
const READ_OPTIONS = { select: "strings" } as const satisfies OptionKinds<ReadOptions>;

/** Options of Collection.list. */
export interface ListOptions extends ReadOptions {
  /** Documents per page, 1 to 1000; the server's default (100) when unset. */
  pageSize?: number;
  /** The nextPageToken of the previous page. */
  pageToken?: string;
}

/** Every key of ListOptions. */
const LIST_OPTIONS = { ...READ_OPTIONS, pageSize: "number", pageToken: "string" } as const satisfies OptionKinds<ListOptions>;

/** Options of Collection.deleteAll. */
export interface DeleteAllOptions {
  /** Documents deleted per shard per call, 1 to 500; 500 when unset. */
  batchSize?: number;
  /** Called after each step with the number deleted so far. */
  onProgress?: (deleted: number) => void;
}

/** Every key of DeleteAllOptions. */
const DELETE_ALL_OPTIONS = { batchSize: "number", onProgress: "function" } as const satisfies OptionKinds<DeleteAllOptions>;

/** One page of a listing. */
export interface Page<T extends DocumentData = DocumentData> {
  /** The documents, in id order. */
  documents: DocumentSnapshot<T>[];
  /** Pass as pageToken for the next page; empty on the last page. */
  nextPageToken: string;
}

/** The outcome of one write of a batch. */
export interface BatchWriteOutcome {
  /** True when the write was applied. */
  ok: boolean;
  /** A google.rpc.Code value: 0 (OK) when the write was applied, else the Code it failed with. */
  code: number;
  /** Why it failed; empty when it was applied. */
  message: string;
  /** What it did, when it was applied. */
  result?: WriteOutcome;
}

/** A collection of documents. Obtain one with ImpossibleDBClient.collection(name). */
export class Collection<T extends DocumentData = DocumentData> {
  /** @internal */
  constructor(
    private readonly services: Services,
    /** The collection's name. */
    readonly name: string,
  ) {}

  /** Writes a document whole, creating it if it is missing (an upsert). */
  async put(id: string, data: T | WithFieldValues<T>, options?: WriteOptions): Promise<DocumentSnapshot<T>> {
    const ref = this.ref("put", id);
    const precondition = writePrecondition(`put(${this.where(id)})`, options);
    const { data: json, fields, transforms } = wireData(this.where(id), data);
    const res = await this.services.collection.setDocument({ ref, data: json, fields, transforms, precondition });
    return snapshot<T>(required(res.document, "SetDocument"), this.services.decoder);
  }

  /**
   * Reads a document; null when it does not exist. A database that does not
   * exist is not a missing document: that NOT_FOUND (its message starts
   * "database ") is thrown.
   */
  async get(id: string, options?: ReadOptions): Promise<DocumentSnapshot<T> | null> {
    const ref = this.ref("get", id);
    checkOptions(`get(${this.where(id)})`, options, READ_OPTIONS);
    try {
      const res = await this.services.collection.getDocument({ ref, mask: mask(options?.select) });
      return snapshot<T>(required(res.document, "GetDocument"), this.services.decoder);
    } catch (err) {
      const ce = ConnectError.from(err);
      if (ce.code === Code.NotFound && !isMissingDatabase(ce)) return null;
      throw err;
    }
  }

  /**
   * Reads several documents; null for each that does not exist. One call
   * when the answer fits the server's response limit (3 MiB); otherwise the
   * server answers the first ones and names the rest, which are asked for
   * again until every id is answered.
   */
  async getMany(ids: string[], options?: ReadOptions): Promise<(DocumentSnapshot<T> | null)[]> {
    checkOptions(`getMany() on ${this.name}`, options, READ_OPTIONS);
    const out: (DocumentSnapshot<T> | null)[] = [];
    let refs = checkedStrings(`getMany() on ${this.name}: the ids`, ids).map((id) => ({ collection: this.name, id }));
    // Each call answers at least one ref, so this ends within ids.length calls.
    for (let calls = 0; refs.length > 0 && calls < ids.length; calls++) {
      const res = await this.services.collection.batchGetDocuments({ refs, mask: mask(options?.select) });
      if (res.results.length === 0) throw new ConnectError("BatchGetDocuments answered none of the refs", Code.Internal);
      out.push(...res.results.map((r) => (r.found && r.document !== undefined ? snapshot<T>(r.document, this.services.decoder) : null)));
      refs = refs.slice(res.results.length);
    }
    return out;
  }

  /**
   * Adds a document under an id the server chooses (20 characters of
   * A-Z, a-z, 0-9, random, like Firestore's auto-ids). Not retried: a
   * retry could add the document twice.
   */
  async add(data: T): Promise<DocumentSnapshot<T>> {
    const res = await this.services.collection.addDocument({ collection: this.name, ...wireFields(`${this.name}/(new)`, data) });
    return snapshot<T>(required(res.document, "AddDocument"), this.services.decoder);
  }

  /**
   * Deletes every document of the collection, in steps of at most
   * `batchSize` documents per shard (500 when unset), calling `onProgress`
   * with the running total after each step. Returns how many documents it
   * deleted. Not atomic: other readers see the collection shrink.
   */
  async deleteAll(options: DeleteAllOptions = {}): Promise<number> {
    checkOptions(`deleteAll() on ${this.name}`, options, DELETE_ALL_OPTIONS);
    const batchSize = options.batchSize === undefined ? undefined : wholeNumberIn(options.batchSize, 1, DELETE_ALL_BATCH_SIZE_MAX, `deleteAll() on ${this.name}: batchSize`, "leave it out for the default");
    let deleted = 0;
    for (let steps = 0; steps < DELETE_ALL_STEPS_MAX; steps++) {
      const res = await this.services.collection.deleteCollection({ collection: this.name, batchSize });
      deleted += Number(res.deletedCount);
      options.onProgress?.(deleted);
      if (res.done) return deleted;
    }
    throw new ConnectError(`deleting ${this.name} took more than ${DELETE_ALL_STEPS_MAX} steps`, Code.ResourceExhausted);
  }

  /** Creates a document; fails with ALREADY_EXISTS when it exists. */
  async create(id: string, data: T | WithFieldValues<T>): Promise<DocumentSnapshot<T>> {
    const ref = this.ref("create", id);
    const { data: json, fields, transforms } = wireData(this.where(id), data);
    const res = await this.services.collection.createDocument({ ref, data: json, fields, transforms });
    return snapshot<T>(required(res.document, "CreateDocument"), this.services.decoder);
  }

  /** Changes fields of an existing document; fails with NOT_FOUND when it is missing. */
  async update(id: string, patch: (Partial<T> & DocumentData) | Partial<WithFieldValues<T>>, options?: UpdateOptions): Promise<DocumentSnapshot<T>> {
    const ref = this.ref("update", id);
    const precondition = updatePrecondition(`update(${this.where(id)})`, options);
    const { patch: wire, transforms } = wirePatch(this.where(id), patch, options?.mask);
    const res = await this.services.collection.updateDocument({ ref, patch: wire, transforms, precondition });
    return snapshot<T>(required(res.document, "UpdateDocument"), this.services.decoder);
  }

  /** Deletes a document; true when it existed. */
  async delete(id: string, options?: WriteOptions): Promise<boolean> {
    const ref = this.ref("delete", id);
    const precondition = writePrecondition(`delete(${this.where(id)})`, options);
    const res = await this.services.collection.deleteDocument({ ref, precondition });
    return res.deleted;
  }

  /** One page of the collection, in id order. */
  async list(options: ListOptions = {}): Promise<Page<T>> {
    checkOptions(`list() on ${this.name}`, options, LIST_OPTIONS);
    const res = await this.services.collection.listDocuments({
      collection: this.name,
      pageSize: pageSizeOf(options.pageSize, `list() on ${this.name}`),
      pageToken: options.pageToken,
      mask: mask(options.select),
    });
    return { documents: res.documents.map((d) => snapshot<T>(d, this.services.decoder)), nextPageToken: res.nextPageToken };
  }

  /** Every document of the collection, in id order, a page at a time. */
  async *listAll(options: ReadOptions = {}): AsyncIterable<DocumentSnapshot<T>> {
    checkOptions(`listAll() on ${this.name}`, options, READ_OPTIONS);
    let pageToken = "";
    for (let pages = 0; pages < PAGES_PER_CALL_MAX; pages++) {
      const page = await this.list({ ...options, pageSize: PAGE_SIZE_MAX, pageToken });
      yield* page.documents;
      if (page.nextPageToken === "") return;
      pageToken = page.nextPageToken;
    }
    throw new ConnectError(`listing ${this.name} took more than ${PAGES_PER_CALL_MAX} pages`, Code.ResourceExhausted);
  }

  /** A batch of writes to this collection, sent together by commit(). */
  batch(): WriteBatch<T> {
    return new WriteBatch<T>(this.services, this.name);
  }

  /** A query over this collection. */
  query(): QueryBuilder<T> {
    return new QueryBuilder<T>(this.services, this.name);
  }

  /** A reference to one document, to listen to it (DocumentReference.onSnapshot). */
  doc(id: string): DocumentReference<T> {
    return new DocumentReference<T>(this.services, this, checkedString(`doc() on ${this.name}: the id`, id));
  }

  /** Listens to the whole collection, in id order: query().listen() (see QueryBuilder.listen for snapshots and errors). */
  listen(options?: ListenOptions): AsyncIterable<QuerySnapshot<T>> {
    return this.query().listen(options);
  }

  /** Calls `onNext` with each snapshot of the whole collection until the returned function is called: query().onSnapshot(). */
  onSnapshot(onNext: (snapshot: QuerySnapshot<T>) => void, onError?: (error: ConnectError) => void, options?: Omit<ListenOptions, "signal">): () => void {
    return this.query().onSnapshot(onNext, onError, options);
  }

  /** The wire's ref of document `id`, which `method` names; INVALID_ARGUMENT when the id is not a string. */
  private ref(method: string, id: string) {
    return { collection: this.name, id: checkedString(`${method}() on ${this.name}: the id`, id) };
  }

  /** How errors name a document: `users/alice`. */
  private where(id: string): string {
    return `${this.name}/${id}`;
  }
}

/** Options of a batch's commit() and commitAtomic(). */
export interface BatchCommitOptions {
  /** Also return each written document in its outcome (while they fit the 3 MiB answer). */
  returnDocuments?: boolean;
  /** This call's deadline, in ms, instead of the client's `timeoutMs` (a large batch may need longer). */
  timeoutMs?: number;
}

/** Every key of BatchCommitOptions. */
const BATCH_COMMIT_OPTIONS = { returnDocuments: "boolean", timeoutMs: "number" } as const satisfies OptionKinds<BatchCommitOptions>;

/** What to do after a batch's answer was lost: a batch has no id to ask the server about. */
const LOST_BATCH_HINT = "read the documents to see whether its writes were applied (a batch is sent once)";

/**
 * Writes sent together. `commit()` sends them in one BatchWriteDocuments
 * call: the writes that fall on one shard are applied all or none; writes
 * on different shards succeed or fail independently, and each gets its own
 * outcome (check `ok`: commit() does not throw for a refused write).
 * `commitAtomic()` sends them in one CommitBatch call: all of them, across
 * shards, or none (it throws the refusal), as Firestore's WriteBatch and the
 * Python client's `batch().commit()` do (the Go client's `CommitAtomic`).
 */
export class WriteBatch<T extends DocumentData = DocumentData> {
  private readonly writes: WireWrite[] = [];
  /**
   * Set by commit() or commitAtomic(), before it sends: a batch is sent once
   * (as Firestore's), so a second commit, which would apply every write
   * again (an increment twice), and writes added after it are refused; only
   * a commitAtomic() the server refused (nothing applied) leaves it unsent.
   */
  private sent = false;
  /** The ids of the documents written, to refuse a second write of one. */
  private readonly written = new Set<string>();

  /** @internal */
  constructor(
    private readonly services: Services,
    private readonly collection: string,
  ) {}

  /** Replaces a document whole, creating it if missing. */
  set(id: string, data: T | WithFieldValues<T>, options?: WriteOptions): this {
    return this.push(id, setWrite("set", this.collection, id, data, options));
  }

  /** Creates a document; ALREADY_EXISTS when it exists. */
  create(id: string, data: T | WithFieldValues<T>, options?: WriteOptions): this {
    return this.push(id, createWrite("create", this.collection, id, data, options));
  }

  /** Changes fields of an existing document. */
  update(id: string, patch: (Partial<T> & DocumentData) | Partial<WithFieldValues<T>>, options?: UpdateOptions): this {
    return this.push(id, updateWrite("update", this.collection, id, patch, options));
  }

  /** Deletes a document. */
  delete(id: string, options?: WriteOptions): this {
    return this.push(id, deleteWrite("delete", this.collection, id, options));
  }

  /**
   * Applies every write atomically across shards (TransactionService.CommitBatch),
   * or none: throws the refusal (ALREADY_EXISTS, NOT_FOUND,
   * FAILED_PRECONDITION for a write's precondition; ABORTED when other
   * transactions kept its documents locked too long). One outcome per
   * write, in order, with its version and time; the documents only with
   * `returnDocuments`, and only while they fit the response limit (3 MiB).
   * `timeoutMs` is this call's deadline instead of the client's. A lost
   * answer (UNAVAILABLE, DEADLINE_EXCEEDED, …) says that the outcome is
   * unknown: the batch may have been applied.
   */
  async commitAtomic(options: BatchCommitOptions = {}): Promise<WriteOutcome[]> {
    checkOptions("batch().commitAtomic()", options, BATCH_COMMIT_OPTIONS);
    // Refused, CommitBatch applied nothing: the batch may be sent again, as a whole or per shard.
    const res = await this.send(() => this.services.transaction.commitBatch({ writes: this.writes, returnDocuments: options.returnDocuments ?? false }, { timeoutMs: options.timeoutMs }), true);
    return res.results.map((r) => writeOutcome(r, this.services.decoder));
  }

  /**
   * Sends the writes in one BatchWriteDocuments call (all or none per
   * shard; shards independently); one outcome per write, in order, with
   * its version and time. A refused write does NOT throw: check each
   * outcome's `ok` (or use commitAtomic). The documents written come back
   * only with `returnDocuments`, and only while they fit the server's
   * response limit (3 MiB). `timeoutMs` and a lost answer as commitAtomic's.
   */
  async commit(options: BatchCommitOptions = {}): Promise<BatchWriteOutcome[]> {
    checkOptions("batch().commit()", options, BATCH_COMMIT_OPTIONS);
    const res = await this.send(() => this.services.collection.batchWriteDocuments({ writes: this.writes, returnDocuments: options.returnDocuments ?? false }, { timeoutMs: options.timeoutMs }), false);
    return res.statuses.map((status, i) => {
      const result = res.results[i];
      const ok = status.code === 0;
      return { ok, code: status.code, message: status.message, result: ok && result !== undefined ? writeOutcome(result, this.services.decoder) : undefined };
    });
  }

  /**
   * Adds a write. The server refuses a whole batch that writes one document
   * twice (INVALID_ARGUMENT, in these words), so the second write is refused
   * here, when it is added, instead of when the batch is sent.
   */
  private push(id: string, write: WireWrite): this {
    this.assertUnsent();
    if (this.written.has(id)) throw new ConnectError(`writes[${this.writes.length}] writes ${this.collection}/${id} again; a batch may write each document once`, Code.InvalidArgument);
    this.written.add(id);
    this.writes.push(write);
    return this;
  }

  /**
   * Sends the batch once (commit() and commitAtomic()), and says what a
   * failure means for it: a call that never left the client may be sent
   * again (notSent); a lost answer leaves the outcome unknown (the batch
   * stays sent: resending could apply it twice); a refusal is thrown as it
   * came, and leaves the batch unsent only when `refusalAppliedNothing`
   * (CommitBatch's, all or none; not BatchWriteDocuments', whose shards
   * answer independently).
   */
  private async send<R>(call: () => Promise<R>, refusalAppliedNothing: boolean): Promise<R> {
    this.markSent();
    try {
      return await call();
    } catch (err) {
      const error = ConnectError.from(err);
      if (wasNeverSent(err)) throw this.notSent(error);
      if (OUTCOME_UNKNOWN_CODES.has(error.code)) throw withOutcomeUnknown(error, LOST_BATCH_HINT);
      if (refusalAppliedNothing) this.sent = false;
      throw err;
    }
  }

  private markSent(): void {
    this.assertUnsent();
    this.sent = true;
  }

  /** A call that never left the client (its deadline passed first): the batch may be sent again, and the error says so. */
  private notSent(error: ConnectError): ConnectError {
    this.sent = false;
    return new ConnectError(`${error.rawMessage}: the batch was not sent, so nothing was applied; commit it again (with a longer timeoutMs)`, error.code, error.metadata, undefined, error);
  }

  private assertUnsent(): void {
    if (this.sent) throw new ConnectError("this batch was already sent (a batch is committed once; a second commit would apply its writes again): make a new batch", Code.FailedPrecondition);
  }
}

/** A read's field mask; its paths were checked with the read's options (READ_OPTIONS). */
function mask(select: string[] | undefined) {
  return select === undefined ? undefined : { fieldPaths: select };
}

function required<T>(value: T | undefined, rpc: string): T {
  if (value === undefined) throw new ConnectError(`${rpc} answered without a document`, Code.Internal);
  return value;
}

/** Whether a NOT_FOUND is about the database rather than the document (the contract: its message starts "database "). */
function isMissingDatabase(err: ConnectError): boolean {
  return err.rawMessage.startsWith("database ");
}

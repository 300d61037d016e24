/**
 * What the transaction and query workloads need from a system, beside the
 * point and batch operations of `Driver`. Each system implements them in its
 * own native way (see each system's file); a system without a query engine
 * of its own (the floor) offers no `QueryDriver`.
 */
import type { Document } from "./types.js";

/** A bank account document: `{ balance }`, an integer. */
export interface Account {
  readonly balance: number;
}

export interface TxDriver {
  /**
   * Writes two documents of the YCSB collection atomically, as one
   * transaction with no reads (ImpossibleDB: TransactionService.CommitBatch).
   */
  commitPair(a: readonly [string, Document], b: readonly [string, Document]): Promise<void>;
  /** Creates (or overwrites) accounts in the bank collection, all with `balance`; at most 500 per call. */
  loadAccounts(ids: readonly string[], balance: number): Promise<void>;
  /**
   * Moves `amount` from one account to another in one transaction that reads
   * both balances and writes both back, retrying until it commits. Returns how
   * many attempts were aborted (conflicts) before it did.
   */
  transfer(from: string, to: string, amount: number): Promise<number>;
  /** Sum of the balances of `ids`, read after the run. */
  totalBalance(ids: readonly string[]): Promise<number>;
  /**
   * Sums the balances of `ids` in ONE read-only transaction, while transfers
   * run (the contention phase). Returns the sum and how many attempts
   * aborted before one committed. Systems without it skip the phase.
   */
  audit?(ids: readonly string[]): Promise<{ total: number; aborts: number }>;
}

/** A document of the query set's collection. */
export interface OrderDoc {
  /** One of 10 values, "s0".."s9"; indexed together with `total`. */
  readonly status: string;
  /** An integer in 0..99,999. */
  readonly total: number;
  /** One of 8 values, "r0".."r7": the group-by key. */
  readonly region: string;
  /** Copies of status and total with no index: the unindexed filter. */
  readonly ustatus: string;
  readonly utotal: number;
  readonly note: string;
}

/** One document of a top-10 answer: its id and sort value, to compare answers across systems. */
export type TopAnswer = ReadonlyArray<readonly [string, number]>;
/** Groups of the group-by, sorted by key: [region, count, sum of total]. */
export type GroupAnswer = ReadonlyArray<readonly [string, number, number]>;

/** How a system answered one query when asked to explain itself (ImpossibleDB only). */
export interface QueryExplain {
  readonly rowsRead: number;
  readonly rowsReadPerShard: readonly number[];
  readonly indexes: readonly string[];
  /** SQLite's EXPLAIN QUERY PLAN on the first shard. */
  readonly sqlPlan: string;
}

export interface QueryDriver {
  /** Writes one batch (at most 500) of the query set's documents. */
  load(docs: ReadonlyArray<readonly [string, OrderDoc]>): Promise<void>;
  /** Creates the index on (status, total), both ascending (see INDEX_NOTE), after loading. */
  createIndex(): Promise<void>;
  /** status == s AND total >= min ORDER BY total DESC LIMIT 10, on the indexed fields or on their unindexed copies. */
  top10(indexed: boolean, status: string, minTotal: number): Promise<TopAnswer>;
  /** COUNT of documents with status == s. */
  count(status: string): Promise<number>;
  /** COUNT and SUM(total) grouped by region, over every document. */
  groupBy(): Promise<GroupAnswer>;
  /** The same queries with explain on, where the system offers it. */
  explain?(which: "top10-indexed" | "top10-unindexed" | "count" | "group-by", status: string, minTotal: number): Promise<QueryExplain>;
}

/**
 * The index on (status, total) is declared ASCENDING on every system, though
 * the query sorts by total descending: ties go by id in the direction of the
 * last sort key (id DESC here), and the ascending index walked backwards
 * gives exactly `total DESC, id DESC` (bench/README.md, "Why the index is
 * ascending").
 */
export const INDEX_NOTE = "index on (status, total) ascending, walked backwards for ORDER BY total DESC";

/** The bank collection, and the query set's. */
export const BANK_COLLECTION = "bank";
export const ORDERS_COLLECTION = "orders";

/** The collection the listen phase writes to and listens on (its own, so a listener's snapshot stays small). */
export const LISTEN_COLLECTION = "listen_bench";

/** A change a listener received: the document's id and data after the change. */
export interface ReceivedChange {
  readonly id: string;
  readonly data: Document;
}

/** A listener opened by a ListenDriver. */
export interface OpenListener {
  /** Cancels the stream and resolves once it has ended. */
  close(): Promise<void>;
  /** The error that ended the stream early, or null while it runs (or after close). */
  readonly failure: unknown;
}

/**
 * Change notifications on LISTEN_COLLECTION (the listen phase): plain
 * writes and reads on that collection, and listeners on the whole of it.
 * Systems without them skip the phase.
 */
export interface ListenDriver {
  /** Writes one whole document; resolves when the write is acknowledged. */
  write(id: string, data: Document): Promise<void>;
  /** A plain point get of one document. */
  read(id: string): Promise<void>;
  /**
   * Opens a listener on the whole collection and resolves once its initial
   * snapshot is complete (current). After that, `onChanges` is called once
   * per message with the message's changes (added or modified documents)
   * and `receivedMs`, the harness's clock (performance.now()) when the
   * message arrived; the snapshot's own documents are not passed.
   */
  open(onChanges: (changes: readonly ReceivedChange[], receivedMs: number) => void): Promise<OpenListener>;
}
